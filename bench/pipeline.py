"""Benchmark: the progressive pipeline with the task queue in the path (issues 2 and 6, DESIGN.md §11).

With image providers of fixed latency L (returning a real 1024 px PNG, so storage and thumbnails cost what
they cost), measures the wall time from submitting "front view" to the push event that says the approval
job ended ("front view" then "approve & generate the four other views"), against its critical path 2L.
Submits go through ``jobs.runner.submit`` and the jobs through the real queue:

- ``--mode embedded`` (default): Dramatiq's in-memory broker and an in-process worker (``make run``).
- ``--mode production``: Redis (``--redis``) and a separate worker process started by this script
  (``dramatiq genpire_app.backend.jobs.worker``), PostgreSQL when ``DATABASE_URL`` is set.

It also measures the worst event-loop lag of this process, which plays the web tier (it submits and
consumes push events), while ``--concurrent N`` approvals run at once; with ``--renderer offline`` the
worker renders with the CPU-bound offline renderer instead of the fixed-latency provider.

Run: ``make bench`` or ``.venv/bin/python -m bench.pipeline [--latency 1.0] [--runs 3] [--mode production]``.
Prints numbers; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class LagMonitor:
    """Ticks every ``interval`` seconds and records how late each tick was (seconds)."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.worst = 0.0
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.worst = max(self.worst, loop.time() - expected)

    def __enter__(self) -> LagMonitor:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


class Waiter:
    """Resolves futures when the push channel reports a job's end."""

    def __init__(self) -> None:
        self.ended: dict[str, asyncio.Future] = {}

    def future(self, job_id: uuid.UUID) -> asyncio.Future:
        return self.ended.setdefault(str(job_id), asyncio.get_running_loop().create_future())

    async def consume(self) -> None:
        from genpire_app.backend.jobs import push

        async for event in push.channel().subscribe():
            if event.job_id and event.status in ("succeeded", "partial", "failed"):
                fut = self.ended.setdefault(event.job_id, asyncio.get_running_loop().create_future())
                if not fut.done():
                    fut.set_result(event)


async def one_product(waiter: Waiter, user: int) -> float:
    """Front view then approval through the queue; returns the wall time in seconds."""
    from genpire_app.backend.jobs import runner
    from genpire_app.backend.services import operations, products
    from genpire_app.backend.services.approval import ApprovalPlan
    from genpire_app.backend.services.front_view import FrontViewPlan

    pid = await products.create_product(user_id=user, data=products.ProductInput(
        mode="text", idea="A minimalist canvas tote bag with leather straps"))
    start = time.perf_counter()
    sub = await asyncio.to_thread(runner.submit, operations.get("front_view"), user_id=user,
                                  plan=FrontViewPlan(product_id=pid), intent=runner.new_intent())
    front = await waiter.future(sub.job_id)
    assert front.status == "succeeded", front.message
    sub = await asyncio.to_thread(runner.submit, operations.get("approval"), user_id=user,
                                  plan=ApprovalPlan(approval_id=uuid.UUID(front.result["approval_id"])),
                                  intent=runner.new_intent())
    done = await waiter.future(sub.job_id)
    assert done.status == "succeeded", done.message
    return time.perf_counter() - start


def _start_worker(env: dict[str, str]) -> subprocess.Popen:
    dramatiq = Path(sys.executable).with_name("dramatiq")
    return subprocess.Popen([str(dramatiq), "genpire_app.backend.jobs.worker", "--processes", "1", "--threads", "16"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


async def main(args: argparse.Namespace) -> None:
    from sqlmodel import SQLModel

    from genpire_app.backend.config import get_settings
    from genpire_app.backend.db import models  # noqa: F401
    from genpire_app.backend.db.engine import get_engine
    from genpire_app.backend.jobs import queue
    from genpire_app.backend.services import accounts

    SQLModel.metadata.create_all(get_engine())
    worker = queue.InProcessWorker() if args.mode == "embedded" else None
    child = _start_worker({**os.environ, "PYTHONPATH": str(ROOT)}) if worker is None else None
    if worker is not None:
        worker.start()
    waiter = Waiter()
    consumer = asyncio.create_task(waiter.consume())
    await asyncio.sleep(0.5 if child is None else 3.0)  # let the worker boot (not part of any measurement)
    user = await asyncio.to_thread(accounts.create_account, email=f"bench-{uuid.uuid4().hex[:8]}@example.com",
                                   password="benchmark-pass", signup_credits=10_000_000)
    try:
        walls, lags = [], []
        for i in range(args.runs + 1):
            with LagMonitor() as lag:
                wall = await one_product(waiter, user)
            if i:  # the first run warms up imports and connections
                walls.append(wall)
                lags.append(lag.worst)
        with LagMonitor() as lag:
            start = time.perf_counter()
            batch = await asyncio.gather(*(one_product(waiter, user) for _ in range(args.concurrent)))
            batch_wall = time.perf_counter() - start
    finally:
        consumer.cancel()
        if worker is not None:
            worker.stop()
        if child is not None:
            os.killpg(child.pid, 15)
            child.wait(timeout=30)
    critical = 2 * args.latency
    median = statistics.median(walls)
    settings = get_settings()
    print(f"mode: {args.mode}, database: {settings.effective_database_url.split('://')[0]}, "
          f"renderer: {args.renderer}, provider latency L = {args.latency:.3f} s, runs = {args.runs}")
    print(f"wall time submit -> push (median): {median:.3f} s   min {min(walls):.3f} s   max {max(walls):.3f} s")
    print(f"critical path 2L: {critical:.3f} s   ratio wall / 2L: {median / critical:.3f}   (target <= 1.15)")
    print(f"overhead: {(median - critical) * 1000:.0f} ms per product; web-side loop worst lag {max(lags) * 1000:.1f} ms")
    print(f"{args.concurrent} products at once: {batch_wall:.2f} s in all, slowest {max(batch):.2f} s; "
          f"web-side event loop worst lag {lag.worst * 1000:.1f} ms   (target < 20 ms in production)")


def _configure(args: argparse.Namespace) -> None:
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="genpire-bench-"))
    if args.mode == "production":
        os.environ["QUEUE_REDIS_URL"] = args.redis
        os.environ["IN_PROCESS_WORKER"] = "0"
        if not os.environ.get("STORAGE_BACKEND"):
            os.environ["STORAGE_BACKEND"] = "local"
    if args.renderer == "fixed":
        os.environ["BENCH_FIXED_LATENCY_S"] = str(args.latency)
        os.environ["PROVIDERS_HOOK"] = "bench.fixed_provider:providers"
    else:
        os.environ["OFFLINE_LATENCY_MS"] = str(int(args.latency * 1000))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0, help="provider latency L, seconds")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrent", type=int, default=10, help="approvals run at once for the lag measurement")
    parser.add_argument("--mode", choices=("embedded", "production"), default="embedded")
    parser.add_argument("--renderer", choices=("fixed", "offline"), default="fixed",
                        help="fixed: a provider that sleeps L and returns a real PNG; offline: the CPU-bound renderer")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    cli = parser.parse_args()
    _configure(cli)
    asyncio.run(main(cli))
