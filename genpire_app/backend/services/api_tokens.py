"""Personal API tokens: created and revoked on the Account page, stored hashed, shown once (issue 10 item 8;
DESIGN.md §4 "users / auth: API tokens (hashed)", §10 "CSPRNG secrets stored hashed").

A token's secret is ``gp_`` followed by 43 URL-safe characters (32 bytes from ``secrets``, 256 bits). The
``api_tokens`` row keeps only the hex SHA-256 of the whole secret (``token_hash``, unique) and its first
:data:`PREFIX_CHARS` characters (``prefix``, e.g. ``gp_Xc81aZ``) so the owner can recognise it in the list;
the secret itself is returned once by :func:`create` and never again. A request presents it as
``Authorization: Bearer gp_...`` (``api/access.py``); :func:`resolve` looks it up by hash (the comparison
is an index lookup of a digest, so its timing says nothing about the secret), refuses revoked tokens and
disabled accounts, and writes ``last_used_at`` at most once a minute per token.

A user has at most :data:`MAX_LIVE` live (unrevoked) tokens. Revoking is owner-checked and idempotent; a
revoked token is refused at its next request (401). Every function takes ``now`` (aware UTC) so tests
inject the clock. Never imports reflex.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import select

from genpire_app.backend.db.account_models import LocalUser
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import as_utc, utcnow
from genpire_app.backend.db.techpack_v2_models import ApiToken
from genpire_app.backend.jobs.errors import OperationError

#: Every secret starts with this (recognisable in logs and by secret scanners).
SECRET_PREFIX = "gp_"
#: Random bytes in a secret (``secrets.token_urlsafe``: 43 characters for 32 bytes).
SECRET_BYTES = 32
#: Characters of the secret kept in ``prefix`` (``gp_`` and 7 random characters: 42 bits, not enough to guess).
PREFIX_CHARS = 10
#: Live (unrevoked) tokens one user may hold.
MAX_LIVE = 20
#: Length limit of a token's name, characters (after trimming).
MAX_NAME = 80
#: ``last_used_at`` is refreshed when older than this.
TOUCH_EVERY = timedelta(minutes=1)
#: A presented secret longer than this is refused without a database lookup.
MAX_SECRET_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ApiTokenRow:
    """One token as listed: id, name, the secret's first characters, and times (aware UTC; ``last_used_at``
    None when never used, ``revoked_at`` None while live)."""

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None = None


def digest(secret: str) -> str:
    """Hex SHA-256 of a token secret (what the database stores)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _row(token: ApiToken) -> ApiTokenRow:
    created = as_utc(token.created_at)
    assert created is not None
    return ApiTokenRow(token.id, token.name, token.prefix, created, as_utc(token.last_used_at),
                       as_utc(token.revoked_at))


def clean_name(name: str) -> str:
    """The token name trimmed, with control characters removed and inner whitespace collapsed.

    Raises:
        OperationError: ``invalid_input`` when empty or longer than :data:`MAX_NAME` characters.
    """
    cleaned = " ".join(_CONTROL.sub(" ", name or "").split())
    if not cleaned:
        raise OperationError("invalid_input", "Give the token a name, e.g. the script or tool that uses it.")
    if len(cleaned) > MAX_NAME:
        raise OperationError("invalid_input", f"Keep the name under {MAX_NAME + 1} characters.")
    return cleaned


def create(user_id: int, name: str, *, now: datetime | None = None) -> tuple[ApiTokenRow, str]:
    """Create a token for ``user_id``; returns its row and its secret (shown once, never stored).

    Raises:
        OperationError: ``invalid_input`` (name empty or over 80 characters), ``not_found`` (no such enabled
            account), ``conflict`` (already :data:`MAX_LIVE` live tokens).
    """
    cleaned = clean_name(name)
    now = now or utcnow()
    secret = SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    with write_session() as s:
        # Lock the account row so two concurrent creations cannot both pass the limit (PostgreSQL).
        user = s.exec(select(LocalUser).where(LocalUser.id == user_id).with_for_update()).first()
        if user is None or not user.enabled:
            raise OperationError("not_found", "This account does not exist.")
        live = s.exec(select(func.count()).select_from(ApiToken)
                      .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))).one()
        if int(live) >= MAX_LIVE:
            raise OperationError("conflict", f"You already have {MAX_LIVE} API tokens. Revoke one you no longer "
                                             "use, then create the new one.")
        token = ApiToken(user_id=user_id, name=cleaned, token_hash=digest(secret), prefix=secret[:PREFIX_CHARS],
                         created_at=now)
        s.add(token)
        s.flush()
        return _row(token), secret


def list_tokens(user_id: int) -> list[ApiTokenRow]:
    """The live (unrevoked) tokens of ``user_id``, newest first."""
    with read_session() as s:
        rows = s.exec(select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                      .order_by(ApiToken.created_at.desc(), ApiToken.id)).all()
    return [_row(t) for t in rows]


def revoke(user_id: int, token_id: uuid.UUID | str, *, now: datetime | None = None) -> bool:
    """Revoke one of ``user_id``'s tokens (idempotent: revoking it again changes nothing and still answers
    True). False when the id is malformed, unknown or another user's token (which stays valid)."""
    try:
        tid = token_id if isinstance(token_id, uuid.UUID) else uuid.UUID(str(token_id))
    except ValueError:
        return False
    with write_session() as s:
        token = s.exec(select(ApiToken).where(ApiToken.id == tid, ApiToken.user_id == user_id)).first()
        if token is None:
            return False
        if token.revoked_at is None:
            s.execute(update(ApiToken).where(ApiToken.id == tid, ApiToken.revoked_at.is_(None))
                      .values(revoked_at=now or utcnow()))
        return True


def looks_like_secret(value: str) -> bool:
    """Whether ``value`` has the shape of a token secret (``gp_`` prefix, URL-safe, bounded length)."""
    return (bool(value) and value.startswith(SECRET_PREFIX) and len(value) <= MAX_SECRET_CHARS
            and re.fullmatch(r"[A-Za-z0-9_\-]+", value) is not None)


def resolve(secret: str, *, now: datetime | None = None) -> int | None:
    """The user id of a live token of an enabled account, or None (malformed, unknown or revoked).

    Refreshes ``last_used_at`` when it is empty or over a minute old (one small write per token per minute).
    """
    if not looks_like_secret(secret or ""):
        return None
    now = now or utcnow()
    with read_session() as s:
        row = s.exec(
            select(ApiToken.id, ApiToken.user_id, ApiToken.last_used_at)
            .join(LocalUser, LocalUser.id == ApiToken.user_id)
            .where(ApiToken.token_hash == digest(secret), ApiToken.revoked_at.is_(None),
                   LocalUser.enabled.is_(True))
        ).first()
    if row is None:
        return None
    token_id, user_id, last_used = row
    last = as_utc(last_used)
    if last is None or now - last >= TOUCH_EVERY:
        with write_session() as s:
            s.execute(update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
                      .values(last_used_at=now))
    return int(user_id)


__all__ = ["MAX_LIVE", "MAX_NAME", "PREFIX_CHARS", "SECRET_PREFIX", "ApiTokenRow", "clean_name", "create", "digest",
           "list_tokens", "looks_like_secret", "resolve", "revoke"]
