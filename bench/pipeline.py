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


def _job_times() -> tuple[list[float], dict[str, list[float]]]:
    """(queue wait, run time) of every finished job in seconds, from the job rows."""
    from sqlmodel import select

    from genpire_app.backend.db.engine import read_session
    from genpire_app.backend.db.models import Job, as_utc

    with read_session() as s:
        jobs = [j for j in s.exec(select(Job)) if j.started_at and j.finished_at]
    waits = [(as_utc(j.started_at) - as_utc(j.created_at)).total_seconds() for j in jobs]
    runs: dict[str, list[float]] = {}
    for j in jobs:
        runs.setdefault(j.kind, []).append((as_utc(j.finished_at) - as_utc(j.started_at)).total_seconds())
    return waits, runs


def web_lag(base_url: str, seconds: int, workers: int = 2) -> list[dict]:
    """The event-loop lag reports of the web workers (``/api/health``; each request lands on one worker)."""
    import json
    import urllib.request

    seen: dict[int, dict] = {}
    for _ in range(40):
        with urllib.request.urlopen(f"{base_url}/api/health?lag_seconds={seconds}", timeout=5) as resp:
            report = json.load(resp)["loop_lag"]
        seen[report["pid"]] = report
        if len(seen) >= workers:
            break
    return list(seen.values())


async def measure(args: argparse.Namespace, base_url: str | None) -> dict:
    """Sequential products (wall time, this process's lag), then ``args.concurrent`` at once."""
    from genpire_app.backend.services import accounts

    waiter = Waiter()
    consumer = asyncio.create_task(waiter.consume())
    await asyncio.sleep(0.5)  # let the subscription start (not part of any measurement)
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
        idle = []
        if base_url:  # the same window with nothing running: the machine's own noise
            await asyncio.sleep(8)
            idle = await asyncio.to_thread(web_lag, base_url, 6)
        if base_url:  # this process stands in for users' browsers here: it must not compete with the web
            os.nice(19)
        with LagMonitor() as lag:
            start = time.perf_counter()
            batch = await asyncio.gather(*(one_product(waiter, user) for _ in range(args.concurrent)))
            batch_wall = time.perf_counter() - start
        web = await asyncio.to_thread(web_lag, base_url, int(batch_wall) + 2) if base_url else []
    finally:
        consumer.cancel()
    return {"walls": walls, "lags": lags, "batch": batch, "batch_wall": batch_wall, "batch_lag": lag.worst, "web": web,
            "idle": idle}


def report(args: argparse.Namespace, r: dict) -> None:
    from genpire_app.backend.config import get_settings

    critical = 2 * args.latency
    median = statistics.median(r["walls"])
    waits, runs_s = _job_times()
    print(f"mode: {args.mode}, database: {get_settings().effective_database_url.split('://')[0]}, "
          f"storage: {get_settings().storage_backend}, "
          f"renderer: {args.renderer}, provider latency L = {args.latency:.3f} s, runs = {args.runs}")
    print(f"wall time submit -> push (median): {median:.3f} s   min {min(r['walls']):.3f} s   max {max(r['walls']):.3f} s")
    print(f"critical path 2L: {critical:.3f} s   ratio wall / 2L: {median / critical:.3f}   (target <= 1.15)")
    print(f"overhead: {(median - critical) * 1000:.0f} ms per product")
    print(f"per job: queue wait (created -> claimed) median {statistics.median(waits) * 1000:.0f} ms, "
          f"max {max(waits) * 1000:.0f} ms; run (claimed -> committed), median by kind: "
          + ", ".join(f"{kind} {statistics.median(v):.3f} s" for kind, v in sorted(runs_s.items())))
    print(f"{args.concurrent} products at once: {r['batch_wall']:.2f} s in all, slowest {max(r['batch']):.2f} s")
    if r["web"]:
        print("web workers' event loop during it: " + "; ".join(
            f"pid {w['pid']}: worst {w['worst_ms']} ms, p99 {w['p99_ms']} ms (longest GC {w['gc_worst_ms']} ms)"
            for w in r["web"])
            + "   (target < 20 ms in production)")
        print("the same web workers idle just before (6 s): " + "; ".join(
            f"pid {w['pid']}: worst {w['worst_ms']} ms" for w in r["idle"]))
    else:
        print(f"this process's event loop (web tier with the in-process worker): worst {r['batch_lag'] * 1000:.1f} ms")


async def main(args: argparse.Namespace) -> None:
    from sqlmodel import SQLModel

    from genpire_app.backend.db import models  # noqa: F401
    from genpire_app.backend.db.engine import get_engine
    from genpire_app.backend.jobs import queue

    if args.mode == "embedded":
        SQLModel.metadata.create_all(get_engine())
        worker = queue.InProcessWorker()
        worker.start()
        try:
            result = await measure(args, None)
        finally:
            worker.stop()
    else:
        result = await measure(args, os.environ["BENCH_BASE_URL"])
    report(args, result)


def _providers_env(args: argparse.Namespace) -> dict[str, str]:
    if args.renderer == "fixed":
        return {"BENCH_FIXED_LATENCY_S": str(args.latency), "PROVIDERS_HOOK": "bench.fixed_provider:providers"}
    return {"OFFLINE_LATENCY_MS": str(int(args.latency * 1000))}


def run(args: argparse.Namespace) -> None:
    """Embedded: this process is the web tier with the in-process worker. Production: the real topology
    (``tests/topology.py``: PostgreSQL, Redis, S3, 2 web workers, 1 queue worker) is started, and this
    process submits jobs and follows them by push like a web worker does."""
    os.environ.update(_providers_env(args))
    if args.mode == "embedded":
        os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="genpire-bench-"))
        asyncio.run(main(args))
        return
    from tests.topology import start_production

    logs = Path(tempfile.mkdtemp(prefix="genpire-bench-logs-"))
    storage = {} if args.storage == "s3" else {"STORAGE_BACKEND": "local"}
    topo = start_production(logs / "data", logs, extra={**_providers_env(args), **storage})
    try:
        os.environ.update({k: v for k, v in topo.env.items() if k.isupper() or k.startswith("dramatiq")})
        os.environ["IN_PROCESS_WORKER"] = "0"
        os.environ["BENCH_BASE_URL"] = topo.base_url
        asyncio.run(main(args))
    finally:
        topo.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0, help="provider latency L, seconds")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrent", type=int, default=10, help="products made at once for the lag measurement")
    parser.add_argument("--mode", choices=("embedded", "production"), default="embedded")
    parser.add_argument("--storage", choices=("s3", "local"), default="s3",
                        help="production mode: moto's S3 server (default) or one local folder shared by all processes")
    parser.add_argument("--renderer", choices=("fixed", "offline"), default="fixed",
                        help="fixed: a provider that sleeps L and returns a real PNG; offline: the CPU-bound renderer")
    run(parser.parse_args())
