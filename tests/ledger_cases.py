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
