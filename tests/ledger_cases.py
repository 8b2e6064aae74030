"""Ledger behaviour shared by the SQLite tier (tests/services) and the PostgreSQL tier (tests/pg).

Each function takes a ``make_user`` factory and asserts what callers of the ledger rely on.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from genpire_app.backend.db.models import utcnow
from genpire_app.backend.services import credits


def assert_invariant(user_id: int) -> None:
    """The ledger always sums to the balance, and the balance is never negative."""
    bal = credits.balance(user_id=user_id)
    assert bal >= 0
    assert credits.ledger_sum(user_id=user_id) == bal


def concurrent_holds_never_overspend(make_user) -> None:
    user = make_user("race@example.com", credits=1000)  # 10 credits

    def attempt(i: int) -> bool:
        try:
            credits.reserve(user_id=user, amount=100, operation="test", key=f"race:{i}")
            return True
        except credits.InsufficientCredits:
            return False

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(attempt, range(50)))
    assert results.count(True) == 10
    assert credits.balance(user_id=user) == 0
    assert_invariant(user)


def capture_and_release_are_exactly_once(make_user) -> None:
    user = make_user("once@example.com", credits=500)
    a = credits.reserve(user_id=user, amount=200, operation="x", key="once:a")
    b = credits.reserve(user_id=user, amount=100, operation="x", key="once:b")
    assert credits.balance(user_id=user) == 200
    assert credits.capture(hold_id=a.id) is True
    assert credits.capture(hold_id=a.id) is False
    assert credits.release(hold_id=a.id) is False  # captured holds cannot be released
    assert credits.release(hold_id=b.id) is True
    assert credits.release(hold_id=b.id) is False
    assert credits.capture(hold_id=b.id) is False
    assert credits.balance(user_id=user) == 300
    assert_invariant(user)


def concurrent_capture_and_release_settle_once(make_user) -> None:
    user = make_user("settle@example.com", credits=1000)
    hold = credits.reserve(user_id=user, amount=300, operation="x", key="settle:1")

    def settle(i: int) -> bool:
        return credits.capture(hold_id=hold.id) if i % 2 else credits.release(hold_id=hold.id)

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(settle, range(20)))
    assert outcomes.count(True) == 1
    assert credits.balance(user_id=user) in (700, 1000)
    assert_invariant(user)


def same_key_is_same_hold(make_user) -> None:
    user = make_user("idem@example.com", credits=1000)
    with ThreadPoolExecutor(max_workers=10) as pool:
        holds = list(pool.map(lambda _: credits.reserve(user_id=user, amount=100, operation="x", key="idem:1"), range(10)))
    assert sum(h.created for h in holds) == 1
    assert {h.id for h in holds} == {"idem:1"}
    assert credits.balance(user_id=user) == 900
    assert_invariant(user)


def partial_capture_returns_the_rest(make_user) -> None:
    user = make_user("partial@example.com", credits=1000)
    hold = credits.reserve(user_id=user, amount=200, operation="views", key="partial:1")
    assert credits.capture(hold_id=hold.id, amount=150) is True
    assert credits.balance(user_id=user) == 850
    assert_invariant(user)


def expired_hold_is_swept(make_user) -> None:
    user = make_user("sweep@example.com", credits=1000)
    credits.reserve(user_id=user, amount=400, operation="x", key="sweep:1", ttl_seconds=60)
    assert credits.sweep(now=utcnow() + timedelta(seconds=30))["released_holds"] == 0
    assert credits.sweep(now=utcnow() + timedelta(seconds=61))["released_holds"] == 1
    assert credits.balance(user_id=user) == 1000
    assert_invariant(user)
