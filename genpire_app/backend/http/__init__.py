"""HTTP hardening of the whole backend ASGI app (issue 7 items 3-4; DESIGN.md §10).

``rx.App(api_transformer=[create_api(), wrap])``: Reflex mounts its own app (event socket, ``/_upload``,
and in single-port production mode the compiled frontend) inside our FastAPI app, then hands the result to
:func:`wrap`. Pure ASGI middleware, outermost first:

1. :class:`~genpire_app.backend.http.headers.SecurityHeadersMiddleware`: CSP, nosniff, Referrer-Policy,
   X-Frame-Options, HSTS over HTTPS, on every HTTP response (pages, API, files, refusals below).
2. :class:`~genpire_app.backend.http.origins.WebsocketOriginMiddleware`: websocket handshakes from other
   origins refused (403).
3. :class:`~genpire_app.backend.http.upload_guard.UploadGuardMiddleware`: ``POST /_upload`` signed in,
   bounded while streaming (413) and rate limited per user (429).

CORS itself stays with Reflex's ``CORSMiddleware``, configured from ``Settings.origins`` in ``rxconfig.py``.
"""

from __future__ import annotations

from genpire_app.backend.http.asgi import ASGIApp
from genpire_app.backend.http.headers import SecurityHeadersMiddleware
from genpire_app.backend.http.origins import WebsocketOriginMiddleware
from genpire_app.backend.http.upload_guard import UploadGuardMiddleware


def wrap(app: ASGIApp) -> ASGIApp:
    """``app`` inside the security middleware (see the package docstring); an ``api_transformer`` for Reflex."""
    return SecurityHeadersMiddleware(WebsocketOriginMiddleware(UploadGuardMiddleware(app)))


__all__ = ["wrap"]
