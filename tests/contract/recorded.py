"""A mock provider API for contract tests: answers from recorded exchanges (``recordings/<provider>/<name>.json``,
``{"request": {...}, "response": {"status", "headers", "body"}}``) and records every request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

RECORDINGS = Path(__file__).parent / "recordings"


def load(provider: str, name: str) -> dict[str, Any]:
    """The recorded exchange ``name`` of ``provider``."""
    return json.loads((RECORDINGS / provider / f"{name}.json").read_text())


class RecordedServer:
    """Answers with the queued items in order (the last one repeats) and records every request. An item is a
    recording name, an ``httpx.Response`` or an exception to raise. Subclasses set ``provider``."""

    provider = ""

    def __init__(self, *items: Any) -> None:
        self.items = list(items)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.items[min(len(self.requests), len(self.items)) - 1]
        if isinstance(item, Exception):
            raise item
        if isinstance(item, httpx.Response):
            return item
        resp = load(self.provider, item)["response"]
        body = resp["body"]
        content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        return httpx.Response(resp["status"], headers=resp["headers"], content=content)

    @property
    def calls(self) -> int:
        """How many requests arrived."""
        return len(self.requests)


class Sleeps(list):
    """An injected sleep that records the delays instead of waiting."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)
