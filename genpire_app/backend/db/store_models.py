"""Store product tables (issue 11 items 5-7; seed 004 Phase 10 migration 008; DESIGN.md §4 "marketing"):
store products, their variants, images and events, and the pricing table.

Money is integer **cents** (USD). Differences from seed 004:

- A store product comes from a designed product (``product_idea_id``: its views and approved mockups) or a
  quick-3D asset (``asset_id``); ``collection_id`` is a user-defined collection (DESIGN.md §12), not the
  seed's fixed three.
- Variants keep their option values in ``options`` (``{"Size": "8x10", "Finish": "Black frame"}``) besides
  the seed's ``size`` and ``finish`` (its ``frame_style``); digital variants have ``is_digital``.
- Images are our storage keys (``file_key``), ordered by ``position``; Shopify gets signed URLs of them.
- ``product_events`` is the activity log of publish / retire / sync events (issue 11 item 7).
- ``product_pricing`` is in cents with partial unique indexes: one system row per size, one override per
  user and size.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, String, Text, text
from sqlmodel import Field, SQLModel

from genpire_app.backend.db.fields import json_field as _json
from genpire_app.backend.db.fields import ts_field, user_fk

#: Store product statuses (seed 004): draft -> pending (supervised) -> active -> retired | archived.
PRODUCT_STATUSES = ("draft", "pending", "active", "retired", "archived")
#: Where a product image comes from.
IMAGE_SOURCES = ("view", "mockup", "asset", "upload")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class StoreProduct(SQLModel, table=True):
    """A sellable product (seed 004 ``products``). ``handle``: URL slug, unique per user.

    ``total_revenue_cents``: from orders (Shopify ``orders/create`` webhooks); ``total_views``: storefront
    and Shopify views. ``shopify_product_gid``/``shopify_handle`` are set once published to Shopify.
    """

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint(_in("status", PRODUCT_STATUSES), name="ck_products_status"),
        CheckConstraint("source_type IN ('product', 'asset')", name="ck_products_source"),
        Index("ix_products_user_created", "user_id", "created_at", "id"),
        Index("ix_products_user_status", "user_id", "status"),
        Index("uq_products_user_handle", "user_id", "handle", unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    source_type: str = Field(default="product", sa_type=String(10))
    product_idea_id: uuid.UUID | None = Field(default=None, foreign_key="product_ideas.id", ondelete="SET NULL")
    asset_id: uuid.UUID | None = Field(default=None, foreign_key="assets.id", ondelete="SET NULL")
    collection_id: uuid.UUID | None = Field(default=None, foreign_key="collections.id", ondelete="SET NULL")
    title: str = Field(sa_type=String(200))
    description: str = Field(default="", sa_type=Text)
    product_type: str = Field(default="", sa_type=String(80))
    vendor: str = Field(default="", sa_type=String(120))
    tags: list[str] = _json(list)
    handle: str = Field(sa_type=String(120))
    option_names: list[str] = _json(list)
    status: str = Field(default="draft", sa_type=String(20))
    published_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    retired_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    retire_reason: str | None = Field(default=None, sa_type=Text)
    archived_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    shopify_product_gid: str | None = Field(default=None, sa_type=String(120), index=True)
    shopify_handle: str | None = Field(default=None, sa_type=String(255))
    total_views: int = Field(default=0, sa_type=BigInteger)
    total_orders: int = Field(default=0, sa_type=BigInteger)
    total_revenue_cents: int = Field(default=0, sa_type=BigInteger)
    last_synced_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    sync_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


class StoreVariant(SQLModel, table=True):
    """A variant: one combination of option values (seed 004 ``product_variants``), prices in cents."""

    __tablename__ = "product_variants"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="ck_product_variants_price"),
        Index("ix_product_variants_product", "product_id", "position"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    product_id: uuid.UUID = Field(foreign_key="products.id", ondelete="CASCADE")
    user_id: int = user_fk()
    title: str = Field(sa_type=String(200))
    sku: str = Field(default="", sa_type=String(80))
    options: dict[str, Any] = _json()
    size: str | None = Field(default=None, sa_type=String(40))
    finish: str | None = Field(default=None, sa_type=String(40))
    is_digital: bool = Field(default=False)
    price_cents: int = Field(sa_type=BigInteger)
    compare_at_cents: int | None = Field(default=None, sa_type=BigInteger)
    cost_cents: int | None = Field(default=None, sa_type=BigInteger)
    inventory_quantity: int = Field(default=0)
    inventory_policy: str = Field(default="continue", sa_type=String(20))
    shopify_variant_gid: str | None = Field(default=None, sa_type=String(120))
    position: int = Field(default=0)
    is_active: bool = Field(default=True)
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


class StoreImage(SQLModel, table=True):
    """A product image (seed 004 ``product_images``): a storage key, ordered by ``position`` (0 first)."""

    __tablename__ = "product_images"
    __table_args__ = (
        CheckConstraint(_in("source_type", IMAGE_SOURCES), name="ck_product_images_source"),
        Index("ix_product_images_product", "product_id", "position"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    product_id: uuid.UUID = Field(foreign_key="products.id", ondelete="CASCADE")
    user_id: int = user_fk()
    position: int = Field(default=0)
    file_key: str = Field(sa_type=String(500))
    alt: str = Field(default="", sa_type=String(300))
    source_type: str = Field(default="view", sa_type=String(10))
    source_id: uuid.UUID | None = None
    shopify_media_gid: str | None = Field(default=None, sa_type=String(120))
    created_at: datetime = ts_field()


class ProductPricing(SQLModel, table=True):
    """One size's prices (seed 004 ``product_pricing``), cents: ``base_cents`` (unframed / standard),
    ``framed_cents``, ``digital_cents``, ``cost_cents``. ``user_id`` null: the system default row."""

    __tablename__ = "product_pricing"
    __table_args__ = (
        Index("uq_product_pricing_system_size", "size", unique=True,
              sqlite_where=text("user_id IS NULL"), postgresql_where=text("user_id IS NULL")),
        Index("uq_product_pricing_user_size", "user_id", "size", unique=True,
              sqlite_where=text("user_id IS NOT NULL"), postgresql_where=text("user_id IS NOT NULL")),
        CheckConstraint("base_cents >= 0", name="ck_product_pricing_base"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="localuser.id", ondelete="CASCADE")
    size: str = Field(sa_type=String(40))
    base_cents: int = Field(sa_type=BigInteger)
    framed_cents: int | None = Field(default=None, sa_type=BigInteger)
    digital_cents: int | None = Field(default=None, sa_type=BigInteger)
    cost_cents: int | None = Field(default=None, sa_type=BigInteger)
    is_active: bool = Field(default=True)
    is_system: bool = Field(default=False)
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


class ProductEvent(SQLModel, table=True):
    """The store activity log (issue 11 item 7): ``kind`` created | submitted | approved | rejected |
    published | updated | retired | archived | sync_failed | shopify_update | order; ``message`` one
    user-facing sentence; ``data`` small JSON (never a token)."""

    __tablename__ = "product_events"
    __table_args__ = (Index("ix_product_events_user_created", "user_id", "created_at", "id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    product_id: uuid.UUID | None = Field(default=None, foreign_key="products.id", index=True, ondelete="CASCADE")
    kind: str = Field(sa_type=String(30))
    message: str = Field(sa_type=Text)
    data: dict[str, Any] = _json()
    created_at: datetime = ts_field()
