"""Credits ledger on PostgreSQL with real concurrency (DESIGN.md §5, §11 tests/pg)."""

from __future__ import annotations

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


def test_reserve_and_settle_from_eight_threads_never_deadlock(make_user):
    """8 threads x 200 reserve -> capture | partial capture | release cycles for one user: 0 deadlocks."""
    ledger_cases.settle_cycles_never_deadlock(make_user, threads=8, cycles=200)


def test_sweep_expiry_interleaved_with_reserves_keeps_the_ledger_exact(make_user, pg_env):
    """A reserve commits between the sweep's read of a lapsing grant and its write, and more reserves run
    while the sweep holds its locks: the ledger still sums to the balance (no stale ``remaining``)."""
    from sqlalchemy import text

    with pg_env.connect() as watcher:

        def is_blocked(state: dict) -> bool:
            if state["pid"] is None:
                return False
            return bool(
                watcher.execute(
                    text("SELECT cardinality(pg_blocking_pids(:pid)) > 0"), {"pid": state["pid"]}
                ).scalar()
            )

        steps = ledger_cases.expiry_interleaved_with_reserves(make_user, is_blocked=is_blocked)
    # The first reserve committed between the sweep's discovery read and its locked re-read.
    assert steps[0] == ("SELECT", "committed")


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
    """16 threads post the same refund at once: the user row lock serialises them, one clawback."""
    ledger_cases.concurrent_clawbacks_with_one_reason_claw_once(make_user, threads=16)


def test_clawbacks_interleaved_with_settlement_never_deadlock(make_user):
    """Clawbacks take the user row, then the grant (the ledger's lock order): no deadlock with settlements."""
    ledger_cases.clawbacks_interleaved_with_settlement(make_user, threads=6, cycles=60)


def test_subscription_period_credits_spend_first(make_user):
    ledger_cases.subscription_period_credits_spend_first(make_user)


def test_period_grant_is_once_per_period_and_lapses_at_its_end(make_user):
    ledger_cases.period_grant_is_once_per_period_and_lapses_at_its_end(make_user)
