"""Quick 3D tables: ``styles`` (the dashboard's style selector) and ``assets`` (one text/image -> concepts ->
3D model generation job of a user). Source: seed 003 §2 "Dashboard", "Asset Page", "Workspace Page", §4
"Generation" flows and the ``Asset.status`` machine; DESIGN.md §4 "quick 3D and commerce", §9 (files are
storage keys, private unless published).

Status machine (seed 003 §4; :class:`AssetStatus`)::

    PENDING_CONCEPTS -> CONCEPTS_GENERATED -> GENERATING_MODEL -> COMPLETED | FAILED
    (skip concept)      GENERATING_MODEL   -> COMPLETED | FAILED

A concept regeneration moves ``CONCEPTS_GENERATED -> PENDING_CONCEPTS`` while it runs and back to
``CONCEPTS_GENERATED`` (new concepts, or the old ones when it fails); a failed first concept generation ends
in ``FAILED`` (``services.concepts``).

Differences from seed 003 (its Prisma ``Asset`` is implied by the flows):

- concepts and the input image are storage keys in our storage, never provider URLs (DESIGN.md §9, §12);
  ``concept_thumb_keys`` holds a 256 px WebP per concept for grids (DESIGN.md §9 "thumbnails");
- ``published_at`` is set once, at the first publication, and the discovery feed pages on
  ``(published_at, id)`` (keyset), so pages stay stable while new assets are published;
- the seed's ``modelGenerationAttempts`` is ``model_attempts``; ``concept_attempts`` counts successful
  concept generations (the first one plus the regenerations, limited by ``Settings.concept_retries``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, DateTime, Index, String, Text, text
from sqlmodel import Field, SQLModel

from genpire_app.backend.db.fields import json_field as _json
from genpire_app.backend.db.fields import ts_field, user_fk


class AssetStatus(StrEnum):
    """``assets.status`` values (seed 003 §4 "Generation", the ``Asset.status`` machine)."""

    PENDING_CONCEPTS = "PENDING_CONCEPTS"
    CONCEPTS_GENERATED = "CONCEPTS_GENERATED"
    GENERATING_MODEL = "GENERATING_MODEL"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


#: Every asset status, in the order of the machine.
ASSET_STATUSES: tuple[str, ...] = tuple(s.value for s in AssetStatus)
#: Input modes of the dashboard (seed 003 §2 "Input Mode Selection": "Text to Model" / "Image to Model").
ASSET_MODES: tuple[str, ...] = ("text", "image")
#: Longest prompt, characters (the dashboard's prompt box).
MAX_PROMPT_CHARS = 1000


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Style(SQLModel, table=True):
    """A style of the dashboard's style selector (seed 003 §2 "Style Selector", "fetched from DB").

    Columns: ``slug`` (unique, URL-safe), ``name`` (shown), ``prompt_hint`` (text added to the generation
    prompt), ``preview_path`` (a static file of the app's ``assets/`` folder, e.g. ``/styles/low-poly.png``,
    256 x 256 PNG made by ``scripts/make_style_previews.py``), ``active`` (offered on the dashboard) and
    ``sort_order`` (ascending). The default six are seeded by the migration with fixed ids.
    """

    __tablename__ = "styles"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    slug: str = Field(sa_type=String(40), unique=True)
    name: str = Field(sa_type=String(80))
    prompt_hint: str = Field(default="", sa_column=Column(Text, nullable=False))
    preview_path: str = Field(default="", sa_type=String(200))
    active: bool = Field(default=True)
    sort_order: int = Field(default=0)


class Asset(SQLModel, table=True):
    """One quick-3D generation of a user (seed 003 ``Asset``; DESIGN.md §4).

    Columns:
        ``mode``: text | image. ``prompt``: at most :data:`MAX_PROMPT_CHARS` characters (may be empty in
        image mode). ``style_id``: the chosen :class:`Style` (NULL: none, or the style was deleted).
        ``input_image_key``: storage key of the uploaded image (image mode). ``skip_concept``: the user
        skipped the 2D concepts (seed 003 "Skip Concept Checkbox").
        ``status``: an :class:`AssetStatus` value. ``concept_keys`` / ``concept_thumb_keys``: storage keys of
        the two concept PNGs and their WebP thumbnails, in order (concept A, concept B).
        ``selected_concept``: index into ``concept_keys`` chosen for the model (NULL: none yet).
        ``concept_attempts``: successful concept generations; ``model_attempts``: model generations started
        (the first one is free, seed 003 §5 "Credit Logic"). ``error``: the user-safe reason of the last
        failure (NULL after a success). ``is_public`` / ``published_at``: listed in the discovery feed;
        ``published_at`` is the first publication (kept when unpublished and published again).
        ``thumbnail_key``: the grid image (the selected concept's thumbnail, else concept A's).
    """

    __tablename__ = "assets"
    __table_args__ = (
        CheckConstraint(_in("mode", ASSET_MODES), name="ck_assets_mode"),
        CheckConstraint(_in("status", ASSET_STATUSES), name="ck_assets_status"),
        CheckConstraint("selected_concept IS NULL OR selected_concept >= 0", name="ck_assets_selected_concept"),
        CheckConstraint("concept_attempts >= 0 AND model_attempts >= 0", name="ck_assets_attempts"),
        CheckConstraint("NOT is_public OR published_at IS NOT NULL", name="ck_assets_published"),
        Index("ix_assets_user_created", "user_id", "created_at", "id"),
        Index(
            "ix_assets_public_feed",
            "published_at",
            "id",
            sqlite_where=text("is_public = 1"),
            postgresql_where=text("is_public = true"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    mode: str = Field(default="text", sa_type=String(10))
    prompt: str = Field(default="", sa_type=String(MAX_PROMPT_CHARS))
    style_id: uuid.UUID | None = Field(default=None, foreign_key="styles.id", ondelete="SET NULL")
    input_image_key: str | None = Field(default=None, sa_type=String(500))
    skip_concept: bool = Field(default=False)
    status: str = Field(default=AssetStatus.PENDING_CONCEPTS.value, sa_type=String(24))
    concept_keys: list[str] = _json(list)
    concept_thumb_keys: list[str] = _json(list)
    selected_concept: int | None = Field(default=None)
    concept_attempts: int = Field(default=0)
    model_attempts: int = Field(default=0)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    is_public: bool = Field(default=False)
    published_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    thumbnail_key: str | None = Field(default=None, sa_type=String(500))
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


__all__ = ["ASSET_MODES", "ASSET_STATUSES", "Asset", "AssetStatus", "MAX_PROMPT_CHARS", "Style"]
