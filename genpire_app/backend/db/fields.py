"""Column helpers shared by the table modules (``models``, ``account_models``): UTC timestamps, JSON
(JSONB on PostgreSQL) and the owning account's foreign key."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC datetime (SQLite hands back naive datetimes)."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def ts_field(**kwargs: Any) -> Any:
    """A UTC timestamp column that defaults to now."""
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), **kwargs)


def json_field(default_factory: Any = dict) -> Any:
    """A JSON column (JSONB on PostgreSQL), not null."""
    return Field(default_factory=default_factory, sa_column=Column(JSONType, nullable=False))


def user_fk() -> Any:
    """The owning account (``localuser.id``), indexed, deleted with the account."""
    return Field(foreign_key="localuser.id", index=True, ondelete="CASCADE")
