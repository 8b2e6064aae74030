"""Push to open tabs: job workers publish what changed, the web tier delivers it (DESIGN.md §3, §7.1).

A job worker is not a Reflex app, so it cannot reach a browser itself. It publishes a small
:class:`PushEvent` ("user 42: job J of product P is done; balance and notifications changed") on a
channel; every web worker consumes the channel and tells the tabs of that user it holds (see
``genpire_app/live.py``), which reload what they show from the database. The event is only a hint: a
missed event costs latency, never data.

Channels:
    - :class:`RedisChannel` (production): Redis pub/sub on ``<namespace>:push``; web and job workers may be
      separate processes on separate machines.
    - :class:`LocalChannel` (embedded default): in-process; publishing from any thread wakes the
      subscribers' event loops.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from genpire_app.backend.config import get_settings

log = logging.getLogger(__name__)

def channel_name() -> str:
    """The Redis pub/sub channel of push events: ``<queue namespace>:push``."""
    return f"{get_settings().queue_namespace}:push"


class Topic:
    """What a push event says changed (strings, so events stay plain JSON)."""

    JOB = "job"  # a job was queued, made progress or ended
    PRODUCT = "product"  # the product's rows changed (views, revisions, tech packs, chat)
    BALANCE = "balance"  # the user's credit balance changed
    NOTIFICATIONS = "notifications"  # a notification was added
    SESSION = "session"  # a session of the user was revoked: tabs check theirs at once
    MOCKUPS = "mockups"  # a mockup render moved (queued, retrying, done, failed) or an approval was decided
    STORE = "store"  # a store product changed (published, retired, synced, ordered)


@dataclass(frozen=True)
class PushEvent:
    """One change of a user's data, as published by a job worker.

    Attributes:
        user_id: whose tabs to tell.
        topics: what changed (:class:`Topic` values).
        product_id: the product concerned, as text (None for account-wide changes).
        job_id: the job concerned, as text.
        status: the job's status after the change (``JobStatus`` value).
        message: a user-facing sentence when the job ended (success or failure).
        result: small result data of an ended job (e.g. ``{"tech_pack_id": "..."}``).
        published_at: wall-clock time of publishing, seconds since the epoch (latency measurement).
    """

    user_id: int
    topics: tuple[str, ...]
    product_id: str | None = None
    job_id: str | None = None
    status: str | None = None
    message: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    published_at: float = 0.0

    def to_json(self) -> str:
        """The event as a JSON text."""
        return json.dumps({**asdict(self), "topics": list(self.topics)}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> PushEvent:
        """Parse an event published by :meth:`to_json`.

        Raises:
            ValueError: not a push event.
        """
        data = json.loads(text)
        if not isinstance(data, dict) or "user_id" not in data:
            raise ValueError("not a push event")
        data["topics"] = tuple(data.get("topics") or ())
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def as_payload(self) -> dict[str, Any]:
        """The event as a dict for an event handler's payload."""
        return {**asdict(self), "topics": list(self.topics)}


class Channel(Protocol):
    """Where push events travel from job workers to web workers."""

    def publish(self, event: PushEvent) -> None:
        """Send ``event`` to every subscriber (from any thread; never raises)."""

    def subscribe(self) -> AsyncIterator[PushEvent]:
        """Every event published from now on, as an async iterator (on the caller's event loop)."""


class LocalChannel:
    """In-process channel (embedded default): subscribers are asyncio queues on their own loops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[PushEvent]]] = []

    def publish(self, event: PushEvent) -> None:
        """Hand ``event`` to every subscriber's loop (thread-safe)."""
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, queue in subscribers:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, event)
            except RuntimeError:  # that loop is closed: forget it
                with self._lock:
                    if (loop, queue) in self._subscribers:
                        self._subscribers.remove((loop, queue))

    async def subscribe(self) -> AsyncIterator[PushEvent]:
        """Events published from now on, until the caller stops iterating."""
        queue: asyncio.Queue[PushEvent] = asyncio.Queue()
        entry = (asyncio.get_running_loop(), queue)
        with self._lock:
            self._subscribers.append(entry)
        try:
            while True:
                yield await queue.get()
        finally:
            with self._lock:
                if entry in self._subscribers:
                    self._subscribers.remove(entry)


class RedisChannel:
    """Redis pub/sub channel (production): any number of job and web workers on any machines."""

    def __init__(self, url: str) -> None:
        import redis

        self.url = url
        self.name = channel_name()
        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def publish(self, event: PushEvent) -> None:
        """``PUBLISH <namespace>:push <json>``; a Redis failure is logged, not raised (the event is a hint)."""
        try:
            self._client.publish(self.name, event.to_json())
        except Exception:  # pragma: no cover - Redis down: tabs catch up on their next load
            log.warning("could not publish a push event", exc_info=True)

    async def subscribe(self) -> AsyncIterator[PushEvent]:
        """Events published from now on; reconnects with a short back-off when Redis drops."""
        import redis.asyncio as aioredis

        while True:
            client = aioredis.Redis.from_url(self.url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self.name)
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        try:
                            yield PushEvent.from_json(message["data"])
                        except (ValueError, TypeError):
                            log.warning("ignored a malformed push event")
            except asyncio.CancelledError:
                raise
            except Exception:  # pragma: no cover - Redis restarted: resubscribe
                log.warning("push subscription lost; reconnecting", exc_info=True)
                await asyncio.sleep(1.0)
            finally:
                await client.aclose()


_channel: Channel | None = None
_channel_lock = threading.Lock()


def channel() -> Channel:
    """The process-wide channel: Redis when a queue Redis is configured, in-process otherwise."""
    global _channel
    if _channel is None:
        with _channel_lock:
            if _channel is None:
                url = get_settings().effective_queue_url
                _channel = RedisChannel(url) if url else LocalChannel()
    return _channel


def set_channel(value: Channel | None) -> None:
    """Replace the process-wide channel (tests); ``None`` rebuilds it from the settings on next use."""
    global _channel
    with _channel_lock:
        _channel = value


def publish(
    user_id: int,
    *topics: str,
    product_id: object | None = None,
    job_id: object | None = None,
    status: str | None = None,
    message: str | None = None,
    result: dict[str, Any] | None = None,
) -> PushEvent:
    """Publish one change of ``user_id``'s data to every web worker (never raises). Returns the event."""
    event = PushEvent(
        user_id=user_id,
        topics=tuple(topics),
        product_id=str(product_id) if product_id is not None else None,
        job_id=str(job_id) if job_id is not None else None,
        status=status,
        message=message,
        result=dict(result or {}),
        published_at=time.time(),
    )
    channel().publish(event)
    return event


__all__ = ["Channel", "LocalChannel", "PushEvent", "RedisChannel", "Topic", "channel", "channel_name", "publish", "set_channel"]
