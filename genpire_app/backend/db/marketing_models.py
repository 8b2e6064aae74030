"""Marketing tables (issue 11 items 1-4, 6, 8; seed 004 Phase 9 migration 007; DESIGN.md §4 "marketing"):
per-user settings (guardrails, approval mode, Brand DNA, store handle), mockup scene templates, mockups,
their credit usage, the approval queue and store integrations (Shopify).

Amounts are integer **hundredths of a credit** (DESIGN.md §5); the guardrails count renders (1 credit each).
Pixel coordinates are in the scene background's pixels (origin top left).

Differences from seed 004:

- ``mockups`` renders a *design* (a product view or a quick-3D asset's image): ``source_type`` product|asset
  instead of the seed's print ``asset_id``; ``batch_id`` groups one "Generate mockups" click; ``job_id``
  links the held operation; ``attempts`` / ``error_message`` carry the retry queue's reasons.
- ``mockup_credit_usage`` is written in the capture transaction (one ``generation`` row per captured render,
  ``UNIQUE(mockup_id, operation)``), so the guardrails and the ledger never disagree; the seed's
  ``balance_before/after`` are left out (the ledger has the balance).
- ``user_settings`` keeps the seed's ``guardrails`` JSON and adds ``approval_mode`` / ``module_overrides``
  (seed 004's supervised | autopilot), the Brand DNA profile (seed 000 Phase 1) and the public store handle.
- ``integrations`` stores the Shopify Admin API token and webhook secret encrypted (Fernet; key from the
  environment), never in clear.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from genpire_app.backend.db.fields import json_field as _json
from genpire_app.backend.db.fields import ts_field, user_fk

#: Approval modes (seed 004): supervised puts work into the approval queue, autopilot approves it directly.
APPROVAL_MODES = ("supervised", "autopilot")
#: Modules whose approval mode can be overridden (``user_settings.module_overrides``).
APPROVAL_MODULES = ("mockups", "products")
#: Mockup statuses: queued (held, waiting for a worker), generating, retrying (a failed attempt waits for
#: its backoff), completed (supervised: waiting in the approval queue), failed (released), approved, rejected.
MOCKUP_STATUSES = ("queued", "generating", "retrying", "completed", "failed", "approved", "rejected")
#: Approval item statuses.
APPROVAL_STATUSES = ("pending", "approved", "rejected")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class UserSettings(SQLModel, table=True):
    """One row per user, created on first use with the defaults.

    Columns:
        ``store_handle``: the public storefront's path segment (``/store/<handle>``), 3-40 of ``a-z0-9-``.
        ``guardrails``: ``{"annual_mockup_budget": 3500, "monthly_mockup_soft_limit": 292}`` (renders).
        ``approval_mode``: global supervised | autopilot; ``module_overrides``: ``{"mockups": "autopilot"}``.
        ``brand``: Brand DNA ``{"name", "palette": ["#RRGGBB", ...], "fonts": [...], "tone": [...],
        "logo_key"}`` (empty: no profile).
        ``sku_prefix``: the SKU rule's prefix (seed 004 ``generateSku``; default ``GP``).
    """

    __tablename__ = "user_settings"
    __table_args__ = (CheckConstraint(_in("approval_mode", APPROVAL_MODES), name="ck_user_settings_mode"),)

    user_id: int = Field(foreign_key="localuser.id", primary_key=True, ondelete="CASCADE")
    store_handle: str | None = Field(default=None, sa_type=String(40), unique=True, index=True)
    guardrails: dict[str, Any] = _json()
    approval_mode: str = Field(default="supervised", sa_type=String(20))
    module_overrides: dict[str, Any] = _json()
    brand: dict[str, Any] = _json()
    sku_prefix: str = Field(default="GP", sa_type=String(12))
    updated_at: datetime = ts_field()


class MockupSceneTemplate(SQLModel, table=True):
    """A scene a design is rendered into (seed 004 ``mockup_scene_templates``).

    System scenes have ``user_id`` null, ``is_system`` true and a built-in background drawn by the offline
    compositor (``config["art"]``); user scenes have an uploaded ``background_key``.

    ``config``: ``{"width": px, "height": px, "placement": {"x", "y", "width", "height"} (px),
    "corners": [[x, y] x4, top-left clockwise] | null (perspective), "default_size": {"width", "height"}
    (px of the design before fitting), "art": built-in background name}``.
    ``dm_template_id``: the Dynamic Mockups mockup UUID (``smart_object`` in config) when rendered there.
    """

    __tablename__ = "mockup_scene_templates"
    __table_args__ = (
        Index("uq_scene_templates_system_key", "scene_key", unique=True,
              sqlite_where=text("user_id IS NULL"), postgresql_where=text("user_id IS NULL")),
        Index("ix_scene_templates_user_created", "user_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="localuser.id", ondelete="CASCADE")
    scene_key: str = Field(sa_type=String(60))
    name: str = Field(sa_type=String(80))
    description: str = Field(default="", sa_type=Text)
    dm_template_id: str | None = Field(default=None, sa_type=String(120))
    background_key: str | None = Field(default=None, sa_type=String(500))
    config: dict[str, Any] = _json()
    is_active: bool = Field(default=True)
    is_system: bool = Field(default=False)
    recommended_collections: list[str] = _json(list)
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


class Mockup(SQLModel, table=True):
    """One render of one design into one scene (seed 004 ``mockups``), held and charged by its own job.

    ``design_key``: the storage key of the rendered design (a product view or an asset image);
    ``view``: which product view (front, back, ...) or ``"asset"``. ``file_key``/``thumbnail_key`` are set
    when the render succeeded. ``credits_used``: hundredths captured (0 until then).
    """

    __tablename__ = "mockups"
    __table_args__ = (
        CheckConstraint(_in("status", MOCKUP_STATUSES), name="ck_mockups_status"),
        CheckConstraint("source_type IN ('product', 'asset')", name="ck_mockups_source"),
        Index("ix_mockups_user_created", "user_id", "created_at", "id"),
        Index("ix_mockups_user_status", "user_id", "status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    batch_id: uuid.UUID = Field(index=True)
    job_id: uuid.UUID | None = Field(default=None, index=True)
    source_type: str = Field(default="product", sa_type=String(10))
    product_id: uuid.UUID | None = Field(default=None, foreign_key="product_ideas.id", index=True, ondelete="CASCADE")
    asset_id: uuid.UUID | None = Field(default=None, foreign_key="assets.id", index=True, ondelete="CASCADE")
    view: str = Field(default="front", sa_type=String(20))
    design_key: str = Field(sa_type=String(500))
    scene_id: uuid.UUID = Field(foreign_key="mockup_scene_templates.id", index=True)
    scene_key: str = Field(sa_type=String(60))
    scene_config: dict[str, Any] = _json()
    file_key: str | None = Field(default=None, sa_type=String(500))
    thumbnail_key: str | None = Field(default=None, sa_type=String(500))
    dm_render_id: str | None = Field(default=None, sa_type=String(120))
    dm_metadata: dict[str, Any] = _json()
    credits_used: int = Field(default=0, sa_type=BigInteger)
    status: str = Field(default="queued", sa_type=String(20))
    attempts: int = Field(default=0)
    error_message: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


class MockupCreditUsage(SQLModel, table=True):
    """One captured (``generation``) or refunded render for the guardrails (seed 004 ``mockup_credit_usage``).

    ``amount``: hundredths of a credit; ``year``/``month``: UTC period of the capture.
    """

    __tablename__ = "mockup_credit_usage"
    __table_args__ = (
        UniqueConstraint("mockup_id", "operation", name="uq_mockup_usage_mockup_operation"),
        Index("ix_mockup_usage_user_period", "user_id", "year", "month"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    mockup_id: uuid.UUID | None = Field(default=None, foreign_key="mockups.id", ondelete="SET NULL")
    amount: int = Field(sa_type=BigInteger)
    operation: str = Field(default="generation", sa_type=String(20))
    year: int
    month: int
    created_at: datetime = ts_field()


class ApprovalItem(SQLModel, table=True):
    """An item waiting for the user's decision in supervised mode (seed 004 approval queue).

    ``item_type``: mockup | product; ``item_id`` its id; ``reason``: the rejection reason.
    """

    __tablename__ = "approval_items"
    __table_args__ = (
        CheckConstraint(_in("status", APPROVAL_STATUSES), name="ck_approval_items_status"),
        UniqueConstraint("item_type", "item_id", name="uq_approval_items_item"),
        Index("ix_approval_items_user_status", "user_id", "status", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    module: str = Field(default="mockups", sa_type=String(20))
    item_type: str = Field(sa_type=String(20))
    item_id: uuid.UUID
    status: str = Field(default="pending", sa_type=String(20))
    reason: str | None = Field(default=None, sa_type=Text)
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = ts_field()


class Integration(SQLModel, table=True):
    """A store connection (issue 11 item 6): ``provider`` shopify, ``shop_domain`` ``<name>.myshopify.com``,
    ``token_ciphertext`` / ``webhook_secret_ciphertext`` Fernet tokens (``services.integrations``)."""

    __tablename__ = "integrations"
    __table_args__ = (UniqueConstraint("user_id", "provider", name="uq_integrations_user_provider"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    provider: str = Field(default="shopify", sa_type=String(20))
    shop_domain: str = Field(sa_type=String(255), index=True)
    token_ciphertext: str = Field(sa_type=Text)
    webhook_secret_ciphertext: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()
