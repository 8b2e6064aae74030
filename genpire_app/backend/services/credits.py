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
values (``_sync_identity_map``), so they are not stale after a settlement.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, insert, or_, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.db.engine import read_session, write_session
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

_USERS = LocalUser.__table__
_GRANTS = CreditGrant.__table__
_HOLDS = CreditHold.__table__
_LEDGER = CreditLedgerEntry.__table__


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
    """The caller's session, or a write session of our own (committed at the end of the block).

    A caller's pending ORM changes are flushed first, so the rows they lock (business rows: product, job)
    are locked before the ledger's (module docstring, "Lock order"); the ledger itself writes with Core on
    the session's connection (no ORM unit of work: the serialised section of a user stays short).
    """
    if session is not None:
        session.flush()
        yield session
    else:
        with write_session() as own:
            yield own


def _ledger_row(
    *, user_id: int, kind: str, source_ref: str, amount: int, delta: int, operation: str | None, now: datetime
) -> dict[str, Any]:
    """One ``credit_ledger`` row (amounts in hundredths of a credit) for :func:`_insert_ledger`."""
    return {
        "id": uuid.uuid4(),
        "user_id": user_id,
        "kind": kind,
        "source_ref": source_ref,
        "amount": amount,
        "delta": delta,
        "operation": operation,
        "created_at": now,
    }


def _insert_ledger(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Append ledger entries (one statement for all of them)."""
    if rows:
        conn.execute(insert(_LEDGER), rows)


def _sync_identity_map(session: Session, model: type, pk: object, values: dict[str, Any]) -> None:
    """If the caller's session holds ``model(pk)``, give it the values just written with Core (no reload)."""
    obj = session.identity_map.get(Session.identity_key(model, pk))
    if obj is not None:
        for name, value in values.items():
            set_committed_value(obj, name, value)


def _lock_user(conn: Connection, user_id: int) -> None:
    """Step 1 of the lock order: lock the user row ``FOR NO KEY UPDATE`` (PostgreSQL).

    Serialises the ledger transactions of one user without blocking the ``FOR KEY SHARE`` lock that the
    foreign-key check of a ledger, hold or grant insert takes on the same row. Locking it again in the same
    transaction is harmless. SQLite: nothing to do, the write transaction holds the database write lock.
    """
    if conn.dialect.name != "sqlite":
        conn.execute(select(_USERS.c.id).where(_USERS.c.id == user_id).with_for_update(key_share=True)).first()


def _locked_grants(conn: Connection, *conditions: ColumnElement[bool]) -> list[dict[str, Any]]:
    """Step 3 of the lock order: the grants matching ``conditions``, locked ``FOR UPDATE`` in id order.

    Returns plain dicts (id, user_id, source, remaining, status, created_at, expires_at) read under the
    lock, never a stale copy from an ORM identity map.
    """
    rows = conn.execute(
        select(
            _GRANTS.c.id,
            _GRANTS.c.user_id,
            _GRANTS.c.source,
            _GRANTS.c.remaining,
            _GRANTS.c.status,
            _GRANTS.c.created_at,
            _GRANTS.c.expires_at,
        )
        .where(*conditions)
        .order_by(_GRANTS.c.id)
        .with_for_update()
    ).mappings()
    return [dict(row) for row in rows]


def _write_grants(session: Session, conn: Connection, grants: list[dict[str, Any]], now: datetime) -> None:
    """Store ``remaining``/``status`` of changed (locked) grants in one executemany UPDATE."""
    if not grants:
        return
    conn.execute(
        update(_GRANTS)
        .where(_GRANTS.c.id == bindparam("gid"))
        .values(remaining=bindparam("new_remaining"), status=bindparam("new_status"), updated_at=now),
        [{"gid": g["id"], "new_remaining": g["remaining"], "new_status": g["status"]} for g in grants],
    )
    for g in grants:
        _sync_identity_map(session, CreditGrant, g["id"], {"remaining": g["remaining"], "status": g["status"]})


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


def _is_due(g: dict[str, Any], now: datetime) -> bool:
    return g["expires_at"] is not None and as_utc(g["expires_at"]) <= now


def _expire(grants: list[dict[str, Any]], now: datetime) -> tuple[int, list[dict[str, Any]]]:
    """Mark ``grants`` (locked, read under the lock) expired in place: ``remaining`` 0, status ``expired``.

    Returns:
        (hundredths of a credit expired, the ``expire`` ledger rows to insert).
    """
    total = 0
    ledger: list[dict[str, Any]] = []
    for g in grants:
        if g["remaining"] > 0:
            ledger.append(
                _ledger_row(
                    user_id=g["user_id"],
                    kind="expire",
                    source_ref=f"grant:{g['id']}",
                    amount=g["remaining"],
                    delta=-g["remaining"],
                    operation=g["source"],
                    now=now,
                )
            )
            total += g["remaining"]
        g["remaining"] = 0
        g["status"] = "expired"
    return total, ledger


def _expire_due(session: Session, user_id: int, now: datetime) -> int:
    """Expire one user's active grants whose ``expires_at`` is at or before ``now``.

    Follows the lock order: the user row, then the due grants ``FOR UPDATE`` by id, whose ``remaining`` is
    read under the lock (a reserve that committed after any earlier, unlocked read is seen).

    Returns:
        Hundredths of a credit expired.
    """
    conn = session.connection()
    _lock_user(conn, user_id)
    due = _locked_grants(
        conn,
        _GRANTS.c.user_id == user_id,
        _GRANTS.c.status == "active",
        _GRANTS.c.expires_at.is_not(None),
        _GRANTS.c.expires_at <= now,
    )
    total, ledger = _expire(due, now)
    _write_grants(session, conn, due, now)
    _insert_ledger(conn, ledger)
    return total


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


def _restore(
    session: Session, conn: Connection, hold: dict[str, Any], amount: int, now: datetime
) -> list[dict[str, Any]]:
    """Give ``amount`` of ``hold`` back to its grants, last allocated first.

    The caller holds the user lock and has settled the hold; the grants are locked here, by id. Credits of a
    grant that lapsed while held come back and expire at once.

    Returns:
        The ledger rows to insert (``release``, and ``expire`` for lapsed grants).
    """
    allocations = hold["allocations"] or []
    ids = [uuid.UUID(str(alloc["grant_id"])) for alloc in allocations]
    locked = {g["id"]: g for g in _locked_grants(conn, _GRANTS.c.id.in_(ids))} if ids else {}
    ledger: list[dict[str, Any]] = []
    changed: dict[uuid.UUID, dict[str, Any]] = {}
    left = amount
    for alloc in reversed(allocations):
        if left == 0:
            break
        give = min(int(alloc["amount"]), left)
        left -= give
        g = locked.get(uuid.UUID(str(alloc["grant_id"])))
        if g is None:  # pragma: no cover - grants are never deleted
            continue
        if _is_due(g, now):
            ledger.append(
                _ledger_row(
                    user_id=hold["user_id"],
                    kind="expire",
                    source_ref=f"grant:{g['id']}:hold:{hold['id']}",
                    amount=give,
                    delta=-give,
                    operation=g["source"],
                    now=now,
                )
            )
            continue
        g["remaining"] += give
        if g["status"] == "expired":  # a purchase grant that had reached 0 (seed 002) is spendable again
            g["status"] = "active"
        changed[g["id"]] = g
    _write_grants(session, conn, list(changed.values()), now)
    ledger.append(
        _ledger_row(
            user_id=hold["user_id"],
            kind="release",
            source_ref=hold["id"],
            amount=amount,
            delta=amount,
            operation=hold["operation"],
            now=now,
        )
    )
    return ledger


def _settle(
    session: Session, conn: Connection, hold_id: str, status: str, take: int | None, now: datetime
) -> tuple[dict[str, Any], int] | None:
    """Move a pending hold to ``status`` exactly once, after locking its user row (lock order steps 1-2).

    Returns ``(hold row, captured)`` or None when the hold was not pending. Raises KeyError (no such hold)
    and ValueError (``take`` outside ``0..hold.amount``).
    """
    # Read the hold and lock its user row in one statement (step 1). Only id, user_id, amount, operation and
    # allocations of this read are used, and they never change; the status is decided by the UPDATE below.
    query = select(_HOLDS).where(_HOLDS.c.id == hold_id)
    if conn.dialect.name != "sqlite":
        query = query.select_from(_HOLDS.join(_USERS, _USERS.c.id == _HOLDS.c.user_id)).with_for_update(
            of=_USERS, key_share=True
        )
    row = conn.execute(query).mappings().first()
    if row is None:
        raise KeyError(hold_id)
    hold = dict(row)
    captured = hold["amount"] if take is None else take
    if not 0 <= captured <= hold["amount"]:
        raise ValueError("capture amount outside the hold")
    result = conn.execute(
        update(_HOLDS)
        .where(_HOLDS.c.id == hold_id, _HOLDS.c.status == "pending")
        .values(status=status, captured=captured, settled_at=now)
    )
    if result.rowcount != 1:
        return None
    _sync_identity_map(session, CreditHold, hold_id, {"status": status, "captured": captured, "settled_at": now})
    return hold, captured


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
