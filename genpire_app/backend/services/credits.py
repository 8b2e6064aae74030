"""The credits ledger: grants, holds (reserve / capture / release exactly once), append-only ledger.

Source: DESIGN.md §5 (TigerBeetle-style two-phase transfers in the database), seed 002 (spending order:
subscription first, then oldest first; a purchase grant that reaches 0 becomes ``expired``), seed 001
("users never lose credits for failed operations").

All amounts are integers in hundredths of a credit. Every function that writes takes an optional
``session``: pass the caller's *write* session (``write_session()``) to make the posting part of the
caller's transaction (e.g. capture in the same commit as the business rows); omit it to run alone.

Invariant (tested): for every user, ``SUM(credit_ledger.delta) == balance(user)``.

Lock order (PostgreSQL; tests/pg runs 8 threads x 200 reserve/settle cycles for one user). Every ledger
transaction -- grant, reserve, capture, release, grant expiry -- takes its locks in this one order, so no
two of them wait for each other in a cycle:

1. the user row, ``SELECT ... FOR NO KEY UPDATE``. It serialises the ledger of one user, yet lets through
   the ``FOR KEY SHARE`` lock that the foreign-key check of every insert into ``credit_ledger``,
   ``credit_holds`` or ``credit_grants`` takes on that row. (With ``FOR UPDATE`` there, a settlement that
   had already updated grants blocked on its ledger insert while a reserve holding the user row waited for
   those grants: a deadlock.)
2. the hold (``UPDATE ... WHERE status = 'pending'``);
3. the grants, ``SELECT ... FOR UPDATE ORDER BY id``; ``remaining`` is only read under that lock.

The sweep expires lapsed grants one user at a time, in user-id order, with the same order. A caller that
passes its own ``session`` may lock its business rows (product, job) first -- its pending ORM changes are
flushed before the user row is locked -- and the ledger never locks those, so the order stays acyclic.
SQLite has no row locks: write transactions start with ``BEGIN IMMEDIATE`` (db/engine.py), which
serialises all writers, and ``FOR UPDATE`` is not rendered there.

Since one user's ledger transactions run one after the other, their length is the throughput limit: the
postings are written with SQLAlchemy Core on the session's connection (a handful of statements, no ORM
unit of work). ORM objects of holds and grants that the caller's session already holds are given the new
values (``ledger_sql._sync_identity_map``), so they are not stale after a settlement.

Layout: this module is the public API and the spending policy; the SQL statements, row locks and postings
are in the private module :mod:`genpire_app.backend.services.ledger_sql`; refunds of purchased credits
(``claw_back``, issue 9 item 8) are in :mod:`genpire_app.backend.services.credit_refunds`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_
from sqlmodel import Session, select

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import CreditGrant, CreditHold, CreditLedgerEntry, as_utc, utcnow
from genpire_app.backend.services.ledger_sql import (
    _GRANTS,
    _HOLDS,
    _expire,
    _expire_due,
    _insert_ledger,
    _is_due,
    _ledger_row,
    _lock_user,
    _locked_grants,
    _restore,
    _settle,
    _tx,
    _write_grants,
)

#: Spending priority of grant sources: lower spends first (seed 002).
SOURCE_PRIORITY = {"subscription": 0, "promo": 1, "signup": 1, "purchase": 1}
GRANT_SOURCES = frozenset(SOURCE_PRIORITY)


class InsufficientCredits(Exception):
    """The user cannot afford the operation (HTTP 402 in REST terms).

    Attributes:
        needed: hundredths of a credit required.
        available: hundredths of a credit available.
    """

    def __init__(self, needed: int, available: int) -> None:
        self.needed = needed
        self.available = available
        super().__init__(
            f"Insufficient credits: this needs {format_credits(needed)} and you have {format_credits(available)}."
        )


class HoldConflict(Exception):
    """An idempotency key was reused for a different user, amount or operation."""


@dataclass(frozen=True)
class HoldView:
    """A snapshot of a hold returned to callers (detached from any session).

    Attributes:
        id: the idempotency key.
        amount: hundredths of a credit reserved.
        status: pending | captured | released.
        created: whether this call created the hold (False: an existing hold was returned).
    """

    id: str
    user_id: int
    amount: int
    status: str
    operation: str
    created: bool


def grant(
    *,
    user_id: int,
    source: str,
    amount: int,
    source_ref: str,
    expires_at: datetime | None = None,
    session: Session | None = None,
) -> CreditGrant:
    """Give ``amount`` hundredths of a credit to a user. Idempotent on ``source_ref``.

    Locks the user row first (module docstring, "Lock order"); source: DESIGN.md §5.

    Args:
        source: subscription | purchase | promo | signup.
        amount: hundredths of a credit, > 0.
        source_ref: unique reference of the cause (e.g. ``"signup:42"``, a Stripe event id).
        expires_at: when the rest of the grant lapses (None: never).

    Returns:
        The grant (the existing one when ``source_ref`` was seen before).

    Raises:
        ValueError: unknown source or a non-positive amount.
    """
    if source not in GRANT_SOURCES:
        raise ValueError(f"unknown grant source {source!r}")
    if amount <= 0:
        raise ValueError("a grant must be positive")
    with _tx(session) as s:
        conn = s.connection()
        _lock_user(conn, user_id)
        existing = s.exec(select(CreditGrant).where(CreditGrant.source_ref == source_ref)).first()
        if existing is not None:
            return existing
        row = CreditGrant(
            user_id=user_id, source=source, amount=amount, remaining=amount, source_ref=source_ref, expires_at=expires_at
        )
        s.add(row)
        s.flush()
        _insert_ledger(
            conn,
            [
                _ledger_row(
                    user_id=user_id,
                    kind="grant",
                    source_ref=source_ref,
                    amount=amount,
                    delta=amount,
                    operation=source,
                    now=utcnow(),
                )
            ],
        )
        return row


def period_source_ref(subscription_id: str, period_start: datetime) -> str:
    """The grant ``source_ref`` of one subscription period: ``"subscription:<id>:<start, Unix seconds>"``.

    Unix seconds (Stripe's ``current_period_start``) make the reference independent of how the datetime
    was written (time zone, naive UTC from SQLite).
    """
    return f"subscription:{subscription_id}:{int(as_utc(period_start).timestamp())}"


def grant_period(
    *,
    user_id: int,
    subscription_id: str,
    period_start: datetime,
    period_end: datetime,
    amount: int,
    session: Session | None = None,
) -> CreditGrant:
    """Grant one paid subscription period's credits (issue 9 item 7; DESIGN.md §5). One grant per period.

    A ``subscription`` grant (spent before one-time credits: :data:`SOURCE_PRIORITY`) of ``amount``
    hundredths of a credit with ``source_ref`` :func:`period_source_ref` and ``expires_at=period_end``: what
    is left of it lapses at the period's end (reserve skips it from then on; ``sweep`` posts the expiry),
    so a new period never carries the previous one's credits over, and nothing else is needed at renewal.
    Idempotent like :func:`grant`: the same period again (a replayed invoice webhook) returns its grant.

    Raises:
        ValueError: ``period_end`` not after ``period_start``, empty ``subscription_id``, non-positive amount.
    """
    if not subscription_id:
        raise ValueError("subscription_id is required")
    if as_utc(period_end) <= as_utc(period_start):
        raise ValueError("a period must end after it starts")
    return grant(
        user_id=user_id,
        source="subscription",
        amount=amount,
        source_ref=period_source_ref(subscription_id, period_start),
        expires_at=as_utc(period_end),
        session=session,
    )


def _spending_order(grants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Seed 002: subscription first, then oldest first (id breaks ties)."""
    return sorted(grants, key=lambda g: (SOURCE_PRIORITY.get(g["source"], 1), as_utc(g["created_at"]), str(g["id"])))


def reserve(
    *,
    user_id: int,
    amount: int,
    operation: str,
    key: str | None = None,
    reference: str | None = None,
    ttl_seconds: int | None = None,
    session: Session | None = None,
) -> HoldView:
    """Reserve ``amount`` hundredths of a credit for one operation (the "hold" of a two-phase transfer).

    The same ``key`` again returns the same hold (whatever its status) instead of reserving twice. Lapsed
    grants of the user are expired first. Lock order: user row, then the user's active grants by id.
    Source: DESIGN.md §5.

    Args:
        amount: hundredths of a credit, > 0.
        operation: what is paid for (pricing name, e.g. ``"generate_views"``).
        key: idempotency key; a random one when omitted.
        reference: what the hold pays for (job id, product id ...), used by the recovery sweep.
        ttl_seconds: the sweep releases the hold after this long if still pending (default from settings).

    Returns:
        A :class:`HoldView` (``created`` False when ``key`` existed).

    Raises:
        InsufficientCredits: the available balance is below ``amount`` (nothing is written).
        HoldConflict: ``key`` exists for another user, amount or operation.
        ValueError: ``amount`` is not positive.
    """
    if amount <= 0:
        raise ValueError("a hold must be positive")
    key = key or f"hold:{uuid.uuid4()}"
    ttl = ttl_seconds if ttl_seconds is not None else get_settings().hold_ttl_seconds
    with _tx(session) as s:
        conn = s.connection()
        _lock_user(conn, user_id)
        existing = conn.execute(
            select(_HOLDS.c.user_id, _HOLDS.c.amount, _HOLDS.c.operation, _HOLDS.c.status).where(_HOLDS.c.id == key)
        ).first()
        if existing is not None:
            if (existing.user_id, existing.amount, existing.operation) != (user_id, amount, operation):
                raise HoldConflict(f"idempotency key {key!r} was used for a different operation")
            return HoldView(
                id=key,
                user_id=existing.user_id,
                amount=existing.amount,
                status=existing.status,
                operation=existing.operation,
                created=False,
            )
        now = utcnow()
        active = _locked_grants(
            conn,
            _GRANTS.c.user_id == user_id,
            _GRANTS.c.status == "active",
            or_(_GRANTS.c.remaining > 0, _GRANTS.c.expires_at <= now),  # spendable or due to expire
        )
        due = [g for g in active if _is_due(g, now)]
        grants = _spending_order([g for g in active if not _is_due(g, now) and g["remaining"] > 0])
        available = sum(g["remaining"] for g in grants)
        if available < amount:
            raise InsufficientCredits(amount, available)
        _, ledger = _expire(due, now)
        changed = list(due)
        allocations: list[dict[str, object]] = []
        left = amount
        for g in grants:
            if left == 0:
                break
            take = min(g["remaining"], left)
            g["remaining"] -= take
            if g["remaining"] == 0 and g["source"] == "purchase":
                g["status"] = "expired"  # seed 002: a purchase grant that reaches 0 becomes expired
            changed.append(g)
            allocations.append({"grant_id": str(g["id"]), "amount": take})
            left -= take
        _write_grants(s, conn, changed, now)
        conn.execute(
            insert(_HOLDS).values(
                id=key,
                user_id=user_id,
                amount=amount,
                captured=0,
                operation=operation,
                status="pending",
                allocations=allocations,
                reference=reference,
                expires_at=now + timedelta(seconds=ttl),
                created_at=now,
                settled_at=None,
            )
        )
        ledger.append(
            _ledger_row(
                user_id=user_id, kind="hold", source_ref=key, amount=amount, delta=-amount, operation=operation, now=now
            )
        )
        _insert_ledger(conn, ledger)
        return HoldView(id=key, user_id=user_id, amount=amount, status="pending", operation=operation, created=True)


def capture(*, hold_id: str, amount: int | None = None, session: Session | None = None) -> bool:
    """Capture a pending hold: ``amount`` hundredths (default all) are spent, the rest goes back to the user.

    Exactly once: a second call (or a call after release) changes nothing and returns False. Lock order:
    user row, hold, grants by id. Source: DESIGN.md §5.

    Raises:
        ValueError: ``amount`` outside ``0..hold.amount``.
        KeyError: no such hold.
    """
    with _tx(session) as s:
        conn = s.connection()
        now = utcnow()
        settled = _settle(s, conn, hold_id, "captured", amount, now)
        if settled is None:
            return False
        hold, take = settled
        ledger = _restore(s, conn, hold, hold["amount"] - take, now) if take < hold["amount"] else []
        ledger.append(
            _ledger_row(
                user_id=hold["user_id"],
                kind="capture",
                source_ref=hold_id,
                amount=take,
                delta=0,
                operation=hold["operation"],
                now=now,
            )
        )
        _insert_ledger(conn, ledger)
        return True


def release(*, hold_id: str, session: Session | None = None) -> bool:
    """Release a pending hold: all its credits go back to the user (credits of grants that lapsed while
    held expire at once). Exactly once (False when not pending). Lock order: user row, hold, grants by id.
    Source: DESIGN.md §5.

    Raises:
        KeyError: no such hold.
    """
    with _tx(session) as s:
        conn = s.connection()
        now = utcnow()
        settled = _settle(s, conn, hold_id, "released", 0, now)
        if settled is None:
            return False
        hold, _ = settled
        _insert_ledger(conn, _restore(s, conn, hold, hold["amount"], now))
        return True


def balance(*, user_id: int, session: Session | None = None) -> int:
    """Available credits of a user in hundredths: the remaining amount of active, unexpired grants."""
    now = utcnow()

    def _q(s: Session) -> int:
        value = s.exec(
            select(func.coalesce(func.sum(CreditGrant.remaining), 0)).where(
                CreditGrant.user_id == user_id,
                CreditGrant.status == "active",
                or_(CreditGrant.expires_at.is_(None), CreditGrant.expires_at > now),
            )
        ).one()
        return int(value)

    if session is not None:
        return _q(session)
    with read_session() as s:
        return _q(s)


def ledger_sum(*, user_id: int, session: Session | None = None) -> int:
    """``SUM(delta)`` of a user's ledger in hundredths; equals ``balance`` once due grants are expired."""

    def _q(s: Session) -> int:
        return int(
            s.exec(
                select(func.coalesce(func.sum(CreditLedgerEntry.delta), 0)).where(CreditLedgerEntry.user_id == user_id)
            ).one()
        )

    if session is not None:
        return _q(session)
    with read_session() as s:
        return _q(s)


def get_hold(hold_id: str) -> CreditHold | None:
    """The hold with this idempotency key, or None."""
    with read_session() as s:
        return s.get(CreditHold, hold_id)


def sweep(*, now: datetime | None = None, keep: frozenset[str] = frozenset()) -> dict[str, int]:
    """Recovery sweep for the ledger: release pending holds past ``expires_at``; expire lapsed grants.

    Each hold is released in its own transaction; grants expire per user, in user-id order, each user's
    under its row lock with ``remaining`` re-read under the grant locks (module docstring, "Lock order").
    Source: DESIGN.md §5.

    Args:
        keep: hold ids not to release even if past ``expires_at`` (their job is still alive and working).

    Returns:
        ``{"released_holds": n, "expired_hundredths": m}``.
    """
    now = now or utcnow()
    with read_session() as s:
        due = [
            h.id
            for h in s.exec(select(CreditHold).where(CreditHold.status == "pending", CreditHold.expires_at <= now))
            if h.id not in keep
        ]
    released = 0
    for hold_id in due:
        if release(hold_id=hold_id):
            released += 1
    with read_session() as s:
        users = s.exec(
            select(CreditGrant.user_id)
            .where(CreditGrant.status == "active", CreditGrant.expires_at.is_not(None), CreditGrant.expires_at <= now)
            .distinct()
            .order_by(CreditGrant.user_id)
        ).all()
    expired = 0
    for user_id in users:  # one short transaction per user, in user-id order; amounts re-read under lock
        with write_session() as s:
            expired += _expire_due(s, user_id, now)
    return {"released_holds": released, "expired_hundredths": expired}
