"""Benchmark: a chat edit of all five views against one provider latency (issue 3).

With an image provider of fixed latency L (returning a real 1024 px PNG), measures the wall time of
``edit_views`` on five views — analysis, five concurrent generations, storage, thumbnails and the revision
transaction — against its critical path L, plus the event loop's worst lag.

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

from bench.pipeline import LagMonitor


async def main(latency: float, runs: int) -> None:
    from sqlmodel import SQLModel

    from genpire_app.backend.config import get_settings
    from genpire_app.backend.db import models  # noqa: F401
    from genpire_app.backend.db.engine import get_engine
    from genpire_app.backend.providers.base import GeneratedImage, ImageRequest
    from genpire_app.backend.providers.offline import OfflineImageProvider
    from genpire_app.backend.providers.offline_text import OfflineTextProvider
    from genpire_app.backend.providers.offline_vision import OfflineVisionProvider
    from genpire_app.backend.providers.registry import Providers, set_providers
    from genpire_app.backend.services import accounts, edits, generation, products

    SQLModel.metadata.create_all(get_engine())
    sample = await OfflineImageProvider().generate(
        ImageRequest(prompt="tote", view="front", product_prompt="A minimalist canvas tote bag")
    )

    class FixedLatencyImage:
        name = "bench"
        model = "fixed-latency"

        async def generate(self, request: ImageRequest) -> GeneratedImage:
            await asyncio.sleep(latency)
            return GeneratedImage(data=sample.data, width=1024, height=1024, model=self.model)

    set_providers(Providers(image=FixedLatencyImage(), vision=OfflineVisionProvider(), text=OfflineTextProvider()))
    user = await asyncio.to_thread(accounts.create_account, email=f"bench-{uuid.uuid4().hex[:6]}@example.com",
                                   password="benchmark-pass", signup_credits=100_000)
    pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea="A canvas tote bag"))
    front = await generation.generate_front_view(user_id=user, product_id=pid)
    await generation.approve_and_generate(user_id=user, approval_id=uuid.UUID(front.approval_id))
    walls, lags = [], []
    for i in range(runs + 1):
        with LagMonitor() as lag:
            start = time.perf_counter()
            outcome = await edits.edit_views(user_id=user, product_id=pid, instruction=f"Change the color to red {i}")
            wall = time.perf_counter() - start
        assert outcome.ok, outcome.message
        if i:
            walls.append(wall)
            lags.append(lag.worst)
    median = statistics.median(walls)
    print(f"database: {get_settings().effective_database_url.split('://')[0]}, provider latency L = {latency:.3f} s, runs = {runs}")
    print(f"edit of five views, wall time (median): {median:.3f} s   min {min(walls):.3f}   max {max(walls):.3f}")
    print(f"critical path L: {latency:.3f} s   ratio {median / latency:.3f}   overhead {(median - latency) * 1000:.0f} ms")
    print(f"event loop worst lag: {max(lags) * 1000:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if "DATA_DIR" not in os.environ:
        os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="genpire-bench-")
    asyncio.run(main(args.latency, args.runs))
