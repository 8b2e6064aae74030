"""CPU-bound work off the web process's interpreter: a small process pool (DESIGN.md §3 "CPU work never runs
in a web process"; issue 11 "the web process's event-loop lag while a 100-render batch runs, target < 20 ms").

In the embedded default the queue worker lives inside the web process, so a render done in a thread still
competes with the event loop for the GIL. :func:`run_cpu` runs a picklable function in a separate process
instead (``spawn``, so no lock or thread of this process is inherited), at most ``cpu_count - 1`` (at least
1) at a time; the web loop only waits on a future. ``CPU_PROCESSES=0`` runs the function in a thread instead
(tests that monkeypatch the function, platforms without processes).

A :class:`~genpire_app.backend.providers.base.ProviderError` raised in the child is sent back as its fields
and raised again here (its keyword-only constructor does not survive pickling as an exception).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from genpire_app.backend.config import get_settings
from genpire_app.backend.providers.base import ProviderError

T = TypeVar("T")

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def workers() -> int:
    """Processes of the pool: ``cpu_count - 1``, at least 1."""
    return max(1, (os.cpu_count() or 2) - 1)


def _pool_or_none() -> ProcessPoolExecutor | None:
    global _pool
    if not get_settings().cpu_processes:
        return None
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=workers(), mp_context=multiprocessing.get_context("spawn"))
        return _pool


def _child(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[str, Any]:
    try:
        return "ok", fn(*args)
    except ProviderError as err:
        return "provider_error", (err.message, err.provider, err.retryable, err.status_code, err.detail)


async def run_cpu(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in the pool (or a thread when ``CPU_PROCESSES=0``); ``fn`` and the arguments must be
    picklable (module-level function, plain data).

    Raises:
        ProviderError: raised by ``fn``; anything else ``fn`` raised, as pickled.
    """
    pool = _pool_or_none()
    if pool is None:
        return await asyncio.to_thread(fn, *args)
    status, value = await asyncio.wrap_future(pool.submit(_child, fn, args))
    if status == "provider_error":
        message, provider, retryable, status_code, detail = value
        raise ProviderError(message, provider=provider, retryable=retryable, status_code=status_code, detail=detail)
    return value


def shutdown() -> None:
    """Stop the pool (tests, process exit); the next :func:`run_cpu` starts a new one."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


__all__ = ["run_cpu", "shutdown", "workers"]
