"""Benchmark: orchestration overhead of the progressive pipeline (issue 2, DESIGN.md §11).

With image providers of fixed latency L (returning a real 1024 px PNG, so storage and thumbnails cost what
they cost), measures the wall time of "front view" + "approve & generate the four other views" against its
critical path 2L (one front view, then four views in parallel), and the event loop's worst lag during the
run (a 5 ms ticker). Vision runs the real offline pixel analysis with no added latency.

Run: ``make bench`` or ``.venv/bin/python -m bench.pipeline [--latency 1.0] [--runs 3]``. Prints numbers;
it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid


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

    def __enter__(self) -> "LagMonitor":
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def run_once(latency: float, png: bytes) -> tuple[float, float]:
    from genpire_app.backend.providers.base import GeneratedImage, ImageRequest
    from genpire_app.backend.providers.offline_text import OfflineTextProvider
    from genpire_app.backend.providers.offline_vision import OfflineVisionProvider
    from genpire_app.backend.providers.registry import Providers, set_providers
    from genpire_app.backend.services import accounts, generation, products

    class FixedLatencyImage:
        name = "bench"
        model = "fixed-latency"

        async def generate(self, request: ImageRequest) -> GeneratedImage:
            await asyncio.sleep(latency)
            return GeneratedImage(data=png, width=1024, height=1024, model=self.model)

    set_providers(Providers(image=FixedLatencyImage(), vision=OfflineVisionProvider(), text=OfflineTextProvider()))
    user = await asyncio.to_thread(
        accounts.create_account, email=f"bench-{uuid.uuid4().hex[:8]}@example.com", password="benchmark-pass"
    )
    pid = await products.create_product(
        user_id=user,
        data=products.ProductInput(mode="text", idea="A minimalist canvas tote bag with leather straps"),
    )
    with LagMonitor() as lag:
        start = time.perf_counter()
        front = await generation.generate_front_view(user_id=user, product_id=pid)
        done = await generation.approve_and_generate(user_id=user, approval_id=uuid.UUID(front.approval_id))
        wall = time.perf_counter() - start
    assert front.ok and done.ok, (front.message, done.message)
    return wall, lag.worst


async def main(latency: float, runs: int) -> None:
    from sqlmodel import SQLModel

    from genpire_app.backend.config import get_settings
    from genpire_app.backend.db import models  # noqa: F401
    from genpire_app.backend.db.engine import get_engine
    from genpire_app.backend.providers.base import ImageRequest
    from genpire_app.backend.providers.offline_image import OfflineImageProvider

    SQLModel.metadata.create_all(get_engine())
    sample = await OfflineImageProvider().generate(
        ImageRequest(prompt="tote", view="front", product_prompt="A minimalist canvas tote bag")
    )
    walls, lags = [], []
    for i in range(runs + 1):
        wall, lag = await run_once(latency, sample.data)
        if i == 0:
            continue  # warm-up (imports, first connections)
        walls.append(wall)
        lags.append(lag)
    critical = 2 * latency
    median = statistics.median(walls)
    print(f"database: {get_settings().effective_database_url.split('://')[0]}, provider latency L = {latency:.3f} s, runs = {runs}")
    print(f"wall time (median): {median:.3f} s   min {min(walls):.3f} s   max {max(walls):.3f} s")
    print(f"critical path 2L:   {critical:.3f} s")
    print(f"ratio wall / 2L:    {median / critical:.3f}   (target <= 1.15)")
    print(f"overhead:           {(median - critical) * 1000:.0f} ms per product")
    print(f"event loop worst lag: {max(lags) * 1000:.1f} ms   (median of runs {statistics.median(lags) * 1000:.1f} ms; target < 50 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0, help="provider latency L, seconds")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if "DATA_DIR" not in os.environ:
        os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="genpire-bench-")
    asyncio.run(main(args.latency, args.runs))
