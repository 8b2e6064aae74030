"""Publishing store products: statuses, the approval queue, Shopify sync, retire and archive.

Source: issue 11 items 5 and 6 ("statuses draft -> pending (supervised) -> active -> retired | archived with
dates and reasons"; "publish with the GraphQL Admin API (productSet ...); update on edit; retire with
productUpdate status ARCHIVED"; "Without a connection: the built-in storefront"); seed 004 Step 10.2
(``publishProductToShopify``) and 10.3 (publish / retire routes); DESIGN.md §6 ("shop").

Status machine::

    draft | retired --publish--> pending (supervised: an ApprovalItem, module "products")
                             \\-> active (autopilot, or after_approval)
    pending --after_rejection--> draft
    active --retire(reason)--> retired          draft | retired --archive--> archived

Going active: with a Shopify connection (``services.integrations.shopify_client``) the whole product is
sent with ``ShopifyAdmin.product_set`` (options, variants with SKU / price / compare-at / cost, media as
signed expiring URLs of our stored images) and the product, variant and media gids and the handle are
stored; without one, only the built-in storefront (``/store/<handle>``) lists it. The Shopify call runs
outside any database transaction. When Shopify fails (``ProviderError``, ``userErrors`` included) the
product keeps its previous status, ``sync_error`` is set, a ``sync_failed`` event is recorded and
:class:`StoreSyncError` (user-safe) is raised. Every transition records a ``ProductEvent`` and pushes
``Topic.STORE``. The Shopify token never leaves ``services.integrations`` (no event or error carries it).
"""

from __future__ import annotations

import asyncio
import html
import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.marketing_models import ApprovalItem
from genpire_app.backend.db.store_models import StoreProduct
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.shopify import ShopifyMedia, ShopifyProductInput, ShopifyVariant
from genpire_app.backend.services import guardrails, integrations
from genpire_app.backend.services.store_variants import (
    notify,
    ordered_images,
    ordered_variants,
    owned_product,
    record_event,
)
from genpire_app.backend.storage import sign_path

#: Named retire reasons (seed 004); any other non-empty text up to :data:`MAX_REASON` is kept as written.
RETIRE_REASONS = ("underperformer", "manual", "seasonal")
MAX_REASON = 500
#: Lifetime of the signed image URLs Shopify downloads media from, seconds.
MEDIA_URL_TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class PublishResult:
    """What "Publish" did: ``status`` pending (waiting in the approval queue: ``approval_item_id``) or
    active (``shopify``: also on Shopify); ``message`` one user-facing sentence."""

    product_id: str
    status: str
    message: str
    approval_item_id: str | None = None
    shopify: bool = False


class StoreSyncError(OperationError):
    """Shopify refused or failed (code ``sync_failed``); the message is user-safe; the product kept its
    status and carries the reason in ``sync_error``."""

    def __init__(self, message: str) -> None:
        super().__init__("sync_failed", message)


# ------------------------------------------------------------------------------------------- helpers


def _approval_item(session: Session, product_id: uuid.UUID) -> ApprovalItem | None:
    return session.exec(select(ApprovalItem).where(ApprovalItem.item_type == "product",
                                                   ApprovalItem.item_id == product_id)).first()


def _retire_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise OperationError("invalid_input", "Say why the product is retired (underperformer, manual, seasonal or "
                                              "your own words).")
    if len(text) > MAX_REASON:
        raise OperationError("invalid_input", f"A reason has at most {MAX_REASON} characters.")
    return text.lower() if text.lower() in RETIRE_REASONS else text


def _media_url(key: str) -> str:
    return get_settings().public_url + sign_path(key, ttl_seconds=MEDIA_URL_TTL_SECONDS)


def shopify_input(session: Session, product: StoreProduct, status: str = "ACTIVE") -> ShopifyProductInput:
    """The whole desired Shopify state of ``product``: options in the product's option order with values in
    variant order, variants (cents), media (kept by gid when already on Shopify, else a signed URL valid
    :data:`MEDIA_URL_TTL_SECONDS`), the description as escaped HTML paragraphs."""
    variants = ordered_variants(session, product.id)
    if not variants:
        raise OperationError("invalid_state", "Add at least one variant before publishing.")
    images = ordered_images(session, product.id)
    names = list(product.option_names) or sorted(variants[0].options)
    paragraphs = [p.strip() for p in product.description.split("\n\n") if p.strip()]
    description = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return ShopifyProductInput(
        title=product.title,
        handle=product.shopify_handle or product.handle,
        description_html=description,
        vendor=product.vendor,
        product_type=product.product_type,
        tags=tuple(product.tags),
        status=status,
        variants=tuple(ShopifyVariant(options={n: str(v.options.get(n, "")) for n in names}, sku=v.sku,
                                      price_cents=int(v.price_cents), compare_at_cents=v.compare_at_cents,
                                      cost_cents=v.cost_cents, gid=v.shopify_variant_gid)
                       for v in variants if v.is_active),
        media=tuple(ShopifyMedia(url="" if i.shopify_media_gid else _media_url(i.file_key), alt=i.alt,
                                 gid=i.shopify_media_gid) for i in images),
        gid=product.shopify_product_gid,
    )


def _snapshot(user_id: int, product_id: uuid.UUID) -> ShopifyProductInput:
    with read_session() as s:
        return shopify_input(s, owned_product(s, user_id, product_id))


def _store_result(session: Session, product: StoreProduct, result: Any) -> None:
    """Write the gids and handle of a ``ShopifyProductResult`` onto the product, its variants and images."""
    product.shopify_product_gid, product.shopify_handle = result.gid, result.handle or product.shopify_handle
    product.last_synced_at, product.sync_error = utcnow(), None
    for variant in ordered_variants(session, product.id):
        gid = result.variant_gids.get(variant.sku)
        if gid:
            variant.shopify_variant_gid = gid
            session.add(variant)
    for image, gid in zip(ordered_images(session, product.id), result.media_gids):
        image.shopify_media_gid = gid
        session.add(image)


async def _client(user_id: int) -> Any | None:
    try:
        return await asyncio.to_thread(integrations.shopify_client, user_id)
    except integrations.IntegrationError as err:  # the stored token cannot be read any more
        raise ProviderError(str(err), provider="shopify") from None


def _sync_failed(user_id: int, product_id: uuid.UUID, message: str, action: str) -> None:
    with write_session() as s:
        product = owned_product(s, user_id, product_id, lock=True)
        product.sync_error, product.updated_at = message, utcnow()
        s.add(product)
        record_event(s, user_id, product_id, "sync_failed", f"Shopify {action} failed: {message}", {"action": action})
    notify(user_id, product_id, message)


async def _fail(user_id: int, product_id: uuid.UUID, err: ProviderError, action: str) -> StoreSyncError:
    await asyncio.to_thread(_sync_failed, user_id, product_id, err.message, action)
    return StoreSyncError(err.message)


# ------------------------------------------------------------------------------------------- going live


async def _go_live(user_id: int, product_id: uuid.UUID, expected: str) -> PublishResult:
    """Make a ``expected``-status product active: Shopify first when connected, then the row."""
    try:
        client = await _client(user_id)
    except ProviderError as err:
        raise await _fail(user_id, product_id, err, "publish") from None
    result = None
    if client is not None:
        inp = await asyncio.to_thread(_snapshot, user_id, product_id)
        try:
            result = await client.product_set(inp)
        except ProviderError as err:
            raise await _fail(user_id, product_id, err, "publish") from None

    def write() -> str | None:
        with write_session() as s:
            product = owned_product(s, user_id, product_id, lock=True)
            if result is not None:
                _store_result(s, product, result)
                s.add(product)
            if product.status != expected:  # archived or published meanwhile: keep the gids, change nothing else
                return None
            now = utcnow()
            product.status, product.published_at, product.updated_at = "active", now, now
            product.retired_at, product.retire_reason, product.sync_error = None, None, None
            s.add(product)
            where = "your store and Shopify" if result is not None else "your store"
            record_event(s, user_id, product_id, "published", f"Published “{product.title}” to {where}.",
                         {"shopify": result is not None, "handle": product.shopify_handle or product.handle})
            return product.title

    title = await asyncio.to_thread(write)
    notify(user_id, product_id)
    if title is None:
        raise OperationError("invalid_state", "This product changed meanwhile; reload the page.")
    return PublishResult(str(product_id), "active", f"“{title}” is live.", shopify=result is not None)


async def publish(user_id: int, product_id: uuid.UUID) -> PublishResult:
    """"Publish" a draft (or retired) product: supervised -> pending with an ``ApprovalItem`` (item_type
    "product", module "products"); autopilot -> active (see the module docstring). A pending product whose
    approval item is approved (its Shopify sync failed before) is published again.

    Raises:
        OperationError: ``not_found``; ``invalid_state`` (pending awaiting approval, already active,
            archived, no variant); :class:`StoreSyncError` when Shopify fails (status unchanged).
    """
    def prepare() -> tuple[str, str]:
        with write_session() as s:
            product = owned_product(s, user_id, product_id, lock=True)
            if product.status == "pending":
                item = _approval_item(s, product_id)
                if item is not None and item.status == "approved":
                    return "live", "pending"
                raise OperationError("invalid_state", "This product is already waiting for approval.")
            if product.status not in ("draft", "retired"):
                raise OperationError("invalid_state", f"A {product.status} product cannot be published.")
            if not ordered_variants(s, product_id):
                raise OperationError("invalid_state", "Add at least one variant before publishing.")
            if guardrails.approval_mode(s, user_id, "products") == "autopilot":
                return "live", product.status
            now = utcnow()
            item = _approval_item(s, product_id) or ApprovalItem(user_id=user_id, item_type="product", item_id=product_id)
            item.module, item.status, item.reason, item.decided_at, item.created_at = "products", "pending", None, None, now
            s.add(item)
            product.status, product.updated_at = "pending", now
            s.add(product)
            record_event(s, user_id, product_id, "submitted", f"“{product.title}” is waiting in the approval queue.")
            s.flush()
            return "queued", str(item.id)

    outcome, value = await asyncio.to_thread(prepare)
    if outcome == "queued":
        notify(user_id, product_id)
        return PublishResult(str(product_id), "pending", "Sent to the approval queue.", approval_item_id=value)
    return await _go_live(user_id, product_id, expected=value)


async def after_approval(user_id: int, product_id: uuid.UUID) -> PublishResult:
    """The product's approval item was approved (``services.approvals.decide``): pending -> active as in
    :func:`publish`. An already active product is left as it is.

    Raises:
        OperationError: ``not_found``; ``invalid_state`` (not pending); :class:`StoreSyncError`.
    """
    def check() -> str:
        with write_session() as s:
            product = owned_product(s, user_id, product_id, lock=True)
            if product.status == "pending":
                record_event(s, user_id, product_id, "approved", f"“{product.title}” was approved.")
            return product.status

    status = await asyncio.to_thread(check)
    if status == "active":
        return PublishResult(str(product_id), "active", "Already live.")
    if status != "pending":
        raise OperationError("invalid_state", f"A {status} product is not waiting for approval.")
    return await _go_live(user_id, product_id, expected="pending")


def after_rejection(user_id: int, product_id: uuid.UUID, reason: str | None) -> bool:
    """The product's approval item was rejected: pending -> draft, with a ``rejected`` event carrying the
    reason. Returns False (nothing done) when the product is not pending. Raises ``not_found``."""
    with write_session() as s:
        product = owned_product(s, user_id, product_id, lock=True)
        if product.status != "pending":
            return False
        product.status, product.updated_at = "draft", utcnow()
        s.add(product)
        text = " ".join((reason or "").split())[:MAX_REASON]
        record_event(s, user_id, product_id, "rejected",
                     f"“{product.title}” was rejected" + (f": {text}" if text else "."), {"reason": text})
    notify(user_id, product_id)
    return True


# ------------------------------------------------------------------------------------------- retire / archive


async def retire(user_id: int, product_id: uuid.UUID, reason: str) -> None:
    """"Retire" an active product (seed 004: underperformer | manual | seasonal, or free text): it leaves
    the storefront; on Shopify its status becomes ARCHIVED (``productUpdate``).

    Raises:
        OperationError: ``not_found``; ``invalid_input`` (no reason); ``invalid_state`` (not active);
            :class:`StoreSyncError` when Shopify fails (the product stays active).
    """
    text = _retire_reason(reason)

    def read() -> str | None:
        with read_session() as s:
            product = owned_product(s, user_id, product_id)
            if product.status != "active":
                raise OperationError("invalid_state", "Only an active product can be retired.")
            return product.shopify_product_gid

    gid = await asyncio.to_thread(read)
    on_shopify = False
    if gid:
        try:
            client = await _client(user_id)
            if client is not None:
                await client.set_status(gid, "ARCHIVED")
                on_shopify = True
        except ProviderError as err:
            raise await _fail(user_id, product_id, err, "retire") from None

    def write() -> None:
        with write_session() as s:
            product = owned_product(s, user_id, product_id, lock=True)
            if product.status != "active":
                raise OperationError("invalid_state", "Only an active product can be retired.")
            now = utcnow()
            product.status, product.retired_at, product.retire_reason, product.updated_at = "retired", now, text, now
            if on_shopify:
                product.last_synced_at, product.sync_error = now, None
            s.add(product)
            record_event(s, user_id, product_id, "retired", f"Retired “{product.title}” ({text}).",
                         {"reason": text, "shopify": on_shopify, "shopify_left_listed": bool(gid) and not on_shopify})

    await asyncio.to_thread(write)
    notify(user_id, product_id)


def archive(user_id: int, product_id: uuid.UUID) -> None:
    """Archive a draft or retired product (final; it can no longer be edited or published).

    Raises:
        OperationError: ``not_found``; ``invalid_state`` (pending or active: retire it first).
    """
    with write_session() as s:
        product = owned_product(s, user_id, product_id, lock=True)
        if product.status not in ("draft", "retired"):
            raise OperationError("invalid_state", "Only a draft or retired product can be archived.")
        now = utcnow()
        product.status, product.archived_at, product.updated_at = "archived", now, now
        s.add(product)
        record_event(s, user_id, product_id, "archived", f"Archived “{product.title}”.")
    notify(user_id, product_id)


async def sync_after_edit(user_id: int, product_id: uuid.UUID) -> bool:
    """After an edit of an active product: send it to Shopify again (``productSet`` with its gids) when
    connected. Returns True when Shopify was updated, False when there is nothing to sync (not active, or
    no connection: the built-in store reads the rows directly).

    Raises:
        StoreSyncError: Shopify failed (the edit stays saved; ``sync_error`` and a ``sync_failed`` event).
    """
    def read() -> bool:
        with read_session() as s:
            return owned_product(s, user_id, product_id).status == "active"

    if not await asyncio.to_thread(read):
        return False
    try:
        client = await _client(user_id)
        if client is None:
            return False
        inp = await asyncio.to_thread(_snapshot, user_id, product_id)
        result = await client.product_set(inp)
    except ProviderError as err:
        raise await _fail(user_id, product_id, err, "update") from None

    def write() -> None:
        with write_session() as s:
            product = owned_product(s, user_id, product_id, lock=True)
            _store_result(s, product, result)
            s.add(product)
            record_event(s, user_id, product_id, "updated", f"Updated “{product.title}” on Shopify.", {"shopify": True})

    await asyncio.to_thread(write)
    notify(user_id, product_id)
    return True


__all__ = [
    "MEDIA_URL_TTL_SECONDS", "PublishResult", "RETIRE_REASONS", "StoreSyncError", "after_approval",
    "after_rejection", "archive", "publish", "retire", "shopify_input", "sync_after_edit",
]
