"""External events: webhook deliveries from other services, recorded once (DESIGN.md §4 ``external_events``,
§8 "Webhooks and external events"; issue 8 item 4).

A delivery is identified by ``(source, external_id)`` (unique): a provider that delivers the same event
again (retries, replays) finds the row already there, so the table holds each delivery once. ``handled_at``
is set in the same transaction as the business writes the event caused (null: received, not handled yet).
``payload`` is kept as received, for audit and debugging only: it is never trusted (Meshy's task is
re-fetched, Stripe's signature is checked before anything is stored).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from genpire_app.backend.db.fields import json_field, ts_field


class ExternalEvent(SQLModel, table=True):
    """One delivery of an external service's event.

    Columns:
        ``source``: who sent it (``"meshy"``, later ``"stripe"``, ``"shopify"``).
        ``external_id``: the sender's identity of the event (Meshy sends none: ``"<task id>:<status>:<progress>"``).
        ``received_at``: first receipt (UTC); ``handled_at``: when its business writes committed, or null.
        ``payload``: the JSON body as received (untrusted).
    """

    __tablename__ = "external_events"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_external_events_source_external_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    source: str = Field(sa_type=String(40))
    external_id: str = Field(sa_type=String(300))
    received_at: datetime = ts_field()
    handled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    payload: dict[str, Any] = json_field(dict)
