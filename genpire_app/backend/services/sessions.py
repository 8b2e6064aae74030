"""Browser sessions: started at every sign-in, revoked at sign-out, idle and absolute expiry (issue 7 item 1;
DESIGN.md §10).

The browser holds the session secret in an HttpOnly, SameSite=Lax cookie (:data:`COOKIE_NAME`) set by the
HTTP sign-in route (``api/auth.py``); Reflex's websocket handshake carries the cookie, so page states read it
from the connection's headers. The secret is 256 bits from ``secrets``; the ``user_sessions`` row keeps
only its SHA-256 digest. A session is valid while it is not revoked, its absolute expiry
(``SESSION_ABSOLUTE_DAYS`` after sign-in, default 30) has not passed and it was used within the idle limit
(``SESSION_IDLE_HOURS``, default 24). ``last_seen_at`` is written at most once a minute per session.

Every function takes ``now`` (aware UTC) so tests inject the clock.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookies import CookieError, SimpleCookie

from sqlalchemy import delete, or_, update
from sqlmodel import select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.account_models import LocalUser, UserSession
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import as_utc, utcnow

#: Name of the session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS).
COOKIE_NAME = "genpire_session"
#: ``last_seen_at`` is refreshed when older than this.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SignedIn:
    """The account behind a valid session: user id, e-mail address and the session's id."""

    user_id: int
    email: str
    session_id: uuid.UUID


@dataclass(frozen=True)
class SessionInfo:
    """One active session as the Account page lists it (times are aware UTC)."""

    id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    ip: str


def digest(token: str) -> str:
    """SHA-256 hex digest of a session secret (what the database stores)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_from_cookies(cookie_header: str) -> str:
    """The session secret in a ``Cookie`` request header ("" when absent or unparsable)."""
    if not cookie_header:
        return ""
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        return ""
    morsel = jar.get(COOKIE_NAME)
    return morsel.value if morsel is not None else ""


def _limits() -> tuple[timedelta, timedelta]:
    settings = get_settings()
    return timedelta(hours=settings.session_idle_hours), timedelta(days=settings.session_absolute_days)


def start(user_id: int, *, user_agent: str = "", ip: str = "", now: datetime | None = None) -> str:
    """Create a new session for ``user_id``; returns its secret (for the cookie). Always a new secret:
    whatever the browser held before is not reused (the sign-in route also revokes it)."""
    now = now or utcnow()
    _, absolute = _limits()
    token = secrets.token_urlsafe(32)
    with write_session() as s:
        s.add(UserSession(user_id=user_id, token_hash=digest(token), created_at=now, last_seen_at=now,
                          expires_at=now + absolute, user_agent=(user_agent or "")[:300], ip=(ip or "")[:64]))
    return token


def _valid(row: UserSession, now: datetime) -> bool:
    idle, _ = _limits()
    expires, seen = as_utc(row.expires_at), as_utc(row.last_seen_at)
    assert expires is not None and seen is not None
    return row.revoked_at is None and expires > now and seen + idle > now


def resolve(token: str, *, now: datetime | None = None) -> SignedIn | None:
    """The enabled account of a valid session secret, or None (unknown, revoked, idle or expired).

    Refreshes ``last_seen_at`` when it is over a minute old (one small write per session per minute).
    """
    if not token:
        return None
    now = now or utcnow()
    with read_session() as s:
        row = s.exec(
            select(UserSession, LocalUser.username)
            .join(LocalUser, LocalUser.id == UserSession.user_id)
            .where(UserSession.token_hash == digest(token), LocalUser.enabled.is_(True))
        ).first()
    if row is None or not _valid(row[0], now):
        return None
    session, email = row
    seen = as_utc(session.last_seen_at)
    assert seen is not None
    if now - seen >= TOUCH_EVERY:
        with write_session() as s:
            s.execute(update(UserSession).where(UserSession.id == session.id, UserSession.revoked_at.is_(None))
                      .values(last_seen_at=now))
    return SignedIn(session.user_id, str(email), session.id)


def revoke(token: str, *, now: datetime | None = None) -> SignedIn | None:
    """Revoke the session of ``token`` (sign-out); returns whose it was (None when unknown or already
    revoked). Every tab of the session loses access at its next event."""
    if not token:
        return None
    now = now or utcnow()
    with write_session() as s:
        row = s.exec(
            select(UserSession, LocalUser.username).join(LocalUser, LocalUser.id == UserSession.user_id)
            .where(UserSession.token_hash == digest(token), UserSession.revoked_at.is_(None))
        ).first()
        if row is None:
            return None
        session, email = row
        session.revoked_at = now
        s.add(session)
        return SignedIn(session.user_id, str(email), session.id)


def revoke_id(*, user_id: int, session_id: uuid.UUID, now: datetime | None = None) -> bool:
    """Revoke one session of ``user_id`` (the Account page's "Sign out" on a device). False when it is
    not this user's or already revoked."""
    with write_session() as s:
        result = s.execute(
            update(UserSession)
            .where(UserSession.id == session_id, UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=now or utcnow())
        )
        return bool(result.rowcount)


def revoke_all(*, user_id: int, now: datetime | None = None) -> int:
    """Revoke every session of ``user_id`` ("Sign out everywhere", password reset); returns how many."""
    with write_session() as s:
        result = s.execute(
            update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=now or utcnow())
        )
        return int(result.rowcount or 0)


def list_active(*, user_id: int, now: datetime | None = None) -> list[SessionInfo]:
    """The valid sessions of ``user_id``, most recently used first."""
    now = now or utcnow()
    with read_session() as s:
        rows = s.exec(
            select(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
            .order_by(UserSession.last_seen_at.desc())
        ).all()
    return [SessionInfo(r.id, as_utc(r.created_at), as_utc(r.last_seen_at), r.user_agent, r.ip)  # type: ignore[arg-type]
            for r in rows if _valid(r, now)]


#: Ended sessions (revoked or expired) are deleted this long after they ended (they no longer show anywhere).
PRUNE_AFTER = timedelta(days=7)


def prune(*, now: datetime | None = None) -> int:
    """Delete sessions revoked, or past their absolute expiry, over :data:`PRUNE_AFTER` ago; idle ones go once
    their absolute expiry passes too. Returns the number of rows deleted. Called by the recovery sweep."""
    now = now or utcnow()
    cutoff = now - PRUNE_AFTER
    with write_session() as s:
        result = s.execute(
            delete(UserSession).where(or_(UserSession.revoked_at < cutoff, UserSession.expires_at < cutoff))
        )
        return int(result.rowcount or 0)


def device_label(user_agent: str) -> str:
    """A person's name for the browser of a session, e.g. "Chrome on Linux", "Mobile Safari on iOS
    (iPhone)", from its User-Agent (parsed by ua-parser); "Unknown device" when it says nothing."""
    import ua_parser  # loads its rules on first use (about 0.1 s): keep it off the import path

    parsed = ua_parser.parse(user_agent or "")
    browser = parsed.user_agent.family if parsed.user_agent else ""
    system = parsed.os.family if parsed.os else ""
    device = parsed.device.family if parsed.device and parsed.device.family not in ("Other", "") else ""
    if not browser and not system:
        return "Unknown device"
    label = f"{browser or 'Browser'} on {system}" if system else browser
    return f"{label} ({device})" if device and device != system else label
