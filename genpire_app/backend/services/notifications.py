"""In-app notifications (seed 000 §3 Phase 1 step 6; issue 3 adds the bell).

Types used: product_created, views_ready, tech_pack_ready, generation_failed.
"""

from __future__ import annotations


from sqlalchemy import func, update
from sqlmodel import Session, select

from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import Notification, utcnow


def notify(
    session: Session, *, user_id: int, type: str, title: str, message: str = "", link: str | None = None
) -> Notification:
    """Add a notification in the caller's transaction."""
    row = Notification(user_id=user_id, type=type, title=title, message=message, link=link)
    session.add(row)
    return row


def list_recent(*, user_id: int, limit: int = 20) -> list[Notification]:
    """The user's newest notifications, newest first."""
    with read_session() as s:
        return list(
            s.exec(
                select(Notification)
                .where(Notification.user_id == user_id)
                .order_by(Notification.created_at.desc())
                .limit(limit)
            )
        )


def unread_count(*, user_id: int) -> int:
    """How many of the user's notifications are unread."""
    with read_session() as s:
        return int(
            s.exec(
                select(func.count()).select_from(Notification).where(
                    Notification.user_id == user_id, Notification.read_at.is_(None)
                )
            ).one()
        )


def mark_all_read(*, user_id: int) -> None:
    """Mark every unread notification of the user as read now."""
    with write_session() as s:
        s.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
