"""Ledger behaviour shared by the SQLite tier (tests/services) and the PostgreSQL tier (tests/pg).

Each function takes a ``make_user`` factory and asserts what callers of the ledger rely on.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta, timezone

import pytest

from genpire_app.backend.db.models import utcnow
from genpire_app.backend.services import credit_refunds, credits
from genpire_app.backend.services.credit_refunds import claw_back


def assert_invariant(user_id: int) -> None:
    """The ledger always sums to the balance, and the balance is never negative."""
    bal = credits.balance(user_id=user_id)
    assert bal >= 0, bal
    ledger = credits.ledger_sum(user_id=user_id)
    assert ledger == bal, f"ledger sums to {ledger}, balance is {bal}"


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


# ---------------------------------------------------------------------------------------- lock order


def _lock_failure(err: BaseException) -> str | None:
    """The SQLSTATE (PostgreSQL) or message (SQLite) of a lock failure, None for any other error.

    A deadlock surfaces as psycopg's ``DeadlockDetected`` (SQLSTATE 40P01) wrapped in SQLAlchemy's
    ``OperationalError``; SQLite's "database is locked" is an ``OperationalError`` too.
    """
    from sqlalchemy.exc import OperationalError

    if not isinstance(err, OperationalError):
        return None
    return getattr(err.orig, "sqlstate", None) or str(err.orig)


def _counting_lock_failures(fn, failures: list[str]):
    """Run ``fn``; on a lock failure (its transaction was rolled back) record it and run it again."""
    for _ in range(50):
        try:
            return fn()
        except Exception as err:  # noqa: BLE001 - re-raised unless it is a lock failure
            code = _lock_failure(err)
            if code is None:
                raise
            failures.append(code)
    raise AssertionError(f"gave up after 50 lock failures: {failures[-5:]}")


def settle_cycles_never_deadlock(make_user, *, threads: int = 8, cycles: int = 200) -> list[str]:
    """``threads`` workers each run ``cycles`` reserve -> capture (full or partial) | release cycles for
    ONE user, plus a grant now and then: no lock failure at all, and the exact arithmetic.

    Returns the lock failures seen (empty), so a caller can report them.
    """
    user = make_user("stress@example.com", credits=None)
    start = 0
    # Several grants of mixed sources, so holds span grants and releases give back to several of them.
    for i, (source, amount) in enumerate([("subscription", 1500), ("promo", 700), ("purchase", 900)] * 3):
        credits.grant(user_id=user, source=source, amount=amount, source_ref=f"stress:seed:{i}")
        start += amount
    start += 200_000
    credits.grant(user_id=user, source="signup", amount=200_000, source_ref="stress:seed:big")

    failures: list[str] = []

    def worker(t: int) -> tuple[int, int]:
        spent = granted = 0
        for i in range(cycles):
            amount = 50 + 25 * ((t + i) % 7)  # 0.5 .. 2 credits
            key = f"stress:{t}:{i}"
            hold = _counting_lock_failures(
                lambda: credits.reserve(user_id=user, amount=amount, operation="stress", key=key), failures
            )
            assert hold.id == key
            if i % 2 == 0:
                take = amount if i % 4 == 0 else amount // 3  # some partial captures
                # A lock failure rolls the settlement back, so a retry finds the hold still pending.
                assert _counting_lock_failures(lambda: credits.capture(hold_id=key, amount=take), failures) is True
                spent += take
            else:
                assert _counting_lock_failures(lambda: credits.release(hold_id=key), failures) is True
            if i == cycles // 2:  # one grant per worker, in the middle of the run
                ref = f"stress:grant:{t}:{i}"
                _counting_lock_failures(
                    lambda: credits.grant(user_id=user, source="promo", amount=10, source_ref=ref), failures
                )
                granted += 10
        return spent, granted

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(worker, range(threads)))
    spent = sum(r[0] for r in results)
    granted = sum(r[1] for r in results)
    assert failures == [], f"{len(failures)} lock failures (deadlocks) in {threads * cycles} cycles: {failures[:5]}"
    bal = credits.balance(user_id=user)
    assert bal == start + granted - spent, f"balance {bal}, expected {start} + {granted} - {spent}"
    assert_invariant(user)
    return failures


def expiry_interleaved_with_reserves(make_user, *, is_blocked) -> list[tuple[str, str]]:
    """The sweep's grant expiry, driven statement by statement, with a reserve at every step.

    The sweep runs in its own thread; after each of its statements that touches the ledger tables or the
    user row it stops and the test runs a reserve for the same user in another thread until the reserve
    has finished or waits for a lock (``is_blocked(reserve_state)``), then lets the sweep go on. The first
    stop is right after the sweep read the due grants, so a reserve commits in between read and write
    (the lost update of an unlocked expiry). At the end the ledger must sum to the balance and the
    expiring grant's 100 hundredths must be exactly: held by reserves + expired by the sweep.

    ``is_blocked(state)`` gets ``{"thread": ident, "pid": backend pid or None, "began": bool,
    "sweep": {"writing": bool}}`` (``began``: the reserve sent its first statement; ``writing``: the sweep
    is inside a ``BEGIN IMMEDIATE`` transaction, SQLite); a reserve may wait before it sends anything (the
    in-process SQLite writer lock), so ``is_blocked`` decides alone.

    Returns:
        ``[(first word of the sweep's statement, "committed" | "waited")]``, one per step.
    """
    import queue
    import threading

    from sqlalchemy import event
    from sqlmodel import select

    from genpire_app.backend.db.engine import get_engine, read_session
    from genpire_app.backend.db.models import CreditGrant, CreditHold, CreditLedgerEntry

    user = make_user("expiry-race@example.com", credits=None)
    soon = utcnow() + timedelta(hours=1)
    lapsing = credits.grant(user_id=user, source="promo", amount=100, source_ref="race:lapsing", expires_at=soon)
    credits.grant(user_id=user, source="promo", amount=1000, source_ref="race:lasting")
    engine = get_engine()

    to_main: queue.Queue = queue.Queue()
    to_sweep: queue.Queue = queue.Queue()
    sweep_ident: list[int] = []
    reserves: dict[int, dict] = {}  # thread ident -> state
    sweep_tx = {"writing": False}  # SQLite: the sweep holds the write lock (BEGIN IMMEDIATE .. COMMIT)
    watched = ("credit_grants", "credit_ledger", "localuser")

    def before(conn, cursor, statement, parameters, context, executemany):
        if sweep_ident and threading.get_ident() == sweep_ident[0] and statement.upper().startswith("BEGIN IMMEDIATE"):
            sweep_tx["writing"] = True
        state = reserves.get(threading.get_ident())
        if state is not None:
            info = getattr(cursor.connection, "info", None)
            state["pid"] = getattr(info, "backend_pid", None)
            state["began"] = True

    def ended(conn):
        if sweep_ident and threading.get_ident() == sweep_ident[0]:
            sweep_tx["writing"] = False

    def after(conn, cursor, statement, parameters, context, executemany):
        if sweep_ident and threading.get_ident() == sweep_ident[0]:
            lowered = statement.lower()
            if any(name in lowered for name in watched):
                to_main.put(("paused", statement.split()[0]))
                assert to_sweep.get(timeout=30) == "go"

    def run_sweep() -> None:
        sweep_ident.append(threading.get_ident())
        try:
            to_main.put(("done", credits.sweep(now=soon + timedelta(hours=1))))
        except BaseException as err:  # noqa: BLE001 - handed to the test thread
            to_main.put(("error", err))

    def run_reserve(step: int, state: dict) -> None:
        reserves[threading.get_ident()] = state
        state["thread"] = threading.get_ident()
        state["ready"].set()
        try:
            state["hold"] = credits.reserve(
                user_id=user, amount=30, operation="race", key=f"race:{step}", ttl_seconds=10 * 86400
            )
        except credits.InsufficientCredits:
            state["hold"] = None
        except BaseException as err:  # noqa: BLE001 - checked below
            state["error"] = err
        finally:
            state["done"].set()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "commit", ended)
    event.listen(engine, "rollback", ended)
    states: list[dict] = []
    threads: list[threading.Thread] = []
    try:
        sweeper = threading.Thread(target=run_sweep, name="sweep")
        sweeper.start()
        steps = []
        while True:
            kind, payload = to_main.get(timeout=30)
            if kind == "error":
                raise payload
            if kind == "done":
                result = payload
                break
            steps.append(payload)
            state = {
                "pid": None,
                "began": False,
                "sweep": sweep_tx,
                "ready": threading.Event(),
                "done": threading.Event(),
            }
            states.append(state)
            t = threading.Thread(target=run_reserve, args=(len(states), state), name=f"reserve-{len(states)}")
            threads.append(t)
            t.start()
            state["ready"].wait(timeout=10)
            # Wait (on a condition, with a deadline) until the reserve committed or waits for the sweep.
            deadline = 200 * 10  # x 5 ms: 10 s
            while not state["done"].wait(0.005):
                if is_blocked(state):
                    state["blocked"] = True
                    break
                deadline -= 1
                assert deadline > 0, f"the reserve at sweep step {steps[-1]} neither finished nor waited for a lock"
            to_sweep.put("go")
        sweeper.join(timeout=30)
        for t in threads:
            t.join(timeout=30)
            assert not t.is_alive()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        event.remove(engine, "commit", ended)
        event.remove(engine, "rollback", ended)

    assert len(steps) >= 2, steps
    assert states[0]["done"].is_set() and states[0].get("hold") is not None  # committed between read and write
    ledger, bal = credits.ledger_sum(user_id=user), credits.balance(user_id=user)
    assert ledger == bal, f"ledger sums to {ledger}, balance is {bal}"
    errors = [s["error"] for s in states if "error" in s]
    assert errors == [], errors
    with read_session() as s:
        grant_row = s.get(CreditGrant, lapsing.id)
        assert (grant_row.status, grant_row.remaining) == ("expired", 0)
        held = sum(
            int(a["amount"])
            for h in s.exec(select(CreditHold).where(CreditHold.user_id == user))
            for a in h.allocations
            if a["grant_id"] == str(lapsing.id)
        )
        expired = [
            e.amount
            for e in s.exec(select(CreditLedgerEntry).where(CreditLedgerEntry.user_id == user))
            if e.kind == "expire" and e.source_ref == f"grant:{lapsing.id}"
        ]
    assert held >= 30  # the first reserve took from the lapsing grant (it spends first: oldest)
    assert held + sum(expired) == 100, (held, expired)
    assert result["expired_hundredths"] == sum(expired)
    # The later steps ran while the sweep held its locks: those reserves waited for it.
    assert any(state.get("blocked") for state in states), steps
    return [(step, "waited" if state.get("blocked") else "committed") for step, state in zip(steps, states)]


# ------------------------------------------------------------------ refunds and subscription periods


def _grant_row(grant_id):
    from genpire_app.backend.db.engine import read_session
    from genpire_app.backend.db.models import CreditGrant

    with read_session() as s:
        row = s.get(CreditGrant, grant_id)
        return row.remaining, row.status


def _refund_rows(user_id: int) -> list[tuple[str, int, int]]:
    from sqlmodel import select

    from genpire_app.backend.db.engine import read_session
    from genpire_app.backend.db.models import CreditLedgerEntry

    with read_session() as s:
        rows = s.exec(
            select(CreditLedgerEntry).where(CreditLedgerEntry.user_id == user_id, CreditLedgerEntry.kind == "refund")
        ).all()
        return sorted((r.source_ref, r.amount, r.delta) for r in rows)


def refund_after_half_spent_claws_only_the_rest(make_user) -> None:
    """Issue 9 item 8: a pack of 10 credits, 5 spent, refunded in full: 5 come back, the balance is 0."""
    user = make_user("refund-half@example.com", credits=None)
    pack = credits.grant(user_id=user, source="purchase", amount=1000, source_ref="pack:half")
    hold = credits.reserve(user_id=user, amount=500, operation="x", key="half:spend")
    assert credits.capture(hold_id=hold.id) is True
    assert claw_back(user_id=user, source_ref="pack:half", amount=1000, reason_ref="re_half") == 500
    assert credits.balance(user_id=user) == 0
    assert _grant_row(pack.id) == (0, "expired")
    assert _refund_rows(user) == [("clawback:re_half", 500, -500)]
    assert_invariant(user)


def clawback_leaves_pending_holds_alone(make_user) -> None:
    """Credits a pending hold allocated on the refunded grant are not clawed; capture and release stay exact."""
    user = make_user("refund-held@example.com", credits=None)
    pack = credits.grant(user_id=user, source="purchase", amount=1000, source_ref="pack:held")
    kept = credits.reserve(user_id=user, amount=300, operation="x", key="held:capture")
    back = credits.reserve(user_id=user, amount=200, operation="x", key="held:release")
    assert credits.balance(user_id=user) == 500
    assert claw_back(user_id=user, source_ref="pack:held", amount=1000, reason_ref="re_held") == 500
    assert credits.balance(user_id=user) == 0
    assert _grant_row(pack.id) == (0, "expired")
    assert_invariant(user)
    assert credits.capture(hold_id=kept.id, amount=250) is True  # 50 go back to the grant
    assert credits.balance(user_id=user) == 50
    assert_invariant(user)
    assert credits.release(hold_id=back.id) is True  # the held 200 were never clawed: they come back once
    assert credits.balance(user_id=user) == 250
    assert _grant_row(pack.id) == (250, "active")
    assert_invariant(user)
    # 1000 granted = 250 captured + 500 clawed + 250 left.
    assert _refund_rows(user) == [("clawback:re_held", 500, -500)]


def clawback_is_idempotent_on_reason_ref(make_user) -> None:
    user = make_user("refund-twice@example.com", credits=None)
    credits.grant(user_id=user, source="purchase", amount=1000, source_ref="pack:twice")
    assert claw_back(user_id=user, source_ref="pack:twice", amount=200, reason_ref="re_twice") == 200
    # The same refund again (a replayed webhook): the first call's result, nothing written.
    assert claw_back(user_id=user, source_ref="pack:twice", amount=200, reason_ref="re_twice") == 200
    assert credits.balance(user_id=user) == 800
    # Another refund of the same purchase claws again, still only down to what is unspent.
    assert claw_back(user_id=user, source_ref="pack:twice", amount=900, reason_ref="re_more") == 800
    assert credits.balance(user_id=user) == 0
    # Nothing left: the refund is recorded with 0, and replays answer 0.
    assert claw_back(user_id=user, source_ref="pack:twice", amount=100, reason_ref="re_empty") == 0
    assert claw_back(user_id=user, source_ref="pack:twice", amount=100, reason_ref="re_empty") == 0
    assert _refund_rows(user) == [
        ("clawback:re_empty", 0, 0),
        ("clawback:re_more", 800, -800),
        ("clawback:re_twice", 200, -200),
    ]
    assert_invariant(user)


def clawback_edge_cases(make_user) -> None:
    """Unknown grant: 0 and no writes; another user's grant or reason_ref: ValueError; a lapsed grant
    is expired (not clawed); bad arguments: ValueError."""
    user = make_user("refund-edge@example.com", credits=None)
    other = make_user("refund-other@example.com", credits=None)
    assert claw_back(user_id=user, source_ref="pack:nowhere", amount=100, reason_ref="re_unknown") == 0
    assert _refund_rows(user) == []
    credits.grant(user_id=other, source="purchase", amount=100, source_ref="pack:other")
    with pytest.raises(ValueError):
        claw_back(user_id=user, source_ref="pack:other", amount=100, reason_ref="re_theirs")
    assert credits.balance(user_id=other) == 100
    credits.grant(user_id=user, source="purchase", amount=100, source_ref="pack:mine")
    assert claw_back(user_id=user, source_ref="pack:mine", amount=40, reason_ref="re_shared") == 40
    with pytest.raises(ValueError):
        claw_back(user_id=other, source_ref="pack:other", amount=40, reason_ref="re_shared")
    bad_args = [{"amount": 0, "reason_ref": "re_x"}, {"amount": 10, "reason_ref": ""}]
    bad_args.append({"amount": 10, "reason_ref": "r" * 200})  # longer than credit_ledger.source_ref allows
    for bad in bad_args:
        with pytest.raises(ValueError):
            claw_back(user_id=user, source_ref="pack:mine", **bad)
    # A grant whose expires_at passed (not swept yet) has nothing to claw: it is expired instead.
    soon = utcnow() + timedelta(seconds=1)
    lapsing = credits.grant(user_id=user, source="purchase", amount=300, source_ref="pack:lapsing", expires_at=soon)
    later = utcnow() + timedelta(seconds=5)
    original = credit_refunds.utcnow
    credit_refunds.utcnow = lambda: later
    try:
        assert claw_back(user_id=user, source_ref="pack:lapsing", amount=300, reason_ref="re_lapsed") == 0
    finally:
        credit_refunds.utcnow = original
    assert _grant_row(lapsing.id) == (0, "expired")
    assert credits.balance(user_id=user) == 60
    assert_invariant(user)
    assert_invariant(other)


def concurrent_clawbacks_with_one_reason_claw_once(make_user, *, threads: int = 16) -> None:
    user = make_user("refund-race@example.com", credits=None)
    credits.grant(user_id=user, source="purchase", amount=1000, source_ref="pack:race")
    failures: list[str] = []

    def attempt(_: int) -> int:
        return _counting_lock_failures(
            lambda: claw_back(user_id=user, source_ref="pack:race", amount=300, reason_ref="re_race"), failures
        )

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(attempt, range(threads)))
    assert failures == []
    assert results == [300] * threads  # every caller sees the one clawback
    assert credits.balance(user_id=user) == 700
    assert _refund_rows(user) == [("clawback:re_race", 300, -300)]
    assert_invariant(user)


def clawbacks_interleaved_with_settlement(make_user, *, threads: int = 4, cycles: int = 40) -> None:
    """Reserve/settle workers and a refund worker on the same user and grant: no lock failure (same lock
    order), and every hundredth is accounted for: granted = captured + clawed + balance."""
    user = make_user("refund-mix@example.com", credits=None)
    credits.grant(user_id=user, source="purchase", amount=50_000, source_ref="pack:mix")
    failures: list[str] = []

    def settler(t: int) -> int:
        spent = 0
        for i in range(cycles):
            key = f"mix:{t}:{i}"
            try:
                _counting_lock_failures(
                    lambda: credits.reserve(user_id=user, amount=100, operation="mix", key=key), failures
                )
            except credits.InsufficientCredits:
                continue
            if i % 2:
                assert _counting_lock_failures(lambda: credits.capture(hold_id=key), failures) is True
                spent += 100
            else:
                assert _counting_lock_failures(lambda: credits.release(hold_id=key), failures) is True
        return spent

    def refunder() -> int:
        return sum(
            _counting_lock_failures(
                lambda: claw_back(user_id=user, source_ref="pack:mix", amount=700, reason_ref=f"re_mix:{i}"), failures
            )
            for i in range(cycles)
        )

    with ThreadPoolExecutor(max_workers=threads + 1) as pool:
        clawed_f = pool.submit(refunder)
        spent = sum(pool.map(settler, range(threads)))
        clawed = clawed_f.result()
    assert failures == [], failures[:5]
    assert 0 < clawed <= 700 * cycles
    assert clawed + spent + credits.balance(user_id=user) == 50_000
    assert_invariant(user)


def subscription_period_credits_spend_first(make_user) -> None:
    """Issue 9 item 7: a period's subscription credits are spent before purchased (and signup) credits."""
    from genpire_app.backend.db.engine import read_session
    from genpire_app.backend.db.models import CreditGrant

    user = make_user("period-order@example.com", credits=100)
    credits.grant(user_id=user, source="purchase", amount=500, source_ref="pack:order")
    start = utcnow() - timedelta(days=1)
    period = credits.grant_period(
        user_id=user, subscription_id="sub_order", period_start=start, period_end=start + timedelta(days=30), amount=300
    )
    assert (period.source, period.source_ref) == ("subscription", f"subscription:sub_order:{int(start.timestamp())}")
    hold = credits.reserve(user_id=user, amount=400, operation="x", key="period-order:1")
    with read_session() as s:
        taken = [
            (s.get(CreditGrant, uuid.UUID(a["grant_id"])).source, a["amount"])
            for a in credits.get_hold(hold.id).allocations
        ]
    assert taken == [("subscription", 300), ("signup", 100)]
    assert_invariant(user)


def period_grant_is_once_per_period_and_lapses_at_its_end(make_user) -> None:
    user = make_user("period-lapse@example.com", credits=None)
    start = (utcnow() - timedelta(days=1)).replace(microsecond=0)
    end = start + timedelta(days=30)
    first = credits.grant_period(user_id=user, subscription_id="sub_1", period_start=start, period_end=end, amount=1000)
    # The same period again (a replayed invoice.paid), written naive-UTC: the same grant, nothing added.
    again = credits.grant_period(
        user_id=user,
        subscription_id="sub_1",
        period_start=start.astimezone(timezone.utc).replace(tzinfo=None),
        period_end=end,
        amount=1000,
    )
    assert again.id == first.id
    assert credits.balance(user_id=user) == 1000
    assert_invariant(user)
    with pytest.raises(ValueError):
        credits.grant_period(user_id=user, subscription_id="sub_1", period_start=end, period_end=start, amount=1)
    credits.grant(user_id=user, source="purchase", amount=500, source_ref="pack:lapse")
    hold = credits.reserve(user_id=user, amount=400, operation="x", key="period:1", ttl_seconds=90 * 86400)
    assert credits.capture(hold_id=hold.id) is True  # 400 of the period's 1000 spent
    # The next period starts: its credits are granted; the previous period's rest lapses at its own end.
    nxt = credits.grant_period(
        user_id=user, subscription_id="sub_1", period_start=end, period_end=end + timedelta(days=30), amount=1000
    )
    assert nxt.id != first.id
    assert credits.balance(user_id=user) == 600 + 500 + 1000
    before_end = credits.sweep(now=end - timedelta(seconds=1))
    assert before_end["expired_hundredths"] == 0
    after_end = credits.sweep(now=end + timedelta(seconds=1))
    assert after_end["expired_hundredths"] == 600
    assert _grant_row(first.id) == (0, "expired")
    assert _grant_row(nxt.id) == (1000, "active")
    assert credits.ledger_sum(user_id=user) == 500 + 1000
    # Once the real clock passes the first end (the sweep ran "in the future"), balance agrees too.
    assert credits.balance(user_id=user) == 500 + 1000
    assert_invariant(user)
