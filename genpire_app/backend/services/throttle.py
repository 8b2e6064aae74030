"""Database-backed sign-in throttling and counting limits (issue 7 item 2; DESIGN.md §10).

Concern: stop password guessing against one account (from any number of IPs) and from one IP (against any
number of accounts) without letting users behind one IP lock each other out early, and count the same way
in every web worker. State lives in the ``auth_throttle`` table (``AuthThrottle``), so all processes share
it; SQLite (default) and PostgreSQL both work.

Policy of :func:`failure`: every key gets a free allowance of failures (``account:`` keys
``Settings.auth_free_failures_account``, ``ip:`` keys ``auth_free_failures_ip``, any other prefix the
account allowance, the stricter one). Each failure beyond it locks the key for 1 s, 2 s, 4 s ... capped at
``auth_max_lockout_seconds``. A key's failures are forgotten once it has had none for :data:`FORGET_AFTER`
(1 h). :func:`check` only reads: requests made during a lockout are refused without being charged, so
the lock never grows from them; the route calls ``check`` first and ``failure`` only after a real wrong
password. :func:`success` clears the ``account:`` keys only: the IP record stays, so an attacker cannot
reset the IP counter by signing into an account of their own.

Concurrency: every write is one atomic ``INSERT ... ON CONFLICT DO UPDATE`` (the dialect's own ``insert``)
in a write transaction (``BEGIN IMMEDIATE`` on SQLite; the row lock is held to commit on PostgreSQL), and
the keys of one call are written in sorted order, so concurrent callers neither lose counts nor deadlock.

Time: every function takes ``now`` (aware UTC, default :func:`utcnow`) so tests inject the clock.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.account_models import AuthThrottle
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import as_utc, utcnow

#: A key's failures are forgotten after this long without a new failure.
FORGET_AFTER = timedelta(hours=1)
#: :func:`prune` deletes rows with no failure or hit for this long (and no lock still running).
PRUNE_AFTER = timedelta(days=1)
ACCOUNT_PREFIX = "account:"
IP_PREFIX = "ip:"
_MAX_KEY = 100  # AuthThrottle.key is String(100)
_TABLE = AuthThrottle.__table__


class Throttled(Exception):
    """Too many attempts. ``retry_after``: whole seconds (>= 1) until a retry can pass. The message is
    user-facing and names no key (so it says nothing about whether an account exists)."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"Too many attempts. Try again in {self.retry_after} s.")


def _bounded(key: str) -> str:
    """``key`` if it fits the column, else its prefix and a SHA-256 of the whole (still unique)."""
    if len(key) <= _MAX_KEY:
        return key
    prefix = key.split(":", 1)[0][:30]
    return f"{prefix}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def account_key(email: str) -> str:
    """The throttle key of an e-mail address: ``account:`` + SHA-256 hex of the normalised (stripped,
    lower-cased, as ``accounts.normalise_email``) address. The same for unknown and existing accounts; the
    address is never stored in clear."""
    normalised = (email or "").strip().lower()
    return ACCOUNT_PREFIX + hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def ip_key(ip: str) -> str:
    """The throttle key of a client address: ``ip:<address>``, at most 100 characters.

    IPv4 (also IPv4-mapped IPv6) is kept as is. An IPv6 address is reduced to its /64 network
    (``ip:2001:db8:1:2::/64``): one subscriber usually holds a whole /64, so per-address keys would give an
    attacker 2**64 fresh allowances. Text that is no address (e.g. ``testclient``) is used lower-cased.
    """
    text = (ip or "").strip().lower()
    try:
        addr = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return _bounded(IP_PREFIX + text)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if isinstance(addr, ipaddress.IPv6Address):
        return IP_PREFIX + str(ipaddress.IPv6Network((addr, 64), strict=False))
    return IP_PREFIX + str(addr)


def free_failures(key: str) -> int:
    """Failures ``key`` may have before delays start (see the module docstring)."""
    settings = get_settings()
    if key.startswith(IP_PREFIX):
        return settings.auth_free_failures_ip
    return settings.auth_free_failures_account


def lockout_seconds(failures: int, free: int) -> int:
    """The lock after the ``failures``-th failure with ``free`` free ones, seconds: 0 within the allowance,
    then 1, 2, 4 ... capped at ``Settings.auth_max_lockout_seconds``."""
    over = failures - free
    if over <= 0:
        return 0
    cap = get_settings().auth_max_lockout_seconds
    return cap if over > 32 else min(2 ** (over - 1), cap)


def _now(now: datetime | None) -> datetime:
    return as_utc(now) if now is not None else utcnow()


def _keys(keys: Sequence[str]) -> list[str]:
    if isinstance(keys, str):  # a lone string would be read as its characters
        raise TypeError("keys must be a sequence of keys, not one string")
    return sorted({_bounded(k) for k in keys})


def _insert(session):
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(_TABLE)


def check(keys: Sequence[str], *, now: datetime | None = None) -> None:
    """Refuse an attempt while any of ``keys`` is locked. Only reads: it never counts or extends a lock.

    Raises:
        Throttled: some key is locked at ``now``; ``retry_after`` is the longest remaining lock, seconds.
    """
    now, wanted = _now(now), _keys(keys)
    if not wanted:
        return
    with read_session() as session:
        locks = session.execute(select(_TABLE.c.locked_until).where(_TABLE.c.key.in_(wanted))).scalars().all()
    remaining = max(((as_utc(u) - now).total_seconds() for u in locks if u is not None), default=0.0)
    if remaining > 0:
        raise Throttled(remaining)


def failure(keys: Sequence[str], *, now: datetime | None = None) -> None:
    """Record one failed attempt for every key in ``keys`` (one transaction) and lock the keys whose
    failures now exceed their allowance for :func:`lockout_seconds`. A lock is never shortened. Raises
    nothing of its own (database errors propagate); call :func:`check` before the attempt."""
    now, wanted = _now(now), _keys(keys)
    if not wanted:
        return
    t = _TABLE.c
    stale = t.last_failure_at < now - FORGET_AFTER
    with write_session() as session:
        for key in wanted:
            stmt = _insert(session).values(
                key=key, failures=1, window_started_at=now, last_failure_at=now, locked_until=None
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=[t.key],
                set_={
                    "failures": case((stale, 1), else_=t.failures + 1),
                    "window_started_at": case((stale, now), else_=t.window_started_at),
                    "last_failure_at": now,
                },
            ).returning(t.failures, t.locked_until)
            failures, locked_until = session.execute(stmt).one()
            delay = lockout_seconds(failures, free_failures(key))
            if delay:
                until = now + timedelta(seconds=delay)
                if locked_until is None or as_utc(locked_until) < until:
                    session.execute(update(_TABLE).where(t.key == key).values(locked_until=until))


def success(keys: Sequence[str], *, now: datetime | None = None) -> None:
    """A successful sign-in: forget the ``account:`` keys among ``keys`` (failures and lock).

    Other keys (``ip:`` ...) keep their record and decay only by time (:data:`FORGET_AFTER`), so signing
    into one's own account does not reset the counter of the IP an attack comes from. ``now`` is accepted
    for symmetry and unused.
    """
    wanted = [k for k in _keys(keys) if k.startswith(ACCOUNT_PREFIX)]
    if wanted:
        with write_session() as session:
            session.execute(delete(_TABLE).where(_TABLE.c.key.in_(wanted)))


def hit(key: str, *, limit: int, window: timedelta, now: datetime | None = None) -> None:
    """Count one event for ``key`` in a fixed window of ``window`` starting at its first event; at most
    ``limit`` events per window pass (e.g. sign-ups per IP per hour: ``hit("signup-ip:" + ip, limit=10,
    window=timedelta(hours=1))``). A refused event is counted but does not move the window.

    Use a prefix of its own for ``key`` (not ``account:`` or ``ip:``, which :func:`failure` counts
    differently); :func:`check` on the key also refuses while it is over its limit. Windows longer than
    :data:`PRUNE_AFTER` are not kept by :func:`prune`.

    Raises:
        ValueError: ``key`` uses the ``account:`` or ``ip:`` prefix, or ``limit`` < 0.
        Throttled: the window already had ``limit`` events; ``retry_after`` = seconds until it ends.
    """
    if key.startswith((ACCOUNT_PREFIX, IP_PREFIX)) or limit < 0:
        raise ValueError("hit() needs its own key prefix and a limit >= 0")
    now, key, t = _now(now), _bounded(key), _TABLE.c
    expired = t.window_started_at <= now - window
    with write_session() as session:
        stmt = _insert(session).values(key=key, failures=1, window_started_at=now, last_failure_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.key],
            set_={
                "failures": case((expired, 1), else_=t.failures + 1),
                "window_started_at": case((expired, now), else_=t.window_started_at),
                "last_failure_at": now,
            },
        ).returning(t.failures, t.window_started_at)
        count, started = session.execute(stmt).one()
        if count <= limit:
            return
        ends = as_utc(started) + window
        session.execute(update(_TABLE).where(t.key == key).values(locked_until=ends))
    raise Throttled((ends - now).total_seconds())


def prune(*, now: datetime | None = None) -> int:
    """Delete rows with no failure or hit for over :data:`PRUNE_AFTER` (1 day) and no lock still running.
    Returns the number of rows deleted. Called by the recovery sweep."""
    now = _now(now)
    t = _TABLE.c
    with write_session() as session:
        result = session.execute(
            delete(_TABLE).where(
                t.last_failure_at < now - PRUNE_AFTER, or_(t.locked_until.is_(None), t.locked_until <= now)
            )
        )
        return int(result.rowcount or 0)


__all__ = [
    "FORGET_AFTER", "PRUNE_AFTER", "Throttled", "account_key", "check", "failure", "free_failures", "hit",
    "ip_key", "lockout_seconds", "prune", "success",
]
