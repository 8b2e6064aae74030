"""Refunds of purchased credits: take back what is still unspent of one grant (issue 9 item 8).

Source: issue 9 items 7-8 (credit packs, subscriptions, Stripe refunds), DESIGN.md §5 (the ledger). Uses
the private SQL helpers of :mod:`genpire_app.backend.services.ledger_sql` and follows the lock order of
:mod:`genpire_app.backend.services.credits` (1. the user row, 2. -- no hold --, 3. the grant ``FOR UPDATE``).

Amounts are integers in hundredths of a credit.

What a clawback takes: only the grant's ``remaining``. Reserve moves credits out of ``remaining`` into
the hold's allocations, so ``remaining`` is already the part that is neither spent nor held. Credits spent
(captured) or held by a pending hold at refund time are left alone: the balance never goes negative, and a
hold never gives back credits that a clawback already took (no double count). The flip side, by design:
credits of a hold pending at refund time that the hold later *releases* go back to their grant and stay
spendable (capture and release stay exact, DESIGN.md §5); a later refund event with a new ``reason_ref``
may claw them then.

Ledger: a clawback is one ``credit_ledger`` row of the existing kind ``refund`` (DESIGN.md §5 lists it; the
``kind`` column has no check constraint, and no new kind was needed), ``source_ref`` =
``"clawback:" + reason_ref``, ``amount`` = hundredths taken, ``delta`` = ``-amount``, ``operation`` = the
grant's source. ``UNIQUE(kind, source_ref)`` makes one clawback per ``reason_ref`` a database fact; a
refund that finds nothing to take still writes its row (amount 0), so it is recorded as done.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from genpire_app.backend.db.models import utcnow
from genpire_app.backend.services.ledger_sql import (
    _GRANTS,
    _LEDGER,
    _expire,
    _insert_ledger,
    _is_due,
    _ledger_row,
    _lock_user,
    _locked_grants,
    _tx,
    _write_grants,
)

#: Prefix of the ledger ``source_ref`` of a clawback (kind ``refund``).
CLAWBACK_PREFIX = "clawback:"
_MAX_REASON = 200 - len(CLAWBACK_PREFIX)  # credit_ledger.source_ref is String(200)


def claw_back(*, user_id: int, source_ref: str, amount: int, reason_ref: str, session: Session | None = None) -> int:
    """Take back up to ``amount`` hundredths of a credit from the grant ``source_ref`` (a refunded purchase),
    but never more than its unspent, unheld ``remaining``. Source: issue 9 item 8, DESIGN.md §5.

    Idempotent on ``reason_ref`` (e.g. the Stripe refund id): the first call posts one ``refund`` ledger row
    (``source_ref`` ``"clawback:<reason_ref>"``, see the module docstring); a later call with the same
    ``reason_ref`` -- sequential or concurrent -- writes nothing and returns the same number as the first
    (like :func:`credits.grant` and :func:`credits.reserve` return the existing grant or hold). Use one
    ``reason_ref`` per grant (e.g. ``f"{refund_id}:{grant_source_ref}"``) when one refund covers several.

    A grant emptied by the clawback becomes ``expired`` (seed 002's rule for emptied purchase grants; a
    release of a hold allocated on it revives it, as for any emptied purchase grant). A grant whose
    ``expires_at`` has passed but was not swept yet is expired first (its credits are not spendable), so
    nothing is clawed from it. Lock order: the user row, then the grant ``FOR UPDATE``.

    Args:
        user_id: the owner of the grant.
        source_ref: the grant's ``source_ref`` (e.g. the Stripe checkout session of the credit pack).
        amount: hundredths of a credit refunded, > 0 (the cap; the grant's ``remaining`` is the other).
        reason_ref: unique reference of the refund (Stripe refund or event id), at most 191 characters.
        session: the caller's write session (the clawback commits with it); omit to run alone.

    Returns:
        Hundredths of a credit actually clawed back (0..``amount``). An unknown ``source_ref`` returns 0
        and writes nothing (so a retry after the purchase is recorded can still claw).

    Raises:
        ValueError: ``amount`` not positive, ``reason_ref`` empty or too long, the grant belongs to another
            user, or ``reason_ref`` was already used for another user.
    """
    if amount <= 0:
        raise ValueError("a clawback must be positive")
    if not reason_ref or len(reason_ref) > _MAX_REASON:
        raise ValueError(f"reason_ref must be 1-{_MAX_REASON} characters")
    ref = CLAWBACK_PREFIX + reason_ref
    with _tx(session) as s:
        conn = s.connection()
        _lock_user(conn, user_id)  # step 1: serialises this user's ledger, so the check below is final
        done = conn.execute(
            select(_LEDGER.c.user_id, _LEDGER.c.amount).where(_LEDGER.c.kind == "refund", _LEDGER.c.source_ref == ref)
        ).first()
        if done is not None:
            if done.user_id != user_id:
                raise ValueError(f"reason_ref {reason_ref!r} was used for another user")
            return int(done.amount)
        found = _locked_grants(conn, _GRANTS.c.source_ref == source_ref)  # step 3
        if not found:
            return 0
        g = found[0]
        if g["user_id"] != user_id:
            raise ValueError(f"grant {source_ref!r} belongs to another user")
        now = utcnow()
        ledger: list[dict[str, Any]] = []
        if g["status"] == "active" and _is_due(g, now):
            _, ledger = _expire([g], now)  # lapsed: remaining becomes 0, posted as expire
            _write_grants(s, conn, [g], now)
        take = min(amount, g["remaining"]) if g["status"] == "active" else 0
        if take > 0:
            g["remaining"] -= take
            if g["remaining"] == 0:
                g["status"] = "expired"  # emptied by the refund (seed 002: an emptied purchase grant expires)
            _write_grants(s, conn, [g], now)
        ledger.append(
            _ledger_row(
                user_id=user_id, kind="refund", source_ref=ref, amount=take, delta=-take, operation=g["source"], now=now
            )
        )
        _insert_ledger(conn, ledger)
        return take


__all__ = ["CLAWBACK_PREFIX", "claw_back"]
