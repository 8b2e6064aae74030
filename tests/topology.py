"""Start the app as users get it: the embedded default, or the production topology (DESIGN.md §11).

Used by the browser tiers (tests/e2e, tests/prod) and by ``bench/``:

- :func:`start_embedded`: ``reflex run --env prod`` on SQLite, local storage, in-process queue worker.
- :func:`start_production`: PostgreSQL (a fresh database), Redis (one database index, flushed), an S3
  endpoint (moto's standalone server), ``GRANIAN_WORKERS`` web workers and Dramatiq worker processes
  (``dramatiq genpire_app.backend.jobs.worker``), all from the production build.

:func:`production_services` says whether this machine has what the production topology needs.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
BUILD_TIMEOUT_S = 900


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen | None, log: Path | None, timeout: float) -> None:
    """Wait until ``url`` answers 200 (polling a server that is starting), or raise with the log's tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text()[-4000:] if log and log.exists() else ""
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f} s; see {log}")


def worker_command() -> list[str]:
    """The queue worker command of the README (``make worker``): one process, 16 threads, 5 s shutdown."""
    return [str(BIN / "dramatiq"), "genpire_app.backend.jobs.worker", "--processes", "1", "--threads", "16",
            "--worker-shutdown-timeout", "5000"]


def stop_process(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process group started here: ``sig``, then SIGKILL after ``timeout`` seconds."""
    _stop(proc, sig, timeout)


def _stop(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        # SIGTERM goes to the main process only: it stops its children gracefully (Dramatiq kills a worker
        # process at once when it gets a second signal from its group). SIGKILL takes the whole group.
        (os.kill if sig == signal.SIGTERM else os.killpg)(proc.pid, sig)
        proc.wait(timeout=timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
    else:
        try:  # children that outlived their parent
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("a") as fh:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)


@dataclass
class Topology:
    """A running app: its URL, environment, processes and logs. ``stop()`` ends every process."""

    base_url: str
    port: int
    env: dict[str, str]
    log_dir: Path
    web: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)
    moto: subprocess.Popen | None = None
    database: str | None = None

    def start_web(self) -> None:
        """Start (or restart) the web server and wait until it serves pages."""
        log = self.log_dir / "web.log"
        self.web = _spawn([str(BIN / "reflex"), "run", "--env", "prod", "--single-port", "--frontend-port",
                           str(self.port), "--backend-port", str(self.port)], self.env, log)
        wait_http(f"{self.base_url}/api/health", self.web, log, BUILD_TIMEOUT_S)
        wait_http(f"{self.base_url}/", self.web, log, 120)

    def stop_web(self, sig: int = signal.SIGTERM) -> None:
        """Stop the web server (every web worker)."""
        _stop(self.web, sig)
        self.web = None

    def start_worker(self) -> subprocess.Popen:
        """Start one more queue worker process."""
        log = self.log_dir / f"worker-{len(self.workers) + 1}.log"
        proc = _spawn(worker_command(), self.env, log)
        self.workers.append(proc)
        return proc

    def kill_worker(self, proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        """Kill a queue worker (its whole process group: Dramatiq's supervisor and its worker process)."""
        _stop(proc, sig)

    def stop(self) -> None:
        """Stop every process and drop the PostgreSQL database."""
        self.stop_web()
        for proc in self.workers:
            _stop(proc)
        _stop(self.moto)
        if self.database:
            drop_database(self.database)


def _base_env(data_dir: Path, port: int, extra: dict[str, str]) -> dict[str, str]:
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "PORT": str(port),
        "REFLEX_USE_SYSTEM_BUN": "1",
        "PATH": f"{ROOT / '.tools' / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "GENERATION_RATE_PER_MINUTE": "1000",
        "SIGNUP_PER_IP_PER_HOUR": "1000",
        "ALLOWED_ORIGINS": f"http://127.0.0.1:{port},http://localhost:{port}",
    }
    for var in ("GEMINI_API_KEY", "OPENAI_API_KEY", "DATABASE_URL", "REFLEX_REDIS_URL", "QUEUE_REDIS_URL",
                "STORAGE_BACKEND", "IN_PROCESS_WORKER"):
        env.pop(var, None)
    env.update(extra)
    return env


def _migrate(env: dict[str, str]) -> None:
    subprocess.run([str(BIN / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True)


def start_embedded(data_dir: Path, log_dir: Path, extra: dict[str, str] | None = None) -> Topology:
    """The embedded default (``make run``): SQLite, local files, the queue worker inside the web process."""
    log_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = _base_env(data_dir, port, extra or {})
    _migrate(env)
    topo = Topology(f"http://127.0.0.1:{port}", port, env, log_dir)
    topo.start_web()
    return topo


# ------------------------------------------------------------------------------------------- production


def production_services() -> str:
    """"" when PostgreSQL, Redis and moto's server are usable here, else the reason they are not."""
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_URL, connect_timeout=2).close()
    except Exception as err:  # noqa: BLE001 - any failure means "not available"
        return f"PostgreSQL at {PG_ADMIN_URL} does not answer ({type(err).__name__})"
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as err:  # noqa: BLE001
        return f"Redis at {REDIS_URL} does not answer ({type(err).__name__})"
    try:
        import flask  # noqa: F401  (moto's standalone server)
        import moto.server  # noqa: F401
    except ImportError as err:
        return f"moto's standalone server is not installed ({err})"
    if not shutil.which("chromium") and not Path("/usr/bin/chromium").exists():
        return "Chromium is not installed"
    return ""


def create_database() -> tuple[str, str]:
    """A fresh, empty PostgreSQL database: (name, SQLAlchemy URL)."""
    import psycopg

    name = f"genpire_prod_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return name, f"{base}/{name}"


def drop_database(name: str) -> None:
    """Drop a database made by :func:`create_database` (closing its connections)."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _start_moto(log_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = log_dir / "moto.log"
    # niced: it stands in for a remote object store, whose CPU would not compete with the app's processes
    proc = _spawn(["nice", "-n", "10", sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                  dict(os.environ), log)
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/moto-api/", proc, log, 60)
    import boto3

    boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket="genpire-prod")
    return proc, url


def start_production(data_dir: Path, log_dir: Path, *, web_workers: int = 2, job_workers: int = 1,
                     extra: dict[str, str] | None = None) -> Topology:
    """The production topology (README "Production") on this machine's services; see the module docstring."""
    import redis

    log_dir.mkdir(parents=True, exist_ok=True)
    redis.Redis.from_url(REDIS_URL).flushdb()
    moto, s3_url = _start_moto(log_dir)
    database, db_url = create_database()
    port = free_port()
    env = _base_env(data_dir, port, {
        "DATABASE_URL": db_url,
        "REFLEX_REDIS_URL": REDIS_URL,
        "GRANIAN_WORKERS": str(web_workers),
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": "genpire-prod",
        "S3_ENDPOINT_URL": s3_url,
        "S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "SECRET_KEY": uuid.uuid4().hex,
        "QUEUE_NAMESPACE": f"genpire-{uuid.uuid4().hex[:8]}",  # a stray worker of another run cannot take our jobs
        "dramatiq_worker_timeout": "20",
        **(extra or {}),
    })
    topo = Topology(f"http://127.0.0.1:{port}", port, env, log_dir, moto=moto, database=database)
    try:
        _migrate(env)
        for _ in range(job_workers):
            topo.start_worker()
        topo.start_web()
    except BaseException:
        topo.stop()
        raise
    return topo


__all__ = ["Topology", "create_database", "stop_process", "worker_command", "drop_database", "free_port", "production_services", "start_embedded",
           "start_production", "wait_http"]
