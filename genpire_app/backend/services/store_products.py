"""Store products: create from a designed product or a quick-3D asset, edit, list, read, activity log.

Source: issue 11 items 5 and 7; seed 004 Step 10.2 (``createProduct``) and Step 10.3 (the products list
with status / collection / search filters). DESIGN.md §4 (every read and write scoped by the owner; another
user's product, mockup, asset or collection is "not found" exactly like a missing one), §12 (user-defined
collections).

- A store product is created from a ``ProductIdea`` with an active revision (its views, in view order, then
  its approved mockups) or from a quick-3D ``Asset`` (its concept image(s), then its approved mockups).
  Title and description come from the source unless given. Variants are the option combinations built by
  :mod:`services.store_variants` (sizes x finishes, optionally a "Digital" variant per size), priced from
  the table (:mod:`services.store_pricing`) unless overridden. ``handle`` is a slug unique per user.
- Statuses and publishing live in :mod:`services.store_publish`; variant and image edits in
  :mod:`services.store_variants`. Edits of an active product call ``store_publish.sync_after_edit``.
- Lists page by keyset on ``(created_at DESC, id DESC)`` with opaque cursors (``services.assets``' format).

Money in integer cents. Every change records a :class:`ProductEvent` (the activity log) and publishes a
``Topic.STORE`` push to the user's open tabs after the commit.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func, or_, tuple_
from sqlmodel import Session, select

from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.fields import as_utc
from genpire_app.backend.db.model3d_models import Collection
from genpire_app.backend.db.quick3d_models import Asset
from genpire_app.backend.db.store_models import PRODUCT_STATUSES, ProductEvent, StoreImage, StoreProduct, StoreVariant
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import assets as assets_service
from genpire_app.backend.services import store_pricing
from genpire_app.backend.services.products import derive_name, user_description
from genpire_app.backend.services.store_variants import (
    ImageRow,
    VariantPrice,
    VariantRow,
    after_edit,
    approved_mockup_rows,
    build_variants,
    combinations,
    editable,
    image_row,
    notify,
    ordered_images,
    ordered_variants,
    owned_product,
    pick_mockups,
    record_event,
    variant_row,
)
from genpire_app.backend.storage import sign_path

T = TypeVar("T")
NOT_FOUND = "This store product does not exist or is not yours."
MAX_TITLE, MAX_DESCRIPTION, MAX_TAGS, MAX_TAG = 200, 5000, 20, 40
DEFAULT_LIMIT, MAX_LIMIT = 24, 100


# ------------------------------------------------------------------------------------------- shapes


@dataclass(frozen=True)
class NewStoreProduct:
    """What "Create store product" sends.

    ``source_type``: ``"product"`` (``source_id`` a ``ProductIdea``) or ``"asset"`` (a quick-3D ``Asset``).
    ``sizes`` x ``finishes`` are the variants (``finishes`` empty: one option, Size); ``digital`` adds a
    "Digital" finish per size. ``mockup_ids``: the approved mockups to add (None: all of the source's).
    ``prices``: overrides keyed by variant title (``"8x10 / Black frame"``).
    """

    source_type: str
    source_id: uuid.UUID
    sizes: tuple[str, ...]
    finishes: tuple[str, ...] = ("Unframed",)
    digital: bool = False
    title: str | None = None
    description: str | None = None
    collection_id: uuid.UUID | None = None
    tags: tuple[str, ...] = ()
    mockup_ids: tuple[uuid.UUID, ...] | None = None
    prices: Mapping[str, VariantPrice] = field(default_factory=dict)


@dataclass(frozen=True)
class ProductDetail:
    """One store product with its variants and images (owner view; cents)."""

    id: str
    title: str
    description: str
    handle: str
    status: str
    source_type: str
    product_idea_id: str | None
    asset_id: str | None
    collection_id: str | None
    tags: list[str]
    option_names: list[str]
    published_at: datetime | None
    retired_at: datetime | None
    retire_reason: str | None
    archived_at: datetime | None
    shopify_product_gid: str | None
    shopify_handle: str | None
    sync_error: str | None
    last_synced_at: datetime | None
    views: int
    orders: int
    revenue_cents: int
    variants: tuple[VariantRow, ...]
    images: tuple[ImageRow, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ProductCard:
    """A products-list card: price range (cents), variant count, performance and the first image."""

    id: str
    title: str
    handle: str
    status: str
    collection_id: str | None
    price_min_cents: int | None
    price_max_cents: int | None
    variant_count: int
    views: int
    orders: int
    revenue_cents: int
    image_key: str | None
    image_url: str | None
    sync_error: str | None
    published_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class EventRow:
    """One activity-log entry (``kind`` see ``ProductEvent``)."""

    id: str
    product_id: str | None
    kind: str
    message: str
    data: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class MockupRow:
    """An approved mockup that can become a product image; ``url`` signed (thumbnail when there is one)."""

    id: str
    file_key: str
    scene_key: str
    view: str
    url: str
    created_at: datetime


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, newest first; ``next_cursor`` None on the last page."""

    items: list[T]
    next_cursor: str | None


# ------------------------------------------------------------------------------------------- shared helpers


def clean_text(value: str | None, limit: int, what: str, *, required: bool = False) -> str:
    """``value`` without control characters, trimmed (single-line ``what``s also whitespace-collapsed)."""
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", (value or "")).strip()
    if required:
        text = " ".join(text.split())
        if not text:
            raise OperationError("invalid_input", f"The {what} cannot be empty.")
    if len(text) > limit:
        raise OperationError("invalid_input", f"The {what} has at most {limit} characters.")
    return text


def _tags(tags: Sequence[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        t = " ".join(str(tag).split())[:MAX_TAG]
        if t and t.casefold() not in {x.casefold() for x in out}:
            out.append(t)
    if len(out) > MAX_TAGS:
        raise OperationError("invalid_input", f"At most {MAX_TAGS} tags.")
    return out


def slugify(text: str, limit: int = 100) -> str:
    """``"Café Tote — Blue!"`` -> ``"cafe-tote-blue"`` (ASCII letters, digits and single hyphens)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:limit].strip("-")


def unique_handle(session: Session, user_id: int, title: str) -> str:
    """A handle from ``title`` not yet used by the user's products (``tote``, ``tote-2``, ...)."""
    base = slugify(title) or "product"
    taken = set(session.exec(select(StoreProduct.handle).where(
        StoreProduct.user_id == user_id, StoreProduct.handle.like(f"{base}%"))).all())
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def owned_collection(session: Session, user_id: int, collection_id: uuid.UUID | None) -> uuid.UUID | None:
    """``collection_id`` when it is the user's collection (None passes). Raises ``not_found``."""
    if collection_id is None:
        return None
    row = session.get(Collection, collection_id)
    if row is None or row.user_id != user_id:
        raise OperationError("not_found", "This collection does not exist or is not yours.")
    return collection_id


# ------------------------------------------------------------------------------------------- sources


def _source_images(session: Session, user_id: int, spec: NewStoreProduct) -> tuple[str, str, list[tuple[str, str, uuid.UUID | None, str]]]:
    """(title, description, [(file_key, source_type, source_id, label)]) of the source, owner-checked."""
    if spec.source_type == "product":
        idea = repo.owned_product(session, user_id=user_id, product_id=spec.source_id)
        if idea is None:
            raise OperationError("not_found", "This product does not exist or is not yours.")
        views = repo.active_revision(session, product_id=idea.id)
        if not views:
            raise OperationError("invalid_state", "Generate the product's views before creating a store product.")
        images = [(v.image_key, "view", v.id, f"{v.view_type} view") for v in views]
        mockups = pick_mockups(session, user_id, idea_id=idea.id, asset_id=None, wanted=spec.mockup_ids)
        shots = [(m.file_key, "mockup", m.id, "mockup") for m in mockups]
        # The front view leads, the approved mockups follow (a listing shows its first few images), then the rest.
        return idea.name, user_description(idea.prompt), images[:1] + shots + images[1:]  # type: ignore[operator]
    if spec.source_type == "asset":
        asset: Asset = assets_service.owned(session, user_id=user_id, asset_id=spec.source_id)
        keys = list(asset.concept_keys)
        if asset.selected_concept is not None and 0 <= asset.selected_concept < len(keys):
            keys.insert(0, keys.pop(asset.selected_concept))
        if not keys and asset.input_image_key:
            keys = [asset.input_image_key]
        if not keys:
            raise OperationError("invalid_state", "This model has no image yet.")
        images = [(k, "asset", asset.id, "image") for k in keys]
        mockups = pick_mockups(session, user_id, idea_id=None, asset_id=asset.id, wanted=spec.mockup_ids)
        title = derive_name(asset.prompt) if asset.prompt.strip() else "Untitled model"
        return title, asset.prompt, images + [(m.file_key, "mockup", m.id, "mockup") for m in mockups]  # type: ignore[misc]
    raise OperationError("invalid_input", "A store product comes from a product or a quick-3D model.")


# ------------------------------------------------------------------------------------------- create / edit


def create_store_product(user_id: int, spec: NewStoreProduct) -> ProductDetail:
    """Create a draft store product from ``spec`` ("Create store product"; seed 004 ``createProduct``).

    Returns the new product with its variants (priced from the user's table unless ``spec.prices`` says
    otherwise; cost from the table) and images (a designed product: its front view, the approved mockups, then
    its other views; an asset: its images, then the approved mockups).

    Raises:
        OperationError: ``not_found`` (another user's or a missing product, asset, mockup or collection),
            ``invalid_state`` (a product without views, an asset without images), ``invalid_input`` (title,
            sizes, finishes, prices, "No price for size X — set one under Pricing.", SKU collisions).
    """
    store_pricing.ensure_system_pricing()
    combos, option_names = combinations(spec.sizes, spec.finishes, spec.digital)
    with write_session() as s:
        title, description, images = _source_images(s, user_id, spec)
        title = clean_text(spec.title if spec.title is not None else title[:MAX_TITLE], MAX_TITLE, "title", required=True)
        description = clean_text(spec.description if spec.description is not None else description[:MAX_DESCRIPTION],
                                 MAX_DESCRIPTION, "description")
        product = StoreProduct(
            user_id=user_id, source_type=spec.source_type, title=title, description=description,
            product_idea_id=spec.source_id if spec.source_type == "product" else None,
            asset_id=spec.source_id if spec.source_type == "asset" else None,
            collection_id=owned_collection(s, user_id, spec.collection_id), tags=_tags(spec.tags),
            handle=unique_handle(s, user_id, title), option_names=option_names, status="draft",
        )
        s.add(product)
        s.flush()
        variants = build_variants(s, user_id, product, combos, spec.prices)
        s.add_all(variants)
        s.add_all(StoreImage(product_id=product.id, user_id=user_id, position=i, file_key=key,
                             alt=f"{title} — {label}"[:300], source_type=kind, source_id=source_id)
                  for i, (key, kind, source_id, label) in enumerate(images))
        record_event(s, user_id, product.id, "created", f"Created “{title}” with {len(variants)} variants.",
                     {"variants": len(variants), "images": len(images)})
        s.flush()
        detail = _detail(s, product)
    notify(user_id, product.id)
    return detail


_UNSET: Any = object()


async def update_product(user_id: int, product_id: uuid.UUID, *, title: str | None = None,
                         description: str | None = None, tags: Sequence[str] | None = None,
                         collection_id: uuid.UUID | None = _UNSET, product_type: str | None = None,
                         vendor: str | None = None) -> ProductDetail:
    """Edit the product's fields (None / not given: unchanged; ``collection_id=None`` clears it). An active
    product is then synced (``store_publish.sync_after_edit``).

    Raises:
        OperationError: ``not_found``, ``invalid_state`` (archived), ``invalid_input`` (lengths), and the
            sync's user-safe error (the edit itself stays saved).
    """
    def write() -> tuple[ProductDetail, str]:
        with write_session() as s:
            product = editable(s, user_id, product_id)
            if title is not None:
                product.title = clean_text(title, MAX_TITLE, "title", required=True)
            if description is not None:
                product.description = clean_text(description, MAX_DESCRIPTION, "description")
            if tags is not None:
                product.tags = _tags(tags)
            if collection_id is not _UNSET:
                product.collection_id = owned_collection(s, user_id, collection_id)
            if product_type is not None:
                product.product_type = clean_text(product_type, 80, "product type")
            if vendor is not None:
                product.vendor = clean_text(vendor, 120, "vendor")
            s.add(product)
            record_event(s, user_id, product.id, "updated", f"Edited “{product.title}”.")
            s.flush()
            return _detail(s, product), product.status

    detail, status = await asyncio.to_thread(write)
    await after_edit(user_id, product_id, status)
    return detail


# ------------------------------------------------------------------------------------------- reads


def _detail(session: Session, p: StoreProduct) -> ProductDetail:
    def sid(value: uuid.UUID | None) -> str | None:
        return str(value) if value else None

    return ProductDetail(
        id=str(p.id), title=p.title, description=p.description, handle=p.handle, status=p.status,
        source_type=p.source_type, product_idea_id=sid(p.product_idea_id), asset_id=sid(p.asset_id),
        collection_id=sid(p.collection_id), tags=list(p.tags), option_names=list(p.option_names),
        published_at=as_utc(p.published_at), retired_at=as_utc(p.retired_at), retire_reason=p.retire_reason,
        archived_at=as_utc(p.archived_at), shopify_product_gid=p.shopify_product_gid,
        shopify_handle=p.shopify_handle, sync_error=p.sync_error, last_synced_at=as_utc(p.last_synced_at),
        views=int(p.total_views), orders=int(p.total_orders), revenue_cents=int(p.total_revenue_cents),
        variants=tuple(variant_row(v) for v in ordered_variants(session, p.id)),
        images=tuple(image_row(i) for i in ordered_images(session, p.id)),
        created_at=as_utc(p.created_at), updated_at=as_utc(p.updated_at),  # type: ignore[arg-type]
    )


def get_product(user_id: int, product_id: uuid.UUID) -> ProductDetail:
    """The user's store product with variants and images. Raises ``not_found``."""
    with read_session() as s:
        return _detail(s, owned_product(s, user_id, product_id))


def _limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


def _like(text: str) -> str:
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_products(user_id: int, *, status: str | None = None, collection_id: uuid.UUID | None = None,
                  search: str | None = None, limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> Page[ProductCard]:
    """One page of the user's store products, newest first (seed 004 Step 10.3 ``GET /api/products``).

    Filters: ``status`` (one of ``PRODUCT_STATUSES``), ``collection_id``, ``search`` (title or a variant's
    SKU, case-insensitive substring). ``cursor``: the previous page's ``next_cursor``; ``limit`` 1-100.

    Raises:
        OperationError: ``invalid_input`` for an unknown status or a malformed cursor.
    """
    if status is not None and status not in PRODUCT_STATUSES:
        raise OperationError("invalid_input", f"Unknown status {status!r}.")
    n = _limit(limit)
    query = select(StoreProduct).where(StoreProduct.user_id == user_id)
    if status:
        query = query.where(StoreProduct.status == status)
    if collection_id is not None:
        query = query.where(StoreProduct.collection_id == collection_id)
    if search and search.strip():
        pattern = _like(search)
        skus = select(StoreVariant.product_id).where(StoreVariant.user_id == user_id,
                                                     func.lower(StoreVariant.sku).like(pattern, escape="\\"))
        query = query.where(or_(func.lower(StoreProduct.title).like(pattern, escape="\\"), StoreProduct.id.in_(skus)))
    if cursor:
        at, last = assets_service.decode_cursor(cursor)
        query = query.where(tuple_(StoreProduct.created_at, StoreProduct.id) < tuple_(at, last))
    with read_session() as s:
        rows = list(s.exec(query.order_by(StoreProduct.created_at.desc(), StoreProduct.id.desc()).limit(n + 1)).all())
        more, rows = len(rows) > n, rows[:n]
        ids = [r.id for r in rows]
        ranges = {pid: (lo, hi, count) for pid, lo, hi, count in s.exec(
            select(StoreVariant.product_id, func.min(StoreVariant.price_cents), func.max(StoreVariant.price_cents),
                   func.count()).where(StoreVariant.product_id.in_(ids), StoreVariant.is_active.is_(True))
            .group_by(StoreVariant.product_id)).all()} if ids else {}
        first: dict[uuid.UUID, str] = {}
        if ids:
            for pid, key in s.exec(select(StoreImage.product_id, StoreImage.file_key).where(StoreImage.product_id.in_(ids))
                                   .order_by(StoreImage.product_id, StoreImage.position, StoreImage.created_at)).all():
                first.setdefault(pid, key)
    cards = []
    for r in rows:
        lo, hi, count = ranges.get(r.id, (None, None, 0))
        key = first.get(r.id)
        cards.append(ProductCard(
            id=str(r.id), title=r.title, handle=r.handle, status=r.status,
            collection_id=str(r.collection_id) if r.collection_id else None,
            price_min_cents=None if lo is None else int(lo), price_max_cents=None if hi is None else int(hi),
            variant_count=int(count), views=int(r.total_views), orders=int(r.total_orders),
            revenue_cents=int(r.total_revenue_cents), image_key=key, image_url=sign_path(key) if key else None,
            sync_error=r.sync_error, published_at=as_utc(r.published_at), created_at=as_utc(r.created_at),  # type: ignore[arg-type]
        ))
    next_cursor = assets_service.encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(cards, next_cursor)


def events(user_id: int, product_id: uuid.UUID | None = None, *, limit: int = 50,
           cursor: str | None = None) -> Page[EventRow]:
    """The activity log (publish / retire / sync events ...), newest first; one product's when
    ``product_id`` is given (owner-checked: ``not_found``). Keyset on ``(created_at, id)``."""
    n = _limit(limit)
    query = select(ProductEvent).where(ProductEvent.user_id == user_id)
    with read_session() as s:
        if product_id is not None:
            owned_product(s, user_id, product_id)
            query = query.where(ProductEvent.product_id == product_id)
        if cursor:
            at, last = assets_service.decode_cursor(cursor)
            query = query.where(tuple_(ProductEvent.created_at, ProductEvent.id) < tuple_(at, last))
        rows = list(s.exec(query.order_by(ProductEvent.created_at.desc(), ProductEvent.id.desc()).limit(n + 1)).all())
    more, rows = len(rows) > n, rows[:n]
    items = [EventRow(id=str(e.id), product_id=str(e.product_id) if e.product_id else None, kind=e.kind,
                      message=e.message, data=dict(e.data), created_at=as_utc(e.created_at)) for e in rows]  # type: ignore[arg-type]
    return Page(items, assets_service.encode_cursor(rows[-1].created_at, rows[-1].id) if more else None)


def approved_mockups(user_id: int, product_idea_id: uuid.UUID | None = None, *,
                     asset_id: uuid.UUID | None = None) -> list[MockupRow]:
    """The user's approved mockups of a designed product (or of a quick-3D asset), oldest first: what
    "Create store product" and "add from approved mockups" offer. Another user's source gives []."""
    if (product_idea_id is None) == (asset_id is None):
        raise OperationError("invalid_input", "Name a product or a model.")
    with read_session() as s:
        rows = approved_mockup_rows(s, user_id, idea_id=product_idea_id, asset_id=asset_id)
    return [MockupRow(id=str(m.id), file_key=m.file_key or "", scene_key=m.scene_key, view=m.view,
                      url=sign_path(m.thumbnail_key or m.file_key or ""), created_at=as_utc(m.created_at))  # type: ignore[arg-type]
            for m in rows]


__all__ = [
    "EventRow", "ImageRow", "MockupRow", "NewStoreProduct", "Page", "ProductCard", "ProductDetail", "VariantPrice",
    "VariantRow", "approved_mockups", "create_store_product", "events", "get_product", "list_products",
    "update_product",
]
