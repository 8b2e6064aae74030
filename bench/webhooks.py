"""Benchmark: Meshy webhook handling latency at 200 deliveries/s on loopback, then the viewer's first render.

Source: issue 8, "Done means" → ``bench/webhooks``: "webhook handling latency at 200 deliveries/s on loopback
(target p95 < 50 ms; seed 002 targets 500 ms) and the viewer's time to first render of a 30,000-triangle GLB
in Chromium (target < 1 s)". The viewer half is ``bench/viewer_render.py`` (called with its defaults).

Webhook half:

1. A temporary ``DATA_DIR``: SQLite (or, with ``--postgres``, a fresh PostgreSQL database) migrated by ``alembic upgrade head`` (as ``tests/topology.py``), local
   storage, a random ``MESHY_WEBHOOK_SECRET``; ``--users`` x ``--models-per-user`` PENDING models made as
   ``Generate3D.store`` makes them (a ``prices.model_3d`` hold, ``create_version``, ``attach_task``).
2. Server, in its own process on a free loopback port: Granian (ASGI, 1 worker: what ``reflex run --env
   prod`` runs without Redis) serving ``http.wrap(create_api())``: the real route in the real API app and
   security middleware, as ``rx.App(api_transformer=[create_api(), wrap])`` builds them, minus Reflex's
   own app (event socket, pages, CORS) and lifespan (no in-process queue worker: queued export jobs do not
   run). ``model_webhook.model_provider`` is :class:`ClockProvider`: tasks follow a shared clock (PENDING,
   IN_PROGRESS with rising progress, SUCCEEDED with a trimesh icosphere GLB and a PNG thumbnail), so each
   re-fetch answers the state *now*, as Meshy would. ``--provider-ms`` delays its calls (default 0).
3. This process plays Meshy on its own event loop, open loop: slot k is sent at k/``--rate`` s for
   ``--seconds``, whatever the answers, over :class:`RawClient` (keep-alive, ``--connections``; ``--client
   httpx`` for httpx.AsyncClient, whose CPU cost under load starves a 2-CPU machine). Meshy task objects:
   progress of running tasks (the state at send time), retries (an earlier payload again), late deliveries
   (an older state never sent, some after SUCCEEDED), one SUCCEEDED per task in the last 40% of the run,
   a retried SUCCEEDED for a fifth of the tasks, ~1% wrong secrets (404). Latency runs from each
   delivery's *scheduled* send time to its answer, so any queueing counts.
4. Checks (exit 1 when one fails): every answer 200 (404 for wrong secrets); each task whose SUCCEEDED got
   200 is SUCCEEDED with its GLB copied byte for byte; each finished model's hold captured once (one
   capture entry, no release), every balance exact; one "3D model ready" and one export job per finished
   model; ``external_events`` has one row per distinct valid delivery (keyed ``"<task>:<status>:<progress>"``:
   a retried payload is one row), all handled. A missed latency target prints MISSED, not a failure.

Run: ``.venv/bin/python -m bench.webhooks [--rate 200] [--seconds 10] [--skip-viewer]``. Exit 1 also when
the viewer half fails by its own rule (which includes its p50 < 1000 ms frame target).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95_MS, SEED_TARGET_MS = 50.0, 500.0
KIND = "multi-image-to-3d"
GLB_URL, PNG_URL = "https://assets.meshy.ai/bench/model.glb", "https://assets.meshy.ai/bench/preview.png"
PLAN_FILE, GLB_FILE, PNG_FILE = "bench-plan.json", "bench-model.glb", "bench-preview.png"


def task_state(task_id: str, t: float, t0: float, t1: float, epoch: float) -> dict:
    """The Meshy task object of a task that starts at ``t0`` and succeeds at ``t1`` (seconds after the
    epoch), as seen ``t`` seconds after the epoch."""
    ms = lambda x: int((epoch + x) * 1000)  # noqa: E731
    if t >= t1:
        status, progress = "SUCCEEDED", 100
    elif t < t0:
        status, progress = "PENDING", 0
    else:
        status, progress = "IN_PROGRESS", 1 + int(98 * (t - t0) / (t1 - t0))
    done = status == "SUCCEEDED"
    return {"id": task_id, "type": "multi-image-to-3d", "status": status, "progress": progress,
            "model_urls": {"glb": GLB_URL} if done else {}, "thumbnail_url": PNG_URL if done else "",
            "texture_urls": [], "created_at": ms(0), "started_at": ms(t0) if t >= t0 else 0,
            "finished_at": ms(t1) if done else 0, "task_error": {"message": ""}}


class ClockProvider:
    """The fake Meshy of the server process: task states follow the shared clock of ``bench-plan.json``
    (written by the load generator just before its first delivery); files come from the data folder."""

    name = "meshy"

    def __init__(self, data_dir: Path, latency_s: float) -> None:
        self.data_dir, self.latency_s, self.plan = data_dir, latency_s, None
        self.files = {GLB_URL: (data_dir / GLB_FILE).read_bytes(), PNG_URL: (data_dir / PNG_FILE).read_bytes()}

    async def get(self, task_id: str, *, kind: str):
        """The task's state now (``ProviderError`` 404 for a task this provider never started)."""
        from genpire_app.backend.providers.base import ProviderError
        from genpire_app.backend.providers.meshy import parse_task

        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if self.plan is None:
            self.plan = json.loads((self.data_dir / PLAN_FILE).read_text())
        if task_id not in self.plan["tasks"]:
            raise ProviderError("no such task", provider="meshy", status_code=404)
        t0, t1 = self.plan["tasks"][task_id]
        epoch = self.plan["epoch"]
        return parse_task(task_state(task_id, time.time() - epoch, t0, t1, epoch), kind=kind)

    async def download(self, url: str, *, max_bytes: int) -> bytes:
        """The bytes of ``url`` (the GLB or the thumbnail)."""
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        return self.files[url]


def server_app():
    """Granian factory of the server process: ``wrap(create_api())`` with :class:`ClockProvider` installed."""
    from genpire_app.backend.api.app import create_api
    from genpire_app.backend.config import get_settings
    from genpire_app.backend.http import wrap
    from genpire_app.backend.services import model_webhook

    provider = ClockProvider(get_settings().data_dir, float(os.environ.get("BENCH_PROVIDER_MS", "0")) / 1000)
    model_webhook.model_provider = lambda name: provider
    return wrap(create_api())


# ------------------------------------------------------------------------------------------------ setup


def prepare(data_dir: Path, users: int, per_user: int, signup: int) -> list[dict]:
    """Migrate the database, write the GLB and thumbnail the provider serves, and create the PENDING
    models with their holds; returns one dict per model (user, model id, task id, hold id)."""
    import trimesh
    from PIL import Image

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    (data_dir / GLB_FILE).write_bytes(trimesh.creation.icosphere(subdivisions=3).export(file_type="glb"))
    image = Image.new("RGB", (256, 256), (180, 120, 60))
    image.save(data_dir / PNG_FILE, format="PNG")

    from genpire_app.backend.config import get_settings
    from genpire_app.backend.db.engine import write_session
    from genpire_app.backend.db.models import ProductIdea
    from genpire_app.backend.services import accounts, credits, models3d
    from genpire_app.backend.services.model_generation import HOLD_MARGIN_SECONDS

    settings = get_settings()
    rows = []
    for u in range(users):
        user = accounts.create_account(email=f"bench{u}@example.com", password="benchmark-pass", signup_credits=signup)
        for m in range(per_user):
            task_id = f"0192{secrets.token_hex(14)}"
            with write_session() as s:
                product = ProductIdea(user_id=user, name=f"Lamp {u}-{m}", prompt="a desk lamp")
                s.add(product)
                s.flush()
                hold = credits.reserve(user_id=user, amount=settings.prices.model_3d, operation="model_3d",
                                       key=f"model3d:{task_id}", session=s,
                                       ttl_seconds=settings.model_task_expire_seconds + HOLD_MARGIN_SECONDS)
                model = models3d.create_version(s, user_id=user, source=models3d.Source.product(product.id),
                                                revision_id=None, input_image_ids=[], provider="meshy",
                                                hold_id=hold.id, task_kind=KIND)
                models3d.attach_task(model.id, provider_task_id=task_id, task_kind=KIND, session=s)
                rows.append({"user": user, "model": model.id, "task": task_id, "hold": hold.id})
    return rows


@dataclass
class Delivery:
    """A delivery due ``at`` s after the epoch; ``kind``: progress|retry|late|succeeded|wrong_secret."""

    at: float
    kind: str
    payload: dict
    valid: bool = True


def schedule(tasks: list[str], rate: float, seconds: float, seed: int) -> tuple[dict, list[Delivery]]:
    """The tasks' clock (task id -> [start, success] seconds) and the open-loop delivery plan (one per slot)."""
    rng = random.Random(seed)
    n, slots = len(tasks), int(rate * seconds)
    clock = {t: [rng.uniform(0, 0.1 * seconds), 0.6 * seconds + 0.35 * seconds * i / max(1, n - 1)]
             for i, t in enumerate(tasks)}
    plan: list[Delivery | None] = [None] * slots
    state = lambda t, at: task_state(t, at, *clock[t], 0.0)  # noqa: E731 - epoch fixed when sending

    def free_slot(at: float) -> int | None:
        k = math.ceil(at * rate)
        while k < slots and plan[k] is not None:
            k += 1
        return k if k < slots else None

    for t in tasks:
        k = free_slot(clock[t][1] + 0.002)  # sent just after the task succeeded
        if k is not None:
            plan[k] = Delivery(k / rate, "succeeded", state(t, clock[t][1]))
        if rng.random() < 0.2 and (k2 := free_slot(clock[t][1] + rng.uniform(0.2, 1.0))) is not None:
            plan[k2] = Delivery(k2 / rate, "retry", state(t, clock[t][1]))
    for k in rng.sample(range(slots), max(1, slots // 100)):
        if plan[k] is None:
            plan[k] = Delivery(k / rate, "wrong_secret", state(rng.choice(tasks), k / rate), valid=False)
    sent: list[dict] = []
    for k in range(slots):
        at = k / rate
        if plan[k] is not None:
            sent.append(plan[k].payload)
            continue
        live = [t for t in tasks if at < clock[t][1]]
        r = rng.random()
        if sent and (r < 0.05 or not live):
            plan[k] = Delivery(at, "retry", rng.choice(sent[-50:]))
        elif r < 0.10 and at > 1.0:
            t = rng.choice(tasks)
            plan[k] = Delivery(at, "late", state(t, min(at - rng.uniform(0.5, 3.0), clock[t][1] - 0.01)))
        else:
            plan[k] = Delivery(at, "progress", state(rng.choice(live or tasks), at))
        sent.append(plan[k].payload)
    return clock, plan  # type: ignore[return-value]


# ------------------------------------------------------------------------------------------------- load


def start_server(workers: int, log: Path) -> tuple[subprocess.Popen, int]:
    """Granian serving :func:`server_app` on a free loopback port, once it answers; returns (process, port)."""
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning", "bench.webhooks:server_app"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start in 60 s")


class RawClient:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams, at most ``size`` connections (callers beyond
    wait, FIFO). httpx's pool costs several ms of CPU per request once hundreds are in flight, on the same
    CPUs as the server; this costs a fraction of that (``--client httpx`` to compare)."""

    def __init__(self, port: int, size: int) -> None:
        self.port, self.idle, self.slots = port, [], asyncio.Semaphore(size)

    async def post(self, path: str, body: bytes) -> int:
        """POST a JSON ``body``; returns the status code (the answer's body is read and dropped)."""
        async with self.slots:
            reader, writer = self.idle.pop() if self.idle else await asyncio.open_connection("127.0.0.1", self.port)
            try:
                writer.write(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (path.encode(), self.port, len(body), body))
                head = await reader.readuntil(b"\r\n\r\n")
                sizes = [int(h[15:]) for h in head.lower().split(b"\r\n") if h.startswith(b"content-length:")]
                await reader.readexactly(sizes[0])  # Granian always sends Content-Length for these answers
            except BaseException:
                writer.close()
                raise
            self.idle.append((reader, writer))
            return int(head.split(b" ", 2)[1])


async def drive(port: int, secret: str, plan: list[Delivery], clock: dict, data_dir: Path,
                args: argparse.Namespace) -> tuple[list, float, float]:
    """Send ``plan`` open-loop. Returns (delivery, status or error name, latency s, dispatch lag s) per slot,
    the dispatch span (first to last send, s) and the time from the first slot to the last answer (s)."""
    import httpx

    results: list[tuple] = []
    limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=args.connections)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as client:
        raw = RawClient(port, args.connections)

        async def post(path: str, body: bytes) -> int:
            if args.client == "raw":
                return await asyncio.wait_for(raw.post(path, body), 60)
            return (await client.post(path, content=body, headers={"content-type": "application/json"})).status_code

        for i in range(20):  # warm up connections, the route and database reads (nothing is recorded)
            await post(f"/api/webhooks/meshy/{secret if i % 2 else 'warm-up'}",
                       json.dumps({"id": f"warm-up-{i}", "status": "PENDING", "progress": 0}).encode())
        epoch = time.time() + 0.5  # the clock file is replaced atomically: the server never reads half of it
        (data_dir / "plan.tmp").write_text(json.dumps({"epoch": epoch, "tasks": clock}))
        (data_dir / "plan.tmp").replace(data_dir / PLAN_FILE)
        start = time.perf_counter() + (epoch - time.time())

        async def send(d: Delivery, lag: float) -> None:
            due = start + d.at
            body = dict(d.payload)
            for key in ("created_at", "started_at", "finished_at"):  # the schedule's times, now on the wall clock
                body[key] = body[key] + int(epoch * 1000) if body[key] or key == "created_at" else 0
            path = f"/api/webhooks/meshy/{secret if d.valid else secrets.token_urlsafe(16)}"
            try:
                status: object = await post(path, json.dumps(body).encode())
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, httpx.HTTPError) as err:
                status = type(err).__name__
            results.append((d, status, time.perf_counter() - due, lag))

        pending = []
        for d in plan:
            delay = start + d.at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.create_task(send(d, time.perf_counter() - (start + d.at))))
        dispatch = time.perf_counter() - start  # the first slot is at 0
        await asyncio.gather(*pending)
        for _, writer in raw.idle:
            writer.close()
    return results, dispatch, time.perf_counter() - start


# ----------------------------------------------------------------------------------------------- checks


def check(rows: list[dict], results: list[tuple], signup: int, per_user: int) -> list[str]:
    """The correctness checks of the module docstring; returns the failures (empty when all hold)."""
    from sqlmodel import func, select

    from genpire_app.backend.config import get_settings
    from genpire_app.backend.db.engine import read_session
    from genpire_app.backend.db.models import CreditHold, CreditLedgerEntry, Job, Notification
    from genpire_app.backend.services import credits, model_webhook, models3d
    from genpire_app.backend.storage import get_storage

    bad = Counter((d.kind, s) for d, s, *_ in results if s != (200 if d.valid else 404))
    failures = [f"{sum(bad.values())} unexpected answers: {bad.most_common(5)}"] if bad else []
    done = {d.payload["id"] for d, s, *_ in results if d.valid and s == 200 and d.payload["status"] == "SUCCEEDED"}
    glb, price = (get_settings().data_dir / GLB_FILE).read_bytes(), get_settings().prices.model_3d
    with read_session() as s:
        entries = Counter(s.exec(select(CreditLedgerEntry.source_ref, CreditLedgerEntry.kind)).all())
        holds = dict(s.exec(select(CreditHold.id, CreditHold.status)).all())
        ready = Counter(s.exec(select(Notification.user_id).where(Notification.type == "model_ready")).all())
        exports = s.exec(select(func.count()).select_from(Job).where(Job.kind == "model_exports")).one()
    finished: Counter = Counter()
    for r in rows:
        m = models3d.get_owned(r["user"], r["model"])
        if r["task"] in done and (m.status, m.progress) != ("SUCCEEDED", 100):
            failures.append(f"task {r['task']}: SUCCEEDED answered 200 but the model is {m.status} {m.progress}")
        if m.status not in ("PENDING", "IN_PROGRESS", "SUCCEEDED"):  # the provider never fails a task here
            failures.append(f"task {r['task']}: model is {m.status}")
        if m.status == "SUCCEEDED":  # also when a later re-fetch found it finished
            finished[r["user"]] += 1
            if asyncio.run(get_storage().get(m.model_files["glb"])) != glb:
                failures.append(f"task {r['task']}: stored GLB differs from the provider's")
            settled = (entries[(r["hold"], "capture")], entries[(r["hold"], "release")], holds[r["hold"]])
            if settled != (1, 0, "captured"):
                failures.append(f"hold {r['hold']}: (captures, releases, status) = {settled}")
    for user in {r["user"] for r in rows}:
        if (got := credits.balance(user_id=user)) != signup - per_user * price:  # held or captured: both count
            failures.append(f"user {user}: balance {got}, expected {signup - per_user * price}")
        if ready[user] != finished[user]:
            failures.append(f"user {user}: {ready[user]} 'model ready' notifications, {finished[user]} finished")
    total = sum(finished.values())
    print(f"finished models: {total} of {len(rows)} ({len(done)} with a SUCCEEDED answered 200); "
          f"export jobs queued: {exports}")
    if exports != total:
        failures.append(f"{exports} export jobs for {total} finished models")
    events = model_webhook.list_events()
    distinct = {f"{d.payload['id']}:{d.payload['status']}:{d.payload['progress']}"
                for d, s, *_ in results if d.valid and s == 200}
    if {e.external_id for e in events} != distinct or len(events) != len(distinct):
        failures.append(f"external_events: {len(events)} rows for {len(distinct)} distinct valid deliveries")
    if unhandled := sum(e.handled_at is None for e in events):
        failures.append(f"external_events: {unhandled} rows never marked handled")
    return failures


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def report(args: argparse.Namespace, results: list[tuple], rows: list[dict], dispatch: float, total: float) -> None:
    """Print the latency block (``dispatch``: first to last send, ``total``: first send to last answer, s)."""
    ms = [r[2] * 1000 for r in results]
    kinds = Counter(d.kind for d, *_ in results)
    valid = [d for d, s, *_ in results if d.valid]
    distinct = len({(d.payload["id"], d.payload["status"], d.payload["progress"]) for d in valid})
    p95 = pct(ms, 0.95)
    print("== webhooks: POST /api/webhooks/meshy/{secret} on loopback ==")
    print(f"server: wrap(create_api()) on Granian (ASGI, {args.workers} worker), {'PostgreSQL' if args.postgres else 'SQLite'}, local storage; provider "
          f"latency {args.provider_ms:.0f} ms; {len(rows)} models of {args.users} users; sender: {args.client}, "
          f"<= {args.connections} connections")
    print(f"deliveries: {len(results)} scheduled at {args.rate:.0f}/s over {args.seconds:.0f} s; sent in "
          f"{dispatch:.2f} s = {(len(results) - 1) / dispatch:.1f}/s achieved; last answer after {total:.2f} s "
          f"({len(results) / total:.1f} answers/s)")
    print("mix: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
          + f"; {len(valid)} valid deliveries, {distinct} distinct (task, status, progress)")
    print("answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(Counter(str(r[1]) for r in results).items())))
    print(f"latency from scheduled send (ms): p50 {pct(ms, 0.5):.1f}  p95 {p95:.1f}  p99 {pct(ms, 0.99):.1f}  "
          f"max {max(ms):.1f}  mean {statistics.fmean(ms):.1f}")
    for kind in sorted(kinds):
        sub = [r[2] * 1000 for r in results if r[0].kind == kind]
        print(f"  {kind:>12}: n {len(sub):>5}  p50 {pct(sub, 0.5):6.1f}  p95 {pct(sub, 0.95):6.1f}  "
              f"max {max(sub):6.1f}")
    print(f"load generator dispatch lag: max {max(r[3] for r in results) * 1000:.1f} ms")
    print(f"target p95 < {TARGET_P95_MS:.0f} ms: {'MET' if p95 < TARGET_P95_MS else 'MISSED'}; "
          f"seed 002 target p95 < {SEED_TARGET_MS:.0f} ms: {'MET' if p95 < SEED_TARGET_MS else 'MISSED'}")


def run_webhooks(args: argparse.Namespace) -> bool:
    """The webhook half in a temporary data folder; prints the numbers; returns whether every check held."""
    data_dir = Path(tempfile.mkdtemp(prefix="genpire-bench-webhooks-"))
    for var in ("DATABASE_URL", "REFLEX_REDIS_URL", "QUEUE_REDIS_URL", "STORAGE_BACKEND", "IN_PROCESS_WORKER"):
        os.environ.pop(var, None)
    secret = secrets.token_urlsafe(24)
    os.environ.update({"DATA_DIR": str(data_dir / "data"), "MESHY_WEBHOOK_SECRET": secret,
                       "BENCH_PROVIDER_MS": str(args.provider_ms)})
    (data_dir / "data").mkdir(mode=0o700)
    database = None
    if args.postgres:  # a fresh PostgreSQL database (tests/topology.py), dropped at the end
        from tests.topology import create_database

        database, url = create_database()
        os.environ["DATABASE_URL"] = url
    rows = prepare(data_dir / "data", args.users, args.models_per_user, args.signup)
    clock, plan = schedule([r["task"] for r in rows], args.rate, args.seconds, args.seed)
    load = os.getloadavg()[0]
    before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    server, port = start_server(args.workers, data_dir / "server.log")
    try:
        results, dispatch, total = asyncio.run(drive(port, secret, plan, clock, data_dir / "data", args))
    finally:
        server.terminate()
        server.wait(timeout=30)
    cpu = [(u.ru_utime + u.ru_stime) - (b.ru_utime + b.ru_stime)  # CPU s of this process, of the server tree
           for u, b in zip((resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)), before)]
    report(args, results, rows, dispatch, total)
    print(f"CPU used: server {cpu[1]:.1f} s (incl. start-up), load generator {cpu[0]:.1f} s; "
          f"{os.cpu_count()} CPUs; 1-min load average {load:.2f} before, {os.getloadavg()[0]:.2f} after")
    failures = check(rows, results, args.signup, args.models_per_user)
    print("correctness: " + ("all checks passed" if not failures else f"{len(failures)} FAILED"))
    for f in failures[:20]:
        print(f"  - {f}")
    print(f"data folder and server log: {data_dir}")
    if database:
        from genpire_app.backend.db.engine import get_engine
        from tests.topology import drop_database

        get_engine().dispose()
        drop_database(database)
    return not failures


def main(argv: list[str] | None = None) -> int:
    """Run the webhook half, then (unless ``--skip-viewer``) ``bench.viewer_render`` with its defaults."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="deliveries per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=25)
    parser.add_argument("--models-per-user", type=int, default=2)
    parser.add_argument("--signup", type=int, default=5000, help="each user's credits, hundredths")
    parser.add_argument("--workers", type=int, default=1, help="Granian worker processes")
    parser.add_argument("--provider-ms", type=float, default=0.0, help="added to each provider get/download")
    parser.add_argument("--connections", type=int, default=64, help="most connections the sender opens at once")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw", help="the sender's HTTP client")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--skip-viewer", action="store_true")
    parser.add_argument("--postgres", action="store_true",
                        help="PostgreSQL (tests/topology.PG_ADMIN_URL, production's database) instead of SQLite")
    args = parser.parse_args(argv)
    ok = run_webhooks(args)
    if not args.skip_viewer:
        from bench import viewer_render

        print("\n== viewer: first render of a 30,000-triangle GLB in Chromium (bench.viewer_render) ==", flush=True)
        viewer_rc = viewer_render.main([])
        print(f"viewer half: exit {viewer_rc}")
        ok &= viewer_rc == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
