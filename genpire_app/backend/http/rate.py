"""Per-user upload rate limit: a sliding one-minute window kept in this process (issue 7 item 4).

Source: issue 7 item 4 ("Uploads bounded before they are read"); DESIGN.md §10 (rate limits per account);
``Settings.upload_rate_per_minute`` (default 30 uploads a minute per signed-in user, every upload route).

Decisions:
    - **In-process, per worker process.** Each web worker keeps its own window in memory, so with
      ``GRANIAN_WORKERS=N`` a user can make up to N times the limit when the load balancer spreads their
      requests. The limit is a brake on abuse of CPU-heavy decoding, not an accounting rule, so that
      slack is accepted; the database-backed ``services.throttle`` is for sign-in, where it must hold
      across workers.
    - **Sliding log**: the times of the user's accepted uploads in the last window are kept (at most
      ``limit`` entries per user); a request is refused while ``limit`` of them are younger than the window,
      and told how long until the oldest leaves it (``Retry-After``). Refused requests are not recorded.
    - Users with nothing in the window are forgotten (memory stays proportional to active uploaders).

Never imports reflex.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

from genpire_app.backend.config import get_settings

#: Length of the window, seconds.
WINDOW_SECONDS = 60.0
#: Every this many calls, users with nothing left in the window are forgotten.
_SWEEP_EVERY = 1024


class SlidingWindowLimiter:
    """At most ``limit()`` accepted calls per key in any ``window`` seconds (thread-safe).

    Args:
        limit: called at every check, so a changed setting applies at once (calls per window).
        window: window length, seconds.
        clock: monotonic time source, seconds (tests inject their own).
    """

    def __init__(self, limit: Callable[[], int], *, window: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._hits: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()
        self._calls = 0

    def hit(self, key: Hashable) -> int:
        """Record one call for ``key`` if the limit allows it.

        Returns:
            0 when the call is allowed (and recorded); otherwise the whole number of seconds (at least 1)
            until it would be, for a ``Retry-After`` header. A limit of 0 or less disables the check.
        """
        limit = self._limit()
        if limit <= 0:
            return 0
        now = self._clock()
        with self._lock:
            self._calls += 1
            if self._calls % _SWEEP_EVERY == 0:
                self._sweep(now)
            times = self._hits.setdefault(key, deque())
            while times and times[0] <= now - self._window:
                times.popleft()
            if len(times) >= limit:
                return max(1, math.ceil(times[len(times) - limit] + self._window - now))
            times.append(now)
            return 0

    def reset(self) -> None:
        """Forget every key (tests)."""
        with self._lock:
            self._hits.clear()

    def _sweep(self, now: float) -> None:
        stale = [k for k, t in self._hits.items() if not t or t[-1] <= now - self._window]
        for key in stale:
            del self._hits[key]


#: The upload limiter of this process, keyed by user id: ``/_upload`` (``upload_guard``) and
#: ``/api/uploads/*`` (``api/uploads.py``) share it.
UPLOAD_RATE = SlidingWindowLimiter(lambda: get_settings().upload_rate_per_minute)

__all__ = ["UPLOAD_RATE", "WINDOW_SECONDS", "SlidingWindowLimiter"]
