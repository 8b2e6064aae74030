"""Playwright journeys against the production build (``reflex run --env prod``) in Debian's Chromium.

One server per test session: a fresh data folder (SQLite, storage), the offline providers with a fixed
latency (so in-progress states are observable), on a free port. Every test gets its own browser context;
``shot()`` saves step screenshots and a failing test saves a final screenshot, all under
``test-results/e2e/<test name>/``.
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
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-results" / "e2e"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
#: Offline provider latency for the e2e server, milliseconds.
LATENCY_MS = int(os.environ.get("E2E_OFFLINE_LATENCY_MS", "1200"))
BUILD_TIMEOUT_S = 900


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason="Chromium is not installed (make test installs it from Debian)")
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}; see {log}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)  # polling the health endpoint while the production build runs
    raise RuntimeError(f"the app did not become healthy in {timeout:.0f} s; see {log}")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Start the production build once; yields ``(base_url, data_dir)``."""
    data_dir = tmp_path_factory.mktemp("e2e-data")
    port = _free_port()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / "server.log"
    bun_bin = ROOT / ".tools" / "node_modules" / ".bin"
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "PORT": str(port),
        "OFFLINE_LATENCY_MS": str(LATENCY_MS),
        "REFLEX_USE_SYSTEM_BUN": "1",
        "PATH": f"{bun_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "GENERATION_RATE_PER_MINUTE": "1000",
        "AUTH_RATE_PER_MINUTE": "1000",
    }
    for var in ("GEMINI_API_KEY", "OPENAI_API_KEY", "DATABASE_URL", "REFLEX_REDIS_URL"):
        env.pop(var, None)
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True)
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [str(bin_dir / "reflex"), "run", "--env", "prod", "--single-port",
             "--frontend-port", str(port), "--backend-port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(f"{base}/api/health", proc, log, BUILD_TIMEOUT_S)
        _wait_healthy(f"{base}/", proc, log, 120)
        yield base, data_dir
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Shots:
    """Saves numbered step screenshots for one test."""

    def __init__(self, page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.n = 0
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str) -> Path:
        self.n += 1
        path = self.folder / f"{self.n:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(browser, server, request):
    """A fresh browser context and page on the server; screenshot on failure."""
    base, _ = server
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(30_000)
    pg = context.new_page()
    folder = RESULTS / request.node.name.replace("/", "_").replace("[", "_").replace("]", "")
    if folder.exists():
        shutil.rmtree(folder)
    pg.shots = Shots(pg, folder)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        try:
            pg.screenshot(path=str(folder / "failure.png"), full_page=True)
        except Exception:
            pass
    context.close()


@pytest.fixture
def fixtures(fixtures_dir):
    """Paths of the real input files."""
    return {"logo": fixtures_dir / "brand-logo.png", "photo": fixtures_dir / "coffee-cup-photo.png"}
