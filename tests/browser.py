"""Playwright in Debian's Chromium for the browser tiers: launch options, step screenshots, one page per test."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "test-results"
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
        # a page with a WebGL viewer renders in software here: give its screenshot time on a busy machine
        self.page.screenshot(path=str(path), full_page=True, timeout=90_000)
        return path


@contextlib.contextmanager
def launch() -> Iterator[object]:
    """One Chromium for a test session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextlib.contextmanager
def open_page(browser, base_url: str, folder: Path, *, storage_state: dict | None = None,
              viewport: dict | None = None) -> Iterator[object]:
    """A fresh browser context and page on ``base_url``; ``page.shots(name)`` saves a step screenshot and
    ``page.js_errors`` collects uncaught page errors."""
    context = browser.new_context(base_url=base_url, viewport=viewport or {"width": 1280, "height": 900},
                                  accept_downloads=True, storage_state=storage_state)
    context.set_default_timeout(30_000)
    page = context.new_page()
    if folder.exists() and storage_state is None:
        shutil.rmtree(folder)
    page.shots = Shots(page, folder)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    try:
        yield page
    finally:
        context.close()


@contextlib.contextmanager
def tier_page(browser, base_url: str, tier: str, request) -> Iterator[object]:
    """The ``page`` fixture of a browser tier: a fresh page, and a final screenshot when the test failed
    (the tier's conftest records ``rep_call`` on the test item)."""
    folder = results_folder(tier, request.node.name)
    with open_page(browser, base_url, folder) as page:
        yield page
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            try:
                page.screenshot(path=str(folder / "failure.png"), full_page=True)
            except Exception:  # noqa: BLE001 - a failure screenshot is best effort
                pass


def results_folder(tier: str, node_name: str) -> Path:
    """``test-results/<tier>/<test name>/``."""
    return RESULTS / tier / node_name.replace("/", "_").replace("[", "_").replace("]", "")
