"""Credits ledger on SQLite (DESIGN.md §5): holds never overspend, settle exactly once, sum to the balance."""

from __future__ import annotations

from datetime import timedelta

import pytest

from genpire_app.backend.db.models import utcnow
from genpire_app.backend.services import credits
from tests import ledger_cases


def test_fifty_concurrent_holds_against_ten_credits(make_user):
    ledger_cases.concurrent_holds_never_overspend(make_user)


def test_capture_and_release_are_exactly_once(make_user):
    ledger_cases.capture_and_release_are_exactly_once(make_user)


def test_concurrent_settlement_happens_once(make_user):
    ledger_cases.concurrent_capture_and_release_settle_once(make_user)


def test_same_idempotency_key_returns_the_same_hold(make_user):
    ledger_cases.same_key_is_same_hold(make_user)


def test_partial_capture_returns_the_rest(make_user):
    ledger_cases.partial_capture_returns_the_rest(make_user)


def test_sweep_releases_expired_holds(make_user):
    ledger_cases.expired_hold_is_swept(make_user)


def test_insufficient_credits_writes_nothing(make_user):
    user = make_user("poor@example.com", credits=100)
    with pytest.raises(credits.InsufficientCredits) as err:
        credits.reserve(user_id=user, amount=200, operation="x", key="poor:1")
    assert "needs 2 credits" in str(err.value) and "you have 1 credit" in str(err.value)
    assert credits.get_hold("poor:1") is None
    assert credits.balance(user_id=user) == 100
    ledger_cases.assert_invariant(user)


def test_reused_key_for_another_operation_is_refused(make_user):
    user = make_user("conflict@example.com", credits=1000)
    credits.reserve(user_id=user, amount=100, operation="a", key="k")
    with pytest.raises(credits.HoldConflict):
        credits.reserve(user_id=user, amount=200, operation="a", key="k")


def test_subscription_credits_spend_first_then_oldest(make_user):
    user = make_user("order@example.com", credits=300)  # signup grant first (oldest)
    credits.grant(user_id=user, source="purchase", amount=500, source_ref="purchase:1")
    credits.grant(user_id=user, source="subscription", amount=200, source_ref="sub:1")
    hold = credits.reserve(user_id=user, amount=400, operation="x", key="order:1")
    stored = credits.get_hold(hold.id)
    sources = []
    from genpire_app.backend.db.engine import read_session
    from genpire_app.backend.db.models import CreditGrant

    with read_session() as s:
        for alloc in stored.allocations:
            sources.append((s.get(CreditGrant, __import__("uuid").UUID(alloc["grant_id"])).source, alloc["amount"]))
    assert sources == [("subscription", 200), ("signup", 200)]


def test_purchase_grant_reaching_zero_expires_and_revives_on_release(make_user):
    user = make_user("buyer@example.com", credits=None)
    g = credits.grant(user_id=user, source="purchase", amount=100, source_ref="purchase:x")
    hold = credits.reserve(user_id=user, amount=100, operation="x", key="buy:1")
    from genpire_app.backend.db.engine import read_session
    from genpire_app.backend.db.models import CreditGrant

    with read_session() as s:
        assert s.get(CreditGrant, g.id).status == "expired"
    credits.release(hold_id=hold.id)
    with read_session() as s:
        assert s.get(CreditGrant, g.id).status == "active"
    assert credits.balance(user_id=user) == 100
    ledger_cases.assert_invariant(user)


def test_time_expired_grant_is_not_spendable_and_released_credits_expire(make_user):
    user = make_user("lapse@example.com", credits=None)
    credits.grant(
        user_id=user, source="promo", amount=300, source_ref="promo:1", expires_at=utcnow() + timedelta(seconds=60)
    )
    hold = credits.reserve(user_id=user, amount=100, operation="x", key="lapse:1")
    later = utcnow() + timedelta(seconds=120)
    credits.sweep(now=later)
    assert credits.balance(user_id=user) == 0
    # The hold is still pending (its own TTL is long); releasing it must not resurrect lapsed credits.
    import genpire_app.backend.services.credits as c

    orig = c.utcnow
    c.utcnow = lambda: later
    try:
        assert credits.release(hold_id=hold.id) is True
    finally:
        c.utcnow = orig
    assert credits.balance(user_id=user) == 0
    ledger_cases.assert_invariant(user)


def test_grant_is_idempotent_on_source_ref(make_user):
    user = make_user("grant@example.com", credits=None)
    credits.grant(user_id=user, source="promo", amount=100, source_ref="promo:same")
    credits.grant(user_id=user, source="promo", amount=100, source_ref="promo:same")
    assert credits.balance(user_id=user) == 100
    ledger_cases.assert_invariant(user)


def test_reserve_and_settle_from_several_threads_never_fail_on_locks(make_user):
    """A smaller run of the PostgreSQL stress case: SQLite serialises writers with BEGIN IMMEDIATE."""
    ledger_cases.settle_cycles_never_deadlock(make_user, threads=4, cycles=30)


def test_sweep_expiry_interleaved_with_reserves_keeps_the_ledger_exact(make_user):
    # SQLite: while the sweep's write transaction holds the database write lock, a reserve of this process
    # waits for its turn (``engine.write_session``'s in-process writer lock) before it sends anything.
    from genpire_app.backend.db.engine import SQLITE_WRITER

    steps = ledger_cases.expiry_interleaved_with_reserves(
        make_user, is_blocked=lambda state: SQLITE_WRITER.is_waiting(state["thread"])
        or (state["began"] and state["sweep"]["writing"])
    )
    assert steps[0] == ("SELECT", "committed")  # between the sweep's discovery read and its write transaction


def test_settling_in_the_callers_session_keeps_its_objects_fresh_and_its_transaction(make_user):
    from sqlmodel import select

    from genpire_app.backend.db.engine import write_session
    from genpire_app.backend.db.models import CreditGrant, CreditHold

    user = make_user("caller@example.com", credits=500)
    hold = credits.reserve(user_id=user, amount=200, operation="x", key="caller:1")
    # The caller's transaction rolls back: the release inside it is undone too.
    with pytest.raises(RuntimeError), write_session() as s:
        assert credits.release(hold_id=hold.id, session=s) is True
        raise RuntimeError("the business step failed")
    assert credits.get_hold(hold.id).status == "pending"
    assert credits.balance(user_id=user) == 300
    # Objects the caller's session already loaded see the settlement without a reload.
    with write_session() as s:
        held = s.get(CreditHold, hold.id)
        grant_row = s.exec(select(CreditGrant).where(CreditGrant.user_id == user)).one()
        assert (held.status, grant_row.remaining) == ("pending", 300)
        assert credits.capture(hold_id=hold.id, amount=50, session=s) is True
        assert (held.status, held.captured) == ("captured", 50)
        assert grant_row.remaining == 450
    assert credits.balance(user_id=user) == 450
    ledger_cases.assert_invariant(user)


# ------------------------------------------- refunds and subscription periods (issue 9 items 7-8)


def test_refund_after_half_spent_claws_only_the_rest(make_user):
    ledger_cases.refund_after_half_spent_claws_only_the_rest(make_user)


def test_clawback_leaves_pending_holds_alone(make_user):
    ledger_cases.clawback_leaves_pending_holds_alone(make_user)


def test_clawback_is_idempotent_on_reason_ref(make_user):
    ledger_cases.clawback_is_idempotent_on_reason_ref(make_user)


def test_clawback_edge_cases(make_user):
    ledger_cases.clawback_edge_cases(make_user)


def test_concurrent_clawbacks_with_one_reason_claw_once(make_user):
    ledger_cases.concurrent_clawbacks_with_one_reason_claw_once(make_user)


def test_clawbacks_interleaved_with_settlement(make_user):
    ledger_cases.clawbacks_interleaved_with_settlement(make_user, threads=3, cycles=20)


def test_clawback_in_the_callers_session_rolls_back_with_it(make_user):
    from genpire_app.backend.db.engine import write_session
    from genpire_app.backend.services.credit_refunds import claw_back

    user = make_user("refund-tx@example.com", credits=None)
    pack = credits.grant(user_id=user, source="purchase", amount=400, source_ref="pack:tx")
    with pytest.raises(RuntimeError), write_session() as s:
        assert claw_back(user_id=user, source_ref="pack:tx", amount=400, reason_ref="re_tx", session=s) == 400
        raise RuntimeError("the order update failed")
    assert credits.balance(user_id=user) == 400
    with write_session() as s:
        from genpire_app.backend.db.models import CreditGrant

        row = s.get(CreditGrant, pack.id)
        assert claw_back(user_id=user, source_ref="pack:tx", amount=150, reason_ref="re_tx", session=s) == 150
        assert (row.remaining, row.status) == (250, "active")  # the caller's object is kept fresh
    assert credits.balance(user_id=user) == 250
    ledger_cases.assert_invariant(user)


def test_subscription_period_credits_spend_first(make_user):
    ledger_cases.subscription_period_credits_spend_first(make_user)


def test_period_grant_is_once_per_period_and_lapses_at_its_end(make_user):
    ledger_cases.period_grant_is_once_per_period_and_lapses_at_its_end(make_user)
