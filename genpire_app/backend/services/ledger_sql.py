"""SQL of the credits ledger: row locks, grant reads and writes, ledger postings, hold settlement.

Private to :mod:`genpire_app.backend.services.credits`, which holds the public API (grant, reserve,
capture, release, balance, sweep) and the spending policy; see its module docstring for the lock order
these helpers implement (1. the user row ``FOR NO KEY UPDATE``, 2. the hold, 3. the grants ``FOR UPDATE``
by id). Everything is written with SQLAlchemy Core on the session's connection, so one user's serialised
ledger transaction stays a handful of statements; ORM objects the caller's session already holds are given
the new values (:func:`_sync_identity_map`).

Amounts are integers in hundredths of a credit; times are aware UTC datetimes.

Source: DESIGN.md §5 (TigerBeetle-style two-phase transfers in the database); seed 002 (a purchase grant
that reaches 0 becomes ``expired``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, insert, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from genpire_app.backend.db.account_models import LocalUser
from genpire_app.backend.db.engine import write_session
from genpire_app.backend.db.models import (
    CreditGrant,
    CreditHold,
    CreditLedgerEntry,
    as_utc,
)

_USERS = LocalUser.__table__
_GRANTS = CreditGrant.__table__
_HOLDS = CreditHold.__table__
_LEDGER = CreditLedgerEntry.__table__


@contextmanager
def _tx(session: Session | None) -> Iterator[Session]:
    """The caller's session, or a write session of our own (committed at the end of the block).

    A caller's pending ORM changes are flushed first, so the rows they lock (business rows: product, job)
    are locked before the ledger's (credits module docstring, "Lock order"); the ledger itself writes with
    Core on the session's connection (no ORM unit of work: the serialised section of a user stays short).
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
