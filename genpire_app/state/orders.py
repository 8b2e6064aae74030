"""``/orders`` and ``/orders/[order_id]`` (issue 9 item 9): the user's orders, newest first ("Show more"),
and one order with its items; after a checkout, ``?session_id=`` shows "Confirming your payment…" until
the webhook's order arrives by push."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import reflex as rx

from genpire_app.backend.config import format_credits
from genpire_app.backend.db.commerce_models import Order
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import orders
from genpire_app.state.buy_credits import money
from genpire_app.state.cart import KIND_LABELS
from genpire_app.state.model_actions import Download
from genpire_app.state.session import SessionState

STATUS_LABELS = {"PENDING": "Payment pending", "PAID": "Paid", "FULFILLED": "Fulfilled", "FAILED": "Payment failed",
                 "PARTIALLY_REFUNDED": "Partly refunded", "REFUNDED": "Refunded"}


@dataclasses.dataclass
class OrderRow:
    """An order in the list: id, short number, date, status label, total."""

    id: str = ""
    number: str = ""
    date: str = ""
    status: str = ""
    total: str = ""


@dataclasses.dataclass
class ItemRow:
    """An item of an order: kind label, name (a print's names its target size in mm), quantity, total, credits
    text, its download links ("Download GLB") and whether its files are still being made (a print's scaled
    model)."""

    kind: str = ""
    name: str = ""
    quantity: int = 1
    total: str = ""
    credits: str = ""
    downloads: list[Download] = dataclasses.field(default_factory=list)
    preparing: bool = False


def order_row(order: Order) -> OrderRow:
    """The list row of an order (orders page, quick-3D recent activity)."""
    return OrderRow(str(order.id), str(order.id)[:8].upper(), order.created_at.strftime("%d %b %Y, %H:%M"),
                    STATUS_LABELS.get(order.status, order.status), money(order.amount_total_cents, order.currency))


class OrdersState(SessionState):
    """The orders list and the order detail."""

    order_rows: list[OrderRow] = []
    next_cursor: str = ""
    orders_loaded: bool = False
    confirming: bool = False

    detail: OrderRow = OrderRow()
    items: list[ItemRow] = []
    shipping: str = ""
    detail_status: str = "loading"

    async def _list(self, uid: int) -> None:
        session_id = self.router.url.query_parameters.get("session_id", "")
        page = await asyncio.to_thread(orders.list_orders, uid)
        waiting = bool(session_id) and await asyncio.to_thread(orders.by_session, uid, session_id) is None
        async with self:
            self.order_rows, self.next_cursor = [order_row(o) for o in page.items], page.next_cursor or ""
            self.orders_loaded, self.confirming = True, waiting

    @rx.event(background=True)
    async def load(self):
        """``/orders``: session, header, the first page."""
        await self._list(await self._open_page())

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """An order was paid or refunded (the webhook): the list and the open detail again."""

        async def reload(uid: int) -> None:
            await self._list(uid)
            if self.detail_status != "loading":
                await self._detail(uid)

        await self._handle_push(event, reload)

    @rx.event(background=True)
    async def more(self):
        """"Show more": the next page."""
        uid = await self._uid()
        async with self:
            cursor = self.next_cursor
        if not cursor:
            return
        page = await asyncio.to_thread(orders.list_orders, uid, cursor=cursor)
        async with self:
            self.order_rows = self.order_rows + [order_row(o) for o in page.items]
            self.next_cursor = page.next_cursor or ""

    async def _detail(self, uid: int) -> None:
        order_id = self.router.page.params.get("order_id", "")
        try:
            order, items = await asyncio.to_thread(orders.get_owned, uid, uuid.UUID(order_id))
        except (OperationError, ValueError):
            async with self:
                self.detail_status = "not_found"
            return
        links = await asyncio.to_thread(orders.downloads, uid, order.id)
        address = ", ".join(v for k, v in order.shipping.items() if v and k != "name")
        paid = order.status in orders.DOWNLOADABLE_STATUSES
        async with self:
            self.detail = order_row(order)
            self.items = [ItemRow(KIND_LABELS.get(i.kind, i.kind), i.name, i.quantity, money(i.total_cents, order.currency),
                                  format_credits(i.credits) if i.credits else "",
                                  [Download(f"Download {link.fmt.upper()}", link.url) for link in links.get(i.id, ())],
                                  paid and i.kind in orders.MODEL_KINDS and i.id not in links)
                          for i in items]
            self.shipping = f"{order.shipping.get('name', '')}, {address}" if address else ""
            self.detail_status = "ready"

    @rx.event(background=True)
    async def load_detail(self):
        """``/orders/[order_id]``: session, header, the order."""
        async with self:
            self.detail_status = "loading"
        await self._detail(await self._open_page())
