"""How late this process's event loop runs its callbacks: a ticker measures it, ``/api/health`` reports it.

A coroutine sleeps ``interval`` seconds and records how much later than asked it woke; the worst lag of
each second is kept for the last ``window`` seconds. A web worker that blocks its loop (I/O or CPU work
on the loop, or a starved CPU) shows up here. Milliseconds in the report.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import os
import time

INTERVAL_S = 0.005
WINDOW_S = 60


def freeze_startup_heap() -> int:
    """Move every object alive after start-up (imported modules, the app, SQLAlchemy's and Reflex's tables) to
    the collector's permanent generation and return how many there were.

    A full (generation 2) collection walks every tracked object; with the framework's start-up heap that took
    40-170 ms on this machine and stopped every thread of the process, so the web event loop lagged by as much
    while a mockup batch ran (issue 11 "event-loop lag ... target < 20 ms"). Frozen objects are never
    walked again; garbage made later is collected as before. Call once, after start-up.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


#: The interpreter's thread switch interval while a queue worker shares the web process, seconds.
SHARED_SWITCH_S = 0.001


def share_with_worker() -> None:
    """The web process also runs the queue worker (the embedded default): let its threads hand the GIL over
    every millisecond instead of every 5 ms, so the event loop waits at most about that long behind the
    worker's threads (measured by ``bench/mockups``: the lag's worst tick fell from ~60 ms to ~15-30 ms)."""
    import sys

    sys.setswitchinterval(SHARED_SWITCH_S)


class LoopLag:
    """The ticker and its per-second worst lags (seconds); also the longest garbage-collection pause."""

    def __init__(self, interval: float = INTERVAL_S, window: int = WINDOW_S) -> None:
        self.interval = interval
        self.window = window
        self._seconds: collections.deque[tuple[int, float]] = collections.deque(maxlen=window)
        self.gc_worst = 0.0
        self._gc_started = 0.0

    def watch_gc(self) -> None:
        """Also time this process's garbage collections (their worst pause is in the report)."""

        def callback(phase: str, info: dict) -> None:
            if phase == "start":
                self._gc_started = time.perf_counter()
            elif self._gc_started:
                self.gc_worst = max(self.gc_worst, time.perf_counter() - self._gc_started)

        gc.callbacks.append(callback)

    def _record(self, lag: float) -> None:
        now = int(time.time())
        if self._seconds and self._seconds[-1][0] == now:
            self._seconds[-1] = (now, max(self._seconds[-1][1], lag))
        else:
            self._seconds.append((now, lag))

    async def run(self) -> None:
        """Tick forever (cancel to stop)."""
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self._record(max(0.0, loop.time() - expected))

    def report(self, seconds: int | None = None) -> dict[str, object]:
        """``{"pid", "window_s", "worst_ms", "p99_ms", "gc_worst_ms"}`` over the last ``seconds`` (default: the
        window); ``p99_ms`` is the 99th percentile of the per-second worst lags; ``gc_worst_ms`` the longest
        garbage collection since start (watched only after :meth:`watch_gc`)."""
        horizon = int(time.time()) - (seconds or self.window)
        values = sorted(lag for at, lag in self._seconds if at > horizon)
        base = {"pid": os.getpid(), "window_s": seconds or self.window, "gc_worst_ms": round(self.gc_worst * 1000, 1)}
        if not values:
            return {**base, "worst_ms": 0.0, "p99_ms": 0.0}
        p99 = values[min(len(values) - 1, int(0.99 * (len(values) - 1) + 0.5))]
        return {**base, "worst_ms": round(values[-1] * 1000, 1), "p99_ms": round(p99 * 1000, 1)}


#: The process-wide ticker (started by the web lifespan).
MONITOR = LoopLag()
