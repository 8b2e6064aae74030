"""Activity page state: the signed-in user's AI operation log with filters (seed 001; issue 3 item 7)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import reflex as rx

from genpire_app.backend.services import activity
from genpire_app.state.session import SessionState

PER_PAGE = 20
ALL = "all"


@dataclasses.dataclass
class ActivityRow:
    """One provider call as shown: time, operation, provider and model, status, tokens, time taken
    (milliseconds), product name and link, and the input summary or the error."""

    time: str = ""
    operation: str = ""
    provider: str = ""
    status: str = ""
    tokens: str = ""
    ms: str = ""
    product: str = ""
    product_href: str = ""
    detail: str = ""


#: The page's status words for the log's statuses (``services.ai_log``): a finished call is "succeeded"
#: (stored ``completed``, seed 001; older rows say ``succeeded``), a call still running is "running".
STATUS_LABELS = {"completed": "succeeded", "pending": "running"}
#: The stored status a filter value selects.
STATUS_QUERY = {"succeeded": "completed", "running": "pending"}


def _row(r: dict[str, Any]) -> ActivityRow:
    status = str(r["status"])
    running = status == "pending"
    return ActivityRow(
        r["created_at"].strftime("%d %b %Y %H:%M:%S"), str(r["operation"]).replace("_", " "),
        f"{r['provider']} · {r['model']}", STATUS_LABELS.get(status, status),
        "—" if running else f"{r['input_tokens']} / {r['output_tokens']}",
        "…" if running else f"{r['processing_ms']} ms", str(r["product_name"]) or "—",
        f"/ai-designer?projectId={r['product_id']}" if r["product_id"] else "",
        str(r["error"] or r["input_summary"]) or ("In progress" if running else ""),
    )


class ActivityState(SessionState):
    """Rows of ``ai_operation_logs``, one page at a time."""

    rows: list[ActivityRow] = []
    operations: list[str] = []
    operation: str = ALL
    status: str = ALL
    page: int = 1
    total: int = 0
    loaded: bool = False

    @rx.var
    def page_count(self) -> int:
        """Number of pages."""
        return max(1, -(-self.total // PER_PAGE))

    async def _load(self, uid: int) -> None:
        rows, total = await asyncio.to_thread(
            activity.list_operations, user_id=uid, operation="" if self.operation == ALL else self.operation,
            status="" if self.status == ALL else STATUS_QUERY.get(self.status, self.status), page=self.page,
            per_page=PER_PAGE,
        )
        async with self:
            self.total, self.rows, self.loaded = total, [_row(r) for r in rows], True

    async def _reload(self) -> None:
        await self._load(await self._uid())

    @rx.event(background=True)
    async def load(self):
        """Page load."""
        uid = await self._open_page()
        names = await asyncio.to_thread(activity.operation_names, user_id=uid)
        async with self:
            self.page, self.operations = 1, names
        await self._load(uid)

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """A push event: new provider calls may have been logged (not by progress alone)."""
        await self._handle_push(event, self._load)

    @rx.event(background=True)
    async def set_operation(self, value: str):
        """Filter by operation."""
        async with self:
            self.operation, self.page = value, 1
        await self._reload()

    @rx.event(background=True)
    async def set_status(self, value: str):
        """Filter by status."""
        async with self:
            self.status, self.page = value, 1
        await self._reload()

    @rx.event(background=True)
    async def next_page(self):
        """Next page."""
        async with self:
            if self.page >= self.page_count:
                return
            self.page += 1
        await self._reload()

    @rx.event(background=True)
    async def prev_page(self):
        """Previous page."""
        async with self:
            if self.page <= 1:
                return
            self.page -= 1
        await self._reload()
