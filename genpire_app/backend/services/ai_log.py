"""AI operation log: every provider call with its model, tokens, time and outcome (seed 001 "AI Operation
Flow (with Logging)"; DESIGN.md §6). Times in milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from genpire_app.backend.db.engine import write_session
from genpire_app.backend.db.models import AIOperationLog
from genpire_app.backend.providers.base import Completion, GeneratedImage, ProviderError, TokenUsage

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Log writes of successful calls still in flight (they overlap with the work that follows the call).
_pending: set[asyncio.Future[None]] = set()


def _record(**fields: object) -> None:
    try:
        with write_session() as s:
            s.add(AIOperationLog(**fields))  # type: ignore[arg-type]
    except Exception:  # logging must never break the operation it describes
        log.exception("could not write ai_operation_logs row")


async def logged_call(
    call: Callable[[], Awaitable[T]],
    *,
    operation: str,
    provider: str,
    model: str,
    user_id: int | None,
    product_id: uuid.UUID | None,
    input_summary: str,
) -> T:
    """Run one provider call and record it in ``ai_operation_logs`` (success or failure).

    Args:
        call: the provider call (a zero-argument coroutine factory).
        operation: what it is for, e.g. ``front_view``, ``extract_features``, ``tech_pack``.
        input_summary: a short, key-free description of the input (first 500 characters are kept).

    Returns:
        Whatever ``call`` returns.

    Raises:
        ProviderError: re-raised from ``call`` after logging; any other exception is logged and wrapped in
        a ProviderError with a generic user-safe message.
    """
    started = time.perf_counter()
    common = {
        "operation": operation,
        "provider": provider,
        "model": model,
        "user_id": user_id,
        "product_id": product_id,
        "input_summary": input_summary[:500],
    }
    try:
        result = await call()
    except ProviderError as err:
        elapsed = int((time.perf_counter() - started) * 1000)
        await asyncio.to_thread(
            _record, **common, processing_ms=elapsed, status="refused" if "Refusal" in type(err).__name__ else "failed",
            error=(err.detail or err.message)[:2000],
        )
        raise
    except Exception as err:  # an unexpected bug in a provider: log it, surface a safe message
        elapsed = int((time.perf_counter() - started) * 1000)
        log.exception("provider %s failed unexpectedly in %s", provider, operation)
        await asyncio.to_thread(_record, **common, processing_ms=elapsed, status="failed", error=repr(err)[:2000])
        raise ProviderError("Something went wrong while generating. Please try again.", provider=provider) from err
    elapsed = int((time.perf_counter() - started) * 1000)
    usage = getattr(result, "usage", None)
    if not isinstance(usage, TokenUsage):
        usage = TokenUsage()
    used_model = getattr(result, "model", model) if isinstance(result, (Completion, GeneratedImage)) else model
    write = asyncio.ensure_future(asyncio.to_thread(
        _record,
        **{**common, "model": used_model},
        processing_ms=elapsed,
        status="succeeded",
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
    ))
    _pending.add(write)
    write.add_done_callback(_pending.discard)
    return result


async def flush() -> None:
    """Wait for the log writes still in flight on this event loop (the runner calls it before committing)."""
    loop = asyncio.get_running_loop()
    waiting = [f for f in list(_pending) if f.get_loop() is loop]
    if waiting:
        await asyncio.gather(*waiting, return_exceptions=True)


async def call(
    provider: object,
    fn: Callable[[], Awaitable[T]],
    *,
    operation: str,
    user_id: int | None,
    product_id: uuid.UUID | None,
    input_summary: str,
) -> T:
    """``logged_call`` for a provider object: its ``name`` and ``model`` are recorded.

    Raises:
        ProviderError: as ``logged_call``.
    """
    return await logged_call(
        fn,
        operation=operation,
        provider=str(getattr(provider, "name", "unknown")),
        model=str(getattr(provider, "model", "unknown")),
        user_id=user_id,
        product_id=product_id,
        input_summary=input_summary,
    )
