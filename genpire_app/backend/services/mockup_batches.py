"""Mockup batches: the designs a user can render, "Generate mockups" (designs x scenes, one held job per
render, all held in one transaction with the guardrails check) and the renders list (issue 11 items 2-3;
seed 004 Step 9.3 ``renderMockupBatch`` and Step 9.4 ``GET /api/mockups``; DESIGN.md §5, §7.1).

The render itself is ``services.mockups.RenderMockup`` (looked up in the operations registry, so this module
does not import it). Designs are a product's active views or a quick-3D asset's image (the selected concept,
else concept A, else the uploaded image). Batch and mockup ids derive from the user's intent and choice, so
the same intent with the same choice again is the same batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import tuple_
from sqlmodel import Session, select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.marketing_models import MOCKUP_STATUSES, ApprovalItem, Mockup
from genpire_app.backend.db.models import ProductIdea, ProductMultiviewRevision
from genpire_app.backend.db.quick3d_models import Asset
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.operation import Plan
from genpire_app.backend.jobs.push import Topic
from genpire_app.backend.services import guardrails, operations
from genpire_app.backend.services.assets import Page, decode_cursor, encode_cursor

DESIGN_NOT_FOUND = "This design does not exist or is not yours."
#: Views of a product in picker order.
VIEW_ORDER = ("front", "back", "side", "top", "bottom")
#: Largest page of :func:`list_mockups`.
MAX_LIMIT = 100
_BATCH_NS = uuid.UUID("6d0c5a52-62f1-4b8e-9d55-1f0b8a3c7e21")


# --------------------------------------------------------------------------------------------- designs


@dataclass(frozen=True)
class DesignRef:
    """A design named in a batch: ``source_type`` ``product`` | ``asset``, its id, and the product view
    (``front`` ...) or ``"asset"``. ``key`` is its text form ``"product:<uuid>:front"`` / ``"asset:<uuid>:asset"``."""

    source_type: Literal["product", "asset"]
    id: uuid.UUID
    view: str

    @property
    def key(self) -> str:
        """``"<source_type>:<id>:<view>"``."""
        return f"{self.source_type}:{self.id}:{self.view}"

    @classmethod
    def parse(cls, value: DesignRef | tuple[str, Any, str] | str) -> DesignRef:
        """A ref from a ref, a ``(source_type, id, view)`` tuple or its ``key``.

        Raises:
            OperationError: ``invalid_input`` for anything else.
        """
        if isinstance(value, DesignRef):
            return value
        parts = value.split(":") if isinstance(value, str) else list(value)
        try:
            source, raw_id, *rest = parts
            view = str(rest[0]) if rest else "asset"
            ref_id = raw_id if isinstance(raw_id, uuid.UUID) else uuid.UUID(str(raw_id))
        except (ValueError, TypeError):
            raise OperationError("invalid_input", "One of the chosen designs is not valid; pick it again.") from None
        if source == "asset" and view == "asset":
            return cls("asset", ref_id, "asset")
        if source == "product" and view in VIEW_ORDER:
            return cls("product", ref_id, view)
        raise OperationError("invalid_input", "One of the chosen designs is not valid; pick it again.")


@dataclass(frozen=True)
class Design:
    """A design the user can render: a product's active view or a quick-3D asset's image.

    Attributes:
        source_type, id, view: as :class:`DesignRef` (``key`` is its text form).
        name: the product's name, or the asset's prompt (shortened).
        image_key / thumbnail_key: storage keys of the image and its thumbnail (None when there is none).
    """

    source_type: Literal["product", "asset"]
    id: uuid.UUID
    view: str
    name: str
    image_key: str
    thumbnail_key: str | None

    @property
    def key(self) -> str:
        """``"<source_type>:<id>:<view>"`` (what :func:`submit_batch` takes)."""
        return DesignRef(self.source_type, self.id, self.view).key


def asset_name(asset: Asset) -> str:
    """An asset's name for lists: its prompt, at most 58 characters (or "Quick 3D asset")."""
    text = " ".join((asset.prompt or "").split())
    return (text[:57] + "…") if len(text) > 58 else (text or "Quick 3D asset")


def _asset_image(asset: Asset) -> tuple[str, str | None] | None:
    """The image of an asset to render: the selected concept (else concept A), else the uploaded image."""
    keys, thumbs = list(asset.concept_keys or []), list(asset.concept_thumb_keys or [])
    if keys:
        n = asset.selected_concept if asset.selected_concept is not None and asset.selected_concept < len(keys) else 0
        return keys[n], thumbs[n] if n < len(thumbs) else asset.thumbnail_key
    if asset.input_image_key:
        return asset.input_image_key, asset.thumbnail_key
    return None


def list_designs(user_id: int) -> list[Design]:
    """The user's designs: every active view of their products (newest product first, views in
    :data:`VIEW_ORDER`), then their quick-3D assets that have an image (newest first)."""
    with read_session() as s:
        rows = s.exec(
            select(ProductMultiviewRevision, ProductIdea.name)
            .join(ProductIdea, ProductIdea.id == ProductMultiviewRevision.product_idea_id)
            .where(ProductIdea.user_id == user_id, ProductMultiviewRevision.is_active.is_(True),
                   ProductMultiviewRevision.is_deleted.is_(False))
            .order_by(ProductIdea.created_at.desc(), ProductIdea.id)
        ).all()
        assets = s.exec(select(Asset).where(Asset.user_id == user_id).order_by(Asset.created_at.desc(), Asset.id)).all()
    order = {v: n for n, v in enumerate(VIEW_ORDER)}
    by_product: dict[uuid.UUID, list[Design]] = {}  # newest product first (the query's order)
    for row, name in rows:
        by_product.setdefault(row.product_idea_id, []).append(
            Design("product", row.product_idea_id, row.view_type, name, row.image_key, row.thumbnail_key))
    out: list[Design] = []
    for views in by_product.values():
        out += sorted(views, key=lambda d: order.get(d.view, len(order)))
    for asset in assets:
        image = _asset_image(asset)
        if image is not None:
            out.append(Design("asset", asset.id, "asset", asset_name(asset), image[0], image[1]))
    return out


def resolve_design(session: Session, user_id: int, ref: DesignRef) -> Design:
    """The user's design named by ``ref`` (its current active view / asset image).

    Raises:
        OperationError: ``not_found`` (missing, another user's, no such active view, an asset with no image).
    """
    if ref.source_type == "product":
        product = session.get(ProductIdea, ref.id)
        row = session.exec(select(ProductMultiviewRevision).where(
            ProductMultiviewRevision.product_idea_id == ref.id, ProductMultiviewRevision.view_type == ref.view,
            ProductMultiviewRevision.is_active.is_(True), ProductMultiviewRevision.is_deleted.is_(False))).first()
        if product is None or product.user_id != user_id or row is None:
            raise OperationError("not_found", DESIGN_NOT_FOUND)
        return Design("product", product.id, ref.view, product.name, row.image_key, row.thumbnail_key)
    asset = session.get(Asset, ref.id)
    image = _asset_image(asset) if asset is not None and asset.user_id == user_id else None
    if asset is None or image is None:
        raise OperationError("not_found", DESIGN_NOT_FOUND)
    return Design("asset", asset.id, "asset", asset_name(asset), image[0], image[1])


class RenderPlan(Plan):
    """One render: ``mockup_id`` (the row ``prepare`` writes), its ``batch_id``, the design and the scene.
    ``prepare`` fills ``design_key``, ``name`` and ``palette``. ``product_id`` stays None: renders are side
    work, not work on the product."""

    mockup_id: uuid.UUID
    batch_id: uuid.UUID
    source_type: Literal["product", "asset"]
    source_id: uuid.UUID
    view: str
    scene_id: uuid.UUID
    design_key: str = ""
    name: str = ""
    palette: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------- batches


@dataclass(frozen=True)
class BatchSubmitted:
    """A submitted batch: its id, one job and one mockup per render (designs x scenes, design-major), the
    monthly soft-limit warning (None below it), and whether the same intent had submitted it already."""

    batch_id: uuid.UUID
    job_ids: list[uuid.UUID]
    mockup_ids: list[uuid.UUID]
    warning: str | None
    reused: bool = False


def _unique(items: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


def submit_batch(user_id: int, designs: Sequence[DesignRef | tuple[str, Any, str] | str],
                 scene_ids: Sequence[uuid.UUID | str], intent: str) -> BatchSubmitted:
    """"Generate mockups": hold 1 render's price per design x scene and queue one job each (blocking: call it
    in a thread). The same ``intent`` with the same choice again returns the same batch (nothing held twice).

    Args:
        designs: 1 to ``Settings.mockup_max_designs`` (20) designs (:class:`DesignRef`, tuples or keys).
        scene_ids: 1 to ``Settings.mockup_max_scenes`` (5) scene ids (system or the user's own).
        intent: the form's intent token (``runner.new_intent``), renewed by the caller after each batch.

    Raises:
        OperationError: ``invalid_input`` (counts, malformed designs), ``not_found`` (a design or scene that is
            missing or not the user's), ``budget`` (the annual guardrail would be crossed),
            ``insufficient_credits`` (for the whole batch). Nothing is held then.
    """
    settings = get_settings()
    refs = _unique(DesignRef.parse(d) for d in designs)
    try:
        scenes = _unique(s if isinstance(s, uuid.UUID) else uuid.UUID(str(s)) for s in scene_ids)
    except ValueError:
        raise OperationError("invalid_input", "One of the chosen scenes is not valid; pick it again.") from None
    if not 1 <= len(refs) <= settings.mockup_max_designs:
        raise OperationError("invalid_input", f"Pick 1 to {settings.mockup_max_designs} designs.")
    if not 1 <= len(scenes) <= settings.mockup_max_scenes:
        raise OperationError("invalid_input", f"Pick 1 to {settings.mockup_max_scenes} scenes.")
    intent = runner.usable_intent(intent)
    choice = f"{user_id}|{intent}|{','.join(sorted(r.key for r in refs))}|{','.join(sorted(map(str, scenes)))}"
    batch_id = uuid.uuid5(_BATCH_NS, choice)
    plans = [RenderPlan(mockup_id=uuid.uuid5(batch_id, f"{ref.key}|{scene}"), batch_id=batch_id,
                        source_type=ref.source_type, source_id=ref.id, view=ref.view, scene_id=scene)
             for ref in refs for scene in scenes]
    warning: list[str | None] = [None]

    def check(session: Session, new: list[Plan]) -> None:
        warning[0] = guardrails.check_batch(session, user_id, len(new))

    submitted = runner.submit_many(operations.get(JobKind.MOCKUP_RENDER.value), user_id=user_id, plans=plans,
                                   intent=intent, check=check, topics=(Topic.MOCKUPS,))
    return BatchSubmitted(batch_id, [s.job_id for s in submitted], [p.mockup_id for p in plans], warning[0],
                          reused=all(s.reused for s in submitted))


# --------------------------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class MockupRow:
    """One render for the page.

    Attributes:
        id, batch_id, job_id, status (``MOCKUP_STATUSES``), source_type, source_id, view.
        design_name: the product's name or the asset's prompt; scene_id, scene_key, scene_name.
        file_key / thumbnail_key: storage keys once rendered (None before).
        attempts: render attempts so far; error_message: the retry or failure reason.
        reason: the rejection reason (rejected renders).
        created_at / updated_at: UTC.
    """

    id: uuid.UUID
    batch_id: uuid.UUID
    job_id: uuid.UUID | None
    status: str
    source_type: str
    source_id: uuid.UUID | None
    view: str
    design_name: str
    scene_id: uuid.UUID
    scene_key: str
    scene_name: str
    file_key: str | None
    thumbnail_key: str | None
    attempts: int
    error_message: str | None
    reason: str | None
    created_at: datetime
    updated_at: datetime


def _names(s: Session, rows: list[Mockup]) -> dict[uuid.UUID, str]:
    product_ids = {r.product_id for r in rows if r.product_id}
    asset_ids = {r.asset_id for r in rows if r.asset_id}
    names: dict[uuid.UUID, str] = {}
    if product_ids:
        names.update(s.exec(select(ProductIdea.id, ProductIdea.name).where(ProductIdea.id.in_(product_ids))).all())
    if asset_ids:
        names.update((a.id, asset_name(a)) for a in s.exec(select(Asset).where(Asset.id.in_(asset_ids))).all())
    return names


def list_mockups(user_id: int, batch_id: uuid.UUID | None = None, status: str | Sequence[str] | None = None,
                 cursor: str | None = None, limit: int = 24) -> Page[MockupRow]:
    """One page of the user's renders, newest first (keyset on ``(created_at, id)``), optionally of one
    batch and of one or several statuses (``("retrying", "failed")``: the retry queue). ``limit``: 1-100.

    Raises:
        OperationError: ``invalid_input`` for an unknown status or a malformed cursor.
    """
    statuses = (status,) if isinstance(status, str) else tuple(status or ())
    if any(st not in MOCKUP_STATUSES for st in statuses):
        raise OperationError("invalid_input", "Unknown mockup status.")
    n = max(1, min(int(limit), MAX_LIMIT))
    query = select(Mockup).where(Mockup.user_id == user_id)
    if batch_id is not None:
        query = query.where(Mockup.batch_id == batch_id)
    if statuses:
        query = query.where(Mockup.status.in_(statuses))
    if cursor:
        at, last = decode_cursor(cursor)
        query = query.where(tuple_(Mockup.created_at, Mockup.id) < tuple_(at, last))
    with read_session() as s:
        rows = list(s.exec(query.order_by(Mockup.created_at.desc(), Mockup.id.desc()).limit(n + 1)).all())
        more, rows = len(rows) > n, rows[:n]
        names = _names(s, rows)
        rejected = [r.id for r in rows if r.status == "rejected"]
        reasons = dict(s.exec(select(ApprovalItem.item_id, ApprovalItem.reason).where(
            ApprovalItem.item_type == "mockup", ApprovalItem.item_id.in_(rejected))).all()) if rejected else {}
    items = [MockupRow(
        id=r.id, batch_id=r.batch_id, job_id=r.job_id, status=r.status, source_type=r.source_type,
        source_id=r.product_id or r.asset_id, view=r.view, design_name=names.get(r.product_id or r.asset_id, ""),  # type: ignore[arg-type]
        scene_id=r.scene_id, scene_key=r.scene_key, scene_name=str((r.scene_config or {}).get("name") or r.scene_key),
        file_key=r.file_key, thumbnail_key=r.thumbnail_key, attempts=r.attempts, error_message=r.error_message,
        reason=reasons.get(r.id), created_at=r.created_at, updated_at=r.updated_at) for r in rows]
    return Page(items, encode_cursor(rows[-1].created_at, rows[-1].id) if more else None)


__all__ = [
    "DESIGN_NOT_FOUND",
    "BatchSubmitted",
    "Design",
    "DesignRef",
    "MockupRow",
    "RenderPlan",
    "asset_name",
    "list_designs",
    "list_mockups",
    "resolve_design",
    "submit_batch",
]
