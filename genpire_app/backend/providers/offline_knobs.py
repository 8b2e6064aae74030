"""The test knobs every offline provider honours (DESIGN.md §2, §11): ``OFFLINE_LATENCY_MS`` (an artificial
latency, for demos and timing tests) and ``OFFLINE_FAIL=<capability>`` (that capability fails, to test
releases and error pages)."""

from __future__ import annotations

import asyncio

from genpire_app.backend.config import get_settings
from genpire_app.backend.providers.base import ProviderError


async def offline_knobs(capability: str) -> None:
    """Sleep ``OFFLINE_LATENCY_MS`` milliseconds, then fail when ``OFFLINE_FAIL`` names ``capability``.

    Raises:
        ProviderError: "The <capability> service is unavailable (offline test mode)."
    """
    settings = get_settings()
    if settings.offline_latency_ms > 0:
        await asyncio.sleep(settings.offline_latency_ms / 1000)
    if settings.offline_failing(capability):
        raise ProviderError(f"The {capability} service is unavailable (offline test mode).", provider="offline")


__all__ = ["offline_knobs"]
