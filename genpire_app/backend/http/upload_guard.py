"""Guard of Reflex's upload endpoint ``POST /_upload`` (``rx.upload``): signed in, bounded, rate limited.

Source: issue 7 item 3 ("Uploads bounded before they are read"); DESIGN.md §10 ("Upload bodies are refused
over their limit while streaming (413), before buffering"). Never imports reflex.

Reflex's endpoint accepts a multipart body from anyone holding a client token and streams it to the
state's upload handler, which only then sees who the user is. This pure ASGI middleware answers first,
in this order, for every ``POST`` whose path starts with ``/_upload``:

1. ``Origin`` present and not one of ``Settings.origins``: **403** (another site's page).
2. ``Content-Length`` over :func:`body_limit`: **413** at once; the body is never read.
3. No valid session cookie (``genpire_session``, checked with ``sessions.resolve`` in a thread): **401**.
4. More than ``Settings.upload_rate_per_minute`` uploads by this user in the last minute: **429** with
   ``Retry-After`` (seconds); see :mod:`genpire_app.backend.http.rate` (per worker process).
5. Otherwise the request goes on with its ``receive`` wrapped: the body bytes are counted as they stream
   through, and as soon as the running total passes the limit (chunked bodies declare no length) the
   guard answers **413** itself and tells the endpoint the client disconnected, so neither the guard
   nor Reflex ever holds more than one chunk past the limit. Later answers of the endpoint are dropped.

Every refusal carries ``Connection: close``: the server need not read the rest of a refused body.
"""

from __future__ import annotations

import asyncio

from genpire_app.backend.config import Settings, get_settings
from genpire_app.backend.http.asgi import ASGIApp, Message, Receive, Scope, Send, header, route_path, send_plain
from genpire_app.backend.http.origins import origin_allowed
from genpire_app.backend.http.rate import UPLOAD_RATE, SlidingWindowLimiter

#: Room for the multipart framing around the file (boundaries, part headers, Reflex's args field), bytes.
MULTIPART_OVERHEAD = 64 * 1024
#: Path prefix of Reflex's upload endpoint.
UPLOAD_PATH = "/_upload"
_CLOSE = [(b"connection", b"close")]


def body_limit(settings: Settings | None = None) -> int:
    """Largest ``/_upload`` body, bytes: twice the largest file any upload field accepts, plus
    :data:`MULTIPART_OVERHEAD` (5 MiB design file -> 10 MiB + 64 KiB).

    Twice, like ``/api/uploads/annotations``: a file a little over its field's limit still reaches the
    state's handler, which drains it and tells the user the field's limit ("The design file is 6 MB; the
    limit is 5 MB"); a refused request only leaves a line in the browser console.
    """
    settings = settings or get_settings()
    return 2 * max(settings.max_design_bytes, settings.max_logo_bytes) + MULTIPART_OVERHEAD


def _resolve_user(cookie_header: str) -> int | None:
    """The user id of the session in a ``Cookie`` header, or None (blocking: reads the database)."""
    from genpire_app.backend.services import sessions  # the database layer loads on first upload

    signed_in = sessions.resolve(sessions.token_from_cookies(cookie_header))
    return signed_in.user_id if signed_in is not None else None


class UploadGuardMiddleware:
    """Guards ``POST /_upload`` as the module docstring says; other requests pass through untouched.

    Args:
        app: the ASGI app to wrap.
        limit: body limit, bytes (default :func:`body_limit` at each request).
        limiter: per-user rate limiter (default the process-wide :data:`rate.UPLOAD_RATE`).
    """

    def __init__(self, app: ASGIApp, *, limit: int | None = None, limiter: SlidingWindowLimiter | None = None) -> None:
        self.app = app
        self.limit = limit
        self.limiter = limiter or UPLOAD_RATE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http" or scope.get("method") != "POST" or not route_path(scope).startswith(UPLOAD_PATH):
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        limit = self.limit if self.limit is not None else body_limit(settings)
        if not origin_allowed(header(scope, b"origin"), settings.origins):
            await send_plain(send, 403, "Uploads must come from the Genpire site.", _CLOSE)
            return
        declared = header(scope, b"content-length").strip()
        if declared.isdigit() and int(declared) > limit:
            await send_plain(send, 413, "The file is too large.", _CLOSE)
            return
        user_id = await asyncio.to_thread(_resolve_user, header(scope, b"cookie"))
        if user_id is None:
            await send_plain(send, 401, "Sign in to upload files.", _CLOSE)
            return
        retry_after = self.limiter.hit(user_id)
        if retry_after:
            await send_plain(send, 429, "Too many uploads; try again in a minute.",
                             [(b"retry-after", str(retry_after).encode()), *_CLOSE])
            return
        await self.app(scope, *_counting(receive, send, limit))


def _counting(receive: Receive, send: Send, limit: int) -> tuple[Receive, Send]:
    """``receive``/``send`` wrappers that end the request with 413 once more than ``limit`` body bytes came."""
    received = 0
    refused = False
    started = False

    async def counted_receive() -> Message:
        nonlocal received, refused
        if refused:
            return {"type": "http.disconnect"}
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                refused = True
                if not started:
                    await send_plain(send, 413, "The file is too large.", _CLOSE)
                return {"type": "http.disconnect"}
        return message

    async def guarded_send(message: Message) -> None:
        nonlocal started
        if refused:
            return  # the 413 is the answer; whatever the endpoint says after the "disconnect" is dropped
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    return counted_receive, guarded_send


__all__ = ["MULTIPART_OVERHEAD", "UPLOAD_PATH", "UploadGuardMiddleware", "body_limit"]
