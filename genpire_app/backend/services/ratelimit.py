"""In-process sliding-window rate limits for generation and auth (DESIGN.md §10).

Per process: with several workers (Redis state) each worker counts on its own, so the effective limit
is the configured rate times the worker count.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class RateLimited(Exception):
    """Too many requests; ``retry_after`` in seconds. The message is user-facing."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(f"Too many requests. Please wait {self.retry_after} s and try again.")


class RateLimiter:
    """Allow at most ``limit`` events per ``window`` seconds for each key."""

    def __init__(self, limit: int, window: float = 60.0, clock=time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        """Count one event for ``key``.

        Raises:
            RateLimited: the key already had ``limit`` events in the window (the event is not counted).
        """
        now = self._clock()
        with self._lock:
            events = self._events[key]
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                raise RateLimited(events[0] + self.window - now)
            events.append(now)

    def reset(self) -> None:
        """Forget all counts (tests)."""
        with self._lock:
            self._events.clear()


_limiters: dict[str, RateLimiter] = {}


def limiter(name: str, per_minute: int) -> RateLimiter:
    """The process-wide limiter called ``name`` (created with ``per_minute`` on first use)."""
    if name not in _limiters:
        _limiters[name] = RateLimiter(per_minute, 60.0)
    return _limiters[name]
