"""Stand-in providers for benchmarks: an image provider with a fixed latency that returns a real 1024 px
PNG (rendered once by the offline renderer), and the offline vision and text providers.

Used through ``PROVIDERS_HOOK=bench.fixed_provider:providers`` so separate worker processes use it too;
the latency is ``BENCH_FIXED_LATENCY_S`` seconds (default 1.0).
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from genpire_app.backend.config import Settings
from genpire_app.backend.providers.base import GeneratedImage, ImageRequest
from genpire_app.backend.providers.registry import Providers


@lru_cache(maxsize=1)
def _sample_png() -> bytes:
    from genpire_app.backend.providers.offline import OfflineImageProvider

    request = ImageRequest(prompt="tote", view="front", product_prompt="A minimalist canvas tote bag")
    with ThreadPoolExecutor(1) as pool:  # callers may already run an event loop
        return pool.submit(asyncio.run, OfflineImageProvider().generate(request)).result().data


class FixedLatencyImage:
    """Sleeps ``latency`` seconds, then returns the sample PNG."""

    name = "bench"
    model = "fixed-latency"

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.png = _sample_png()

    async def generate(self, request: ImageRequest) -> GeneratedImage:
        await asyncio.sleep(self.latency)
        return GeneratedImage(data=self.png, width=1024, height=1024, model=self.model)


def providers(settings: Settings) -> Providers:
    """The benchmark's providers (see the module docstring)."""
    from genpire_app.backend.providers.offline_text import OfflineTextProvider
    from genpire_app.backend.providers.offline_vision import OfflineVisionProvider

    latency = float(os.environ.get("BENCH_FIXED_LATENCY_S", "1.0"))
    return Providers(image=FixedLatencyImage(latency), vision=OfflineVisionProvider(), text=OfflineTextProvider())
