"""Small ASGI helpers shared by the HTTP middleware: type names, reading a request header, a plain answer.

Source: issue 7 items 3-4. Never imports reflex or Starlette, so the middleware stays pure ASGI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def header(scope: Scope, name: bytes) -> str:
    """The first value of request header ``name`` (lower-case bytes) in an ASGI scope, or ""."""
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def route_path(scope: Scope) -> str:
    """The request path without the ``root_path`` a mount in front may have set."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


async def send_plain(send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Answer an HTTP request with ``status`` and a short ``text/plain`` body (``Cache-Control: no-store``).

    Args:
        send: the ASGI send callable of the request.
        status: HTTP status code.
        text: the body (UTF-8).
        headers: extra response headers.
    """
    body = text.encode("utf-8")
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            *(headers or []),
        ],
    })
    await send({"type": "http.response.body", "body": body})


__all__ = ["ASGIApp", "Message", "Receive", "Scope", "Send", "header", "route_path", "send_plain"]
