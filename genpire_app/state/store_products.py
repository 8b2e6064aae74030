"""The Products tab of ``/marketing`` (issue 11 items 5-7; seed 004 Step 10.3 products list): filters
(status, collection, search), product cards with price range, variant count and performance, keyset
"Show more", the activity log of publish / retire / sync events and the public store link.

Reads go through ``services.store_products`` (list, events), ``services.collections`` (filter choices) and
``services.storefront`` (the store link). A push (``MarketingState.on_push``) calls :meth:`refresh`, which
also reloads the open product editor. The "Create store product" dialog is ``state.store_create``; the
editor ``state.product_editor``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import reflex as rx

from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import collections, store_products
from genpire_app.state.account import ago
from genpire_app.state.buy_credits import money
from genpire_app.state.session import SessionState

PER_PAGE = 12
ACTIVITY_LIMIT = 20
#: Status filter values (``all`` or a product status) and their labels.
STATUS_LABELS = {"draft": "Draft", "pending": "Pending approval", "active": "Active", "retired": "Retired",
                 "archived": "Archived"}


@dataclasses.dataclass
class Option:
    """A choice of a select: value and label."""

    value: str = ""
    label: str = ""


@dataclasses.dataclass
class StoreCard:
    """A product card: first image URL, title, status (and its label), price range ("$24.99 – $69.99"),
    variant count ("6 variants"), performance (views, orders, revenue "$0.00"), sync error, collection."""

    id: str = ""
    title: str = ""
    status: str = ""
    status_label: str = ""
    image: str = ""
    price_range: str = ""
    variants: str = ""
    views: int = 0
    orders: int = 0
    revenue: str = ""
    sync_error: str = ""
    collection: str = ""


@dataclasses.dataclass
class ActivityRow:
    """One activity-log entry: kind, the sentence, and when ("5 min ago")."""

    id: str = ""
    kind: str = ""
    message: str = ""
    time: str = ""


def price_range(low: int | None, high: int | None) -> str:
    """``(2499, 6999)`` -> ``"$24.99 – $69.99"``; equal -> ``"$24.99"``; no variants -> ``"No variants"``."""
    if low is None or high is None:
        return "No variants"
    return money(low) if low == high else f"{money(low)} – {money(high)}"


def variants_label(count: int) -> str:
    """``6`` -> ``"6 variants"``, ``1`` -> ``"1 variant"``."""
    return f"{count} variant{'' if count == 1 else 's'}"


def card(c: store_products.ProductCard, names: dict[str, str]) -> StoreCard:
    """The card row of a listed product (``names``: collection id -> name)."""
    return StoreCard(
        id=c.id, title=c.title, status=c.status, status_label=STATUS_LABELS.get(c.status, c.status.title()),
        image=c.image_url or "", price_range=price_range(c.price_min_cents, c.price_max_cents),
        variants=variants_label(c.variant_count), views=c.views, orders=c.orders, revenue=money(c.revenue_cents),
        sync_error=c.sync_error or "", collection=names.get(c.collection_id or "", ""),
    )


def collection_options(user_id: int) -> list[Option]:
    """The user's collections (newest first, up to 100) as choices (blocking: call in a thread)."""
    page = collections.list_collections(user_id, limit=100)
    return [Option(str(c.id), c.name) for c in page.items]


def activity_rows(user_id: int) -> list[ActivityRow]:
    """The newest activity-log entries (blocking: call in a thread)."""
    now = utcnow()
    page = store_products.events(user_id, limit=ACTIVITY_LIMIT)
    return [ActivityRow(e.id, e.kind, e.message, ago(e.created_at, now)) for e in page.items]


def store_url(user_id: int) -> str:
    """The public store's path (``/store/<handle>``), "" before the user has a handle (blocking)."""
    from genpire_app.backend.services import storefront

    handle = storefront.store_handle(user_id)
    return f"/store/{handle}" if handle else ""


@dataclasses.dataclass(frozen=True)
class Filters:
    """The list filters as the service takes them."""

    status: str | None
    collection_id: uuid.UUID | None
    search: str | None


def _filters(status: str, collection: str, search: str) -> Filters:
    try:
        cid = uuid.UUID(collection) if collection not in ("", "all") else None
    except ValueError:
        cid = None
    return Filters(status if status in STATUS_LABELS else None, cid, search.strip()[:100] or None)


class StoreProductsState(SessionState):
    """Filters, cards, the keyset cursor, the activity log and the store link of the Products tab."""

    status_filter: str = "all"
    collection_filter: str = "all"
    search: str = ""
    cards: list[StoreCard] = []
    next_cursor: str = ""
    products_loaded: bool = False
    loading_more: bool = False
    collection_choices: list[Option] = []
    activity: list[ActivityRow] = []
    store_link: str = ""

    @rx.var
    def filtered(self) -> bool:
        """Whether a filter is set (the empty state then says "no match" instead of "no products")."""
        return self.status_filter != "all" or self.collection_filter != "all" or bool(self.search.strip())

    async def _page(self, uid: int, cursor: str | None) -> tuple[list[StoreCard], str]:
        async with self:
            f = _filters(self.status_filter, self.collection_filter, self.search)
            names = {o.value: o.label for o in self.collection_choices}
        page = await asyncio.to_thread(store_products.list_products, uid, status=f.status,
                                       collection_id=f.collection_id, search=f.search, limit=PER_PAGE, cursor=cursor)
        return [card(c, names) for c in page.items], page.next_cursor or ""

    @rx.event(background=True)
    async def refresh(self):
        """Reload the first page (current filters), the activity log, the collection choices and the store
        link; then the open editor (page load and every store push)."""
        from genpire_app.state.product_editor import ProductEditorState

        uid = await self._uid()
        choices, activity, link = await asyncio.gather(
            asyncio.to_thread(collection_options, uid), asyncio.to_thread(activity_rows, uid),
            asyncio.to_thread(store_url, uid))
        async with self:
            self.collection_choices, self.activity, self.store_link = choices, activity, link
        try:
            cards, cursor = await self._page(uid, None)
        except OperationError as err:
            yield rx.toast.error(err.message)
            return
        async with self:
            self.cards, self.next_cursor, self.products_loaded = cards, cursor, True
        yield ProductEditorState.reload_open

    @rx.event(background=True)
    async def more(self):
        """"Show more": the next page after the cursor, appended."""
        uid = await self._uid()
        async with self:
            cursor, self.loading_more = self.next_cursor, True
        if not cursor:
            async with self:
                self.loading_more = False
            return
        try:
            cards, nxt = await self._page(uid, cursor)
        except OperationError as err:
            async with self:
                self.loading_more = False
            yield rx.toast.error(err.message)
            return
        async with self:
            seen = {c.id for c in self.cards}
            self.cards = self.cards + [c for c in cards if c.id not in seen]
            self.next_cursor, self.loading_more = nxt, False

    @rx.event
    def set_status_filter(self, value: str) -> Any:
        """The status select ("all" or a status)."""
        self.status_filter = value if value in STATUS_LABELS else "all"
        return StoreProductsState.refresh

    @rx.event
    def set_collection_filter(self, value: str) -> Any:
        """The collection select ("all" or a collection id)."""
        self.collection_filter = value or "all"
        return StoreProductsState.refresh

    @rx.event
    def set_search(self, value: str) -> Any:
        """The search box (title or SKU; debounced by the input)."""
        self.search = value[:100]
        return StoreProductsState.refresh

    @rx.event
    def clear_filters(self) -> Any:
        """"Clear filters"."""
        self.status_filter, self.collection_filter, self.search = "all", "all", ""
        return StoreProductsState.refresh
