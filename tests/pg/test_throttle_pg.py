"""Sign-in throttle on PostgreSQL under real concurrency (issue 7 item 2; DESIGN.md §10, §11 tests/pg)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import select

from genpire_app.backend.db.account_models import AuthThrottle
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import utcnow
from genpire_app.backend.services import throttle
from genpire_app.backend.services.throttle import Throttled

T0 = utcnow().replace(microsecond=0)


def run_threads(n: int, work) -> list[Exception]:
    barrier, errors = threading.Barrier(n), []

    def go(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)

    pool = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    return errors


def failures(key: str) -> int:
    with read_session() as s:
        return s.exec(select(AuthThrottle.failures).where(AuthThrottle.key == key)).one()


def test_concurrent_failures_upsert_counts_every_one(pg_env):
    """8 threads x 40 failures on two keys that start absent, half of them naming the keys in the other
    order: every failure is counted on both keys, no deadlock, and the lock is the capped one."""
    acct, ip = throttle.account_key("victim@example.com"), throttle.ip_key("198.51.100.1")

    def work(i: int) -> None:
        keys = [acct, ip] if i % 2 else [ip, acct]
        for _ in range(40):
            throttle.failure(keys, now=T0)

    assert run_threads(8, work) == []
    assert failures(acct) == 320
    assert failures(ip) == 320
    try:
        throttle.check([acct], now=T0)
        raise AssertionError("the account should be locked")
    except Throttled as err:
        assert err.retry_after == 900


def test_concurrent_hits_let_exactly_the_limit_through(pg_env):
    passed = []

    def work(_i: int) -> None:
        for _ in range(10):
            try:
                throttle.hit("signup-ip:198.51.100.2", limit=25, window=timedelta(hours=1), now=T0)
                passed.append(1)
            except Throttled:
                pass

    assert run_threads(8, work) == []
    assert len(passed) == 25
    assert failures("signup-ip:198.51.100.2") == 80
