"""Orders as their owner reads them (issue 9 item 9; seed 003 "Orders"): the list, newest first with keyset
pagination, and one order with its items. Owner-checked: another user's order is "not found"."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import select

from genpire_app.backend.db.commerce_models import CheckoutSession, Order, OrderItem
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import as_utc
from genpire_app.backend.jobs.errors import OperationError


@dataclass(frozen=True)
class OrderPage:
    """One page of orders and the cursor of the next page (None at the end)."""

    items: list[Order]
    next_cursor: str | None


def _cursor(order: Order) -> str:
    raw = f"{as_utc(order.created_at).isoformat()}|{order.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        stamp, _, ident = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(stamp), uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError) as err:
        raise OperationError("invalid_input", "This page link is no longer valid.") from err


def list_orders(user_id: int, *, limit: int = 20, cursor: str | None = None) -> OrderPage:
    """The user's orders, newest first; ``cursor``: the previous page's ``next_cursor``.

    Raises:
        OperationError: ``invalid_input`` for a malformed cursor; ValueError for ``limit`` outside 1..100.
    """
    if not 1 <= limit <= 100:
        raise ValueError("limit must be between 1 and 100")
    query = select(Order).where(Order.user_id == user_id)
    if cursor:
        stamp, ident = _decode(cursor)
        query = query.where(or_(Order.created_at < stamp, and_(Order.created_at == stamp, Order.id < ident)))
    with read_session() as s:
        rows = list(s.exec(query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit + 1)).all())
    more = len(rows) > limit
    return OrderPage(rows[:limit], _cursor(rows[limit - 1]) if more else None)


def get_owned(user_id: int, order_id: uuid.UUID) -> tuple[Order, list[OrderItem]]:
    """The user's order and its items (in checkout order).

    Raises:
        OperationError: ``not_found`` (missing or another user's).
    """
    with read_session() as s:
        order = s.get(Order, order_id)
        if order is None or order.user_id != user_id:
            raise OperationError("not_found", "This order does not exist.")
        items = list(s.exec(select(OrderItem).where(OrderItem.order_id == order_id).order_by(OrderItem.created_at)).all())
    return order, items


def by_session(user_id: int, session_id: str) -> Order | None:
    """The user's order made from checkout session ``session_id``, or None (not paid yet, or not theirs)."""
    with read_session() as s:
        session = s.get(CheckoutSession, session_id)
        if session is None or session.user_id != user_id:
            return None
        return s.exec(select(Order).where(Order.checkout_session_id == session_id)).first()


__all__ = ["OrderPage", "by_session", "get_owned", "list_orders"]
