"""Revisions: writing revision n+1, rollback, history, and the product's chat (seed 000 §4.3, §4.6, §5.6).

A revision is a complete set of views. Writing one deactivates the previous rows and adds a row per view:
new rows for the views that changed, copies of the other active rows (same image keys, so those images
stay byte-identical). Each row keeps in ``metadata.instructions`` the chain of instructions that produced
its image (the offline renderer replays it) and in ``metadata.micro_edits`` the annotation edits.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import (
    AIChatMessage,
    ChatSession,
    ProductIdea,
    ProductMultiviewRevision,
    as_utc,
    utcnow,
)
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import VIEWS


@dataclass(frozen=True)
class NewView:
    """A new row of a revision: view name, image and thumbnail keys, model, generation time (milliseconds),
    provider parameters, the instruction chain and micro-edits of its image, and the row it was edited from."""

    view: str
    key: str
    thumb: str | None
    model: str = ""
    elapsed_ms: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    instructions: tuple[str, ...] = ()
    micro_edits: tuple[dict[str, Any], ...] = ()
    parent_id: uuid.UUID | None = None


def write_revision(
    session: Session,
    *,
    user_id: int,
    product_id: uuid.UUID,
    views: list[NewView],
    edit_type: str,
    edit_prompt: str | None,
    meta: dict[str, Any],
    approval_id: uuid.UUID | None = None,
    number: int | None = None,
    carry_from: dict[str, ProductMultiviewRevision] | None = None,
) -> int:
    """Write a revision in the caller's transaction (the product is already locked). Returns its number.

    Args:
        views: the rows that changed; every other view is carried from ``carry_from`` (default: the active rows).
        edit_type: initial | ai_edit | rollback.
        meta: extra ``metadata`` of every row (e.g. ``{"credits_used": 50}``).
        number: the revision number (default: the next one).
    """
    number = repo.next_revision_number(session, product_id=product_id) if number is None else number
    active = {r.view_type: r for r in repo.active_revision(session, product_id=product_id)}
    sources = carry_from if carry_from is not None else active
    now = utcnow()
    prefix = {"initial": f"initial_{product_id}", "rollback": f"rollback_{number}"}.get(edit_type, f"edit_{number}")
    batch_id = f"{prefix}_{int(time.time() * 1000)}"
    session.execute(
        update(ProductMultiviewRevision)
        .where(ProductMultiviewRevision.product_idea_id == product_id, ProductMultiviewRevision.is_active.is_(True))
        .values(is_active=False, updated_at=now)
    )
    session.flush()
    changed = {v.view: v for v in views}
    common = {"product_idea_id": product_id, "user_id": user_id, "revision_number": number, "batch_id": batch_id,
              "edit_prompt": edit_prompt, "edit_type": edit_type, "is_active": True}
    for name in VIEWS:
        previous = active.get(name) or sources.get(name)
        if name in changed:
            new = changed[name]
            session.add(ProductMultiviewRevision(
                **common, view_type=name, image_key=new.key, thumbnail_key=new.thumb, ai_model=new.model,
                ai_parameters=new.parameters, generation_time_ms=new.elapsed_ms, parent_revision_id=new.parent_id,
                front_view_approval_id=approval_id or (previous.front_view_approval_id if previous else None),
                metadata_={**meta, "instructions": list(new.instructions), "micro_edits": list(new.micro_edits),
                           "edited": True},
            ))
        elif name in sources:
            src = sources[name]
            old = src.metadata_ or {}
            session.add(ProductMultiviewRevision(
                **common, view_type=name, image_key=src.image_key, thumbnail_key=src.thumbnail_key,
                ai_model=src.ai_model, ai_parameters=src.ai_parameters, parent_revision_id=src.id,
                front_view_approval_id=src.front_view_approval_id,
                metadata_={**meta, "instructions": list(old.get("instructions", [])),
                           "micro_edits": list(old.get("micro_edits", [])), "edited": edit_type == "rollback",
                           "carried_from_revision": src.revision_number},
            ))
    front = changed.get("front")
    thumb = front.thumb if front else (sources["front"].thumbnail_key if "front" in sources else None)
    values: dict[str, Any] = {"updated_at": now, **({"thumbnail_key": thumb} if thumb else {})}
    session.execute(update(ProductIdea).where(ProductIdea.id == product_id).values(**values))
    return number


def rollback(*, user_id: int, product_id: uuid.UUID, revision_number: int) -> int:
    """Make an earlier revision current again (seed 000 §5.6; DESIGN.md §12 "rollback"): writes revision
    n+1 with ``edit_type`` rollback reusing that revision's images. Nothing is deleted; free of charge.

    Raises:
        OperationError: not found, unknown revision, or it is already the current one.
    """
    with write_session() as s:
        if repo.lock_product(s, user_id=user_id, product_id=product_id) is None:
            raise OperationError("not_found", "This product does not exist or is not yours.")
        target = repo.revision_rows(s, product_id=product_id, revision_number=revision_number)
        if not target:
            raise OperationError("not_found", f"Revision {revision_number} does not exist.")
        active = repo.active_revision(s, product_id=product_id)
        if active and all(r.revision_number == revision_number for r in active):
            raise OperationError("invalid_state", f"Revision {revision_number} is already the current one.")
        number = write_revision(
            s, user_id=user_id, product_id=product_id, views=[], edit_type="rollback",
            edit_prompt=f"Rolled back to revision {revision_number}",
            meta={"rollback_to": revision_number, "credits_used": 0}, carry_from={r.view_type: r for r in target},
        )
        repo.chat_append(s, product_id=product_id, role="assistant",
                         content=f"Revision {number}: restored revision {revision_number}.", kind="rollback")
        return number


@dataclass(frozen=True)
class RevisionInfo:
    """One revision for the history panel: number, label, type, time, active flag and its views' keys."""

    number: int
    label: str
    edit_type: str
    created_at: datetime
    is_active: bool
    views: dict[str, str]
    thumbnails: dict[str, str]
    edited_views: tuple[str, ...]
    front_row_id: str


def list_revisions(session: Session, *, user_id: int, product_id: uuid.UUID) -> list[RevisionInfo]:
    """Every revision of the user's product, newest first (empty when not theirs)."""
    rows = session.exec(
        select(ProductMultiviewRevision)
        .where(ProductMultiviewRevision.product_idea_id == product_id, ProductMultiviewRevision.user_id == user_id)
        .order_by(ProductMultiviewRevision.revision_number.desc(), ProductMultiviewRevision.created_at)
    ).all()
    grouped: dict[int, list[ProductMultiviewRevision]] = {}
    for r in rows:
        grouped.setdefault(r.revision_number, []).append(r)
    out: list[RevisionInfo] = []
    for number, group in grouped.items():
        group.sort(key=lambda r: repo.VIEW_ORDER.get(r.view_type, 9))
        first = group[0]
        edited = tuple(
            r.view_type for r in group if (r.metadata_ or {}).get("edited", number == 0 or r.edit_type == "initial")
        )
        front = next((r for r in group if r.view_type == "front"), first)
        out.append(RevisionInfo(
            number=number, label="Original" if number == 0 else (first.edit_prompt or "Edit"),
            edit_type=first.edit_type, created_at=as_utc(min(r.created_at for r in group)) or utcnow(),
            is_active=any(r.is_active for r in group), views={r.view_type: r.image_key for r in group},
            thumbnails={r.view_type: r.thumbnail_key or r.image_key for r in group}, edited_views=edited,
            front_row_id=str(front.id),
        ))
    return out


def chat_messages(session: Session, *, user_id: int, product_id: uuid.UUID, limit: int = 100) -> list[AIChatMessage]:
    """The product's chat, oldest first (the initial message is the first entry; seed 000 §4.6)."""
    chat = session.exec(
        select(ChatSession).where(ChatSession.product_id == product_id, ChatSession.user_id == user_id)
    ).first()
    if chat is None:
        return []
    rows = session.exec(
        select(AIChatMessage).where(AIChatMessage.session_id == chat.id)
        .order_by(AIChatMessage.created_at.desc()).limit(limit)
    ).all()
    return list(reversed(rows))


def list_revisions_for(*, user_id: int, product_id: uuid.UUID) -> list[RevisionInfo]:
    """:func:`list_revisions` in its own read session."""
    with read_session() as s:
        return list_revisions(s, user_id=user_id, product_id=product_id)


__all__ = ["NewView", "RevisionInfo", "chat_messages", "list_revisions", "list_revisions_for", "rollback",
           "write_revision"]
