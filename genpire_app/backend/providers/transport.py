"""HTTP plumbing shared by the provider clients that open a short-lived ``httpx.AsyncClient`` per call
(Meshy, Stripe): an injected transport (tests: ``httpx.MockTransport``) that outlives those clients."""

from __future__ import annotations

import httpx


class SharedTransport(httpx.AsyncBaseTransport):
    """Delegates to an injected transport and never closes it (each call opens and closes its own client)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the injected transport."""
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Nothing: the injected transport belongs to whoever injected it."""
        return None


__all__ = ["SharedTransport"]
