"""The built-in storefront's data: the user's public store handle, the store lookup with its cache version,
one page of active products, and the public images and logo.

Source: issue 11 item 6 ("Without a connection: the built-in storefront at ``/store/[user handle]``, a public
page listing the user's active products with variants, prices and images, served fast and cacheable"),
item 8 (the store page uses the brand name, logo and palette); DESIGN.md §9 ("Public only what the user
publishes (discovery feed, storefront)").

- ``user_settings.store_handle`` is created on first need from the account e-mail's local part, slugified
  (``a-z0-9-``, 3 to 40 characters), unique with a numeric suffix (``maker``, ``maker-2``).
- :func:`find_store` is ONE indexed query (``user_settings.store_handle`` unique index, then
  ``products (user_id, status)``): the owner, brand, number of active products and the newest
  ``updated_at`` among them. Every change of an active product touches its ``updated_at`` and every status
  change moves the count or the newest time, so :attr:`Store.version` changes whenever the page would; the
  HTTP layer caches rendered pages by (handle, page, version).
- Only ``active`` products, their active variants and their images are ever returned; an image or logo is
  served only through a store whose handle matches its owner (:func:`public_image`, :func:`public_logo`).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import and_, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from genpire_app.backend.db.account_models import LocalUser
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.fields import as_utc
from genpire_app.backend.db.marketing_models import UserSettings
from genpire_app.backend.db.store_models import StoreImage, StoreProduct, StoreVariant
from genpire_app.backend.services import guardrails
from genpire_app.backend.services.store_products import slugify

#: A store handle: lowercase letters, digits and inner hyphens, 3 to 40 characters.
HANDLE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$")
#: Products per storefront page (1,000 active products are 21 pages).
PER_PAGE = 48
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


@dataclass(frozen=True)
class Store:
    """A public store: owner, brand (``palette`` only valid ``#RRGGBB``), how many active products and the
    cache ``version`` (changes whenever the rendered page would)."""

    user_id: int
    handle: str
    brand_name: str
    palette: tuple[str, ...]
    has_logo: bool
    active_count: int
    version: str

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.active_count // PER_PAGE))


@dataclass(frozen=True)
class PublicVariant:
    """A variant on the store page (cents)."""

    title: str
    price_cents: int
    compare_at_cents: int | None


@dataclass(frozen=True)
class PublicImage:
    """An image of an active product: its id (the public URL's last segment) and alt text."""

    id: str
    alt: str


@dataclass(frozen=True)
class PublicProduct:
    """An active product on the store page; ``price_min_cents``/``price_max_cents`` over its variants."""

    id: str
    title: str
    description: str
    handle: str
    images: tuple[PublicImage, ...]
    variants: tuple[PublicVariant, ...]
    price_min_cents: int | None
    price_max_cents: int | None


# ------------------------------------------------------------------------------------------- handles


def handle_from_email(email: str) -> str:
    """The store handle's base for an e-mail: ``"Jane.Doe+shop@x.com"`` -> ``"jane-doe-shop"`` (3 to 34
    characters; padded with ``-store`` when shorter, ``store`` when nothing usable is left)."""
    base = slugify(email.split("@", 1)[0], limit=34) or "store"
    if len(base) < 3:
        base = f"{base}-store"
    return base


def store_handle(user_id: int) -> str:
    """The user's store handle, created on first need (see the module docstring). Blocking (a write the
    first time): call from a worker thread."""
    with read_session() as s:
        row = s.get(UserSettings, user_id)
        if row is not None and row.store_handle:
            return row.store_handle
        user = s.get(LocalUser, user_id)
        email = user.username if user is not None else ""
    base = handle_from_email(email)
    for _ in range(3):  # a concurrent first use may take the same handle: try again
        try:
            with write_session() as s:
                row = guardrails.get_settings_row(s, user_id, lock=True)
                if row.store_handle:
                    return row.store_handle
                taken = set(s.exec(select(UserSettings.store_handle).where(UserSettings.store_handle.like(f"{base}%"))).all())
                handle, n = base, 2
                while handle in taken:
                    handle, n = f"{base}-{n}", n + 1
                row.store_handle = handle
                s.add(row)
                return handle
        except IntegrityError:
            continue
    raise RuntimeError("could not reserve a store handle")


def valid_handle(handle: str) -> bool:
    """Whether ``handle`` has the shape of a store handle (checked before any query)."""
    return bool(HANDLE_RE.fullmatch(handle or ""))


# ------------------------------------------------------------------------------------------- reads


def find_store(handle: str) -> Store | None:
    """The store of ``handle`` with its cache version, in one indexed query; None when unknown."""
    if not valid_handle(handle):
        return None
    active = and_(StoreProduct.user_id == UserSettings.user_id, StoreProduct.status == "active")
    query = (select(UserSettings.user_id, UserSettings.brand, func.count(StoreProduct.id),
                    func.max(StoreProduct.updated_at))
             .select_from(UserSettings).outerjoin(StoreProduct, active)
             .where(UserSettings.store_handle == handle).group_by(UserSettings.user_id))  # brand: functionally dependent on the key
    with read_session() as s:
        row = s.exec(query).first()
    if row is None:
        return None
    user_id, brand, count, newest = row
    brand = brand if isinstance(brand, dict) else {}
    newest = as_utc(newest) if hasattr(newest, "tzinfo") else newest
    version_src = json.dumps([count, str(newest), brand], sort_keys=True, default=str)
    return Store(
        user_id=int(user_id), handle=handle, brand_name=str(brand.get("name") or "")[:120],
        palette=tuple(c.upper() for c in (brand.get("palette") or []) if isinstance(c, str) and _HEX.fullmatch(c))[:8],
        has_logo=bool(brand.get("logo_key")), active_count=int(count),
        version=hashlib.sha256(version_src.encode()).hexdigest()[:20],
    )


def products_page(store: Store, page: int) -> list[PublicProduct]:
    """Page ``page`` (1 = newest published) of the store's active products with their active variants and
    images, in three indexed queries. An out-of-range page gives []."""
    if page < 1 or page > store.pages:
        return []
    with read_session() as s:  # plain columns, no ORM objects: a cache miss renders in a few ms
        rows = s.exec(
            select(StoreProduct.id, StoreProduct.title, StoreProduct.description, StoreProduct.handle)
            .where(StoreProduct.user_id == store.user_id, StoreProduct.status == "active")
            .order_by(StoreProduct.published_at.desc(), StoreProduct.id.desc())
            .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
        ids = [r[0] for r in rows]
        variants: dict[uuid.UUID, list[PublicVariant]] = {i: [] for i in ids}
        images: dict[uuid.UUID, list[tuple[str, str]]] = {i: [] for i in ids}
        if ids:
            for pid, title, price, compare_at in s.exec(
                    select(StoreVariant.product_id, StoreVariant.title, StoreVariant.price_cents,
                           StoreVariant.compare_at_cents)
                    .where(StoreVariant.product_id.in_(ids), StoreVariant.is_active.is_(True))
                    .order_by(StoreVariant.position, StoreVariant.created_at)).all():
                variants[pid].append(PublicVariant(title, int(price), compare_at))
            for pid, image_id, alt in s.exec(
                    select(StoreImage.product_id, StoreImage.id, StoreImage.alt)
                    .where(StoreImage.product_id.in_(ids)).order_by(StoreImage.position, StoreImage.created_at)).all():
                images[pid].append((str(image_id), alt))
    out = []
    for pid, title, description, handle in rows:
        prices = [v.price_cents for v in variants[pid]]
        out.append(PublicProduct(
            id=str(pid), title=title, description=description, handle=handle,
            images=tuple(PublicImage(i, alt or title) for i, alt in images[pid]),
            variants=tuple(variants[pid]),
            price_min_cents=min(prices) if prices else None, price_max_cents=max(prices) if prices else None,
        ))
    return out


def public_image(handle: str, image_id: str) -> str | None:
    """The storage key of image ``image_id`` when it belongs to an ACTIVE product of the store ``handle``
    (one query); None otherwise (unknown store or image, draft / retired product, another store's image)."""
    if not valid_handle(handle):
        return None
    try:
        iid = uuid.UUID(image_id)
    except ValueError:
        return None
    query = (select(StoreImage.file_key).join(StoreProduct, StoreProduct.id == StoreImage.product_id)
             .join(UserSettings, UserSettings.user_id == StoreProduct.user_id)
             .where(StoreImage.id == iid, StoreProduct.status == "active", UserSettings.store_handle == handle))
    with read_session() as s:
        return s.exec(query).first()


def public_logo(handle: str) -> str | None:
    """The storage key of the store's brand logo (``user_settings.brand["logo_key"]``), or None."""
    if not valid_handle(handle):
        return None
    with read_session() as s:
        brand = s.exec(select(UserSettings.brand).where(UserSettings.store_handle == handle)).first()
    key = brand.get("logo_key") if isinstance(brand, dict) else None
    return str(key) if key else None


def format_cents(cents: int) -> str:
    """``2499`` -> ``"$24.99"``, ``123456`` -> ``"$1,234.56"`` (USD)."""
    return f"${cents // 100:,}.{cents % 100:02d}"


def price_range(low: int | None, high: int | None) -> str:
    """``"$24.99"`` or ``"$24.99 – $69.99"``; "" without variants."""
    if low is None or high is None:
        return ""
    return format_cents(low) if low == high else f"{format_cents(low)} – {format_cents(high)}"


__all__ = [
    "PER_PAGE", "PublicImage", "PublicProduct", "PublicVariant", "Store", "find_store", "format_cents",
    "handle_from_email", "price_range", "products_page", "public_image", "public_logo", "store_handle",
    "valid_handle",
]
