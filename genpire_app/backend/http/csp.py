"""The Content-Security-Policy of every response, with the hashes of the build's inline scripts.

Source: issue 7 item 4 ("HTTP headers and origins"); DESIGN.md §10 ("Headers: CSP ... frame-ancestors
'none'"). Never imports reflex.

The policy (one string, same for every response):

- ``default-src 'self'``; ``object-src 'none'``; ``base-uri 'self'``; ``form-action 'self'`` (the sign-in
  forms post to ``/api/auth``); ``frame-ancestors 'none'`` (no framing: clickjacking).
- ``script-src 'self' 'unsafe-eval'`` plus ``'sha256-...'`` of every inline ``<script>`` in the production
  build's HTML (``.web/build/client/**/*.html``: React Router's hydration context and stream, React's
  ``$RC`` streaming helpers, Reflex's colour-mode and scroll-restore snippets). No ``'unsafe-inline'``: an
  injected ``<script>`` or ``on*=`` attribute does not run.
  **Why 'unsafe-eval'**: Reflex delivers scripts that the backend sends to the page (``rx.toast.*``
  yielded by event handlers, ``rx.call_script``) as JavaScript source strings that its ``state.js`` runs
  with ``eval()`` (event ``_call_script``). The app yields toasts from handlers (welcome toast, sign-out,
  designer errors), and without it Chromium refuses them ("Refused to evaluate a string as JavaScript").
  The strings come from our backend, never from user input; markup injection stays blocked.
- ``style-src 'self' 'unsafe-inline'``: Radix Themes and emotion inject ``<style>`` elements and
  ``style=`` attributes at run time.
- ``img-src 'self' data: blob:`` (previews, canvas exports); ``font-src 'self' data:``.
- ``connect-src 'self' blob:`` plus each allowed origin and its websocket form (``http://h`` -> ``ws://h``,
  ``https://h`` -> ``wss://h``): Reflex's event socket and uploads.
  **Why blob:** (issue 8 item 7, the 3D viewer): three.js, inside ``<model-viewer>``, turns the textures
  embedded in a GLB into ``blob:`` URLs and *fetches* them (ImageBitmapLoader); without ``blob:`` every
  texture is refused and the model renders untextured grey (bench/viewer_render.py shows the violation).
  A ``blob:`` URL can only be minted by script already running on our page, so this opens no new origin.

The hashes are computed once per process, at the first response (a few dozen small files, milliseconds),
and cached: the build does not change under a running server (``reflex run --env prod`` builds first).
Without a build (development, unit tests) the list is empty.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from html.parser import HTMLParser
from pathlib import Path

from genpire_app.backend.config import ROOT_DIR


def default_build_dir() -> Path:
    """Folder of the production frontend build that the server sends (``<web dir>/build/client``).

    Reflex's web dir is ``.web`` at the project root unless ``REFLEX_WEB_WORKDIR`` names another.
    """
    web = os.environ.get("REFLEX_WEB_WORKDIR") or ".web"
    web_dir = Path(web) if Path(web).is_absolute() else ROOT_DIR / web
    return web_dir / "build" / "client"


class _InlineScripts(HTMLParser):
    """Collects the text of every ``<script>`` without a ``src`` attribute (raw text, as browsers hash it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._current = []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.scripts.append("".join(self._current))
            self._current = None


def inline_script_hashes(build_dir: Path) -> list[str]:
    """CSP sources ``'sha256-<base64>'`` of the inline scripts in every ``*.html`` under ``build_dir``.

    Args:
        build_dir: a frontend build folder; missing means no hashes.

    Returns:
        Distinct sources, sorted (stable header). Empty scripts are skipped.
    """
    found: set[str] = set()
    if not build_dir.is_dir():
        return []
    for page in build_dir.rglob("*.html"):
        parser = _InlineScripts()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        parser.close()
        for script in parser.scripts:
            if script.strip():
                digest = hashlib.sha256(script.encode("utf-8")).digest()
                found.add(f"'sha256-{base64.b64encode(digest).decode()}'")
    return sorted(found)


def websocket_origin(origin: str) -> str:
    """The websocket form of an origin: ``http://h`` -> ``ws://h``, ``https://h`` -> ``wss://h``."""
    if origin.startswith("https://"):
        return "wss://" + origin[len("https://"):]
    if origin.startswith("http://"):
        return "ws://" + origin[len("http://"):]
    return origin


def build_policy(origins: list[str], script_hashes: list[str]) -> str:
    """The Content-Security-Policy header value (see the module docstring).

    Args:
        origins: the allowed public origins (``Settings.origins``).
        script_hashes: ``'sha256-...'`` sources of the inline scripts.
    """
    connect = ["'self'", "blob:"]  # blob: textures of GLBs in the 3D viewer (module docstring)
    for origin in origins:
        for source in (origin, websocket_origin(origin)):
            if source not in connect:
                connect.append(source)
    directives = [
        "default-src 'self'",
        "script-src " + " ".join(["'self'", "'unsafe-eval'", *script_hashes]),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src " + " ".join(connect),
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


class PolicyCache:
    """The policy for a build folder and origins, computed at first use and kept for the process.

    Args:
        build_dir: the frontend build whose inline scripts are hashed (default :func:`default_build_dir`).
    """

    def __init__(self, build_dir: Path | None = None) -> None:
        self._build_dir = build_dir
        self._lock = threading.Lock()
        self._hashes: list[str] | None = None
        self._policies: dict[tuple[str, ...], str] = {}

    def policy(self, origins: list[str]) -> str:
        """The header value for ``origins`` (hashes read from disk on the first call only)."""
        key = tuple(origins)
        cached = self._policies.get(key)
        if cached is not None:
            return cached
        with self._lock:
            if self._hashes is None:
                self._hashes = inline_script_hashes(self._build_dir or default_build_dir())
            value = self._policies[key] = build_policy(list(origins), self._hashes)
        return value


__all__ = ["PolicyCache", "build_policy", "default_build_dir", "inline_script_hashes", "websocket_origin"]
