"""Benchmark: a chat edit of all five views against one provider latency (issue 3), through the queue.

With an image provider of fixed latency L (returning a real 1024 px PNG), measures the wall time from
submitting the edit to the push event of its end — analysis, five concurrent generations, storage,
thumbnails and the revision transaction — against its critical path L, on the embedded default (in-memory
broker, in-process worker), plus the worst event-loop lag of this process.

Run: ``.venv/bin/python -m bench.edit [--latency 1.0] [--runs 3]``. Prints numbers; not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid

from bench.pipeline import LagMonitor, Waiter


async def main(latency: float, runs: int) -> None:
    from sqlmodel import SQLModel

    from genpire_app.backend.config import get_settings
    from genpire_app.backend.db import models  # noqa: F401
    from genpire_app.backend.db.engine import get_engine
    from genpire_app.backend.jobs import queue, runner
    from genpire_app.backend.services import accounts, operations, products
    from genpire_app.backend.services.approval import ApprovalPlan
    from genpire_app.backend.services.edits import EditPlan
    from genpire_app.backend.services.front_view import FrontViewPlan

    SQLModel.metadata.create_all(get_engine())
    worker = queue.InProcessWorker()
    worker.start()
    waiter = Waiter()
    consumer = asyncio.create_task(waiter.consume())

    async def run(kind: str, plan) -> object:
        sub = await asyncio.to_thread(runner.submit, operations.get(kind), user_id=user, plan=plan,
                                      intent=runner.new_intent())
        done = await waiter.future(sub.job_id)
        assert done.status == "succeeded", done.message
        return done

    try:
        user = await asyncio.to_thread(accounts.create_account, email=f"bench-{uuid.uuid4().hex[:6]}@example.com",
                                       password="benchmark-pass", signup_credits=100_000)
        pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea="A canvas tote bag"))
        front = await run("front_view", FrontViewPlan(product_id=pid))
        await run("approval", ApprovalPlan(approval_id=uuid.UUID(front.result["approval_id"])))
        walls, lags = [], []
        for i in range(runs + 1):
            with LagMonitor() as lag:
                start = time.perf_counter()
                await run("edit", EditPlan(product_id=pid, instruction=f"Change the color to red {i}"))
                wall = time.perf_counter() - start
            if i:
                walls.append(wall)
                lags.append(lag.worst)
    finally:
        consumer.cancel()
        worker.stop()
    median = statistics.median(walls)
    print(f"database: {get_settings().effective_database_url.split('://')[0]}, provider latency L = {latency:.3f} s, runs = {runs}")
    print(f"edit of five views, submit -> push (median): {median:.3f} s   min {min(walls):.3f}   max {max(walls):.3f}")
    print(f"critical path L: {latency:.3f} s   ratio {median / latency:.3f}   overhead {(median - latency) * 1000:.0f} ms")
    print(f"event loop worst lag (this process): {max(lags) * 1000:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="genpire-bench-"))
    os.environ["BENCH_FIXED_LATENCY_S"] = str(args.latency)
    os.environ["PROVIDERS_HOOK"] = "bench.fixed_provider:providers"
    asyncio.run(main(args.latency, args.runs))
