"""The credits ledger: grants, holds (reserve / capture / release exactly once), append-only ledger.

Source: DESIGN.md §5 (TigerBeetle-style two-phase transfers in the database), seed 002 (spending order:
subscription first, then oldest first; a purchase grant that reaches 0 becomes ``expired``), seed 001
("users never lose credits for failed operations").

All amounts are integers in hundredths of a credit. Every function that writes takes an optional
``session``: pass the caller's *write* session (``write_session()``) to make the posting part of the
caller's transaction (e.g. capture in the same commit as the business rows); omit it to run alone.

Invariant (tested): for every user, ``SUM(credit_ledger.delta) == balance(user)``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, update
from sqlmodel import Session, select

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.db.engine import is_sqlite, read_session, write_session
from genpire_app.backend.db.models import (
    CreditGrant,
    CreditHold,
    CreditLedgerEntry,
    LocalUser,
    as_utc,
    utcnow,
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


@contextmanager
def _tx(session: Session | None) -> Iterator[Session]:
    if session is not None:
        yield session
    else:
        with write_session() as own:
            yield own


def _post(
    session: Session, *, user_id: int, kind: str, source_ref: str, amount: int, delta: int, operation: str | None
) -> None:
    session.add(
        CreditLedgerEntry(
            user_id=user_id, kind=kind, source_ref=source_ref, amount=amount, delta=delta, operation=operation
        )
    )


def _lock_user(session: Session, user_id: int) -> None:
    """Serialise credit operations of one user (PostgreSQL row lock; SQLite already holds the write lock)."""
    if not is_sqlite(session.get_bind()):
        session.exec(select(LocalUser.id).where(LocalUser.id == user_id).with_for_update()).first()


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

    Args:
        source: subscription | purchase | promo | signup.
        source_ref: unique reference of the cause (e.g. ``"signup:42"``, a Stripe event id).

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
        _lock_user(s, user_id)
        existing = s.exec(select(CreditGrant).where(CreditGrant.source_ref == source_ref)).first()
        if existing is not None:
            return existing
        row = CreditGrant(
            user_id=user_id, source=source, amount=amount, remaining=amount, source_ref=source_ref, expires_at=expires_at
        )
        s.add(row)
        s.flush()
        _post(s, user_id=user_id, kind="grant", source_ref=source_ref, amount=amount, delta=amount, operation=source)
        return row


def _expire_due(session: Session, user_id: int | None, now: datetime) -> int:
    """Expire active grants whose ``expires_at`` passed; returns hundredths expired."""
    query = select(CreditGrant).where(
        CreditGrant.status == "active", CreditGrant.expires_at.is_not(None), CreditGrant.expires_at <= now
    )
    if user_id is not None:
        query = query.where(CreditGrant.user_id == user_id)
    total = 0
    for g in session.exec(query).all():
        if g.remaining > 0:
            _post(
                session,
                user_id=g.user_id,
                kind="expire",
                source_ref=f"grant:{g.id}",
                amount=g.remaining,
                delta=-g.remaining,
                operation=g.source,
            )
            total += g.remaining
        g.remaining = 0
        g.status = "expired"
        g.updated_at = now
        session.add(g)
    return total


def _spendable(session: Session, user_id: int, now: datetime) -> list[CreditGrant]:
    rows = session.exec(
        select(CreditGrant)
        .where(
            CreditGrant.user_id == user_id,
            CreditGrant.status == "active",
            CreditGrant.remaining > 0,
            or_(CreditGrant.expires_at.is_(None), CreditGrant.expires_at > now),
        )
        .with_for_update()
    ).all()
    return sorted(rows, key=lambda g: (SOURCE_PRIORITY.get(g.source, 1), as_utc(g.created_at), str(g.id)))


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

    The same ``key`` again returns the same hold (whatever its status) instead of reserving twice.

    Args:
        key: idempotency key; a random one when omitted.
        reference: what the hold pays for (job id, product id ...), used by the recovery sweep.
        ttl_seconds: the sweep releases the hold after this long if still pending (default from settings).

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
        _lock_user(s, user_id)
        existing = s.get(CreditHold, key)
        if existing is not None:
            if (existing.user_id, existing.amount, existing.operation) != (user_id, amount, operation):
                raise HoldConflict(f"idempotency key {key!r} was used for a different operation")
            return _view(existing, created=False)
        now = utcnow()
        _expire_due(s, user_id, now)
        grants = _spendable(s, user_id, now)
        available = sum(g.remaining for g in grants)
        if available < amount:
            raise InsufficientCredits(amount, available)
        allocations: list[dict[str, object]] = []
        left = amount
        for g in grants:
            if left == 0:
                break
            take = min(g.remaining, left)
            g.remaining -= take
            if g.remaining == 0 and g.source == "purchase":
                g.status = "expired"  # seed 002: a purchase grant that reaches 0 becomes expired
            g.updated_at = now
            s.add(g)
            allocations.append({"grant_id": str(g.id), "amount": take})
            left -= take
        hold = CreditHold(
            id=key,
            user_id=user_id,
            amount=amount,
            operation=operation,
            allocations=allocations,
            reference=reference,
            expires_at=now + timedelta(seconds=ttl),
        )
        s.add(hold)
        _post(s, user_id=user_id, kind="hold", source_ref=key, amount=amount, delta=-amount, operation=operation)
        s.flush()
        return _view(hold, created=True)


def _view(hold: CreditHold, *, created: bool) -> HoldView:
    return HoldView(
        id=hold.id, user_id=hold.user_id, amount=hold.amount, status=hold.status, operation=hold.operation, created=created
    )


def _restore(session: Session, hold: CreditHold, amount: int, now: datetime) -> None:
    """Give ``amount`` of ``hold`` back to its grants, last allocated first, and post the release."""
    left = amount
    for alloc in reversed(hold.allocations):
        if left == 0:
            break
        give = min(int(alloc["amount"]), left)
        left -= give
        g = session.get(CreditGrant, uuid.UUID(str(alloc["grant_id"])))
        if g is None:  # pragma: no cover - grants are never deleted
            continue
        expired_by_time = g.expires_at is not None and as_utc(g.expires_at) <= now
        if expired_by_time:
            # The grant lapsed while the credits were held: they come back and expire at once.
            _post(
                session,
                user_id=hold.user_id,
                kind="expire",
                source_ref=f"grant:{g.id}:hold:{hold.id}",
                amount=give,
                delta=-give,
                operation=g.source,
            )
            continue
        session.execute(
            update(CreditGrant)
            .where(CreditGrant.id == g.id)
            .values(
                remaining=CreditGrant.remaining + give,
                status=case((CreditGrant.status == "expired", "active"), else_=CreditGrant.status),
                updated_at=now,
            )
        )
    _post(
        session,
        user_id=hold.user_id,
        kind="release",
        source_ref=hold.id,
        amount=amount,
        delta=amount,
        operation=hold.operation,
    )


def capture(*, hold_id: str, amount: int | None = None, session: Session | None = None) -> bool:
    """Capture a pending hold: ``amount`` (default all) is spent, the rest goes back to the user.

    Exactly once: a second call (or a call after release) changes nothing and returns False.

    Raises:
        ValueError: ``amount`` outside ``0..hold.amount``.
        KeyError: no such hold.
    """
    with _tx(session) as s:
        hold = s.get(CreditHold, hold_id)
        if hold is None:
            raise KeyError(hold_id)
        take = hold.amount if amount is None else amount
        if not 0 <= take <= hold.amount:
            raise ValueError("capture amount outside the hold")
        now = utcnow()
        result = s.execute(
            update(CreditHold)
            .where(CreditHold.id == hold_id, CreditHold.status == "pending")
            .values(status="captured", captured=take, settled_at=now)
        )
        if result.rowcount != 1:
            return False
        s.refresh(hold)
        _post(
            s, user_id=hold.user_id, kind="capture", source_ref=hold_id, amount=take, delta=0, operation=hold.operation
        )
        if take < hold.amount:
            _restore(s, hold, hold.amount - take, now)
        return True


def release(*, hold_id: str, session: Session | None = None) -> bool:
    """Release a pending hold: all its credits go back to the user. Exactly once (False when not pending).

    Raises:
        KeyError: no such hold.
    """
    with _tx(session) as s:
        hold = s.get(CreditHold, hold_id)
        if hold is None:
            raise KeyError(hold_id)
        now = utcnow()
        result = s.execute(
            update(CreditHold)
            .where(CreditHold.id == hold_id, CreditHold.status == "pending")
            .values(status="released", captured=0, settled_at=now)
        )
        if result.rowcount != 1:
            return False
        s.refresh(hold)
        _restore(s, hold, hold.amount, now)
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
    with write_session() as s:
        expired = _expire_due(s, None, now)
    return {"released_holds": released, "expired_hundredths": expired}
