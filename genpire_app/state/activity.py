"""Activity page state: the signed-in user's AI operation log with filters (seed 001; issue 3 item 7)."""

from __future__ import annotations

import asyncio

import reflex as rx

from genpire_app.backend.services import activity
from genpire_app.state.session import SessionState

PER_PAGE = 20
ALL = "all"


class ActivityState(SessionState):
    """Rows of ``ai_operation_logs`` as display strings, one page at a time."""

    rows: list[dict[str, str]] = []
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

    async def _load(self) -> None:
        uid = self.user_id
        if uid is None:
            return
        rows, total = await asyncio.to_thread(
            activity.list_operations,
            user_id=uid,
            operation="" if self.operation == ALL else self.operation,
            status="" if self.status == ALL else self.status,
            page=self.page,
            per_page=PER_PAGE,
        )
        self.total = total
        self.rows = [
            {
                "time": r["created_at"].strftime("%d %b %Y %H:%M:%S"),
                "operation": str(r["operation"]).replace("_", " "),
                "provider": f"{r['provider']} · {r['model']}",
                "status": str(r["status"]),
                "tokens": f"{r['input_tokens']} / {r['output_tokens']}",
                "ms": f"{r['processing_ms']} ms",
                "product": str(r["product_name"]) or "—",
                "product_href": f"/ai-designer?projectId={r['product_id']}" if r["product_id"] else "",
                "detail": str(r["error"] or r["input_summary"]),
            }
            for r in rows
        ]
        self.loaded = True

    @rx.event
    async def load(self):
        """Page load."""
        if self.user_id is None:
            return
        await self._refresh_header()
        self.page = 1
        self.operations = await asyncio.to_thread(activity.operation_names, user_id=self.user_id)
        await self._load()

    @rx.event
    async def set_operation(self, value: str):
        """Filter by operation."""
        self.operation, self.page = value, 1
        await self._load()

    @rx.event
    async def set_status(self, value: str):
        """Filter by status."""
        self.status, self.page = value, 1
        await self._load()

    @rx.event
    async def next_page(self):
        """Next page."""
        if self.page < self.page_count:
            self.page += 1
            await self._load()

    @rx.event
    async def prev_page(self):
        """Previous page."""
        if self.page > 1:
            self.page -= 1
            await self._load()
