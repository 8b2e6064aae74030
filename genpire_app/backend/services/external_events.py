"""External events recorded once (DESIGN.md §8; table ``external_events``): every webhook delivery of Meshy
and Stripe is inserted with ``UNIQUE(source, external_id)``, so a duplicate inserts nothing, and marked
handled in the same transaction as the business writes it caused."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from genpire_app.backend.db.engine import write_session
from genpire_app.backend.db.external_models import ExternalEvent
from genpire_app.backend.db.models import utcnow


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery to record (DESIGN.md §8): ``source`` and ``external_id`` (unique together)."""

    source: str
    external_id: str
    payload: dict[str, Any]


def record(s: Session, delivery: Delivery, *, handled: bool) -> tuple[uuid.UUID, bool]:
    """Insert the delivery once (``UNIQUE(source, external_id)``: a duplicate inserts nothing), mark it
    handled if asked; returns (its row id, whether it was handled before)."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    now, external_id = utcnow(), delivery.external_id[:300]
    s.execute(
        insert(ExternalEvent)
        .values(id=uuid.uuid4(), source=delivery.source, external_id=external_id, received_at=now,
                payload=delivery.payload)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
    )
    event_id, handled_at = s.exec(
        select(ExternalEvent.id, ExternalEvent.handled_at)
        .where(ExternalEvent.source == delivery.source, ExternalEvent.external_id == external_id)
    ).one()
    if handled and handled_at is None:
        s.execute(update(ExternalEvent).where(ExternalEvent.id == event_id).values(handled_at=now))
    return event_id, handled_at is not None


def record_event(source: str, external_id: str, payload: dict[str, Any], *, handled: bool = False) -> tuple[uuid.UUID, bool]:
    """Record one delivery in ``external_events`` once, in its own transaction (DESIGN.md §8).
    ``handled``: mark it handled now (a delivery with nothing left to do).

    Returns:
        (the id of its row (the existing one for a duplicate), whether it was already handled before).
    """
    with write_session() as s:
        return record(s, Delivery(source, external_id, payload), handled=handled)


def mark_handled(s: Session, event_id: uuid.UUID) -> None:
    """Mark a recorded delivery handled (in the transaction of its business writes)."""
    s.execute(update(ExternalEvent).where(ExternalEvent.id == event_id, ExternalEvent.handled_at.is_(None))
              .values(handled_at=utcnow()))


__all__ = ["Delivery", "mark_handled", "record", "record_event"]
