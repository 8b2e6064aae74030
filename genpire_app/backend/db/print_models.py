"""3D print tables (issue 9 items 5 and 8; seed 003 "Print Configuration Page", "Print Configuration &
Cart/Checkout", the Stripe webhook's "Triggers Final Rescaling"; DESIGN.md §4 ``print_job_configs``,
``pricing_models``, §12 "print rescale").

- ``pricing_models``: the print catalogue (technology + material with its colours, finishes and prices), the
  rows ``services.print_pricing.PricingModel`` is made from; the migration seeds ``DEFAULT_MODELS`` with fixed
  ids.
- ``print_job_configs``: one configured print of a user's quick-3D asset (seed 003 ``PrintJobConfig``): the
  options, the target size, the measured mesh it was priced on, the last quote, and what the order made of
  it (the order item, the scaled model version).

Units: lengths in millimetres (the Z-up frame of ``services.mesh_analysis``: width = X, depth = Y, height =
Z), volumes in mm³, money in integer cents (USD). Differences from seed 003: the scaled model is a new,
non-active version of the asset (``scaled_model_id``), never an overwrite of the original (DESIGN.md §12).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from genpire_app.backend.db.fields import json_field as _json
from genpire_app.backend.db.fields import ts_field, user_fk


class PrintConfigStatus(StrEnum):
    """``print_job_configs.status`` (seed 003: a config is saved, added to the cart, then ``ORDERED``)."""

    DRAFT = "DRAFT"
    IN_CART = "IN_CART"
    ORDERED = "ORDERED"


#: Every print config status.
PRINT_CONFIG_STATUSES: tuple[str, ...] = tuple(s.value for s in PrintConfigStatus)
#: Longest remarks for the print shop, characters (seed 003 "Remarks").
MAX_REMARKS_CHARS = 1000
#: Most parts of one configured print (``services.print_pricing.MAX_QUANTITY``).
MAX_PRINT_QUANTITY = 100


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class PricingModelRow(SQLModel, table=True):
    """One printable technology + material of the catalogue (seed 003 ``calculatePriceAction``: "fetches
    pricing models").

    Columns:
        ``technology`` / ``material``: shown names, unique together (e.g. ``FDM`` / ``PLA``).
        ``colors``: JSON list of colour names in display order. ``finishes``: JSON list of
        ``[finish name, surcharge in cents per part]`` in display order.
        ``setup_cents``: per order line; ``cents_per_cm3``: integer cents per cm³ of part volume;
        ``min_part_cents``: least a part costs before its finish (all cents).
        ``max_x_mm`` / ``max_y_mm`` / ``max_z_mm``: build volume in millimetres. ``min_wall_mm``: thinnest
        wall, millimetres (information). ``lead_days``: working days to print and ship.
        ``active``: offered; ``sort_order``: ascending display order.
    Source: seed 003 "Print Configuration Page"; ``services.print_pricing.PricingModel``.
    """

    __tablename__ = "pricing_models"
    __table_args__ = (
        CheckConstraint("setup_cents >= 0 AND cents_per_cm3 >= 0 AND min_part_cents >= 0",
                        name="ck_pricing_models_cents"),
        CheckConstraint("max_x_mm > 0 AND max_y_mm > 0 AND max_z_mm > 0", name="ck_pricing_models_build"),
        CheckConstraint("lead_days >= 0 AND min_wall_mm >= 0", name="ck_pricing_models_lead_wall"),
        UniqueConstraint("technology", "material", name="uq_pricing_models_technology_material"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    technology: str = Field(sa_type=String(40))
    material: str = Field(sa_type=String(80))
    colors: list[str] = _json(list)
    finishes: list[list[Any]] = _json(list)
    setup_cents: int = Field(sa_type=BigInteger)
    cents_per_cm3: int = Field(sa_type=BigInteger)
    min_part_cents: int = Field(sa_type=BigInteger)
    max_x_mm: float
    max_y_mm: float
    max_z_mm: float
    min_wall_mm: float = Field(default=0.0)
    lead_days: int = Field(default=0)
    active: bool = Field(default=True)
    sort_order: int = Field(default=0)


class PrintJobConfig(SQLModel, table=True):
    """A configured print of a user's quick-3D asset (seed 003 ``PrintJobConfig``; DESIGN.md §4).

    Columns:
        ``asset_id``: the asset (deleted with it). ``model_id``: the asset's model version whose GLB was
        measured (NULL when that version was deleted: the config can no longer be sold).
        ``technology`` / ``material`` / ``color`` / ``finish``: options of a ``pricing_models`` row.
        ``quantity``: parts, 1..100. ``remarks``: for the print shop, at most :data:`MAX_REMARKS_CHARS`.
        ``lock_aspect``: the proportions lock of the page. ``target_width_mm`` / ``target_depth_mm`` /
        ``target_height_mm``: the size to print, millimetres (> 0).
        ``mesh``: the measurement of ``model_id`` (``services.mesh_analysis.MeshInfo`` fields: ``extents_mm``
        ``[w, d, h]`` mm, ``volume_mm3``, ``area_mm2``, ``triangles``, ``watertight``, ``repaired``,
        ``reason``), so the cart re-prices without reading the GLB.
        ``total_cents``: the last quote (setup + parts), cents; the cart always prices afresh.
        ``status``: :class:`PrintConfigStatus`. ``order_item_id``: the order line that bought it (set by the
        Stripe webhook). ``scaled_model_id``: the non-active model version scaled to the target size for
        the print (DESIGN.md §12 "print rescale").
    Source: seed 003 "Print Configuration Page", "Print Configuration & Cart/Checkout".
    """

    __tablename__ = "print_job_configs"
    __table_args__ = (
        CheckConstraint(_in("status", PRINT_CONFIG_STATUSES), name="ck_print_job_configs_status"),
        CheckConstraint(f"quantity >= 1 AND quantity <= {MAX_PRINT_QUANTITY}", name="ck_print_job_configs_quantity"),
        CheckConstraint("target_width_mm > 0 AND target_depth_mm > 0 AND target_height_mm > 0",
                        name="ck_print_job_configs_target"),
        CheckConstraint("total_cents >= 0", name="ck_print_job_configs_total"),
        Index("ix_print_job_configs_user_asset", "user_id", "asset_id", "updated_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    asset_id: uuid.UUID = Field(foreign_key="assets.id", index=True, ondelete="CASCADE")
    model_id: uuid.UUID | None = Field(default=None, foreign_key="product_3d_models.id", ondelete="SET NULL")
    technology: str = Field(sa_type=String(40))
    material: str = Field(sa_type=String(80))
    color: str = Field(sa_type=String(40))
    finish: str = Field(sa_type=String(40))
    quantity: int = Field(default=1)
    remarks: str = Field(default="", sa_type=String(MAX_REMARKS_CHARS))
    lock_aspect: bool = Field(default=True)
    target_width_mm: float
    target_depth_mm: float
    target_height_mm: float
    mesh: dict[str, Any] = _json(dict)
    total_cents: int = Field(default=0, sa_type=BigInteger)
    status: str = Field(default=PrintConfigStatus.DRAFT.value, sa_type=String(12))
    order_item_id: uuid.UUID | None = Field(default=None, foreign_key="order_items.id", ondelete="SET NULL")
    scaled_model_id: uuid.UUID | None = Field(default=None, foreign_key="product_3d_models.id", ondelete="SET NULL")
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


__all__ = [
    "MAX_PRINT_QUANTITY", "MAX_REMARKS_CHARS", "PRINT_CONFIG_STATUSES", "PricingModelRow", "PrintConfigStatus",
    "PrintJobConfig",
]
