"""Tech Pack V2 tables (issue 10; seed 001 "Database Schema Flow"; DESIGN.md §4 "tech pack v2", §9 files are
storage keys): the analysis cache by image hash, the product's V2 document, close-ups, technical sketches,
and personal API tokens (DESIGN.md §4 "users / auth: API tokens (hashed)").

Differences from seed 001:

- ``revision_vision_analysis`` is a CACHE of the provider's analysis of one image, keyed by the image's
  SHA-256 (``image_hash`` unique): the same pixels analysed again cost no provider call. It is never edited;
  the editable document is ``product_tech_packs_v2`` (``fields``), so a field edit of one product never
  changes another product's cached analysis of the same image. The seed's per-row user/product/revision
  columns are kept as the provenance of the first analysis.
- image URLs are storage keys (``*_key``), private, served by our routes.
- ``api_tokens``: only the SHA-256 of a token is stored; the token is shown once when created.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, Float, Index, String
from sqlmodel import Field, SQLModel

from genpire_app.backend.db.fields import json_field as _json
from genpire_app.backend.db.fields import ts_field, user_fk

#: Version of the analysis JSON schema (``analysis_data["schema_version"]`` and the column).
ANALYSIS_SCHEMA_VERSION = 1
#: The V2 steps in order (the stepper's "Category", "Base views", "Close-ups", "Sketches", "Review").
V2_STEPS = ("category", "base_views", "close_ups", "sketches", "review")


class RevisionVisionAnalysis(SQLModel, table=True):
    """The vision analysis of one image (seed 001 ``VISION_ANALYSIS``), cached by ``image_hash`` (hex SHA-256
    of the stored image's bytes).

    ``analysis_data``: category-aware fields (materials, construction, dimensions estimate in mm, colors with
    hex and nearest named color, hardware, finishes, labels) with ``schema_version``; ``confidence_score``:
    0.0-1.0 (rule: ``services.v2_analysis.confidence``). ``tokens_used``: provider tokens of the one real
    analysis; ``processing_time_ms``: its duration. ``user_id`` / ``product_idea_id`` / ``revision_id`` /
    ``view_type`` / ``image_key``: where the image was first analysed.
    """

    __tablename__ = "revision_vision_analysis"
    __table_args__ = (CheckConstraint("confidence_score >= 0 AND confidence_score <= 1", name="ck_rva_confidence"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    image_hash: str = Field(sa_type=String(64), unique=True)
    user_id: int | None = Field(default=None, foreign_key="localuser.id", index=True, ondelete="SET NULL")
    product_idea_id: uuid.UUID | None = Field(default=None, foreign_key="product_ideas.id", ondelete="SET NULL")
    revision_id: uuid.UUID | None = Field(default=None, foreign_key="product_multiview_revisions.id",
                                          ondelete="SET NULL")
    view_type: str = Field(default="", sa_type=String(10))
    image_key: str = Field(default="", sa_type=String(500))
    analysis_data: dict[str, Any] = _json(dict)
    schema_version: int = Field(default=ANALYSIS_SCHEMA_VERSION)
    model_used: str = Field(default="", sa_type=String(100))
    tokens_used: int = Field(default=0)
    processing_time_ms: int = Field(default=0)
    confidence_score: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    status: str = Field(default="completed", sa_type=String(20))
    created_at: datetime = ts_field()


class ProductTechPackV2(SQLModel, table=True):
    """A product's Tech Pack V2 document (one per product and revision number).

    ``category`` / ``subcategory`` / ``category_confidence`` (0-1) / ``category_source`` (detected | user):
    the Category step. ``views``: ``{view_type: {"analysis_id", "image_hash", "confidence", "fields"}}`` of
    the Base views step; ``fields``: the merged, editable document (``{section: {field: value}}``);
    ``edits``: the history ``[{"path", "old", "new", "by": "ai" | "hand", "at"}]``. ``steps``:
    ``{step: {"status": "done" | "stale", "at"}}``.
    """

    __tablename__ = "product_tech_packs_v2"
    __table_args__ = (Index("uq_ptp2_product_revision", "product_idea_id", "revision_number", unique=True),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    product_idea_id: uuid.UUID = Field(foreign_key="product_ideas.id", index=True, ondelete="CASCADE")
    revision_number: int = Field(default=0)
    category: str = Field(default="", sa_type=String(60))
    subcategory: str = Field(default="", sa_type=String(80))
    category_confidence: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    category_source: str = Field(default="", sa_type=String(20))
    views: dict[str, Any] = _json(dict)
    fields: dict[str, Any] = _json(dict)
    edits: list[dict[str, Any]] = _json(list)
    steps: dict[str, Any] = _json(dict)
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


class ProductCloseupImage(SQLModel, table=True):
    """One detail close-up (seed 001 ``CLOSEUP_IMAGE``): ``position`` orders a batch (0 first);
    ``shot_metadata``: ``{"title", "focus", "source_view", "region": [x0, y0, x1, y1] in source pixels}``;
    ``analysis_data``: the vision analysis of the close-up. ``batch_id``: one generation (a re-run makes a
    new batch; the newest batch is shown)."""

    __tablename__ = "product_closeup_images"
    __table_args__ = (Index("ix_pci_product_batch", "product_idea_id", "batch_id", "position"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    product_idea_id: uuid.UUID = Field(foreign_key="product_ideas.id", ondelete="CASCADE")
    revision_number: int = Field(default=0)
    batch_id: str = Field(sa_type=String(64))
    position: int = Field(default=0)
    image_key: str = Field(sa_type=String(500))
    thumbnail_key: str | None = Field(default=None, sa_type=String(500))
    shot_metadata: dict[str, Any] = _json(dict)
    analysis_data: dict[str, Any] = _json(dict)
    created_at: datetime = ts_field()


class ProductTechSketch(SQLModel, table=True):
    """One technical sketch (seed 001 ``TECH_SKETCH``): ``view_type`` front | back | side; ``image_key``: the
    line drawing (PNG); ``svg_key``: our SVG with the drawing and the callout layer; ``callouts``:
    ``[{"n", "label", "anchor": [x, y], "text": [x, y]}]`` in drawing pixels; ``measurements``:
    ``[{"label", "mm", "from": [x, y], "to": [x, y]}]``; ``width_px`` / ``height_px``: the drawing's size."""

    __tablename__ = "product_tech_sketches"
    __table_args__ = (Index("ix_pts_product_batch", "product_idea_id", "batch_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    product_idea_id: uuid.UUID = Field(foreign_key="product_ideas.id", ondelete="CASCADE")
    revision_number: int = Field(default=0)
    batch_id: str = Field(sa_type=String(64))
    view_type: str = Field(sa_type=String(10))
    image_key: str = Field(sa_type=String(500))
    svg_key: str | None = Field(default=None, sa_type=String(500))
    width_px: int = Field(default=0)
    height_px: int = Field(default=0)
    callouts: list[dict[str, Any]] = _json(list)
    measurements: list[dict[str, Any]] = _json(list)
    created_at: datetime = ts_field()


class ApiToken(SQLModel, table=True):
    """A personal API token (issue 10 item 8): ``token_hash`` is the hex SHA-256 of the secret (the secret is
    shown once); ``prefix``: its first characters, to recognise it in the list; ``revoked_at`` set: refused."""

    __tablename__ = "api_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    name: str = Field(sa_type=String(80))
    token_hash: str = Field(sa_type=String(64), unique=True)
    prefix: str = Field(sa_type=String(16))
    created_at: datetime = ts_field()
    last_used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


__all__ = ["ANALYSIS_SCHEMA_VERSION", "ApiToken", "ProductCloseupImage", "ProductTechPackV2", "ProductTechSketch",
           "RevisionVisionAnalysis", "V2_STEPS"]
