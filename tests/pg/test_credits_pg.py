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
