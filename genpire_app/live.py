"""Live updates for open tabs: the web tier's end of the push channel, and the in-process queue worker.

Job workers publish :class:`~genpire_app.backend.jobs.push.PushEvent` s (user, what changed). Every web
worker runs :func:`lifespan`, which consumes the channel and, for each tab of that user whose websocket
this worker holds, sends the tab an event (``StateUpdate.events``) naming the page state's ``on_push``
handler. The tab sends it straight back, so the handler runs like any other event of that tab: it reloads
what the page shows from the database (outside the state lock) and assigns it. Tabs register on page load
(:func:`register`), which runs again after every reconnect, so a tab that reconnects to another worker is
found there and catches up from the database at once (DESIGN.md §3 "No polling").

In the embedded default (no queue Redis) :func:`lifespan` also starts the Dramatiq worker inside this
process (``jobs.queue.InProcessWorker``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from reflex.event import Event
from reflex.state import StateUpdate

from genpire_app.backend.config import get_settings
from genpire_app.backend.jobs import push, queue
from genpire_app.backend.jobs.push import PushEvent
from genpire_app.backend.loop_lag import MONITOR, freeze_startup_heap, share_with_worker
from genpire_app.backend.providers.registry import get_providers

log = logging.getLogger(__name__)

_lock = threading.Lock()
#: user id -> {client token: full name of the event handler to call}
_tabs: dict[int, dict[str, str]] = {}
#: Tabs with ``on_push`` handlers running: token -> (light handlers, full handlers, since monotonic seconds).
_busy: dict[str, tuple[int, int, float]] = {}
#: Events that arrived for a busy tab, folded into one: token -> (handler, event).
_folded: dict[str, tuple[str, PushEvent]] = {}
#: A tab busy for longer than this is presumed to have lost its handler (seconds).
BUSY_STALE_S = 15.0
_app: Any = None


def register(user_id: int, token: str, handler: str) -> None:
    """Send this tab's push events of ``user_id`` to ``handler`` (e.g. ``state.session_state...on_push``)."""
    if not token:
        return
    with _lock:
        for tabs in _tabs.values():
            tabs.pop(token, None)
        _tabs.setdefault(user_id, {})[token] = handler
        _busy.pop(token, None)  # a (re)loaded page reads everything fresh: nothing is in flight for it
        _folded.pop(token, None)


def forget(token: str) -> None:
    """Stop pushing to this tab (sign-out)."""
    with _lock:
        for tabs in _tabs.values():
            tabs.pop(token, None)


def _tabs_of(user_id: int) -> list[tuple[str, str]]:
    with _lock:
        return list(_tabs.get(user_id, {}).items())


def fold(older: PushEvent, newer: PushEvent) -> PushEvent:
    """One event that says everything two events said: the union of the topics, the newer job's news,
    and no product filter when they concern different products."""
    product = older.product_id if older.product_id == newer.product_id else None
    topics = tuple(dict.fromkeys((*older.topics, *newer.topics)))
    return PushEvent(newer.user_id, topics, product, newer.job_id, newer.status, newer.message, newer.result,
                     newer.published_at)


async def _send(app: Any, token: str, handler: str, event: PushEvent) -> bool:
    update = StateUpdate(events=[Event(name=handler, payload={"event": event.as_payload()})])
    try:
        await app.event_namespace.emit_update(update, token)
        return True
    except Exception:  # pragma: no cover - a socket closing mid-send
        log.warning("push to a tab failed", exc_info=True)
        return False


def _is_full(event: PushEvent) -> bool:
    """Whether the event makes a tab reload the whole page (anything beyond job progress)."""
    return any(topic != "job" for topic in event.topics)


def _claim(token: str, handler: str, event: PushEvent, now: float) -> bool:
    """Whether to send ``event`` to the tab now (its handlers are counted), or fold it for later.

    Sent now: when nothing runs for the tab, or when the event needs a full reload and only a light one
    (progress) runs, so a job's result never waits behind the last progress refresh. Otherwise folded.
    """
    light, full, since = _busy.get(token, (0, 0, 0.0))
    if now - since >= BUSY_STALE_S:
        light, full = 0, 0
    wants_full = _is_full(event)
    if light + full == 0 or (wants_full and full == 0):
        _busy[token] = (light + (not wants_full), full + wants_full, now)
        return True
    earlier = _folded.get(token)
    _folded[token] = (handler, fold(earlier[1], event) if earlier else event)
    return False


async def deliver(app: Any, event: PushEvent) -> int:
    """Tell every tab of ``event.user_id`` held by this web worker; returns how many were told now.

    A tab whose ``on_push`` is still running is not told again: the event is folded into one that is sent
    when the handler finishes (:func:`finished`), so a burst of progress events costs a tab at most one
    reload in flight and one after it; a result (full reload) does not wait behind a progress reload.
    """
    namespace = app.event_namespace
    if namespace is None:
        return 0
    manager = namespace._token_manager
    told = 0
    now = time.monotonic()
    for token, handler in _tabs_of(event.user_id):
        record = manager.token_to_socket.get(token)
        if record is None or record.instance_id != manager.instance_id:
            with _lock:  # the tab closed or now talks to another worker (it registered there)
                _tabs.get(event.user_id, {}).pop(token, None)
            continue
        with _lock:
            send = _claim(token, handler, event, now)
        if send:
            told += await _send(app, token, handler, event)
    return told


async def finished(token: str, *, full: bool) -> None:
    """A tab's ``on_push`` ended (called by the handler with the kind of reload it did): send the folded
    event when nothing else runs for the tab."""
    with _lock:
        light, running_full, since = _busy.get(token, (0, 0, 0.0))
        light, running_full = max(0, light - (not full)), max(0, running_full - full)
        _busy[token] = (light, running_full, since)
        if light + running_full:
            return
        folded = _folded.pop(token, None)
        if folded is None:
            _busy.pop(token, None)
            return
        send = _claim(token, *folded, time.monotonic())
    if send and (_app is None or not await _send(_app, token, *folded)):
        await finished(token, full=_is_full(folded[1]))


async def _consume(app: Any) -> None:
    async for event in push.channel().subscribe():
        try:
            await deliver(app, event)
        except Exception:  # keep consuming whatever one delivery does
            log.exception("push delivery failed")


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """For the life of a web worker: consume push events and measure the event loop's lag
    (``/api/health``); in the embedded default also run the queue worker."""
    global _app
    _app = app
    await asyncio.to_thread(get_providers)  # import and build them now, not on the loop at the first request
    worker = queue.InProcessWorker() if get_settings().runs_in_process_worker else None
    if worker is not None:
        share_with_worker()
        await asyncio.to_thread(worker.start)
    consumer = asyncio.create_task(_consume(app), name="genpire-push")
    frozen = freeze_startup_heap()  # full collections stop walking the start-up heap (loop_lag docstring)
    log.info("froze %d start-up objects out of the collector's way", frozen)
    MONITOR.watch_gc()
    ticker = asyncio.create_task(MONITOR.run(), name="genpire-loop-lag")
    try:
        yield
    finally:
        for task in (consumer, ticker):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if worker is not None:
            await asyncio.to_thread(worker.stop)


__all__ = ["deliver", "finished", "fold", "forget", "lifespan", "register"]
