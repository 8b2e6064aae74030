"""Security headers on every HTTP response of the app, pages included (issue 7 item 4; DESIGN.md §10).

Pure ASGI middleware: it edits the ``http.response.start`` message on its way out and never touches or
buffers a body. Headers that the route already set are kept (the file route sends its own stricter
``Content-Security-Policy: default-src 'none'; sandbox``).

Headers added:

- ``X-Content-Type-Options: nosniff``; ``Referrer-Policy: strict-origin-when-cross-origin``;
  ``X-Frame-Options: DENY`` (older browsers; CSP ``frame-ancestors 'none'`` for the others);
- ``Content-Security-Policy``: see :mod:`genpire_app.backend.http.csp`;
- ``Strict-Transport-Security: max-age=31536000; includeSubDomains`` (one year) only when the request came
  over HTTPS (the ASGI scheme, or ``X-Forwarded-Proto: https`` from a proxy in front) or the first allowed
  origin is ``https://``: browsers ignore it over plain HTTP, and a local ``http://`` install must not be
  pinned to HTTPS.

In single-port production mode (``reflex run --env prod --single-port``) Reflex mounts the compiled
frontend inside the same backend ASGI app that ``api_transformer`` wraps, so HTML pages get these headers
too. Never imports reflex.
"""

from __future__ import annotations

from genpire_app.backend.config import get_settings
from genpire_app.backend.http.asgi import ASGIApp, Message, Receive, Scope, Send, header
from genpire_app.backend.http.csp import PolicyCache

#: HSTS value: one year, subdomains included.
HSTS_VALUE = b"max-age=31536000; includeSubDomains"
_STATIC: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
)


def wants_hsts(scope: Scope, origins: list[str]) -> bool:
    """Whether the response to this request gets ``Strict-Transport-Security`` (see the module docstring)."""
    if scope.get("scheme") in ("https", "wss"):
        return True
    forwarded = header(scope, b"x-forwarded-proto").split(",")[0].strip().lower()
    if forwarded == "https":
        return True
    return bool(origins) and origins[0].startswith("https://")


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response of ``app``.

    Args:
        app: the ASGI app to wrap.
        policies: where the CSP comes from (default: the production build at ``.web/build/client``).
    """

    def __init__(self, app: ASGIApp, *, policies: PolicyCache | None = None) -> None:
        self.app = app
        self.policies = policies or PolicyCache()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point: HTTP responses get the headers; websockets and lifespan pass through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origins = get_settings().origins
        extra = [*_STATIC, (b"content-security-policy", self.policies.policy(origins).encode("latin-1"))]
        if wants_hsts(scope, origins):
            extra.append((b"strict-transport-security", HSTS_VALUE))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in extra if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


__all__ = ["HSTS_VALUE", "SecurityHeadersMiddleware", "wants_hsts"]
