"""Account tables: users, browser sessions, sign-in throttling, e-mail tokens and the mail outbox
(DESIGN.md §10; issue 7).

Secrets never sit in these tables in the clear: a session token and an e-mail link token are stored as
their SHA-256 digest (the token itself is 256 random bits from ``secrets``, so a fast hash is enough).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, String, Text
from sqlmodel import Field, SQLModel

from genpire_app.backend.db.fields import ts_field, user_fk


class LocalUser(SQLModel, table=True):
    """An account: the e-mail address is ``username``; ``password_hash`` is a bcrypt hash (DESIGN.md §10).

    ``email_verified_at`` is set when the owner followed the verification link (or at sign-up when no mail
    server is configured); the sign-up credits are granted then. The table keeps the name it had when
    accounts came from reflex-local-auth.
    """

    __tablename__ = "localuser"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, nullable=False, index=True, sa_type=String(255))
    password_hash: bytes = Field(nullable=False)
    enabled: bool = False
    email_verified_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class UserSession(SQLModel, table=True):
    """A signed-in browser (issue 7 item 1).

    ``token_hash``: SHA-256 hex of the cookie's secret. Valid while ``revoked_at`` is null, ``expires_at``
    (absolute expiry, sign-in + 30 days) is in the future and ``last_seen_at`` is within the idle limit
    (24 h). ``user_agent`` and ``ip`` describe the device on the Account page.
    """

    __tablename__ = "user_sessions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    token_hash: str = Field(unique=True, nullable=False, sa_type=String(64))
    created_at: datetime = ts_field()
    last_seen_at: datetime = ts_field()
    expires_at: datetime = ts_field()
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    user_agent: str = Field(default="", sa_type=String(300))
    ip: str = Field(default="", sa_type=String(64))


class AuthThrottle(SQLModel, table=True):
    """Failed attempts of one throttling key (``account:<sha256 of e-mail>``, ``ip:<address>``,
    ``signup-ip:<address>`` ...) and the time until which the key is locked (issue 7 item 2)."""

    __tablename__ = "auth_throttle"

    key: str = Field(primary_key=True, sa_type=String(100))
    failures: int = 0
    window_started_at: datetime = ts_field()
    last_failure_at: datetime = ts_field()
    locked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class EmailToken(SQLModel, table=True):
    """A single-use e-mail link: ``purpose`` is ``verify`` (e-mail verification) or ``reset`` (password
    reset); ``token_hash`` is the SHA-256 hex of the link's secret; ``used_at`` is set when it is used."""

    __tablename__ = "email_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    purpose: str = Field(sa_type=String(16))
    token_hash: str = Field(unique=True, nullable=False, sa_type=String(64))
    created_at: datetime = ts_field()
    expires_at: datetime = ts_field()
    used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class EmailOutbox(SQLModel, table=True):
    """One e-mail to send (issue 7 item 2): written in the transaction that causes it, sent by SMTP from
    the queue. ``status``: pending | sent | failed. Once sent, ``body`` keeps no link secrets."""

    __tablename__ = "email_outbox"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="localuser.id", index=True, ondelete="CASCADE")
    kind: str = Field(sa_type=String(32))
    to_address: str = Field(sa_type=String(254))
    subject: str = Field(sa_type=String(200))
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", index=True, sa_type=String(16))
    attempts: int = 0
    last_error: str = Field(default="", sa_type=String(500))
    created_at: datetime = ts_field()
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
