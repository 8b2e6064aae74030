"""Read model of the AI Designer page: everything it shows about one product, from the database.

The page reloads this on load and after each operation, so a reload mid-generation shows the work still
in progress (the running job and its per-view progress) or finished (DESIGN.md §7).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import select

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import FrontViewApproval, Job, ProductIdea, ProductMultiviewRevision, as_utc
from genpire_app.backend.providers.base import REMAINING_VIEWS, VIEWS
from genpire_app.backend.services import edits
from genpire_app.backend.services.techpacks import active_revision, list_tech_packs


@dataclass(frozen=True)
class ApprovalInfo:
    """One front-view iteration: storage keys of the image and thumbnail, status and feedback."""

    id: str
    iteration: int
    status: str
    image_key: str
    thumbnail_key: str
    feedback: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ViewInfo:
    """One active view: storage keys, its revision number and row id."""

    view: str
    image_key: str
    thumbnail_key: str
    revision_number: int
    id: str


@dataclass(frozen=True)
class DesignerSnapshot:
    """The state of one product as the AI Designer shows it.

    ``phase``: generating_front | front_failed | awaiting_approval | generating_views | views_ready.
    ``job_progress`` maps parts ("front", "features", "back", ...) to queued | running | done | failed.
    """

    product_id: str
    name: str
    prompt: str
    status: str
    phase: str
    approvals: list[ApprovalInfo]
    views: list[ViewInfo]
    missing_views: list[str]
    job_kind: str | None
    job_progress: dict[str, str]
    last_error: str | None
    tech_packs: list[dict[str, Any]] = field(default_factory=list)
    created_at: datetime | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    revisions: list[Any] = field(default_factory=list)
    running_edits: int = 0


def load(*, user_id: int, product_id: uuid.UUID) -> DesignerSnapshot | None:
    """The snapshot of the user's product, or None when it does not exist or is not theirs."""
    with read_session() as s:
        product = s.get(ProductIdea, product_id)
        if product is None or product.user_id != user_id:
            return None
        approvals = s.exec(
            select(FrontViewApproval)
            .where(FrontViewApproval.product_idea_id == product_id)
            .order_by(FrontViewApproval.iteration_number)
        ).all()
        rows: list[ProductMultiviewRevision] = active_revision(s, product_id)
        jobs = s.exec(select(Job).where(Job.product_id == product_id).order_by(Job.created_at.desc()).limit(10)).all()
    blocking = [j for j in jobs if j.status == "running" and j.kind not in ("edit", "annotate", "tech_pack")]
    running = blocking[0] if blocking else None
    running_edits = sum(1 for j in jobs if j.status == "running" and j.kind in ("edit", "annotate"))
    pipeline = [j for j in jobs if j.kind in ("front_view", "remaining_views", "regenerate_view")]
    latest = pipeline[0] if pipeline else None
    last_error = latest.error if latest is not None and latest.status == "failed" else None
    views = [
        ViewInfo(
            view=r.view_type,
            image_key=r.image_key,
            thumbnail_key=r.thumbnail_key or r.image_key,
            revision_number=r.revision_number,
            id=str(r.id),
        )
        for r in rows
    ]
    have = {v.view for v in views}
    if running is not None and running.kind == "front_view":
        phase = "generating_front"
    elif running is not None and running.kind == "remaining_views":
        phase = "generating_views"
    elif "front" in have:
        phase = "views_ready"
    elif approvals:
        phase = "awaiting_approval"
    elif product.status == "failed" or last_error:
        phase = "front_failed"
    else:
        phase = "generating_front"
    return DesignerSnapshot(
        product_id=str(product.id),
        name=product.name,
        prompt=product.prompt,
        status=product.status,
        phase=phase,
        approvals=[
            ApprovalInfo(
                id=str(a.id),
                iteration=a.iteration_number,
                status=a.status,
                image_key=a.front_view_key,
                thumbnail_key=a.front_view_thumbnail_key or a.front_view_key,
                feedback=a.user_feedback or "",
                notes=tuple(a.notes or ()),
            )
            for a in approvals
        ],
        views=views,
        missing_views=[v for v in REMAINING_VIEWS if v not in have] if "front" in have else [],
        job_kind=running.kind if running is not None else None,
        job_progress={k: str(v) for k, v in (running.progress if running is not None else {}).items()},
        last_error=last_error,
        tech_packs=list_tech_packs(user_id=user_id, product_id=product_id),
        created_at=as_utc(product.created_at),
        messages=[
            {
                "id": str(m.id),
                "role": m.role,
                "content": m.content,
                "created_at": as_utc(m.created_at),
                "attachments": list(m.attachments or []),
            }
            for m in edits.chat_messages(user_id=user_id, product_id=product_id)
        ],
        revisions=edits.list_revisions(user_id=user_id, product_id=product_id),
        running_edits=running_edits,
    )


def needs_auto_generation(snapshot: DesignerSnapshot) -> bool:
    """Whether opening the designer should start the first front view (seed 000 §2.1 auto-generation):
    no iteration yet, nothing running and no earlier failure (after a failure the user retries)."""
    return not snapshot.approvals and snapshot.job_kind is None and snapshot.last_error is None and snapshot.status == "generating"


__all__ = ["VIEWS", "DesignerSnapshot", "load", "needs_auto_generation"]
