"""Quick-3D assets: create, read with owner checks, the workspace list, concept selection, publishing and the
public discovery feed (seed 003 §2 "Dashboard" (Recent Activity, Discovery Section), "Asset Page", "Workspace
Page"; §4 "Generation" and "Navigating Workspace & Viewing Asset"; DESIGN.md §4 "quick 3D and commerce").

Every read and write of a user's asset is scoped by its owner here (DESIGN.md §4, §10 "every handler
re-checks ownership"): another user's asset is "not found", exactly like a missing one. Only the public feed
and :func:`get_public` show other users' assets, and only published, completed ones, without the owner.

Paging is keyset (never OFFSET): the workspace on ``(created_at DESC, id DESC)`` of the user's assets, the feed
on ``(published_at DESC, id DESC)`` of the public ones. ``published_at`` is set once, at the first publication,
so a cursor never shows an item twice nor skips one while other assets are published meanwhile.
Cursors are opaque strings (:func:`encode_cursor`).

Generation itself (concepts, held credits) is ``services.concepts``; this module never charges anything.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import and_, tuple_
from sqlmodel import Session, select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import is_sqlite, read_session, write_session
from genpire_app.backend.db.fields import as_utc, utcnow
from genpire_app.backend.db.quick3d_models import (
    ASSET_MODES,
    MAX_PROMPT_CHARS,
    Asset,
    AssetStatus,
    Style,
)
from genpire_app.backend.jobs.errors import OperationError

NOT_FOUND = "This asset does not exist or is not yours."
PUBLIC_NOT_FOUND = "This asset does not exist or is not public."
#: Page size bounds of the workspace and the feed.
DEFAULT_LIMIT = 20
MAX_LIMIT = 100

#: The workspace's status indicator per status (seed 003 §2 "Workspace Page": "Select Concept", "View
#: Model", "Error"; the two running states say what is happening).
NEXT_STEPS: dict[str, str] = {
    AssetStatus.PENDING_CONCEPTS.value: "Generating concepts…",
    AssetStatus.CONCEPTS_GENERATED.value: "Select Concept",
    AssetStatus.GENERATING_MODEL.value: "Generating model…",
    AssetStatus.COMPLETED.value: "View Model",
    AssetStatus.FAILED.value: "Error",
}
#: Statuses whose workspace entry opens the asset page (seed 003 §2 "Workspace Page": "only clickable ...
#: when the status is CONCEPTS_GENERATED or COMPLETED (or potentially FAILED to view errors)").
ACTIONABLE: frozenset[str] = frozenset(
    {AssetStatus.CONCEPTS_GENERATED.value, AssetStatus.COMPLETED.value, AssetStatus.FAILED.value}
)


# --------------------------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class StyleRow:
    """A style of the selector: id, slug, name, the prompt hint and the preview's static path."""

    id: uuid.UUID
    slug: str
    name: str
    prompt_hint: str
    preview_path: str


@dataclass(frozen=True)
class AssetRow:
    """An asset as its owner sees it (workspace entry, asset page).

    ``next_step`` / ``actionable``: the workspace's status indicator and whether the entry opens the asset
    page (:data:`NEXT_STEPS`, :data:`ACTIONABLE`). ``concept_keys`` / ``concept_thumb_keys``: storage keys
    (sign them to show them). ``retries_left``: concept regenerations still allowed
    (``Settings.concept_retries`` minus those done). Timestamps are aware UTC datetimes.
    """

    id: uuid.UUID
    mode: str
    prompt: str
    style_id: uuid.UUID | None
    input_image_key: str | None
    skip_concept: bool
    status: str
    next_step: str
    actionable: bool
    concept_keys: tuple[str, ...]
    concept_thumb_keys: tuple[str, ...]
    selected_concept: int | None
    concept_attempts: int
    model_attempts: int
    retries_left: int
    error: str | None
    is_public: bool
    published_at: datetime | None
    thumbnail_key: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PublicAssetRow:
    """A published asset as anyone sees it (discovery feed, read-only asset page); never names the owner.

    ``concept_key``: the concept the model was made from (selected, else the first; None when the model was
    made without concepts). ``published_at``: aware UTC datetime of the first publication.
    """

    id: uuid.UUID
    mode: str
    prompt: str
    style_id: uuid.UUID | None
    thumbnail_key: str | None
    concept_key: str | None
    published_at: datetime


RowT = TypeVar("RowT")


@dataclass(frozen=True)
class Page(Generic[RowT]):
    """One page of a keyset-paged list: its rows and the cursor of the next page (None: this was the last)."""

    items: list[RowT]
    next_cursor: str | None


def _retries_left(asset: Asset) -> int:
    if asset.concept_attempts == 0:
        return get_settings().concept_retries
    return max(0, 1 + get_settings().concept_retries - asset.concept_attempts)


def to_row(asset: Asset) -> AssetRow:
    """The owner's view of ``asset`` (see :class:`AssetRow`)."""
    return AssetRow(
        id=asset.id, mode=asset.mode, prompt=asset.prompt, style_id=asset.style_id,
        input_image_key=asset.input_image_key, skip_concept=asset.skip_concept, status=asset.status,
        next_step=NEXT_STEPS.get(asset.status, "Error"), actionable=asset.status in ACTIONABLE,
        concept_keys=tuple(asset.concept_keys), concept_thumb_keys=tuple(asset.concept_thumb_keys),
        selected_concept=asset.selected_concept, concept_attempts=asset.concept_attempts,
        model_attempts=asset.model_attempts, retries_left=_retries_left(asset), error=asset.error,
        is_public=asset.is_public, published_at=as_utc(asset.published_at), thumbnail_key=asset.thumbnail_key,
        created_at=as_utc(asset.created_at), updated_at=as_utc(asset.updated_at),  # type: ignore[arg-type]
    )


def _public_row(asset: Asset) -> PublicAssetRow:
    concept = None
    if asset.concept_keys:
        index = asset.selected_concept if asset.selected_concept is not None else 0
        concept = asset.concept_keys[index] if index < len(asset.concept_keys) else asset.concept_keys[0]
    return PublicAssetRow(id=asset.id, mode=asset.mode, prompt=asset.prompt, style_id=asset.style_id,
                          thumbnail_key=asset.thumbnail_key, concept_key=concept,
                          published_at=as_utc(asset.published_at))  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------- styles


def list_styles(*, active_only: bool = True) -> list[StyleRow]:
    """The styles of the dashboard's selector in ``sort_order`` (seed 003 §2 "Style Selector")."""
    query = select(Style)
    if active_only:
        query = query.where(Style.active.is_(True))
    with read_session() as s:
        rows = s.exec(query.order_by(Style.sort_order, Style.name)).all()
    return [StyleRow(r.id, r.slug, r.name, r.prompt_hint, r.preview_path) for r in rows]


def active_style(session: Session, style_id: uuid.UUID | None) -> Style | None:
    """The active style ``style_id`` (None for no style).

    Raises:
        OperationError: ``invalid_input`` when the style does not exist or is no longer offered.
    """
    if style_id is None:
        return None
    style = session.get(Style, style_id)
    if style is None or not style.active:
        raise OperationError("invalid_input", "This style is not available any more. Choose another one.")
    return style


# --------------------------------------------------------------------------------------------- create


def check_inputs(*, user_id: int, mode: str, prompt: str, input_image_key: str | None) -> tuple[str, str | None]:
    """Validate the dashboard's inputs (seed 003 §2 "Text to Model" / "Image to Model"); returns the stripped
    prompt and the image key (None in text mode).

    Text mode needs a prompt; image mode needs an uploaded image (a staged upload of this user, under
    ``users/<user_id>/``) and takes an optional prompt. Prompts are at most :data:`MAX_PROMPT_CHARS` characters.

    Raises:
        OperationError: ``invalid_input`` with a sentence for the form.
    """
    if mode not in ASSET_MODES:
        raise OperationError("invalid_input", "Choose Text to Model or Image to Model.")
    text = (prompt or "").strip()
    if len(text) > MAX_PROMPT_CHARS:
        raise OperationError("invalid_input", f"Keep the prompt under {MAX_PROMPT_CHARS} characters.")
    if mode == "text":
        if not text:
            raise OperationError("invalid_input", "Describe the object you want to make.")
        return text, None
    key = (input_image_key or "").strip()
    if not key:
        raise OperationError("invalid_input", "Upload an image of the object you want to make.")
    if not key.startswith(f"users/{user_id}/") or ".." in key or "//" in key:
        raise OperationError("invalid_input", "That image is not available any more. Upload it again.")
    return text, key


def new_asset(
    session: Session,
    *,
    user_id: int,
    mode: str,
    prompt: str,
    style_id: uuid.UUID | None,
    input_image_key: str | None,
    skip_concept: bool,
    status: AssetStatus,
) -> Asset:
    """Validate the inputs and add a new asset in the caller's transaction (flushed; nothing committed).

    Raises:
        OperationError: ``invalid_input`` (see :func:`check_inputs`, :func:`active_style`).
    """
    text, key = check_inputs(user_id=user_id, mode=mode, prompt=prompt, input_image_key=input_image_key)
    style = active_style(session, style_id)
    asset = Asset(user_id=user_id, mode=mode, prompt=text, style_id=style.id if style else None,
                  input_image_key=key, skip_concept=skip_concept, status=status.value)
    session.add(asset)
    session.flush()
    return asset


def create(
    user_id: int,
    *,
    mode: str,
    prompt: str,
    style_id: uuid.UUID | None = None,
    input_image_key: str | None = None,
    skip_concept: bool = False,
) -> AssetRow:
    """Create an asset without starting any work: ``GENERATING_MODEL`` when ``skip_concept``, else
    ``PENDING_CONCEPTS``. Nothing is charged. ``services.concepts.start_concepts`` is the dashboard's entry
    point (it creates the asset in the same transaction as the credit hold); this is its skip-concept path.

    Raises:
        OperationError: ``invalid_input`` (see :func:`check_inputs`).
    """
    status = AssetStatus.GENERATING_MODEL if skip_concept else AssetStatus.PENDING_CONCEPTS
    with write_session() as s:
        asset = new_asset(s, user_id=user_id, mode=mode, prompt=prompt, style_id=style_id,
                          input_image_key=input_image_key, skip_concept=skip_concept, status=status)
        return to_row(asset)


# --------------------------------------------------------------------------------------------- owner reads


def owned(session: Session, *, user_id: int, asset_id: uuid.UUID, lock: bool = False) -> Asset:
    """The user's asset (row-locked until the transaction ends when ``lock``: PostgreSQL ``FOR UPDATE``;
    SQLite's ``BEGIN IMMEDIATE`` already serialises writers).

    Raises:
        OperationError: ``not_found`` when it is missing or another user's.
    """
    query = select(Asset).where(Asset.id == asset_id, Asset.user_id == user_id)
    if lock and not is_sqlite(session.get_bind()):
        query = query.with_for_update()
    asset = session.exec(query).first()
    if asset is None:
        raise OperationError("not_found", NOT_FOUND)
    return asset


def get_owned(user_id: int, asset_id: uuid.UUID) -> AssetRow:
    """The user's asset (asset page).

    Raises:
        OperationError: ``not_found`` when it is missing or another user's.
    """
    with read_session() as s:
        return to_row(owned(s, user_id=user_id, asset_id=asset_id))


def _limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


def encode_cursor(at: datetime, asset_id: uuid.UUID) -> str:
    """An opaque cursor for the position ``(at, asset_id)`` (URL-safe base64 of "<UTC ISO time>|<hex id>")."""
    raw = f"{as_utc(at).isoformat()}|{asset_id.hex}"  # type: ignore[union-attr]
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The position ``(aware UTC time, id)`` of a cursor made by :func:`encode_cursor`.

    Raises:
        OperationError: ``invalid_input`` for anything else.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, hex_id = raw.split("|")
        return as_utc(datetime.fromisoformat(at)), uuid.UUID(hex=hex_id)  # type: ignore[return-value]
    except (ValueError, binascii.Error, UnicodeDecodeError) as err:
        raise OperationError("invalid_input", "This list position is not valid any more; reload the page.") from err


def workspace(user_id: int, limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> Page[AssetRow]:
    """One page of the user's assets, newest first (seed 003 §2 "Workspace Page"), with each entry's
    ``next_step`` and ``actionable``. ``cursor``: the previous page's ``next_cursor`` (None: the first page).
    ``limit``: 1 to :data:`MAX_LIMIT` rows.

    Raises:
        OperationError: ``invalid_input`` for a malformed cursor.
    """
    n = _limit(limit)
    query = select(Asset).where(Asset.user_id == user_id)
    if cursor:
        at, last = decode_cursor(cursor)
        query = query.where(tuple_(Asset.created_at, Asset.id) < tuple_(at, last))  # a row value: an index range
    with read_session() as s:
        rows = list(s.exec(query.order_by(Asset.created_at.desc(), Asset.id.desc()).limit(n + 1)).all())
    more = len(rows) > n
    rows = rows[:n]
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page([to_row(r) for r in rows], next_cursor)


def list_assets(user_id: int, *, limit: int = 6) -> list[AssetRow]:
    """The user's newest assets, newest first (the dashboard's "Recent Activity", seed 003 §2)."""
    return workspace(user_id, limit=limit).items


# --------------------------------------------------------------------------------------------- owner writes


def select_concept(user_id: int, asset_id: uuid.UUID, index: int) -> AssetRow:
    """Choose concept ``index`` (0 = concept A, 1 = concept B) for the model (seed 003 §4 "Concept View &
    Selection"); the asset's thumbnail becomes that concept's.

    Raises:
        OperationError: ``not_found`` (missing or another user's); ``invalid_state`` (no concepts to choose
            from right now); ``invalid_input`` (no concept ``index``).
    """
    with write_session() as s:
        asset = owned(s, user_id=user_id, asset_id=asset_id, lock=True)
        if asset.status != AssetStatus.CONCEPTS_GENERATED.value:
            raise OperationError("invalid_state", "Concepts can be chosen once they are generated.")
        if not 0 <= index < len(asset.concept_keys):
            raise OperationError("invalid_input", "Choose one of the concepts shown.")
        asset.selected_concept = index
        if index < len(asset.concept_thumb_keys):
            asset.thumbnail_key = asset.concept_thumb_keys[index]
        asset.updated_at = utcnow()
        s.add(asset)
        return to_row(asset)


def set_public(user_id: int, asset_id: uuid.UUID, public: bool) -> AssetRow:
    """Publish the asset to the discovery feed or take it out (seed 003 §6 "Visibility Toggle";
    ``toggleAssetVisibilityAction``). Only a COMPLETED asset can be published; ``published_at`` is set at
    the first publication and kept afterwards. Unpublishing is always allowed.

    Raises:
        OperationError: ``not_found`` (missing or another user's); ``invalid_state`` (publishing an asset
            whose model is not finished).
    """
    with write_session() as s:
        asset = owned(s, user_id=user_id, asset_id=asset_id, lock=True)
        if public and asset.status != AssetStatus.COMPLETED.value:
            raise OperationError("invalid_state", "Only a finished 3D model can be made public.")
        if asset.is_public != public:
            asset.is_public = public
            if public and asset.published_at is None:
                asset.published_at = utcnow()
            asset.updated_at = utcnow()
            s.add(asset)
        return to_row(asset)


# --------------------------------------------------------------------------------------------- public


def _public():
    # the bare column (not ``IS true``): it matches the partial index's predicate, so PostgreSQL uses it
    return and_(Asset.is_public, Asset.published_at.is_not(None), Asset.status == AssetStatus.COMPLETED.value)


def public_feed(limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> Page[PublicAssetRow]:
    """One page of the discovery feed (seed 003 §2 "Discovery Section", infinite scroll): public, completed
    assets of every user, most recently first published first, keyset-paged on ``(published_at, id)``.

    Stable while assets are published: a new publication is newer than any cursor, so it never shifts the
    following pages (no duplicate, no skip). ``limit``: 1 to :data:`MAX_LIMIT`.

    Raises:
        OperationError: ``invalid_input`` for a malformed cursor.
    """
    n = _limit(limit)
    query = select(Asset).where(_public())
    if cursor:
        at, last = decode_cursor(cursor)
        query = query.where(tuple_(Asset.published_at, Asset.id) < tuple_(at, last))  # a row value: an index range
    with read_session() as s:
        rows = list(s.exec(query.order_by(Asset.published_at.desc(), Asset.id.desc()).limit(n + 1)).all())
    more = len(rows) > n
    rows = rows[:n]
    next_cursor = encode_cursor(rows[-1].published_at, rows[-1].id) if more else None  # type: ignore[arg-type]
    return Page([_public_row(r) for r in rows], next_cursor)


def get_public(asset_id: uuid.UUID) -> PublicAssetRow:
    """A public, completed asset for the read-only asset page of another user's model (seed 003 §6
    "Viewing and using community models").

    Raises:
        OperationError: ``not_found`` when it is missing, private or not completed.
    """
    with read_session() as s:
        asset = s.exec(select(Asset).where(Asset.id == asset_id, _public())).first()
    if asset is None:
        raise OperationError("not_found", PUBLIC_NOT_FOUND)
    return _public_row(asset)


__all__ = [
    "ACTIONABLE", "AssetRow", "NEXT_STEPS", "NOT_FOUND", "PUBLIC_NOT_FOUND", "Page", "PublicAssetRow", "StyleRow",
    "active_style", "check_inputs", "create", "decode_cursor", "encode_cursor", "get_owned", "get_public",
    "list_assets", "list_styles", "new_asset", "owned", "public_feed", "select_concept", "set_public", "to_row",
    "workspace",
]
