"""Sessions that rotate and revoke, and the HTTP sign-in/sign-up/sign-out routes (issue 7 items 1-2;
DESIGN.md §10). The clock is injected (``now=``); no test sleeps."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from genpire_app.backend.api.app import create_api
from genpire_app.backend.api.auth import read_note
from genpire_app.backend.db.account_models import UserSession
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import utcnow
from genpire_app.backend.jobs import push
from genpire_app.backend.services import accounts, credits, sessions

ORIGIN = "http://localhost:3000"
PASSWORD = "correct horse battery"


@pytest.fixture
def client(app_env, monkeypatch):
    monkeypatch.setenv("ALLOWED_ORIGINS", ORIGIN)
    from genpire_app.backend.config import get_settings

    get_settings.cache_clear()
    with TestClient(create_api(), base_url=ORIGIN, follow_redirects=False) as c:
        yield c


def sign_in(client: TestClient, email: str, password: str = PASSWORD, *, origin: str = ORIGIN, **data):
    return client.post("/api/auth/signin", data={"email": email, "password": password, **data},
                       headers={"Origin": origin})


def cookie_of(response) -> str:
    return sessions.token_from_cookies(response.headers.get("set-cookie", "").split(";")[0])


def test_session_secrets_are_random_hashed_and_new_at_every_sign_in(make_user):
    uid = make_user("me@example.com")
    first, second = sessions.start(uid), sessions.start(uid)
    assert first != second and len(first) >= 40
    assert sessions.resolve(first).user_id == uid and sessions.resolve(second).user_id == uid
    with read_session() as s:
        stored = {row.token_hash for row in s.exec(select(UserSession))}
    assert stored == {sessions.digest(first), sessions.digest(second)}  # only digests are kept
    assert sessions.resolve("") is None and sessions.resolve("forged") is None


def test_idle_and_absolute_expiry(make_user):
    uid = make_user("me@example.com")
    t0 = utcnow()
    token = sessions.start(uid, now=t0)
    # Used every 20 hours: never idle for 24 h, yet over after 30 days.
    seen = t0
    while seen + timedelta(hours=20) < t0 + timedelta(days=30):
        seen += timedelta(hours=20)
        assert sessions.resolve(token, now=seen) is not None, seen - t0
    assert sessions.resolve(token, now=t0 + timedelta(days=30, minutes=1)) is None
    # Idle: unused for 24 h and one minute.
    idle = sessions.start(uid, now=t0)
    assert sessions.resolve(idle, now=t0 + timedelta(hours=23, minutes=59)) is not None
    assert sessions.resolve(idle, now=t0 + timedelta(hours=23, minutes=59) + timedelta(hours=24, minutes=1)) is None


def test_sign_out_everywhere_and_per_device(make_user):
    uid, other = make_user("me@example.com"), make_user("other@example.com")
    tokens = [sessions.start(uid, user_agent=f"agent {i}") for i in range(3)]
    theirs = sessions.start(other)
    listed = sessions.list_active(user_id=uid)
    assert len(listed) == 3
    assert not sessions.revoke_id(user_id=other, session_id=listed[0].id)  # not theirs to revoke
    assert sessions.revoke_id(user_id=uid, session_id=listed[0].id)
    assert len(sessions.list_active(user_id=uid)) == 2
    assert sessions.revoke_all(user_id=uid) == 2
    assert all(sessions.resolve(t) is None for t in tokens)
    assert sessions.resolve(theirs) is not None


def test_the_sweep_deletes_sessions_a_week_after_they_ended(make_user):
    from genpire_app.backend.jobs.sweep import recovery_sweep

    uid = make_user("me@example.com")
    t0 = utcnow()
    revoked, _idle, _used = (sessions.start(uid, now=t0) for _ in range(3))
    sessions.revoke(revoked, now=t0)
    assert recovery_sweep(now=t0 + timedelta(days=6))["pruned_sessions"] == 0  # ended under a week ago
    # The revoked one goes a week after its revocation; the others run to their absolute expiry (30 days).
    assert recovery_sweep(now=t0 + timedelta(days=8))["pruned_sessions"] == 1
    assert recovery_sweep(now=t0 + timedelta(days=36))["pruned_sessions"] == 0
    assert recovery_sweep(now=t0 + timedelta(days=38))["pruned_sessions"] == 2
    with read_session() as s:
        assert s.exec(select(UserSession)).all() == []


def test_device_labels():
    assert sessions.device_label("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                                 "Chrome/156.0.0.0 Safari/537.36") == "Chrome on Linux"
    assert sessions.device_label("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                                 "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1") == \
        "Mobile Safari on iOS (iPhone)"
    assert sessions.device_label("") == "Unknown device"


def test_sign_in_sets_an_httponly_cookie_and_replaces_a_planted_session(client, make_user):
    victim, attacker = make_user("victim@example.com"), make_user("attacker@example.com")
    planted = sessions.start(attacker)  # the attacker's own session, planted in the victim's browser
    client.cookies.set(sessions.COOKIE_NAME, planted)
    answer = sign_in(client, "victim@example.com", next="/activity")
    assert answer.status_code == 303 and answer.headers["location"] == "/activity"
    set_cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "path=/" in set_cookie
    token = cookie_of(answer)
    assert token and token != planted
    assert sessions.resolve(token).user_id == victim
    assert sessions.resolve(planted) is None  # whatever the browser held is revoked


def test_sign_in_refuses_other_sites_and_open_redirects(client, make_user):
    make_user("me@example.com")
    assert sign_in(client, "me@example.com", origin="https://evil.example").status_code == 403
    no_origin = client.post("/api/auth/signin", data={"email": "me@example.com", "password": PASSWORD})
    assert no_origin.status_code == 403
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        answer = sign_in(client, "me@example.com", next=target)
        assert answer.headers["location"] == "/dashboard", target


def test_wrong_password_comes_back_with_a_signed_note(client, make_user):
    make_user("me@example.com")
    answer = sign_in(client, "me@example.com", "not the password", next="/activity")
    assert answer.status_code == 303 and "set-cookie" not in answer.headers
    location = urlsplit(answer.headers["location"])
    assert location.path == "/login"
    note = read_note(parse_qs(location.query)["form"][0])
    assert note["message"] == "The email or password is not right. Please try again."
    assert note["email"] == "me@example.com" and note["next"] == "/activity"
    assert read_note(parse_qs(location.query)["form"][0][:-2] + "xx") == {}  # forged: nothing shown


def test_unknown_account_and_wrong_password_cost_the_same(client, make_user, monkeypatch):
    """Enumeration: over 20 tries each, the mean answer time of an unknown e-mail and of an existing account
    with an empty or a wrong password differ by less than 1.5x (one bcrypt check every time)."""
    monkeypatch.setenv("AUTH_FREE_FAILURES_ACCOUNT", "1000")
    monkeypatch.setenv("AUTH_FREE_FAILURES_IP", "1000")
    from genpire_app.backend.config import get_settings

    get_settings.cache_clear()
    make_user("me@example.com")

    def timed(email: str, password: str) -> float:
        start = time.perf_counter()
        answer = sign_in(client, email, password)
        assert answer.status_code == 303 and urlsplit(answer.headers["location"]).path == "/login"
        return time.perf_counter() - start

    unknown = [timed(f"nobody{i}@example.com", "") for i in range(20)]
    empty = [timed("me@example.com", "") for _ in range(10)] + [timed("me@example.com", "wrong") for _ in range(10)]
    a, b = statistics.mean(unknown), statistics.mean(empty)
    print(f"\nsign-in answer: unknown {a * 1000:.0f} ms, existing {b * 1000:.0f} ms, ratio {max(a, b) / min(a, b):.2f}")
    assert max(a, b) / min(a, b) < 1.5


def test_per_account_throttle_in_the_route(client, make_user):
    make_user("me@example.com")
    for _ in range(6):  # 5 free failures, the 6th locks for 1 s
        sign_in(client, "me@example.com", "wrong")
    answer = sign_in(client, "me@example.com")  # the right password, but during the lockout
    assert "set-cookie" not in answer.headers
    note = read_note(parse_qs(urlsplit(answer.headers["location"]).query)["form"][0])
    assert note["message"].startswith("Too many attempts")


def test_sign_up_route(client, app_env):
    answer = client.post("/api/auth/signup", data={"email": "new@example.com", "password": PASSWORD},
                         headers={"Origin": ORIGIN})
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard?welcome=1"
    who = sessions.resolve(cookie_of(answer))
    assert who is not None and who.email == "new@example.com"
    assert credits.balance(user_id=who.user_id) == 2000  # no mail server: verification is off
    refused = client.post("/api/auth/signup", data={"email": "new@example.com", "password": PASSWORD},
                          headers={"Origin": ORIGIN})
    note = read_note(parse_qs(urlsplit(refused.headers["location"]).query)["form"][0])
    assert note["field"] == "email" and "already exists" in note["message"]
    evil = client.post("/api/auth/signup", data={"email": "x@example.com", "password": PASSWORD},
                       headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    assert accounts.authenticate("x@example.com", PASSWORD) is None


def test_sign_out_revokes_clears_the_cookie_and_tells_open_tabs(client, make_user, monkeypatch):
    uid = make_user("me@example.com")
    published = []
    monkeypatch.setattr(push, "publish", lambda user_id, *topics, **kw: published.append((user_id, topics)))
    token = cookie_of(sign_in(client, "me@example.com"))
    other_device = sessions.start(uid)
    client.cookies.set(sessions.COOKIE_NAME, token)
    answer = client.post("/api/auth/signout", headers={"Origin": ORIGIN})
    assert answer.status_code == 303 and answer.headers["location"] == "/login?signed_out=1"
    assert 'genpire_session=""' in answer.headers["set-cookie"] and "max-age=0" in answer.headers["set-cookie"].lower()
    assert sessions.resolve(token) is None and sessions.resolve(other_device) is not None
    assert published == [(uid, ("session",))]
    # "Sign out everywhere" from a browser that is signed in.
    token = cookie_of(sign_in(client, "me@example.com"))
    client.cookies.set(sessions.COOKIE_NAME, token)
    client.post("/api/auth/signout", data={"scope": "all"}, headers={"Origin": ORIGIN})
    assert sessions.resolve(token) is None and sessions.resolve(other_device) is None
