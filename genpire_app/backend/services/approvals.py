"""The approval queue (issue 11 item 4; seed 004 ``approval_items`` and the mockup generator's routing): work
finished in supervised mode waits here for the user's decision; autopilot skips it.

* Mockups (``item_type`` mockup, module ``mockups``): approve -> the render is ``approved`` (usable for store
  products); reject -> ``rejected`` with the reason. The credit stays spent either way (the render was made).
* Store products (``item_type`` product, module ``products``): the item is decided here, then the product
  follows through ``services.store_publish.after_approval`` (goes live) / ``after_rejection`` (back to draft).

One or many items per decision ("Approve all" = every pending id of the user). A rejection needs a reason of
1-300 characters. Ids of another user (or unknown ids) refuse the whole decision: nothing changes.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, or_, tuple_, update
from sqlmodel import Session, func, select

from genpire_app.backend.db.engine import is_sqlite, read_session, write_session
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.marketing_models import APPROVAL_MODULES, ApprovalItem, Mockup
from genpire_app.backend.db.models import ProductIdea
from genpire_app.backend.db.quick3d_models import Asset
from genpire_app.backend.db.store_models import StoreImage, StoreProduct
from genpire_app.backend.jobs import push
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.push import Topic
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.services.assets import Page, decode_cursor, encode_cursor
from genpire_app.backend.services.mockup_batches import asset_name

log = logging.getLogger(__name__)

#: Most items one decision may name.
MAX_ITEMS = 1000
#: Longest rejection reason, characters.
MAX_REASON = 300
MAX_LIMIT = 100
NOT_FOUND = "One of these items does not exist or is not yours."


@dataclass(frozen=True)
class ApprovalRow:
    """One pending item for the queue.

    Attributes:
        id: the approval item's id (what :func:`decide` takes); module ``mockups`` | ``products``;
            item_type ``mockup`` | ``product``; item_id: the mockup's or store product's id.
        title: the design's name (mockups) or the product's title; subtitle: the scene's name, or "Store product".
        thumbnail_key / file_key: storage keys of the picture to show (the render, or the product's first image).
        created_at: when it entered the queue (UTC).
    """

    id: uuid.UUID
    module: str
    item_type: str
    item_id: uuid.UUID
    title: str
    subtitle: str
    thumbnail_key: str | None
    file_key: str | None
    created_at: datetime


@dataclass(frozen=True)
class Decided:
    """The outcome of :func:`decide`: items approved and rejected now, items skipped (already decided), and
    user-safe messages of product follow-ups that failed (e.g. a Shopify error; the item stays decided and
    the product keeps its status and reason)."""

    approved: int
    rejected: int
    skipped: int
    errors: list[str] = field(default_factory=list)


def _module_filter(module: str | None) -> tuple:
    if module is None:
        return ()
    if module not in APPROVAL_MODULES:
        raise OperationError("invalid_input", "Unknown approval module.")
    return (ApprovalItem.module == module,)


def _waiting(user_id: int, module: str | None) -> tuple:
    """The WHERE clause of the user's pending items whose mockup or store product still exists (a mockup goes
    with its product or asset): :func:`pending`, :func:`pending_ids` and :func:`pending_count` agree.

    Raises:
        OperationError: ``invalid_input`` for an unknown module.
    """
    alive = or_(and_(ApprovalItem.item_type == "mockup", exists().where(Mockup.id == ApprovalItem.item_id)),
                and_(ApprovalItem.item_type == "product", exists().where(StoreProduct.id == ApprovalItem.item_id)))
    return (ApprovalItem.user_id == user_id, ApprovalItem.status == "pending", *_module_filter(module), alive)


def _rows(s: Session, items: list[ApprovalItem]) -> list[ApprovalRow]:
    mockup_ids = [i.item_id for i in items if i.item_type == "mockup"]
    product_ids = [i.item_id for i in items if i.item_type == "product"]
    mockups = {m.id: m for m in s.exec(select(Mockup).where(Mockup.id.in_(mockup_ids))).all()} if mockup_ids else {}
    names: dict[uuid.UUID, str] = {}
    pids = {m.product_id for m in mockups.values() if m.product_id}
    aids = {m.asset_id for m in mockups.values() if m.asset_id}
    if pids:
        names.update(s.exec(select(ProductIdea.id, ProductIdea.name).where(ProductIdea.id.in_(pids))).all())
    if aids:
        names.update((a.id, asset_name(a)) for a in s.exec(select(Asset).where(Asset.id.in_(aids))).all())
    products = {p.id: p for p in s.exec(select(StoreProduct).where(StoreProduct.id.in_(product_ids))).all()} \
        if product_ids else {}
    first: dict[uuid.UUID, str] = {}
    if product_ids:
        for img in s.exec(select(StoreImage).where(StoreImage.product_id.in_(product_ids))
                          .order_by(StoreImage.position.desc())).all():
            first[img.product_id] = img.file_key  # the lowest position wins (written last)
    out = []
    for i in items:
        if i.item_type == "mockup" and i.item_id in mockups:
            m = mockups[i.item_id]
            out.append(ApprovalRow(i.id, i.module, i.item_type, i.item_id, names.get(m.product_id or m.asset_id, ""),  # type: ignore[arg-type]
                                   str((m.scene_config or {}).get("name") or m.scene_key), m.thumbnail_key, m.file_key,
                                   i.created_at))
        elif i.item_type == "product" and i.item_id in products:
            key = first.get(i.item_id)
            out.append(ApprovalRow(i.id, i.module, i.item_type, i.item_id, products[i.item_id].title, "Store product",
                                   key, key, i.created_at))
    return out


def pending(user_id: int, module: str | None = None, cursor: str | None = None, limit: int = 24) -> Page[ApprovalRow]:
    """One page of the user's pending items, oldest first (keyset on ``(created_at, id)``), optionally of one
    module (``mockups`` | ``products``). ``limit``: 1-100. Items whose mockup or store product was deleted meanwhile
    are left out (in SQL, so a page is full when more items wait).

    Raises:
        OperationError: ``invalid_input`` for an unknown module or a malformed cursor.
    """
    n = max(1, min(int(limit), MAX_LIMIT))
    query = select(ApprovalItem).where(*_waiting(user_id, module))
    if cursor:
        at, last = decode_cursor(cursor)
        query = query.where(tuple_(ApprovalItem.created_at, ApprovalItem.id) > tuple_(at, last))
    with read_session() as s:
        items = list(s.exec(query.order_by(ApprovalItem.created_at, ApprovalItem.id).limit(n + 1)).all())
        more, items = len(items) > n, items[:n]
        rows = _rows(s, items)
    return Page(rows, encode_cursor(items[-1].created_at, items[-1].id) if more else None)


def pending_ids(user_id: int, module: str | None = None) -> list[uuid.UUID]:
    """Ids of every pending item of the user (oldest first): what "Approve all" decides, exactly the items
    :func:`pending` lists (not those whose mockup or product was deleted meanwhile).

    Raises:
        OperationError: ``invalid_input`` for an unknown module.
    """
    with read_session() as s:
        return list(s.exec(select(ApprovalItem.id).where(*_waiting(user_id, module))
                           .order_by(ApprovalItem.created_at, ApprovalItem.id)).all())


def pending_count(user_id: int, module: str | None = None) -> int:
    """How many items wait for the user's decision (the tab's badge): exactly the items :func:`pending` lists.

    Raises:
        OperationError: ``invalid_input`` for an unknown module.
    """
    with read_session() as s:
        return int(s.exec(select(func.count()).select_from(ApprovalItem).where(*_waiting(user_id, module))).one())


def _clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not 1 <= len(text) <= MAX_REASON:
        raise OperationError("invalid_input", f"Say why you reject it (1 to {MAX_REASON} characters).")
    return text


def _ids(item_ids: Sequence[uuid.UUID | str]) -> list[uuid.UUID]:
    try:
        ids = list(dict.fromkeys(i if isinstance(i, uuid.UUID) else uuid.UUID(str(i)) for i in item_ids))
    except ValueError:
        raise OperationError("not_found", NOT_FOUND) from None
    if not ids:
        raise OperationError("invalid_input", "Choose at least one item.")
    if len(ids) > MAX_ITEMS:
        raise OperationError("invalid_input", f"Decide at most {MAX_ITEMS:,} items at once.")
    return ids


def _record(user_id: int, ids: list[uuid.UUID], approve: bool, reason: str | None) -> tuple[int, list[uuid.UUID], int]:
    """Decide the items in one transaction: ``(mockups decided, product ids decided, skipped)``.

    Raises:
        OperationError: ``not_found`` when any id is unknown or another user's (nothing changes).
    """
    status = "approved" if approve else "rejected"
    now = utcnow()
    with write_session() as s:
        query = select(ApprovalItem).where(ApprovalItem.id.in_(ids))
        if not is_sqlite(s.get_bind()):
            query = query.with_for_update()
        items = list(s.exec(query).all())
        if len(items) != len(ids) or any(i.user_id != user_id for i in items):
            raise OperationError("not_found", NOT_FOUND)
        mockups, products, skipped = 0, [], 0
        for item in items:
            res = s.execute(update(ApprovalItem).where(ApprovalItem.id == item.id, ApprovalItem.status == "pending")
                            .values(status=status, reason=reason, decided_at=now))
            if res.rowcount != 1:
                skipped += 1
            elif item.item_type == "mockup":
                s.execute(update(Mockup).where(Mockup.id == item.item_id, Mockup.user_id == user_id,
                                               Mockup.status == "completed").values(status=status, updated_at=now))
                mockups += 1
            else:
                products.append(item.item_id)
        return mockups, products, skipped


async def _follow_up(user_id: int, product_id: uuid.UUID, approve: bool, reason: str | None) -> str | None:
    """The product's own transition after its item was decided; a user-safe message when it failed."""
    from genpire_app.backend.services import store_publish

    try:
        done = (store_publish.after_approval(user_id, product_id) if approve
                else store_publish.after_rejection(user_id, product_id, reason))
        if inspect.isawaitable(done):
            await done
    except (OperationError, ProviderError) as err:
        return err.message
    except Exception:  # a bug in the follow-up: the item stays decided, the product keeps its status
        log.exception("approval follow-up of product %s failed", product_id)
        return "The product could not be updated after your decision. Please try again from the Products tab."
    return None


async def decide(user_id: int, item_ids: Sequence[uuid.UUID | str], approve: bool, reason: str | None = None) -> Decided:
    """Approve or reject one or many of the user's pending items (issue 11 item 4).

    Args:
        item_ids: approval item ids (``ApprovalRow.id``); "Approve all" passes :func:`pending_ids`.
        approve: True to approve, False to reject.
        reason: required to reject (1-300 characters, whitespace collapsed); ignored when approving.

    Returns:
        :class:`Decided`. Items already decided are skipped (a double click changes nothing).

    Raises:
        OperationError: ``invalid_input`` (no ids, too many, missing reason), ``not_found`` (an id that is
            unknown or another user's: nothing changes).
    """
    ids = _ids(item_ids)
    cleaned = None if approve else _clean_reason(reason)
    mockups, products, skipped = await asyncio.to_thread(_record, user_id, ids, approve, cleaned)
    errors = [e for pid in products if (e := await _follow_up(user_id, pid, approve, cleaned)) is not None]
    push.publish(user_id, Topic.MOCKUPS, *((Topic.STORE,) if products else ()))
    n = mockups + len(products)
    return Decided(approved=n if approve else 0, rejected=0 if approve else n, skipped=skipped, errors=errors)


__all__ = ["ApprovalRow", "Decided", "decide", "pending", "pending_count", "pending_ids"]
