"""Benchmark: one user's server-side click round trip while other users create and approve products.

Starts the app as users get it (``tests/topology.py``): the embedded default (SQLite, in-process queue
worker) and the production topology (PostgreSQL, Redis, S3, 2 web workers, 1 Dramatiq worker), with the
offline providers at ``OFFLINE_LATENCY_MS=1000`` so jobs take realistic time and the CPU-bound offline
renderer does the pixel work. Users are headless websocket tabs (``bench.reflex_client``), not browsers:
seven Chromium pages on two cores would distort what is measured.

- ``--users`` load users (default 6), each in a loop: dashboard, ``set_idea`` + ``create``, follow the
  redirect to the AI Designer (its on_load starts the front view), wait for ``awaiting_approval``, send
  ``approve`` with the state's approve intent, wait for ``views_ready``.
- One measured user sits on the AI Designer of its own (idle) product and sends ``toggle_feedback`` (the
  "Request Changes" toggle: flips ``show_feedback``, no I/O) every ``--interval`` ms for ``--seconds``.
  A sample is the time from writing that event to the websocket to the arrival of the delta that carries
  the flipped ``show_feedback``, in milliseconds.

Accounts and session tokens are made with the app's services against the topology's database (in a
subprocess with the topology's environment, so each mode gets fresh settings and engine); each tab's
websocket handshake carries the session cookie, as a browser's does.

Run: ``.venv/bin/python -m bench.ui_under_load [--mode embedded|production|both] [--seconds 60]``; about
1.5 minutes per mode. Prints numbers (p50 / p95 / max ms, samples, products the load users completed while
measuring, stalled load users with their phase, errors and toasts, the server logs' error lines); it is
not a pass/fail test. Like the browser tiers it builds the frontend into ``.web`` and uses this machine's
PostgreSQL and Redis (database 13 unless ``TEST_REDIS_URL`` says otherwise, flushed): run it alone, since
other work on the two cores shows up in the tail latency (the printed load average hints at it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench.reflex_client import ReflexClient, names

ROOT = Path(__file__).resolve().parents[1]
#: Target for the production topology, and what the old architecture measured (milliseconds).
TARGET_P95_MS = 50.0
REFERENCE = "p50 41 ms / p95 260 ms / max 549 ms"
#: Longest wait for one step of a load user (connect, hydrate, front view, four views), seconds.
STEP_TIMEOUT_S = 60.0
#: A load user still in one step this long when the measurement ends is reported as stuck, seconds.
STUCK_S = 20.0
#: Longest wait for one click's delta before it counts as lost, seconds.
SAMPLE_TIMEOUT_S = 10.0
IDEAS = (
    "A minimalist canvas tote bag with leather handles",
    "A waterproof hiking backpack with a roll-top closure",
    "A ceramic pour-over coffee dripper with a bamboo stand",
    "A foldable aluminium laptop stand with silicone pads",
    "A wool beanie with a reflective knitted stripe",
    "A recycled-plastic water bottle with a carry loop",
    "A linen apron with two deep front pockets",
)


# ------------------------------------------------------------------------------------------ accounts


def provision(count: int) -> list[str]:
    """Create ``count`` accounts (1000 credits each) and a session for each; returns the session tokens.

    Runs with the app's environment (``DATABASE_URL``/``DATA_DIR``) already set: see :func:`_provision_in`.
    """
    from genpire_app.backend.services import accounts, sessions

    run = uuid.uuid4().hex[:8]
    tokens = []
    for i in range(count):
        uid = accounts.create_account(email=f"bench-{run}-{i}@example.com", password="bench-password-1",
                                      signup_credits=100_000)
        tokens.append(sessions.start(uid, user_agent="bench"))
    return tokens


def _provision_in(env: dict[str, str], count: int) -> list[str]:
    """:func:`provision` in a subprocess with the topology's environment (fresh settings and engine)."""
    out = subprocess.run([sys.executable, "-m", "bench.ui_under_load", "--provision", str(count)], cwd=ROOT,
                         env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------ users


class Stalled(Exception):
    """A load user's product did not get where it should (e.g. ``front_failed``)."""


@dataclass
class Load:
    """What the load users did: arrival times (perf_counter s) of each product's ``views_ready``, stalls,
    and where each user is now (user -> step, perf_counter s it began, its tab)."""

    completed: list[float] = field(default_factory=list)
    stalls: list[str] = field(default_factory=list)
    created: int = 0
    where: dict[int, tuple[str, float, ReflexClient | None]] = field(default_factory=dict)

    def at(self, user: int, step: str, client: ReflexClient | None) -> str:
        """Record that ``user`` begins ``step``; returns ``step``."""
        self.where[user] = (step, time.perf_counter(), client)
        return step

    def stuck(self) -> list[str]:
        """A diagnostic line for each user that has been in its step for ``STUCK_S`` or longer."""
        now = time.perf_counter()
        return [f"load user {user} in {step} for {now - since:.0f} s: {client.describe() if client else ''}"
                for user, (step, since, client) in sorted(self.where.items()) if now - since >= STUCK_S]


def _tab(base_url: str, n: dict[str, str], token: str) -> ReflexClient:
    """A signed-in tab: its websocket handshake carries the session cookie, as a browser's does."""
    from genpire_app.backend.services.sessions import COOKIE_NAME

    return ReflexClient(base_url, {}, n, cookies={COOKIE_NAME: token})


def _on_designer(c: ReflexClient, *phases: str) -> bool:
    """Whether the tab shows its current ``projectId`` on the AI Designer, in one of ``phases``."""
    return (c.pathname == "/ai-designer" and c.var("designer", "product_id") == c.query.get("projectId")
            and c.var("designer", "phase") in phases)


async def create_product(c: ReflexClient, idea: str, load: Load | None = None) -> None:
    """Dashboard -> "Create product" -> AI Designer, until the front view awaits approval."""
    n = c.names
    await c.wait_for(lambda: c.var("root", "is_hydrated") is True, STEP_TIMEOUT_S)
    await c.emit(f"{n['dashboard']}.set_idea", {"value": idea})
    await c.emit(f"{n['dashboard']}.create")
    if load is not None:
        load.created += 1
    await c.wait_for(lambda: _on_designer(c, "awaiting_approval", "front_failed"), STEP_TIMEOUT_S)
    if c.var("designer", "phase") != "awaiting_approval":
        raise Stalled("front view failed")


async def load_user(base_url: str, n: dict[str, str], token: str, index: int, load: Load) -> None:
    """Create and approve products in a loop until cancelled; prints a diagnostic line for each stall."""
    client: ReflexClient | None = None
    rounds = 0
    try:
        while True:
            step = load.at(index, "connect", client)
            try:
                if client is None or not client.connected:
                    if client is not None:
                        await client.close()
                    client = _tab(base_url, n, token)
                    await client.connect("/dashboard")
                else:
                    await client.navigate("/dashboard")
                step = load.at(index, "front view", client)
                rounds += 1
                await create_product(client, IDEAS[(index + rounds) % len(IDEAS)], load)
                step = load.at(index, "approve", client)
                c = client
                intent = (c.var("designer", "intents") or {}).get("approve", "")
                await c.emit(f"{n['designer']}.approve", {"intent": intent})
                load.completed.append(await c.wait_for(lambda: _on_designer(c, "views_ready"), STEP_TIMEOUT_S))
            except Exception as err:  # noqa: BLE001 - a timeout, a closed socket, a refused connect: report, go on
                line = f"load user {index} stalled at {step} ({type(err).__name__} {err}): " + (
                    client.describe() if client else "")
                load.stalls.append(line)
                print("  " + line, flush=True)
                if client is not None and not isinstance(err, (TimeoutError, Stalled)):
                    client.connected = False
                await asyncio.sleep(1.0)
    finally:
        if client is not None:
            await client.close()


async def measure_clicks(c: ReflexClient, seconds: float, interval: float) -> tuple[list[float], int]:
    """Send ``toggle_feedback`` every ``interval`` seconds for ``seconds``, one click in flight at a time.

    Returns:
        The round trips in milliseconds, and how many clicks got no delta within ``SAMPLE_TIMEOUT_S``.
    """
    toggle = f"{c.names['designer']}.toggle_feedback"
    shown = lambda: bool(c.var("designer", "show_feedback"))  # noqa: E731
    samples: list[float] = []
    lost = 0
    loop = asyncio.get_running_loop()
    end = next_at = loop.time()
    end += seconds
    while loop.time() < end:
        await asyncio.sleep(max(0.0, next_at - loop.time()))
        next_at = max(next_at + interval, loop.time())
        want = not shown()
        sent = await c.emit(toggle)
        try:
            got = await c.wait_for(lambda: shown() == want, SAMPLE_TIMEOUT_S)
            samples.append((got - sent) * 1000)
        except TimeoutError:
            lost += 1
    return samples, lost


# ------------------------------------------------------------------------------------------ one mode


@dataclass
class Result:
    """One mode's numbers: round trips (ms), lost clicks, load-user throughput, wall times (s), error lines
    in the server logs while running and those added by stopping, and this process's CPU use while
    measuring (share of one core: its tabs' own cost) and the machine's 1-minute load average after it
    (other work on the machine shows there)."""

    mode: str
    samples: list[float]
    lost: int
    completed: int
    created: int
    stalls: int
    seconds: float
    startup_s: float
    total_s: float
    log_dir: Path
    log_errors: dict[str, int]
    stop_errors: dict[str, int]
    bench_cpu: float
    loadavg: float

    def line(self) -> str:
        """The printed summary."""
        s = sorted(self.samples)
        if len(s) >= 2:
            p50, p95 = statistics.median(s), statistics.quantiles(s, n=100, method="inclusive")[94]
            clicks = f"p50 {p50:.1f} ms / p95 {p95:.1f} ms / max {s[-1]:.1f} ms (n={len(s)}, lost {self.lost})"
        else:
            clicks = f"too few samples (n={len(s)}, lost {self.lost})"
        target = ""
        if self.mode == "production" and len(s) >= 2:
            target = f"; target p95 < {TARGET_P95_MS:.0f} ms: {'met' if p95 < TARGET_P95_MS else 'NOT met'}"
        return (f"{self.mode}: click round trip {clicks}{target}\n"
                f"  load: {self.completed} products completed during {self.seconds:.0f} s of measurement "
                f"({self.created} created in all, {self.stalls} stalls); bench process CPU "
                f"{self.bench_cpu:.0%} of one core; load average {self.loadavg:.1f} on {os.cpu_count()} cores\n"
                f"  wall time: {self.total_s:.0f} s ({self.startup_s:.0f} s to start the topology); "
                f"logs {self.log_dir}\n  error lines in the server logs: {self.log_errors or 'none'} while running, "
                f"{self.stop_errors or 'none'} more when stopping")


def _log_errors(log_dir: Path) -> dict[str, int]:
    """Lines with ERROR or Traceback in each server log (file name -> count, only files that have any)."""
    counts = {}
    for log in sorted(log_dir.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()
        hits = sum(1 for line in lines if "Traceback" in line or "ERROR" in line)
        if hits:
            counts[log.name] = hits
    return counts


async def _drive(base_url: str, n: dict[str, str], tokens: list[str], args: argparse.Namespace,
                 load: Load) -> tuple[list[float], int, float]:
    """Prepare the measured user's product, start the load users, warm up, measure; returns the round
    trips (ms), the lost clicks and this process's CPU share while measuring."""
    measured = _tab(base_url, n, tokens[0])
    await measured.connect("/dashboard")
    await create_product(measured, IDEAS[0])
    users = [asyncio.create_task(load_user(base_url, n, t, i + 1, load)) for i, t in enumerate(tokens[1:])]
    try:
        await asyncio.sleep(args.warmup)
        t0, cpu0 = time.perf_counter(), time.process_time()
        samples, lost = await measure_clicks(measured, args.seconds, args.interval / 1000)
        t1, cpu1 = time.perf_counter(), time.process_time()
        load.completed = [t for t in load.completed if t0 <= t <= t1]
        if not load.completed:
            print("  no product completed while measuring", flush=True)
        for line in load.stuck():
            print("  " + line, flush=True)
        return samples, lost, (cpu1 - cpu0) / (t1 - t0)
    finally:
        for task in users:
            task.cancel()
        await asyncio.gather(*users, return_exceptions=True)
        await measured.close()


def run_mode(mode: str, args: argparse.Namespace) -> Result:
    """Start ``mode``'s topology, drive the users, stop it; returns the numbers."""
    from tests.topology import start_embedded, start_production

    started = time.monotonic()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    log_dir = Path(args.log_dir or tempfile.gettempdir()) / f"ui_under_load-{mode}-{stamp}"
    data_dir = Path(tempfile.mkdtemp(prefix=f"ui_under_load-{mode}-data-"))
    extra = {"OFFLINE_LATENCY_MS": str(args.latency_ms)}
    print(f"{mode}: starting the topology (logs in {log_dir}) ...", flush=True)
    topo = (start_embedded(data_dir, log_dir, extra) if mode == "embedded"
            else start_production(data_dir, log_dir, web_workers=2, job_workers=1, extra=extra))
    startup = time.monotonic() - started
    load = Load()
    running: dict[str, int] = {}
    try:
        tokens = _provision_in(topo.env, args.users + 1)
        print(f"{mode}: up in {startup:.0f} s at {topo.base_url}; {args.users} load users, warm-up "
              f"{args.warmup:.0f} s, measuring {args.seconds:.0f} s ...", flush=True)
        samples, lost, cpu = asyncio.run(_drive(topo.base_url, names(), tokens, args, load))
        loadavg = os.getloadavg()[0]
        running = _log_errors(log_dir)
    finally:
        topo.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    stopping = {k: v - running.get(k, 0) for k, v in _log_errors(log_dir).items() if v > running.get(k, 0)}
    return Result(mode, samples, lost, len(load.completed), load.created, len(load.stalls), args.seconds, startup,
                  time.monotonic() - started, log_dir, running, stopping, cpu, loadavg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("embedded", "production", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=60.0, help="measurement time, seconds")
    parser.add_argument("--warmup", type=float, default=10.0, help="load time before measuring, seconds")
    parser.add_argument("--interval", type=float, default=200.0, help="time between clicks, milliseconds")
    parser.add_argument("--users", type=int, default=6, help="load users")
    parser.add_argument("--latency-ms", type=int, default=1000, help="OFFLINE_LATENCY_MS of the providers")
    parser.add_argument("--log-dir", default="", help="parent folder of the server logs (default: the temp dir)")
    parser.add_argument("--provision", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.provision:
        print(json.dumps(provision(args.provision)))
        return
    # Not the browser tier's Redis database (11), which start_production flushes: a test run may share it.
    os.environ.setdefault("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    print(f"target: p95 < {TARGET_P95_MS:.0f} ms in production; reference (old architecture): {REFERENCE}", flush=True)
    results = []
    for mode in ("embedded", "production") if args.mode == "both" else (args.mode,):
        results.append(run_mode(mode, args))
        print(results[-1].line(), flush=True)
    if len(results) > 1:
        print(f"\nsummary (target p95 < {TARGET_P95_MS:.0f} ms in production; old architecture {REFERENCE}):")
        for r in results:
            print(r.line())


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
