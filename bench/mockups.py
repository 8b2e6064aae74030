"""Benchmark: offline mockup renders (issue 11 "Done means": ``bench/mockups``).

On the embedded default (SQLite, local storage, the in-process queue worker, the offline compositor), submits
one batch of 20 designs x 5 scenes = 100 renders with ``services.mockups.submit_batch`` and waits for every
render's end push, measuring:

1. offline render throughput: renders per second from the submit to the last end push (each render is one
   held job: claim, render, thumbnail, store, capture), and the submit's own time (one transaction: guardrails,
   100 mockup rows, 100 holds, 100 jobs);
2. the event-loop lag of this process's main loop while the batch runs (the web process's loop in the embedded
   default: the worker runs on Dramatiq's threads in the same process), measured by a 5 ms ticker (how much
   later than asked each tick woke): max, p99 and ticks over 20 ms (target < 20 ms). The same ticker runs for
   5 s before the batch with nothing to do, so the machine's own noise (other processes on the cores; the
   load average is printed too) can be told apart from the batch's.

Like the web worker's lifespan, the bench freezes the start-up heap out of the collector's way
(``loop_lag.freeze_startup_heap``) and sets the 1 ms thread switch interval of a process shared with the queue
worker (``loop_lag.share_with_worker``); the offline compositor runs in the CPU process pool (``cpu_pool``).

The designs are 1024 px studio images (a colored product shape on white, like the offline image provider's
views), so the compositor cuts each out. A 5-render warm-up batch runs first (imports, scene art caches).

Run: ``.venv/bin/python -m bench.mockups [--designs 20] [--scenes 5]``. Prints numbers; not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
import os
import tempfile
import time
import uuid

from bench.pipeline import Waiter


def studio_design(n: int) -> bytes:
    """A 1024 px PNG: a rounded product shape of a varying color on a white studio background."""
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (1024, 1024), (255, 255, 255))
    draw = ImageDraw.Draw(im)
    color = ((n * 67) % 200 + 30, (n * 131) % 200 + 30, (n * 29) % 200 + 30)
    draw.rounded_rectangle((240, 160, 784, 880), radius=90, fill=color, outline=(40, 40, 40), width=6)
    draw.ellipse((420, 330, 604, 514), fill=(250, 240, 220))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


async def designed_products(user: int, count: int) -> list[uuid.UUID]:
    """``count`` products whose front view is a studio design (written straight to the tables and storage)."""
    from genpire_app.backend.db.engine import write_session
    from genpire_app.backend.db.models import ProductIdea, ProductMultiviewRevision
    from genpire_app.backend.storage import content_key, get_storage

    ids = []
    for n in range(count):
        pid, data = uuid.uuid4(), studio_design(n)
        key = content_key(f"users/{user}/products/{pid}/views", "front", data, "png")
        await get_storage().put(key, data, "image/png")
        with write_session() as s:
            s.add(ProductIdea(id=pid, user_id=user, name=f"Bench product {n + 1}", prompt="bench", status="images_generated"))
            s.flush()
            s.add(ProductMultiviewRevision(product_idea_id=pid, user_id=user, batch_id="bench", view_type="front",
                                           image_key=key, is_active=True, edit_type="initial"))
        ids.append(pid)
    return ids


async def run_batch(waiter: Waiter, user: int, designs: list[uuid.UUID], scenes: list[uuid.UUID]) -> tuple[float, float]:
    """Submit one batch and wait for every render's end; returns (submit seconds, total seconds)."""
    from genpire_app.backend.jobs.runner import new_intent
    from genpire_app.backend.services.mockups import submit_batch

    start = time.perf_counter()
    batch = await asyncio.to_thread(submit_batch, user, [("product", d, "front") for d in designs], scenes, new_intent())
    submitted = time.perf_counter() - start
    ended = await asyncio.gather(*(waiter.future(j) for j in batch.job_ids))
    failed = [e.message for e in ended if e.status != "succeeded"]
    assert not failed, failed[:3]
    return submitted, time.perf_counter() - start


class Ticker:
    """A 5 ms ticker on the running loop recording every tick's lag (seconds late)."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval, self.lags = interval, []

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.lags.append(max(0.0, loop.time() - expected))

    def summary(self) -> str:
        ordered = sorted(self.lags) or [0.0]
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        over = sum(1 for lag in ordered if lag > 0.020)
        return (f"max {ordered[-1] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, p50 {ordered[len(ordered) // 2] * 1000:.1f} ms, "
                f"{over} of {len(ordered)} ticks over 20 ms")


async def measured(ticker: Ticker, work) -> object:
    """Run ``work`` (an awaitable) with ``ticker`` ticking; returns its result."""
    task = asyncio.create_task(ticker.run())
    try:
        return await work
    finally:
        task.cancel()


async def main(n_designs: int, n_scenes: int) -> None:
    from sqlmodel import SQLModel

    from genpire_app.backend.db import models  # noqa: F401
    from genpire_app.backend.db.engine import get_engine
    from genpire_app.backend.jobs import queue
    from genpire_app.backend.loop_lag import freeze_startup_heap, share_with_worker
    from genpire_app.backend.providers.offline_mockups import OfflineMockupProvider
    from genpire_app.backend.providers.registry import get_providers, set_providers
    from genpire_app.backend.services import accounts, credits, guardrails, mockup_scenes

    SQLModel.metadata.create_all(get_engine())
    set_providers(dataclasses.replace(get_providers(), mockups=OfflineMockupProvider()))
    worker = queue.InProcessWorker()
    worker.start()
    waiter = Waiter()
    consumer = asyncio.create_task(waiter.consume())
    await asyncio.sleep(0)  # subscribed before the first job ends
    try:
        user = await asyncio.to_thread(accounts.create_account, email=f"bench-{uuid.uuid4().hex[:6]}@example.com",
                                       password="benchmark-pass", signup_credits=10_000_000)
        designs = await designed_products(user, n_designs)
        scenes = [s.id for s in mockup_scenes.list_scenes(user)][:n_scenes]
        await run_batch(waiter, user, designs[:1], scenes)  # warm-up: imports, scene art, decode caches
        freeze_startup_heap()  # as the web worker's lifespan does after start-up
        share_with_worker()  # as the lifespan does when the queue worker runs in the web process
        balance = credits.balance(user_id=user)

        idle, busy = Ticker(), Ticker()
        await measured(idle, asyncio.sleep(5.0))
        submit_s, total_s = await measured(busy, run_batch(waiter, user, designs, scenes))
        spent = balance - credits.balance(user_id=user)
        usage = guardrails.usage(user)
    finally:
        consumer.cancel()
        worker.stop()
    renders = n_designs * len(scenes)
    print(f"batch: {n_designs} designs x {len(scenes)} scenes = {renders} renders, "
          f"worker threads = {worker.threads}")
    print(f"submit (one transaction: guardrails, {renders} rows, holds, jobs): {submit_s * 1000:.0f} ms")
    print(f"offline render throughput: {renders / total_s:.2f} renders/s  "
          f"({total_s:.2f} s from submit to the last end push; {total_s / renders * 1000:.0f} ms per render)")
    print(f"event-loop lag while the batch ran (5 ms ticker): {busy.summary()} (target < 20 ms)")
    print(f"event-loop lag idle, 5 s before the batch (machine noise): {idle.summary()}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")
    print(f"credits spent: {spent / 100:.0f} (expected {renders}); usage card: {usage.annual_used} used this year "
          f"(expected {renders + len(scenes)} with the warm-up), {usage.in_flight} in flight")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=20)
    parser.add_argument("--scenes", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="genpire-bench-"))
    asyncio.run(main(args.designs, args.scenes))
