"""Websocket handshakes only from the app's own origins (issue 7 item 4; DESIGN.md §10).

Reflex's event socket (``/_event``) carries the session cookie, so a page on another site must not be
able to open it in a signed-in browser (cross-site websocket hijacking). python-socketio already checks
``Origin`` against Reflex's ``cors_allowed_origins`` (set from ``Settings.origins`` in ``rxconfig.py``;
checked: with this middleware removed the e2e handshake from another origin still gets 403). This
middleware refuses such handshakes itself as well, before the socket app sees them, so the rule holds
whatever Reflex or the rxconfig do (Reflex's default is ``"*"``).

Rules (every websocket path, not only ``/_event``):

- ``Origin`` present and not one of ``Settings.origins`` (compared without a trailing slash; ``null``
  counts as not allowed): refused with HTTP 403 before the handshake is accepted (ASGI
  ``websocket.http.response`` when the server offers it, else ``websocket.close`` before accept, which the
  server answers with 403).
- No ``Origin``: allowed. Browsers always send it on websockets; its absence means a non-browser client
  (``bench/reflex_client.py``), which has no ambient cookie to abuse.

Never imports reflex.
"""

from __future__ import annotations

from genpire_app.backend.config import get_settings
from genpire_app.backend.http.asgi import ASGIApp, Receive, Scope, Send, header


def origin_allowed(origin: str, origins: list[str]) -> bool:
    """Whether a request ``Origin`` value is one of ``origins`` ("" - no header - is allowed)."""
    if not origin:
        return True
    return origin.rstrip("/") in {o.rstrip("/") for o in origins}


async def refuse_websocket(scope: Scope, send: Send, status: int = 403) -> None:
    """Refuse a websocket handshake with an HTTP ``status`` (never accepting it)."""
    if "websocket.http.response" in (scope.get("extensions") or {}):
        body = b"Origin not allowed."
        await send({"type": "websocket.http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008})


class WebsocketOriginMiddleware:
    """Refuses websocket handshakes from origins that are not allowed; everything else passes through.

    Args:
        app: the ASGI app to wrap.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] == "websocket" and not origin_allowed(header(scope, b"origin"), get_settings().origins):
            await refuse_websocket(scope, send)
            return
        await self.app(scope, receive, send)


__all__ = ["WebsocketOriginMiddleware", "origin_allowed", "refuse_websocket"]
