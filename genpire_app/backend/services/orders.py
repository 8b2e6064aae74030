"""Orders as their owner reads them (issue 9 item 9; seed 003 "Orders", "Order Management Page", "Order
Viewing & Downloads"): the list, newest first with keyset pagination, one order with its items, and the model
files its items bought. Owner-checked: another user's order is "not found".

Downloads: a paid order's ``digital_model`` item (set by ``services.digital_models``' fulfiller) and ``print``
item (set by the print's scale job) name the model version they bought (``order_items.model_id``). Its files
are the buyer's through the order (:func:`download_of`), even when the model is another user's public asset
(``models3d.get_owned`` would refuse it): the order is the permission, and it reaches that one version's
files and nothing else of the seller."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import select

from genpire_app.backend.db.commerce_models import CheckoutSession, Order, OrderItem
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.model3d_models import Product3DModel
from genpire_app.backend.db.models import as_utc
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import model_files

#: Order statuses whose bought model files can be downloaded (paid, possibly shipped or partly refunded; a
#: fully REFUNDED, FAILED or still PENDING order gives none).
DOWNLOADABLE_STATUSES = ("PAID", "FULFILLED", "PARTIALLY_REFUNDED")
#: Order item kinds that carry a model version (``order_items.model_id``).
MODEL_KINDS = ("digital_model", "print")
_NO_FILE = "This file does not exist."


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


@dataclass(frozen=True)
class FileLink:
    """One downloadable file of an order item: its format (``glb``, ``stl`` ...) and the URL of
    ``GET /api/orders/{order_id}/items/{item_id}/files/{fmt}`` (``api/orders.py``; session cookie needed)."""

    fmt: str
    url: str


def file_url(order_id: uuid.UUID, item_id: uuid.UUID, fmt: str) -> str:
    """The download route's path of an order item's file (relative to the app's origin)."""
    return f"/api/orders/{order_id}/items/{item_id}/files/{fmt}"


def downloads(user_id: int, order_id: uuid.UUID) -> dict[uuid.UUID, tuple[FileLink, ...]]:
    """The files each item of the user's order can be downloaded as (the order page's download links), by
    item id; items without files (packs, plans, a print not yet scaled, an unpaid order) are absent.

    Raises:
        OperationError: ``not_found`` (missing or another user's order).
    """
    order, items = get_owned(user_id, order_id)
    bought = {i.id: i.model_id for i in items if i.kind in MODEL_KINDS and i.model_id is not None}
    if order.status not in DOWNLOADABLE_STATUSES or not bought:
        return {}
    with read_session() as s:
        models = {m.id: m for m in s.exec(select(Product3DModel).where(Product3DModel.id.in_(set(bought.values())))).all()}
    links = {}
    for item_id, model_id in bought.items():
        formats = model_files.formats(models[model_id]) if model_id in models else []
        if formats:
            links[item_id] = tuple(FileLink(f, file_url(order_id, item_id, f)) for f in formats)
    return links


def download_of(user_id: int, order_id: uuid.UUID, item_id: uuid.UUID, fmt: str) -> tuple[str, str]:
    """(storage key, download name ``"<source name>-v<version>.<ext>"``) of format ``fmt`` of the model version an
    item of the user's order bought (seed 003 "Order Viewing & Downloads").

    The order must be the user's and in :data:`DOWNLOADABLE_STATUSES`; the item must be one of its
    :data:`MODEL_KINDS` items with a model version; ``fmt`` one of that version's files. The model may be
    another user's (a bought public asset); only this version's files are reachable this way.

    Raises:
        OperationError: ``not_found`` for anything else (identical for a missing order, another user's, an unpaid
            one, an item without files or a missing format).
    """
    with read_session() as s:
        order = s.get(Order, order_id)
        item = s.get(OrderItem, item_id)
        if (order is None or order.user_id != user_id or order.status not in DOWNLOADABLE_STATUSES
                or item is None or item.order_id != order.id or item.kind not in MODEL_KINDS or item.model_id is None):
            raise OperationError("not_found", _NO_FILE)
        model = s.get(Product3DModel, item.model_id)
        key = model_files.file_key(model, fmt) if model is not None and fmt != model_files.THUMBNAIL else None
        if not key:
            raise OperationError("not_found", _NO_FILE)
        return key, model_files.download_name(s, model, fmt)


def by_session(user_id: int, session_id: str) -> Order | None:
    """The user's order made from checkout session ``session_id``, or None (not paid yet, or not theirs)."""
    with read_session() as s:
        session = s.get(CheckoutSession, session_id)
        if session is None or session.user_id != user_id:
            return None
        return s.exec(select(Order).where(Order.checkout_session_id == session_id)).first()


__all__ = ["DOWNLOADABLE_STATUSES", "MODEL_KINDS", "FileLink", "OrderPage", "by_session", "download_of", "downloads",
           "file_url", "get_owned", "list_orders"]
