"""Queries shared by several services: keyword-only functions taking a session (DESIGN.md §3 db/).

Every function scopes by the owner where a user is involved; none commits (the caller owns the transaction).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from genpire_app.backend.db.engine import is_sqlite
from genpire_app.backend.db.models import (
    AIChatMessage,
    ChatSession,
    FrontViewApproval,
    Job,
    ProductIdea,
    ProductMultiviewRevision,
)
from genpire_app.backend.jobs.kinds import ACTIVE_STATUSES

#: The five orthographic views in display order (seed 000 §1).
VIEW_ORDER: dict[str, int] = {v: i for i, v in enumerate(("front", "back", "side", "top", "bottom"))}


def _in_view_order(rows: Iterable[ProductMultiviewRevision]) -> list[ProductMultiviewRevision]:
    return sorted(rows, key=lambda r: VIEW_ORDER.get(r.view_type, 99))


def lock_product(session: Session, *, user_id: int, product_id: uuid.UUID) -> ProductIdea | None:
    """The user's product, row-locked until the transaction ends (PostgreSQL ``FOR UPDATE``; SQLite's
    ``BEGIN IMMEDIATE`` already serialises writers). None when missing or not the user's."""
    query = select(ProductIdea).where(ProductIdea.id == product_id, ProductIdea.user_id == user_id)
    if not is_sqlite(session.get_bind()):
        query = query.with_for_update()
    return session.exec(query).first()


def owned_product(session: Session, *, user_id: int, product_id: uuid.UUID) -> ProductIdea | None:
    """The user's product without a lock, or None."""
    product = session.get(ProductIdea, product_id)
    return product if product is not None and product.user_id == user_id else None


def active_revision(session: Session, *, product_id: uuid.UUID) -> list[ProductMultiviewRevision]:
    """The active rows of a product (at most one per view), in view order (seed 000 §4.3)."""
    rows = session.exec(
        select(ProductMultiviewRevision).where(
            ProductMultiviewRevision.product_idea_id == product_id, ProductMultiviewRevision.is_active.is_(True)
        )
    ).all()
    return _in_view_order(rows)


def active_revision_number(session: Session, *, product_id: uuid.UUID) -> int | None:
    """The revision number of the active rows, or None before the views exist."""
    rows = active_revision(session, product_id=product_id)
    return max((r.revision_number for r in rows), default=None)


def revision_rows(session: Session, *, product_id: uuid.UUID, revision_number: int) -> list[ProductMultiviewRevision]:
    """The rows of one revision of a product, in view order."""
    rows = session.exec(
        select(ProductMultiviewRevision).where(
            ProductMultiviewRevision.product_idea_id == product_id,
            ProductMultiviewRevision.revision_number == revision_number,
        )
    ).all()
    return _in_view_order(rows)


def next_revision_number(session: Session, *, product_id: uuid.UUID) -> int:
    """One more than the highest revision number of the product (0 for the first)."""
    top = session.exec(
        select(func.coalesce(func.max(ProductMultiviewRevision.revision_number), -1)).where(
            ProductMultiviewRevision.product_idea_id == product_id
        )
    ).one()
    return int(top) + 1


def approvals(session: Session, *, product_id: uuid.UUID) -> list[FrontViewApproval]:
    """Every front-view iteration of a product, oldest first (seed 000 §4.2)."""
    return list(
        session.exec(
            select(FrontViewApproval)
            .where(FrontViewApproval.product_idea_id == product_id)
            .order_by(FrontViewApproval.iteration_number)
        ).all()
    )


def feedback_chain(session: Session, *, product_id: uuid.UUID, upto: FrontViewApproval | None) -> list[str]:
    """The feedback of every iteration that led to ``upto``, oldest first (empty for None)."""
    if upto is None:
        return []
    return [
        a.user_feedback
        for a in approvals(session, product_id=product_id)
        if a.iteration_number <= upto.iteration_number and a.user_feedback
    ]


def active_job(session: Session, *, product_id: uuid.UUID, ignore: Iterable[str] = ()) -> Job | None:
    """A queued or running job of the product whose kind is not in ``ignore``, or None."""
    query = select(Job).where(Job.product_id == product_id, Job.status.in_(ACTIVE_STATUSES))
    ignored = tuple(ignore)
    if ignored:
        query = query.where(Job.kind.not_in(ignored))
    return session.exec(query.order_by(Job.created_at)).first()


def recent_jobs(session: Session, *, product_id: uuid.UUID, limit: int = 10) -> list[Job]:
    """The product's newest jobs, newest first."""
    return list(session.exec(select(Job).where(Job.product_id == product_id).order_by(Job.created_at.desc()).limit(limit)))


def chat_append(
    session: Session,
    *,
    product_id: uuid.UUID,
    role: str,
    content: str,
    attachments: list[dict[str, Any]] | None = None,
    **meta: Any,
) -> None:
    """Append a message to the product's chat (seed 000 §4.6); nothing when the product has no chat."""
    chat = session.exec(select(ChatSession).where(ChatSession.product_id == product_id)).first()
    if chat is not None:
        session.add(
            AIChatMessage(session_id=chat.id, role=role, content=content, attachments=attachments or [], metadata_=meta)
        )


def chat_session_id(session: Session, *, product_id: uuid.UUID) -> uuid.UUID | None:
    """The id of the product's chat session, or None."""
    return session.exec(select(ChatSession.id).where(ChatSession.product_id == product_id)).first()


__all__ = [
    "VIEW_ORDER",
    "active_job",
    "active_revision",
    "active_revision_number",
    "approvals",
    "chat_append",
    "chat_session_id",
    "feedback_chain",
    "lock_product",
    "next_revision_number",
    "owned_product",
    "recent_jobs",
    "revision_rows",
]
