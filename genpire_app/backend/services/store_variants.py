"""The parts of a store product: its variants (option combinations, prices) and its images (order, add,
remove), plus the row helpers every store module shares (owner check, activity log, push, sync after edit).

Source: issue 11 item 5 ("variants as option combinations (e.g. size x finish, or digital), prices from the
pricing table ... with compare-at price and cost; ... images ordered by drag and drop"); seed 004 Step 10.2
(variant titles, ``generateSku``, the price choice; see :mod:`services.store_pricing`).

Rules:
- Options are ``Size`` and, when finishes are given or a digital variant is wanted, ``Finish``; the digital
  variant of a size has Finish ``"Digital"`` (``is_digital``, priced ``digital_cents``). A variant's title is
  its values joined by ``" / "`` (``"8x10 / Black frame"``). At most :data:`MAX_VARIANTS` variants.
- Two variants never share an option combination (case-insensitive) nor a SKU (the seed's rule keeps only the
  first three letters of a finish, so "Black frame" and "Black walnut" would collide: refused, rename one).
- Compare-at price: empty, or greater than the price. Money in integer cents.
- Every edit touches the product's ``updated_at`` (the storefront's cache version), records a
  ``ProductEvent`` and, for an active product, calls ``store_publish.sync_after_edit``.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session, select

from genpire_app.backend.db.engine import is_sqlite, write_session
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.marketing_models import Mockup
from genpire_app.backend.db.store_models import ProductEvent, StoreImage, StoreProduct, StoreVariant
from genpire_app.backend.jobs import push
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import store_pricing
from genpire_app.backend.storage import sign_path

T = TypeVar("T")
NOT_FOUND = "This store product does not exist or is not yours."
#: Most variants of one product (Shopify's default limit), sizes and finishes per product, value length.
MAX_VARIANTS, MAX_SIZES, MAX_FINISHES, MAX_VALUE = 100, 20, 10, 40
DIGITAL = "Digital"


# ------------------------------------------------------------------------------------------- shapes


@dataclass(frozen=True)
class VariantPrice:
    """A price override of one variant, cents (None: from the table / no compare-at price)."""

    price_cents: int | None = None
    compare_at_cents: int | None = None


@dataclass(frozen=True)
class VariantRow:
    """A variant as the products tab shows it (cents)."""

    id: str
    title: str
    sku: str
    options: dict[str, Any]
    size: str | None
    finish: str | None
    is_digital: bool
    price_cents: int
    compare_at_cents: int | None
    cost_cents: int | None
    position: int
    shopify_variant_gid: str | None


@dataclass(frozen=True)
class ImageRow:
    """A product image, ``position`` 0 first; ``url`` a signed, expiring URL for the owner's pages."""

    id: str
    position: int
    file_key: str
    alt: str
    source_type: str
    source_id: str | None
    url: str


def variant_row(v: StoreVariant) -> VariantRow:
    """The display row of a variant."""
    return VariantRow(id=str(v.id), title=v.title, sku=v.sku, options=dict(v.options), size=v.size, finish=v.finish,
                      is_digital=v.is_digital, price_cents=int(v.price_cents), compare_at_cents=v.compare_at_cents,
                      cost_cents=v.cost_cents, position=v.position, shopify_variant_gid=v.shopify_variant_gid)


def image_row(i: StoreImage) -> ImageRow:
    """The display row of an image (signed URL)."""
    return ImageRow(id=str(i.id), position=i.position, file_key=i.file_key, alt=i.alt, source_type=i.source_type,
                    source_id=str(i.source_id) if i.source_id else None, url=sign_path(i.file_key))


def ordered_variants(session: Session, product_id: uuid.UUID) -> list[StoreVariant]:
    """The product's variants in position order."""
    return list(session.exec(select(StoreVariant).where(StoreVariant.product_id == product_id)
                             .order_by(StoreVariant.position, StoreVariant.created_at)).all())


def ordered_images(session: Session, product_id: uuid.UUID) -> list[StoreImage]:
    """The product's images in position order."""
    return list(session.exec(select(StoreImage).where(StoreImage.product_id == product_id)
                             .order_by(StoreImage.position, StoreImage.created_at)).all())


# ------------------------------------------------------------------------------------------- shared helpers


def owned_product(session: Session, user_id: int, product_id: uuid.UUID, *, lock: bool = False) -> StoreProduct:
    """The user's store product (row-locked on PostgreSQL when ``lock``).

    Raises:
        OperationError: ``not_found`` when missing or another user's.
    """
    query = select(StoreProduct).where(StoreProduct.id == product_id, StoreProduct.user_id == user_id)
    if lock and not is_sqlite(session.get_bind()):
        query = query.with_for_update()
    product = session.exec(query).first()
    if product is None:
        raise OperationError("not_found", NOT_FOUND)
    return product


def editable(session: Session, user_id: int, product_id: uuid.UUID) -> StoreProduct:
    """The user's product, locked, refusing archived ones (``invalid_state``), its ``updated_at`` touched."""
    product = owned_product(session, user_id, product_id, lock=True)
    if product.status == "archived":
        raise OperationError("invalid_state", "This product is archived; it cannot be changed.")
    product.updated_at = utcnow()
    session.add(product)
    return product


def record_event(session: Session, user_id: int, product_id: uuid.UUID | None, kind: str, message: str,
                 data: dict[str, Any] | None = None) -> ProductEvent:
    """Append an activity-log row in the caller's transaction (``data`` small JSON, never a token)."""
    row = ProductEvent(user_id=user_id, product_id=product_id, kind=kind, message=message, data=dict(data or {}))
    session.add(row)
    return row


def notify(user_id: int, product_id: uuid.UUID | None, message: str | None = None) -> None:
    """Tell the user's open tabs that a store product changed (``Topic.STORE``; call after the commit)."""
    push.publish(user_id, push.Topic.STORE, product_id=product_id, message=message)


async def after_edit(user_id: int, product_id: uuid.UUID, status: str) -> None:
    """After a committed edit: push, and for an active product ``store_publish.sync_after_edit`` (which
    raises its user-safe error when Shopify refuses the update; the edit stays saved)."""
    notify(user_id, product_id)
    if status == "active":
        from genpire_app.backend.services import store_publish  # publish builds on this module

        await store_publish.sync_after_edit(user_id, product_id)


def clean_value(value: object, what: str, limit: int = MAX_VALUE) -> str:
    """An option value / label: whitespace collapsed, 1 to ``limit`` characters (``invalid_input``)."""
    text = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", str(value or "")).split())
    if not 1 <= len(text) <= limit:
        raise OperationError("invalid_input", f"A {what} has 1 to {limit} characters.")
    return text


# ------------------------------------------------------------------------------------------- building


def _unique(values: Sequence[str], what: str, most: int) -> list[str]:
    out: list[str] = []
    for value in values:
        text = clean_value(value, what)
        if text.casefold() in {v.casefold() for v in out}:
            raise OperationError("invalid_input", f"The {what} {text} is listed twice.")
        out.append(text)
    if len(out) > most:
        raise OperationError("invalid_input", f"At most {most} {what}s.")
    return out


def combinations(sizes: Sequence[str], finishes: Sequence[str], digital: bool) -> tuple[list[dict[str, str]], list[str]]:
    """The variants' option values (sizes x finishes, then each size's "Digital" variant when ``digital``)
    and the option names (``["Size"]`` or ``["Size", "Finish"]``).

    A finish named "Digital" counts as ``digital``. Raises ``invalid_input``: no size, duplicates, too many.
    """
    size_list = _unique(sizes, "size", MAX_SIZES)
    if not size_list:
        raise OperationError("invalid_input", "Choose at least one size.")
    finish_list = _unique(finishes, "finish", MAX_FINISHES)
    digital = digital or any(f.casefold() == DIGITAL.casefold() for f in finish_list)
    finish_list = [f for f in finish_list if f.casefold() != DIGITAL.casefold()]
    if digital and not finish_list:
        finish_list = ["Unframed"]
    if not finish_list:
        return [{"Size": s} for s in size_list], ["Size"]
    combos = [{"Size": s, "Finish": f} for s in size_list for f in finish_list]
    combos += [{"Size": s, "Finish": DIGITAL} for s in size_list] if digital else []
    if len(combos) > MAX_VARIANTS:
        raise OperationError("invalid_input", f"At most {MAX_VARIANTS} variants.")
    return combos, ["Size", "Finish"]


def title_of(options: Mapping[str, str], names: Sequence[str]) -> str:
    """``"8x10 / Black frame"``: the values in option order."""
    return " / ".join(options[n] for n in names)


def _combo_key(options: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v.casefold()) for k, v in options.items()))


def check_compare_at(price_cents: int, compare_at_cents: int | None) -> None:
    """Raises ``invalid_input`` unless prices are integer cents >= 0 and compare-at is empty or > price."""
    for value in (price_cents, compare_at_cents):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise OperationError("invalid_input", "Prices are whole numbers of cents, 0 or more.")
    if compare_at_cents is not None and compare_at_cents <= price_cents:
        raise OperationError("invalid_input", "The compare-at price must be higher than the price (or empty).")


def new_variant(session: Session, user_id: int, product: StoreProduct, options: Mapping[str, str], position: int,
                override: VariantPrice | None = None, prefix: str | None = None) -> StoreVariant:
    """A priced variant row for ``options`` (not added to the session).

    Price: ``override.price_cents`` or the table's (:func:`store_pricing.quote`); cost from the table (None
    when the size has no row and the price was given). Raises ``NoPrice`` / ``invalid_input``.
    """
    size = options.get("Size", "")
    finish = options.get("Finish")
    is_digital = (finish or "").casefold() == DIGITAL.casefold()
    override = override or VariantPrice()
    try:
        quote = store_pricing.quote(session, user_id, size, finish, is_digital)
        price, cost = quote.price_cents, quote.cost_cents
    except store_pricing.NoPrice:
        if override.price_cents is None:
            raise
        price, cost = override.price_cents, None
    price = override.price_cents if override.price_cents is not None else price
    check_compare_at(price, override.compare_at_cents)
    prefix = prefix or store_pricing.sku_prefix(session, user_id)
    return StoreVariant(
        product_id=product.id, user_id=user_id, title=title_of(options, product.option_names),
        sku=store_pricing.sku(prefix, product.id, size, None if is_digital else finish, is_digital=is_digital),
        options=dict(options), size=size or None, finish=finish, is_digital=is_digital, price_cents=price,
        compare_at_cents=override.compare_at_cents, cost_cents=cost, position=position,
    )


def _check_unique(variants: Sequence[StoreVariant]) -> None:
    combos: set[tuple[tuple[str, str], ...]] = set()
    skus: dict[str, str] = {}
    for v in variants:
        key = _combo_key(v.options)
        if key in combos:
            raise OperationError("conflict", f"The variant {v.title} already exists.")
        combos.add(key)
        if v.sku in skus:
            raise OperationError("invalid_input", f"{skus[v.sku]} and {v.title} would share the SKU {v.sku}; "
                                                  "rename one of the finishes.")
        skus[v.sku] = v.title


def build_variants(session: Session, user_id: int, product: StoreProduct, combos: Sequence[Mapping[str, str]],
                   prices: Mapping[str, VariantPrice]) -> list[StoreVariant]:
    """Priced variants of a new product (``product.option_names`` set, ``product.id`` flushed).

    ``prices``: overrides keyed by variant title. Raises ``invalid_input`` for an override naming no
    variant, bad prices, "No price for size X — set one under Pricing.", or a SKU collision.
    """
    prefix = store_pricing.sku_prefix(session, user_id)
    titles = {title_of(c, product.option_names) for c in combos}
    unknown = [t for t in prices if t not in titles]
    if unknown:
        raise OperationError("invalid_input", f"There is no variant {unknown[0]}.")
    variants = [new_variant(session, user_id, product, c, i, prices.get(title_of(c, product.option_names)), prefix)
                for i, c in enumerate(combos)]
    _check_unique(variants)
    return variants


# ------------------------------------------------------------------------------------------- variant edits


async def _edit(user_id: int, product_id: uuid.UUID, change: Callable[[Session, StoreProduct], T]) -> T:
    """Run ``change`` on the locked, editable product in one transaction, then :func:`after_edit`."""
    def write() -> tuple[T, str]:
        with write_session() as s:
            product = editable(s, user_id, product_id)
            result = change(s, product)
            s.flush()
            return result, product.status

    result, status = await asyncio.to_thread(write)
    await after_edit(user_id, product_id, status)
    return result


def _variant(session: Session, product: StoreProduct, variant_id: uuid.UUID) -> StoreVariant:
    row = session.get(StoreVariant, variant_id)
    if row is None or row.product_id != product.id or row.user_id != product.user_id:
        raise OperationError("not_found", "This variant does not exist or is not yours.")
    return row


async def add_variant(user_id: int, product_id: uuid.UUID, options: Mapping[str, str], *,
                      price_cents: int | None = None, compare_at_cents: int | None = None) -> VariantRow:
    """"Add variant": one more combination of the product's options (``{"Size": "A4", "Finish": "Oak"}``),
    priced from the table unless ``price_cents`` is given.

    Raises:
        OperationError: ``not_found``; ``conflict`` (that combination exists); ``invalid_input`` (options
            not exactly the product's option names, values, prices, no price in the table, SKU collision,
            too many variants); ``invalid_state`` (archived).
    """
    def change(s: Session, product: StoreProduct) -> VariantRow:
        if sorted(options) != sorted(product.option_names):
            raise OperationError("invalid_input", "Give a value for each option: " + ", ".join(product.option_names) + ".")
        values = {name: clean_value(options[name], name.lower()) for name in product.option_names}
        existing = ordered_variants(s, product.id)
        if len(existing) >= MAX_VARIANTS:
            raise OperationError("invalid_input", f"At most {MAX_VARIANTS} variants.")
        position = max((v.position for v in existing), default=-1) + 1
        row = new_variant(s, user_id, product, values, position, VariantPrice(price_cents, compare_at_cents))
        _check_unique([*existing, row])
        s.add(row)
        record_event(s, user_id, product.id, "updated", f"Added the variant {row.title}.", {"sku": row.sku})
        return variant_row(row)

    return await _edit(user_id, product_id, change)


async def update_variant(user_id: int, product_id: uuid.UUID, variant_id: uuid.UUID, *, price_cents: int,
                         compare_at_cents: int | None) -> VariantRow:
    """Set a variant's price and compare-at price (cents; compare-at empty or greater than the price).

    Raises:
        OperationError: ``not_found`` (product or variant), ``invalid_input``, ``invalid_state``.
    """
    check_compare_at(price_cents, compare_at_cents)

    def change(s: Session, product: StoreProduct) -> VariantRow:
        row = _variant(s, product, variant_id)
        row.price_cents, row.compare_at_cents, row.updated_at = price_cents, compare_at_cents, utcnow()
        s.add(row)
        record_event(s, user_id, product.id, "updated", f"Changed the price of {row.title}.",
                     {"sku": row.sku, "price_cents": price_cents, "compare_at_cents": compare_at_cents})
        return variant_row(row)

    return await _edit(user_id, product_id, change)


async def delete_variant(user_id: int, product_id: uuid.UUID, variant_id: uuid.UUID) -> None:
    """Delete a variant; the last one is kept (a product needs one). Raises ``not_found``,
    ``invalid_state`` (last variant, archived)."""
    def change(s: Session, product: StoreProduct) -> None:
        row = _variant(s, product, variant_id)
        if len(ordered_variants(s, product.id)) <= 1:
            raise OperationError("invalid_state", "A product needs at least one variant.")
        s.delete(row)
        record_event(s, user_id, product.id, "updated", f"Deleted the variant {row.title}.", {"sku": row.sku})

    await _edit(user_id, product_id, change)


# ------------------------------------------------------------------------------------------- images


def approved_mockup_rows(session: Session, user_id: int, *, idea_id: uuid.UUID | None,
                         asset_id: uuid.UUID | None) -> list[Mockup]:
    """The user's approved, rendered mockups of a designed product (or of an asset), oldest first."""
    query = select(Mockup).where(Mockup.user_id == user_id, Mockup.status == "approved", Mockup.file_key.is_not(None))
    query = query.where(Mockup.product_id == idea_id) if idea_id is not None else query.where(Mockup.asset_id == asset_id)
    return list(session.exec(query.order_by(Mockup.created_at, Mockup.id)).all())


def pick_mockups(session: Session, user_id: int, *, idea_id: uuid.UUID | None, asset_id: uuid.UUID | None,
                 wanted: Sequence[uuid.UUID] | None) -> list[Mockup]:
    """The approved mockups of the source: all when ``wanted`` is None, else those, in that order.

    Raises:
        OperationError: ``not_found`` when a wanted id is not an approved mockup of this source and user.
    """
    rows = approved_mockup_rows(session, user_id, idea_id=idea_id, asset_id=asset_id)
    if wanted is None:
        return rows
    by_id = {m.id: m for m in rows}
    if any(m not in by_id for m in wanted):
        raise OperationError("not_found", "That mockup does not exist, is not approved or is not of this product.")
    return [by_id[m] for m in dict.fromkeys(wanted)]


async def reorder_images(user_id: int, product_id: uuid.UUID, ordered_image_ids: Sequence[uuid.UUID]) -> list[ImageRow]:
    """Put the product's images in this order (drag and drop): ``ordered_image_ids`` must be exactly the
    product's image ids. Returns the images in their new order.

    Raises:
        OperationError: ``not_found``; ``invalid_input`` when the ids are not exactly the product's images.
    """
    def change(s: Session, product: StoreProduct) -> list[ImageRow]:
        images = {i.id: i for i in ordered_images(s, product.id)}
        wanted = list(ordered_image_ids)
        if len(wanted) != len(set(wanted)) or set(wanted) != set(images):
            raise OperationError("invalid_input", "The image order does not match this product's images; reload.")
        for position, image_id in enumerate(wanted):
            images[image_id].position = position
            s.add(images[image_id])
        record_event(s, user_id, product.id, "updated", "Reordered the images.")
        return [image_row(images[i]) for i in wanted]

    return await _edit(user_id, product_id, change)


async def remove_image(user_id: int, product_id: uuid.UUID, image_id: uuid.UUID) -> list[ImageRow]:
    """Remove one image (the stored file stays: it is the view's or the mockup's). Returns the rest, in
    order. Raises ``not_found`` (product or image), ``invalid_state`` (archived)."""
    def change(s: Session, product: StoreProduct) -> list[ImageRow]:
        images = ordered_images(s, product.id)
        target = next((i for i in images if i.id == image_id), None)
        if target is None:
            raise OperationError("not_found", "This image does not exist or is not yours.")
        s.delete(target)
        rest = [i for i in images if i.id != image_id]
        for position, image in enumerate(rest):
            image.position = position
            s.add(image)
        record_event(s, user_id, product.id, "updated", "Removed an image.")
        return [image_row(i) for i in rest]

    return await _edit(user_id, product_id, change)


async def add_mockup_images(user_id: int, product_id: uuid.UUID, mockup_ids: Sequence[uuid.UUID]) -> list[ImageRow]:
    """Append approved mockups of the product's source (designed product or asset) as images, skipping
    those already added. Returns all images in order.

    Raises:
        OperationError: ``not_found`` (product, or a mockup that is not an approved mockup of the source
            owned by the user), ``invalid_state`` (archived).
    """
    def change(s: Session, product: StoreProduct) -> list[ImageRow]:
        mockups = pick_mockups(s, user_id, idea_id=product.product_idea_id, asset_id=product.asset_id,
                               wanted=list(mockup_ids)) if (product.product_idea_id or product.asset_id) else []
        if len(mockups) != len(set(mockup_ids)):
            raise OperationError("not_found", "That mockup does not exist, is not approved or is not of this product.")
        images = ordered_images(s, product.id)
        present = {i.source_id for i in images if i.source_type == "mockup"}
        position = max((i.position for i in images), default=-1) + 1
        for m in mockups:
            if m.id in present:
                continue
            image = StoreImage(product_id=product.id, user_id=user_id, position=position, file_key=m.file_key or "",
                               alt=f"{product.title} — mockup"[:300], source_type="mockup", source_id=m.id)
            s.add(image)
            images.append(image)
            position += 1
        record_event(s, user_id, product.id, "updated", "Added mockup images.", {"mockups": len(mockups)})
        return [image_row(i) for i in images]

    return await _edit(user_id, product_id, change)


__all__ = [
    "DIGITAL", "ImageRow", "VariantPrice", "VariantRow", "add_mockup_images", "add_variant", "build_variants",
    "combinations", "delete_variant", "editable", "new_variant", "notify", "owned_product", "record_event",
    "remove_image", "reorder_images", "update_variant",
]
