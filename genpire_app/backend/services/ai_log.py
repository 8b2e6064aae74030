"""AI operation log: every provider call with its model, tokens, time and outcome (seed 001 "AI Operation
Flow (with Logging)" and its ``AI_OPERATION_LOG`` schema; DESIGN.md §6). Times in milliseconds.

Lifecycle of one row (seed 001: ``startOperation`` -> ``setInput``/``setContext`` -> ``setOutput`` ->
``complete``):

* when the call starts, a ``pending`` row is written with ``operation_type`` (``vision`` |
  ``image_generation`` | ``text``), ``input_data`` (a small JSON summary of the input, never image bytes or
  keys) and ``context`` (feature, step, view, ``cache`` ...);
* when it ends, the same row is completed: ``status`` ``completed`` (or ``failed`` / ``refused``),
  ``completed_at``, ``processing_ms``, ``input_tokens`` / ``output_tokens`` / ``total_tokens`` (input +
  output) and ``output_data`` (a small JSON summary of the answer, or the error).

Cheap: both writes run in a worker thread in the background, in order (the provider call does not wait for
the insert); :func:`flush` waits for them (the runner flushes before committing a job). A failed call's
completion is awaited before the error propagates. A row whose process died mid-call stays ``pending``.

:func:`cache_hit` logs an answer served from a cache (no provider call, 0 tokens) as one completed row with
``context["cache"] == "hit"``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import update

from genpire_app.backend.db.engine import write_session
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.models import AIOperationLog
from genpire_app.backend.providers.base import Completion, GeneratedImage, ProviderError, TokenUsage

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Row statuses: written at the start, then one of the three ends.
PENDING, COMPLETED, FAILED, REFUSED = "pending", "completed", "failed", "refused"
#: ``operation_type`` values (seed 001).
VISION, IMAGE_GENERATION, TEXT = "vision", "image_generation", "text"

#: Log writes still in flight (they overlap with the work that follows the call).
_pending: set[asyncio.Future[None]] = set()


def _insert(**fields: object) -> None:
    try:
        with write_session() as s:
            s.add(AIOperationLog(**fields))  # type: ignore[arg-type]
    except Exception:  # logging must never break the operation it describes
        log.exception("could not write ai_operation_logs row")


def _complete(row_id: uuid.UUID, **values: object) -> None:
    try:
        with write_session() as s:
            s.execute(update(AIOperationLog).where(AIOperationLog.id == row_id).values(**values))
    except Exception:
        log.exception("could not complete ai_operation_logs row")


def _track(future: asyncio.Future[None]) -> asyncio.Future[None]:
    _pending.add(future)
    future.add_done_callback(_pending.discard)
    return future


def _background(fn: Callable[..., None], /, after: asyncio.Future[None] | None = None, **fields: object) -> asyncio.Future[None]:
    async def go() -> None:
        if after is not None:
            await asyncio.gather(after, return_exceptions=True)
        await asyncio.to_thread(fn, **fields)

    return _track(asyncio.ensure_future(go()))


def operation_type_of(provider: object) -> str:
    """``image_generation`` for an image provider, ``text`` for a text provider, else ``vision``."""
    if callable(getattr(provider, "generate", None)):
        return IMAGE_GENERATION
    if callable(getattr(provider, "generate_tech_pack", None)) or callable(getattr(provider, "improve_prompt", None)):
        return TEXT
    return VISION


def summarize_output(result: object) -> dict[str, Any]:
    """A small JSON summary of a provider's answer (never image bytes): an image's size and notes, the
    first 500 characters of a text, or the top-level fields of a structured answer with list lengths."""
    if isinstance(result, GeneratedImage):
        return {"kind": "image", "width": result.width, "height": result.height, "bytes": len(result.data),
                "mime_type": result.mime_type, "notes": list(result.notes)[:5]}
    value = result.value if isinstance(result, Completion) else result
    if isinstance(value, str):
        return {"kind": "text", "text": value[:500]}
    if isinstance(value, BaseModel):
        fields: dict[str, Any] = {}
        for name, item in value.model_dump(mode="json").items():
            if isinstance(item, list):
                fields[name] = len(item)
            elif isinstance(item, (str, int, float, bool)) or item is None:
                fields[name] = item[:120] if isinstance(item, str) else item
        return {"kind": type(value).__name__, "fields": fields}
    return {"kind": type(value).__name__}


async def logged_call(
    call: Callable[[], Awaitable[T]],
    *,
    operation: str,
    provider: str,
    model: str,
    user_id: int | None,
    product_id: uuid.UUID | None,
    input_summary: str,
    operation_type: str = "",
    input_data: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    output: Callable[[T], dict[str, Any]] | None = None,
) -> T:
    """Run one provider call and record it in ``ai_operation_logs``: ``pending`` at the start, completed at
    the end (see the module docstring).

    Args:
        call: the provider call (a zero-argument coroutine factory).
        operation: what it is for, e.g. ``front_view``, ``extract_features``, ``tech_pack``.
        input_summary: a short, key-free description of the input (first 500 characters are kept).
        operation_type: ``vision`` | ``image_generation`` | ``text`` (seed 001).
        input_data: small JSON parameters of the input (stored with the summary).
        context: small JSON context (``{"feature": "tech_pack_v2", "view": "front", "cache": "miss"}``).
        output: makes the ``output_data`` summary of the answer (default :func:`summarize_output`).

    Returns:
        Whatever ``call`` returns.

    Raises:
        ProviderError: re-raised from ``call`` after logging; any other exception is logged and wrapped in
        a ProviderError with a generic user-safe message.
    """
    started = time.perf_counter()
    row_id = uuid.uuid4()
    start = _background(
        _insert, id=row_id, operation=operation, provider=provider, model=model, user_id=user_id,
        product_id=product_id, input_summary=input_summary[:500], status=PENDING, operation_type=operation_type,
        input_data={"summary": input_summary[:500], **(input_data or {})}, context=dict(context or {}),
    )

    async def fail(status: str, error: str) -> None:
        elapsed = int((time.perf_counter() - started) * 1000)
        await _background(_complete, after=start, row_id=row_id, status=status, error=error[:2000],
                          processing_ms=elapsed, completed_at=utcnow(), output_data={"error": error[:500]})

    try:
        result = await call()
    except ProviderError as err:
        await fail(REFUSED if "Refusal" in type(err).__name__ else FAILED, err.detail or err.message)
        raise
    except Exception as err:  # an unexpected bug in a provider: log it, surface a safe message
        log.exception("provider %s failed unexpectedly in %s", provider, operation)
        await fail(FAILED, repr(err))
        raise ProviderError("Something went wrong while generating. Please try again.", provider=provider) from err
    elapsed = int((time.perf_counter() - started) * 1000)
    usage = getattr(result, "usage", None)
    if not isinstance(usage, TokenUsage):
        usage = TokenUsage()
    used_model = getattr(result, "model", model) if isinstance(result, (Completion, GeneratedImage)) else model
    try:
        summary = (output or summarize_output)(result)
    except Exception:  # a summary must never fail the call
        log.exception("could not summarise the output of %s", operation)
        summary = {}
    _background(
        _complete, after=start, row_id=row_id, model=used_model, status=COMPLETED, processing_ms=elapsed,
        input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
        total_tokens=usage.input_tokens + usage.output_tokens, completed_at=utcnow(), output_data=summary,
    )
    return result


def cache_hit(
    *,
    operation: str,
    provider: str,
    model: str,
    user_id: int | None,
    product_id: uuid.UUID | None,
    input_summary: str,
    operation_type: str = VISION,
    processing_ms: int = 0,
    input_data: dict[str, Any] | None = None,
    output_data: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
) -> None:
    """Log an answer served from a cache: no provider call, 0 tokens, one ``completed`` row with
    ``context["cache"] = "hit"``. Written in the background (call it on the event loop; :func:`flush`)."""
    now = utcnow()
    _background(
        _insert, operation=operation, provider=provider, model=model, user_id=user_id, product_id=product_id,
        input_summary=input_summary[:500], status=COMPLETED, operation_type=operation_type,
        input_data={"summary": input_summary[:500], **(input_data or {})}, output_data=dict(output_data or {}),
        context={**(context or {}), "cache": "hit"}, processing_ms=processing_ms, created_at=now, completed_at=now,
    )


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
    operation_type: str = "",
    input_data: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    output: Callable[[T], dict[str, Any]] | None = None,
) -> T:
    """``logged_call`` for a provider object: its ``name`` and ``model`` are recorded, and ``operation_type``
    defaults to :func:`operation_type_of` the provider.

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
        operation_type=operation_type or operation_type_of(provider),
        input_data=input_data,
        context=context,
        output=output,
    )
