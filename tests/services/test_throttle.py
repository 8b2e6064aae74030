"""Sign-in throttling per account and per IP with growing delays (issue 7 item 2; DESIGN.md §10).

The clock is injected (``now=``); no test sleeps.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from genpire_app.backend.db.account_models import AuthThrottle
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import as_utc, utcnow
from genpire_app.backend.services import throttle
from genpire_app.backend.services.throttle import Throttled

T0 = utcnow().replace(microsecond=0)
EMAIL = "victim@example.com"


def at(seconds: float):
    return T0 + timedelta(seconds=seconds)


def row(key: str) -> AuthThrottle | None:
    with read_session() as s:
        return s.exec(select(AuthThrottle).where(AuthThrottle.key == key)).first()


def lock_seconds(keys, now) -> int:
    """retry_after of ``check`` at ``now`` (0 when it passes)."""
    try:
        throttle.check(keys, now=now)
    except Throttled as err:
        return err.retry_after
    return 0


def attempt(keys, now) -> bool:
    """What the sign-in route does for a wrong password: check, then count the failure. True if refused."""
    try:
        throttle.check(keys, now=now)
    except Throttled:
        return True
    throttle.failure(keys, now=now)
    return False


def test_free_failures_pass_then_delays_double_and_cap(app_env):
    key = throttle.account_key(EMAIL)
    for _ in range(5):  # auth_free_failures_account
        throttle.failure([key], now=T0)
        throttle.check([key], now=T0)
    delays = []
    t = 0.0
    for _ in range(13):
        throttle.failure([key], now=at(t))
        delays.append(lock_seconds([key], at(t)))
        t += delays[-1]  # the next failure comes exactly when the lock ends
        throttle.check([key], now=at(t))  # the lock is over then
    assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]


def test_check_during_lockout_reports_retry_after_and_does_not_extend_it(app_env):
    key = throttle.account_key(EMAIL)
    for _ in range(9):  # 5 free + 4 -> the 4th over the allowance locks for 8 s
        throttle.failure([key], now=T0)
    with pytest.raises(Throttled) as err:
        throttle.check([key], now=T0)
    assert err.value.retry_after == 8
    assert "Try again in 8 s" in str(err.value)
    # Requests hammering during the lock are refused with a shrinking wait and are not charged.
    for t, wait in ((0.5, 8), (1, 7), (3, 5), (7, 1), (7.9, 1)):
        with pytest.raises(Throttled) as err:
            throttle.check([key], now=at(t))
        assert err.value.retry_after == wait
    assert row(key).failures == 9
    throttle.check([key], now=at(8))  # ends when it said it would
    # One more failure after the lock locks again for double.
    throttle.failure([key], now=at(8))
    assert lock_seconds([key], at(8)) == 16
    throttle.check([key], now=at(24))


def test_check_reports_the_longest_lock_of_its_keys(app_env):
    acct, ip = throttle.account_key(EMAIL), throttle.ip_key("203.0.113.9")
    for _ in range(7):
        throttle.failure([acct], now=T0)  # 2 s
    for _ in range(24):
        throttle.failure([ip], now=T0)  # 8 s
    assert lock_seconds([acct], T0) == 2
    assert lock_seconds([acct, ip], T0) == 8
    assert lock_seconds([throttle.account_key("other@example.com")], T0) == 0


def test_failures_are_forgotten_an_hour_after_the_last_one(app_env):
    key = throttle.account_key(EMAIL)
    for i in range(5):
        throttle.failure([key], now=at(i * 600))  # spread over 40 min: the window follows the last failure
    throttle.failure([key], now=at(3000))
    assert lock_seconds([key], at(3000)) == 1
    throttle.failure([key], now=at(3000 + 3601))
    assert row(key).failures == 1
    assert lock_seconds([key], at(3000 + 3601)) == 0


def test_per_account_throttle_holds_across_ips(app_env):
    acct = throttle.account_key(EMAIL)
    refused = []
    for i in range(30):  # the same e-mail from 30 different addresses, 10 s apart
        ip = throttle.ip_key(f"198.51.100.{i + 1}")
        refused.append(attempt([acct, ip], at(i * 10)))
        assert lock_seconds([ip], at(i * 10)) == 0  # every IP is far below its allowance
    assert refused[:6] == [False] * 6  # 5 free, the 6th counted and locks
    assert refused.count(False) < 30
    assert lock_seconds([acct], at(290)) > 0
    for i in range(30):
        ip_row = row(throttle.ip_key(f"198.51.100.{i + 1}"))
        assert ip_row is None or ip_row.failures == 1


def test_users_behind_one_ip_do_not_lock_each_other_until_the_ip_allowance(app_env):
    ip = throttle.ip_key("192.0.2.7")
    bob = [throttle.account_key("bob@example.com"), ip]
    # Alice mistypes until her account is locked; Bob on the same IP is not affected.
    alice = [throttle.account_key("alice@example.com"), ip]
    for _ in range(6):
        assert attempt(alice, T0) is False
    assert lock_seconds(alice, T0) == 1
    assert lock_seconds(bob, T0) == 0
    # Someone on that IP tries other accounts: up to 20 failures from the IP in all, Bob still gets in.
    for n in range(14):
        assert attempt([throttle.account_key(f"user{n}@example.com"), ip], at(1)) is False
    assert row(ip).failures == 20
    assert lock_seconds(bob, at(1)) == 0
    # The 21st failure from the IP locks it: now everyone behind it waits.
    throttle.failure([throttle.account_key("mallory@example.com"), ip], now=at(1))
    assert lock_seconds(bob, at(1)) == 1
    assert lock_seconds([throttle.account_key("bob@example.com")], at(1)) == 0


def test_success_clears_the_account_key_but_not_the_ip_record(app_env):
    acct, ip = throttle.account_key(EMAIL), throttle.ip_key("192.0.2.8")
    for _ in range(6):
        throttle.failure([acct, ip], now=T0)
    assert lock_seconds([acct], T0) == 1
    throttle.success([acct, ip], now=at(1))
    assert row(acct) is None
    assert row(ip).failures == 6
    throttle.failure([acct, ip], now=at(2))
    assert row(acct).failures == 1 and lock_seconds([acct], at(2)) == 0
    assert row(ip).failures == 7


def test_a_success_does_not_lift_an_ip_lock(app_env):
    ip = throttle.ip_key("192.0.2.9")
    for n in range(21):
        throttle.failure([throttle.account_key(f"guess{n}@example.com"), ip], now=T0)
    throttle.success([throttle.account_key("attacker@example.com"), ip], now=T0)
    assert lock_seconds([ip], T0) == 1
    assert row(ip).failures == 21


def test_hit_counts_per_window(app_env):
    key, other = "signup-ip:192.0.2.1", "signup-ip:192.0.2.2"
    hour = timedelta(hours=1)
    for t in (0, 60, 120):
        throttle.hit(key, limit=3, window=hour, now=at(t))
    with pytest.raises(Throttled) as err:
        throttle.hit(key, limit=3, window=hour, now=at(600))
    assert err.value.retry_after == 3000
    with pytest.raises(Throttled):  # refused hits do not move the window
        throttle.hit(key, limit=3, window=hour, now=at(3599))
    assert lock_seconds([key], at(3000)) == 600  # check() sees the limit too
    throttle.hit(other, limit=3, window=hour, now=at(600))  # keys are independent
    for t in (3600, 3601, 3602):  # a new window
        throttle.hit(key, limit=3, window=hour, now=at(t))
    with pytest.raises(Throttled):
        throttle.hit(key, limit=3, window=hour, now=at(3603))


def test_hit_refuses_the_failure_prefixes(app_env):
    with pytest.raises(ValueError):
        throttle.hit(throttle.ip_key("192.0.2.1"), limit=10, window=timedelta(hours=1), now=T0)


def test_concurrent_failures_for_one_key_are_all_counted(app_env):
    key, threads, per_thread = throttle.account_key(EMAIL), 8, 25
    barrier = threading.Barrier(threads)
    errors = []

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                throttle.failure([key, throttle.ip_key("192.0.2.50")], now=T0)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert errors == []
    assert row(key).failures == threads * per_thread
    assert row(throttle.ip_key("192.0.2.50")).failures == threads * per_thread
    assert lock_seconds([key], T0) == 900


def test_account_key_hides_the_email_and_normalises_it(app_env):
    key = throttle.account_key(EMAIL)
    assert key.startswith("account:") and len(key) <= 100
    assert "victim" not in key and "example" not in key
    assert throttle.account_key("  Victim@Example.COM ") == key
    assert throttle.account_key("other@example.com") != key
    throttle.failure([key], now=T0)
    with read_session() as s:
        assert all("victim" not in r.key for r in s.exec(select(AuthThrottle)))


def test_ip_keys_are_bounded_and_group_ipv6_by_64(app_env):
    assert throttle.ip_key("203.0.113.5") == "ip:203.0.113.5"
    assert throttle.ip_key("::ffff:203.0.113.5") == "ip:203.0.113.5"
    assert throttle.ip_key("2001:db8:1:2::1") == throttle.ip_key("2001:DB8:1:2:ffff::9") == "ip:2001:db8:1:2::/64"
    assert throttle.ip_key("2001:db8:1:3::1") != throttle.ip_key("2001:db8:1:2::1")
    long_key = throttle.ip_key("x" * 500)
    assert long_key.startswith("ip:") and len(long_key) <= 100
    throttle.failure([long_key], now=T0)
    assert row(long_key).failures == 1


def test_prune_removes_rows_idle_for_over_a_day(app_env):
    old, recent = throttle.account_key("old@example.com"), throttle.account_key("recent@example.com")
    throttle.failure([old], now=T0)
    throttle.hit("signup-ip:192.0.2.1", limit=10, window=timedelta(hours=1), now=T0)
    throttle.failure([recent], now=at(86400))
    assert throttle.prune(now=at(86401)) == 2
    assert row(old) is None and row("signup-ip:192.0.2.1") is None
    assert row(recent).failures == 1
    assert throttle.prune(now=at(86401)) == 0


def test_timestamps_are_stored_in_utc(app_env):
    key = throttle.account_key(EMAIL)
    for _ in range(6):
        throttle.failure([key], now=T0)
    r = row(key)
    assert as_utc(r.last_failure_at) == T0
    assert as_utc(r.locked_until) == at(1)
