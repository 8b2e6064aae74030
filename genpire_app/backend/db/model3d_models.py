"""3D tables: generated 3D models with their versions, and user-defined collections of products
(seed 002 "Database Schema"; DESIGN.md §4 and §12; issue 8 items 2 and 6).

Differences from seed 002, on purpose:
- the source is three nullable foreign keys (``product_id`` / ``collection_id`` / ``asset_id``) instead of an untyped
  ``source_id``, with a check that exactly the one named by ``source_type`` is set;
- files are storage keys in our storage (DESIGN.md §12 "3D proxy"), never the provider's URLs;
- a version is active only once it SUCCEEDED (check ``ck_p3m_active_succeeded``), and at most one version
  per source is active (partial unique indexes ``uq_p3m_active_product`` / ``_collection`` / ``_asset``);
- the seed's triggers (version numbering, deactivation) are done in ``services.models3d`` inside one
  transaction, with the unique indexes as the last line of defence.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, Index, String, Text, text
from sqlmodel import Field, SQLModel

from genpire_app.backend.db.fields import ts_field, user_fk
from genpire_app.backend.db.fields import JSONType
from genpire_app.backend.db.fields import json_field as _json
from genpire_app.backend.providers.model3d import ModelTaskStatus


#: A row's ``status`` is its provider task's status: one vocabulary (seed 002's, plus Meshy's CANCELED).
ModelStatus = ModelTaskStatus


#: States a task never leaves (issue 8 item 4: "never move backwards").
TERMINAL_STATUSES: frozenset[str] = frozenset(
    {ModelStatus.SUCCEEDED.value, ModelStatus.FAILED.value, ModelStatus.CANCELED.value, ModelStatus.EXPIRED.value}
)
#: Source kinds of a 3D model (seed 002 ``source_type``; DESIGN.md §4: ``asset`` is a quick-3D asset, seed 003 §4).
SOURCE_TYPES: tuple[str, ...] = ("product", "collection", "asset")
#: Providers that make 3D models (issue 8 item 1).
PROVIDERS: tuple[str, ...] = ("meshy", "offline")


def _in_list(column: str, values: tuple[str, ...] | frozenset[str] | list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Collection(SQLModel, table=True):
    """A user-defined group of products (DESIGN.md §12 "collections"; issue 8 item 6). ``name``: 1-80
    characters, validated by ``services.models3d.create_collection``."""

    __tablename__ = "collections"
    __table_args__ = (Index("ix_collections_user_created", "user_id", "created_at", "id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    name: str = Field(sa_type=String(80))
    created_at: datetime = ts_field()


class CollectionProduct(SQLModel, table=True):
    """A product in a collection; ``position`` orders the products (0 first). Both rows belong to the same
    user (checked by the service, the database only knows the foreign keys)."""

    __tablename__ = "collection_products"

    collection_id: uuid.UUID = Field(foreign_key="collections.id", primary_key=True, ondelete="CASCADE")
    product_id: uuid.UUID = Field(foreign_key="product_ideas.id", primary_key=True, index=True, ondelete="CASCADE")
    position: int = Field(default=0)


class Product3DModel(SQLModel, table=True):
    """One version of the 3D model of a product, a collection or a quick-3D asset (seed 002
    ``product_3d_models``; DESIGN.md §4).

    Columns:
        ``source_type``: product | collection | asset; exactly the matching one of ``product_id``
        (``product_ideas``), ``collection_id`` (``collections``) and ``asset_id`` (``assets``) is set. ``version``: 1, 2, ... per source.
        ``status``: a :class:`ModelStatus` value; ``progress``: 0-100 percent, never decreasing.
        ``provider``: meshy | offline; ``provider_task_id``: the provider's task id (unique when set);
        ``task_kind``: e.g. ``multi-image-to-3d``, ``image-to-3d``, ``offline-carve``.
        ``model_files``: format (``glb``, ``usdz``, ``obj`` ...) -> storage key; ``thumbnail_key``: storage
        key; ``texture_keys``: ``[{"base_color": key, "metallic": key, ...}]``; ``input_image_ids``: ids of
        the ``product_multiview_revisions`` rows (views) the model was made from.
        ``revision_id``: the front-view row of the revision the model was made from (a revision is the set of
        rows sharing a ``revision_number``; ``revision_number`` repeats that number). ``hold_id``: the credit
        hold of the generation (DESIGN.md §5; amounts in hundredths live on the hold).
        ``started_at``: first IN_PROGRESS; ``finished_at``: reaching a terminal state.
    """

    __tablename__ = "product_3d_models"
    __table_args__ = (
        CheckConstraint(_in_list("source_type", SOURCE_TYPES), name="ck_p3m_source_type"),
        CheckConstraint(
            "(source_type = 'product' AND product_id IS NOT NULL AND collection_id IS NULL AND asset_id IS NULL)"
            " OR (source_type = 'collection' AND collection_id IS NOT NULL AND product_id IS NULL"
            " AND asset_id IS NULL)"
            " OR (source_type = 'asset' AND asset_id IS NOT NULL AND product_id IS NULL AND collection_id IS NULL)",
            name="ck_p3m_one_source",
        ),
        CheckConstraint(_in_list("status", [s.value for s in ModelStatus]), name="ck_p3m_status"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="ck_p3m_progress"),
        CheckConstraint(_in_list("provider", PROVIDERS), name="ck_p3m_provider"),
        CheckConstraint("version >= 1", name="ck_p3m_version"),
        CheckConstraint("NOT is_active OR status = 'SUCCEEDED'", name="ck_p3m_active_succeeded"),
        Index("ix_p3m_user_created", "user_id", "created_at"),
        Index("ix_p3m_status_created", "status", "created_at"),
        Index("uq_p3m_product_version", "product_id", "version", unique=True),
        Index("uq_p3m_collection_version", "collection_id", "version", unique=True),
        Index("uq_p3m_asset_version", "asset_id", "version", unique=True),
        Index(
            "uq_p3m_active_product",
            "product_id",
            unique=True,
            sqlite_where=text("is_active = 1"),
            postgresql_where=text("is_active = true"),
        ),
        Index(
            "uq_p3m_active_collection",
            "collection_id",
            unique=True,
            sqlite_where=text("is_active = 1"),
            postgresql_where=text("is_active = true"),
        ),
        Index(
            "uq_p3m_active_asset",
            "asset_id",
            unique=True,
            sqlite_where=text("is_active = 1"),
            postgresql_where=text("is_active = true"),
        ),
        Index(
            "uq_p3m_provider_task",
            "provider_task_id",
            unique=True,
            sqlite_where=text("provider_task_id IS NOT NULL"),
            postgresql_where=text("provider_task_id IS NOT NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    source_type: str = Field(sa_type=String(20))
    product_id: uuid.UUID | None = Field(default=None, foreign_key="product_ideas.id", ondelete="CASCADE")
    collection_id: uuid.UUID | None = Field(default=None, foreign_key="collections.id", ondelete="CASCADE")
    asset_id: uuid.UUID | None = Field(default=None, foreign_key="assets.id", ondelete="CASCADE")
    version: int = Field(default=1)
    is_active: bool = Field(default=False)
    status: str = Field(default=ModelStatus.PENDING.value, sa_type=String(20))
    progress: int = Field(default=0)
    provider: str = Field(sa_type=String(20))
    provider_task_id: str | None = Field(default=None, sa_type=String(200))
    task_kind: str = Field(default="", sa_type=String(40))
    model_files: dict[str, str] = _json(dict)
    thumbnail_key: str | None = Field(default=None, sa_type=String(500))
    texture_keys: list[dict[str, Any]] = _json(list)
    input_image_ids: list[str] = _json(list)
    task_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    #: The version's measurement for printing (``services.model_measure``; ``mesh_analysis.MeshInfo`` as JSON:
    #: extents in mm, volume in mm³, area in mm², watertight / reason), NULL until the worker measured it.
    mesh_info: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    revision_id: uuid.UUID | None = Field(
        default=None, foreign_key="product_multiview_revisions.id", ondelete="SET NULL"
    )
    revision_number: int | None = Field(default=None)
    hold_id: str | None = Field(default=None, foreign_key="credit_holds.id", ondelete="SET NULL", sa_type=String(200))
    created_at: datetime = ts_field()
    started_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    updated_at: datetime = ts_field()
