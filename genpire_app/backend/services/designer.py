"""Read model of the AI Designer page: everything it shows about one product, from the database.

The page loads this on open, on every push event and after a reconnect, so a reload or a second tab
shows the same thing, including a job still in progress (DESIGN.md §7).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import Job, as_utc
from genpire_app.backend.jobs.kinds import JobKind, JobStatus
from genpire_app.backend.providers.base import REMAINING_VIEWS
from genpire_app.backend.services.edits import EDIT_KINDS
from genpire_app.backend.services.revisions import RevisionInfo, chat_messages, list_revisions
from genpire_app.backend.services.techpacks import TechPackItem, list_tech_packs

#: Jobs whose progress the page shows in place of the views (the product is "generating").
PIPELINE_KINDS = frozenset({JobKind.FRONT_VIEW.value, JobKind.ITERATION.value, JobKind.APPROVAL.value,
                            JobKind.RETRY_VIEW.value})


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
class ChatInfo:
    """One chat message: role, text, time (UTC) and the key of its image attachment ("" when none)."""

    id: str
    role: str
    content: str
    created_at: datetime | None
    image_key: str


@dataclass(frozen=True)
class JobInfo:
    """A job as a tab follows it: kind, status, progress, and when it ended its message and result."""

    id: str
    kind: str
    status: str
    progress: dict[str, str]
    message: str
    result: dict[str, object]

    @property
    def ended(self) -> bool:
        """Whether the job is over (succeeded, partial or failed)."""
        return not JobStatus(self.status).active


def job_info(job: Job) -> JobInfo:
    """The tab's view of a job row."""
    message = job.error if job.status == JobStatus.FAILED else str((job.result or {}).get("message", ""))
    return JobInfo(str(job.id), job.kind, job.status, {k: str(v) for k, v in (job.progress or {}).items()},
                   message or "", dict(job.result or {}))


@dataclass(frozen=True)
class DesignerSnapshot:
    """The state of one product as the AI Designer shows it.

    ``phase``: generating_front | front_failed | awaiting_approval | generating_views | views_ready.
    ``active_job`` is the pipeline job in progress (front view, iteration, approval, retry), if any;
    ``running_edits`` counts edits and annotations in progress; ``jobs`` holds the jobs the tab asked about.
    ``from_photos``: the product was started from photos (``services.photo_start``), so a missing view was
    never generated rather than failed.
    """

    product_id: str
    name: str
    status: str
    phase: str
    approvals: list[ApprovalInfo]
    views: list[ViewInfo]
    missing_views: list[str]
    active_job: JobInfo | None
    running_edits: int
    last_error: str | None
    tech_packs: list[TechPackItem] = field(default_factory=list)
    messages: list[ChatInfo] = field(default_factory=list)
    revisions: list[RevisionInfo] = field(default_factory=list)
    jobs: dict[str, JobInfo] = field(default_factory=dict)
    from_photos: bool = False


def _phase(status: str, active: Job | None, have: set[str], approvals: bool, failed: bool) -> str:
    if active is not None and active.kind in (JobKind.FRONT_VIEW, JobKind.ITERATION) and not approvals:
        return "generating_front"
    if active is not None and active.kind == JobKind.APPROVAL:
        return "generating_views"
    if "front" in have:
        return "views_ready"
    if approvals:
        return "awaiting_approval"
    return "front_failed" if status == "failed" or failed else "generating_front"


def _chat(session: Session, user_id: int, product_id: uuid.UUID) -> list[ChatInfo]:
    out = []
    for m in chat_messages(session, user_id=user_id, product_id=product_id):
        image = next((a.get("key", "") for a in (m.attachments or []) if a.get("kind") in ("image", "annotation")), "")
        out.append(ChatInfo(str(m.id), m.role, m.content, as_utc(m.created_at), image or ""))
    return out


def load(*, user_id: int, product_id: uuid.UUID, watch: Iterable[str] = ()) -> DesignerSnapshot | None:
    """The snapshot of the user's product (and of the jobs in ``watch``), or None when it is not theirs."""
    with read_session() as s:
        product = repo.owned_product(s, user_id=user_id, product_id=product_id)
        if product is None:
            return None
        approvals = repo.approvals(s, product_id=product_id)
        rows = repo.active_revision(s, product_id=product_id)
        jobs = repo.recent_jobs(s, product_id=product_id, limit=20)
        watched = [uuid.UUID(j) for j in watch]
        extra = list(s.exec(select(Job).where(Job.id.in_(watched), Job.user_id == user_id))) if watched else []
        techs = list_tech_packs(s, user_id=user_id, product_id=product_id)
        chat = _chat(s, user_id, product_id)
        revisions = list_revisions(s, user_id=user_id, product_id=product_id)
    active = next((j for j in jobs if JobStatus(j.status).active and j.kind in PIPELINE_KINDS), None)
    pipeline = [j for j in jobs if j.kind in PIPELINE_KINDS]
    latest = pipeline[0] if pipeline else None
    last_error = latest.error if latest is not None and latest.status == JobStatus.FAILED else None
    views = [ViewInfo(r.view_type, r.image_key, r.thumbnail_key or r.image_key, r.revision_number, str(r.id)) for r in rows]
    have = {v.view for v in views}
    return DesignerSnapshot(
        product_id=str(product.id),
        name=product.name,
        status=product.status,
        phase=_phase(product.status, active, have, bool(approvals), last_error is not None),
        approvals=[
            ApprovalInfo(str(a.id), a.iteration_number, a.status, a.front_view_key,
                         a.front_view_thumbnail_key or a.front_view_key, a.user_feedback or "", tuple(a.notes or ()))
            for a in approvals
        ],
        views=views,
        missing_views=[v for v in REMAINING_VIEWS if v not in have] if "front" in have else [],
        active_job=job_info(active) if active is not None else None,
        running_edits=sum(1 for j in jobs if JobStatus(j.status).active and j.kind in EDIT_KINDS),
        last_error=last_error,
        tech_packs=techs,
        messages=chat,
        revisions=revisions,
        jobs={str(j.id): job_info(j) for j in [*jobs, *extra] if str(j.id) in set(watch)},
        from_photos=product.input_mode == "photos",
    )


@dataclass(frozen=True)
class JobsView:
    """The product's jobs in progress only (a light reload for progress events): the pipeline job, the
    number of running edits, and the jobs the tab asked about."""

    active_job: JobInfo | None
    running_edits: int
    jobs: dict[str, JobInfo]


def load_jobs(*, user_id: int, product_id: uuid.UUID, watch: Iterable[str] = ()) -> JobsView:
    """:class:`JobsView` of the user's product (empty when it is not theirs)."""
    watched = set(watch)
    with read_session() as s:
        jobs = [j for j in repo.recent_jobs(s, product_id=product_id, limit=20) if j.user_id == user_id]
    active = next((j for j in jobs if JobStatus(j.status).active and j.kind in PIPELINE_KINDS), None)
    return JobsView(
        active_job=job_info(active) if active is not None else None,
        running_edits=sum(1 for j in jobs if JobStatus(j.status).active and j.kind in EDIT_KINDS),
        jobs={str(j.id): job_info(j) for j in jobs if str(j.id) in watched},
    )


def needs_auto_generation(snapshot: DesignerSnapshot) -> bool:
    """Whether opening the designer should start the first front view (seed 000 §2.1 auto-generation):
    no iteration yet, nothing running and no earlier failure (after a failure the user retries)."""
    return (not snapshot.approvals and snapshot.active_job is None and snapshot.last_error is None
            and snapshot.status == "generating")


__all__ = ["ApprovalInfo", "ChatInfo", "DesignerSnapshot", "JobInfo", "JobsView", "ViewInfo", "job_info", "load",
           "load_jobs", "needs_auto_generation"]
