"""Personal API tokens (issue 10 item 8): stored hashed, shown once, resolved, revoked (owner only), and the
``api_user`` dependency over HTTP: bearer token, revoked token, garbage, session cookie, same-origin writes.
The clock is injected (``now=``); no test sleeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from genpire_app.backend.api.access import api_user
from genpire_app.backend.db.account_models import LocalUser
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import utcnow
from genpire_app.backend.db.techpack_v2_models import ApiToken
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import api_tokens, sessions

ORIGIN = "http://localhost:3000"


def rows() -> list[ApiToken]:
    with read_session() as s:
        return list(s.exec(select(ApiToken)))


def test_secret_is_random_shown_once_and_only_its_hash_is_stored(make_user):
    uid = make_user("me@example.com")
    t0 = utcnow()
    row, secret = api_tokens.create(uid, "  Export   script ", now=t0)
    other_row, other = api_tokens.create(uid, "CI", now=t0 + timedelta(seconds=1))
    assert secret.startswith("gp_") and len(secret) >= 3 + 43 and secret != other
    assert row.name == "Export script" and row.prefix == secret[:api_tokens.PREFIX_CHARS]
    stored = rows()
    assert {t.token_hash for t in stored} == {api_tokens.digest(secret), api_tokens.digest(other)}
    for t in stored:  # the secret is nowhere in the row
        assert secret not in " ".join(str(v) for v in t.model_dump().values())
        assert other not in " ".join(str(v) for v in t.model_dump().values())
    # Listing never shows the secret again: only name, prefix and times.
    listed = api_tokens.list_tokens(uid)
    assert [t.id for t in listed] == [other_row.id, row.id]  # newest first
    assert all(not hasattr(t, "secret") and len(t.prefix) == api_tokens.PREFIX_CHARS for t in listed)


def test_resolve_touches_last_used_at_most_once_a_minute(make_user):
    uid = make_user("me@example.com")
    _, secret = api_tokens.create(uid, "Script")
    t0 = utcnow()
    assert api_tokens.resolve(secret, now=t0) == uid
    assert api_tokens.list_tokens(uid)[0].last_used_at == t0
    assert api_tokens.resolve(secret, now=t0 + timedelta(seconds=30)) == uid
    assert api_tokens.list_tokens(uid)[0].last_used_at == t0  # not written again within the minute
    assert api_tokens.resolve(secret, now=t0 + timedelta(minutes=2)) == uid
    assert api_tokens.list_tokens(uid)[0].last_used_at == t0 + timedelta(minutes=2)


@pytest.mark.parametrize("garbage", ["", "gp_", "gp_nope", "not-a-token", "gp_" + "A" * 300, "gp_abc def",
                                     "Bearer gp_x"])
def test_garbage_resolves_to_nobody(make_user, garbage):
    uid = make_user("me@example.com")
    _, secret = api_tokens.create(uid, "Script")
    assert api_tokens.resolve(garbage) is None
    assert api_tokens.resolve(secret[:-1]) is None and api_tokens.resolve(secret + "x") is None


def test_revoked_token_is_refused_and_revoking_is_idempotent(make_user):
    uid = make_user("me@example.com")
    row, secret = api_tokens.create(uid, "Script")
    assert api_tokens.revoke(uid, row.id)
    assert api_tokens.resolve(secret) is None
    assert api_tokens.revoke(uid, str(row.id))  # again: no error, still revoked
    assert api_tokens.list_tokens(uid) == []
    assert rows()[0].revoked_at is not None
    assert not api_tokens.revoke(uid, "not-a-uuid")


def test_another_user_cannot_revoke_or_list_my_token(make_user):
    mine, theirs = make_user("me@example.com"), make_user("them@example.com")
    row, secret = api_tokens.create(mine, "Mine")
    assert not api_tokens.revoke(theirs, row.id)
    assert api_tokens.resolve(secret) == mine
    assert api_tokens.list_tokens(theirs) == []


def test_name_rules_and_the_live_token_limit(make_user):
    uid = make_user("me@example.com")
    for bad in ("", "   ", "x" * (api_tokens.MAX_NAME + 1)):
        with pytest.raises(OperationError) as err:
            api_tokens.create(uid, bad)
        assert err.value.code == "invalid_input"
    assert api_tokens.create(uid, "x" * api_tokens.MAX_NAME)[0].name == "x" * api_tokens.MAX_NAME
    made = [api_tokens.create(uid, f"t{i}")[0] for i in range(api_tokens.MAX_LIVE - 1)]
    with pytest.raises(OperationError) as err:
        api_tokens.create(uid, "one too many")
    assert err.value.code == "conflict" and rows()  # nothing more was written
    assert len(rows()) == api_tokens.MAX_LIVE
    api_tokens.revoke(uid, made[0].id)  # a revoked token frees its place
    assert api_tokens.create(uid, "replacement")[0].name == "replacement"


def test_disabled_account_tokens_are_refused(make_user):
    uid = make_user("me@example.com")
    _, secret = api_tokens.create(uid, "Script")
    with write_session() as s:
        user = s.get(LocalUser, uid)
        user.enabled = False
        s.add(user)
    assert api_tokens.resolve(secret) is None


# ---------------------------------------------------------------------------------------------- over HTTP


@pytest.fixture
def client(app_env, monkeypatch):
    monkeypatch.setenv("ALLOWED_ORIGINS", ORIGIN)
    from genpire_app.backend.config import get_settings

    get_settings.cache_clear()
    api = FastAPI()

    @api.get("/api/test/whoami")
    async def whoami(user_id: int = Depends(api_user)) -> dict[str, int]:
        return {"user_id": user_id}

    @api.post("/api/test/whoami")
    async def write(user_id: int = Depends(api_user)) -> dict[str, int]:
        return {"user_id": user_id}

    with TestClient(api, base_url=ORIGIN) as c:
        yield c


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_api_user_accepts_a_bearer_token_without_an_origin(client, make_user):
    uid = make_user("me@example.com")
    _, secret = api_tokens.create(uid, "Script")
    assert client.get("/api/test/whoami", headers=bearer(secret)).json() == {"user_id": uid}
    # A token request that writes needs no same-origin check (a browser never sends it on its own).
    answer = client.post("/api/test/whoami", headers={**bearer(secret), "Origin": "https://evil.example"})
    assert answer.status_code == 200 and answer.json() == {"user_id": uid}
    assert client.get("/api/test/whoami", headers={"Authorization": f"bearer   {secret}"}).status_code == 200


def test_api_user_refuses_revoked_and_garbage_tokens_with_401_json(client, make_user):
    uid = make_user("me@example.com")
    row, secret = api_tokens.create(uid, "Script")
    api_tokens.revoke(uid, row.id)
    for headers in (bearer(secret), bearer("garbage"), bearer("gp_" + "x" * 43), {"Authorization": "Bearer"}):
        answer = client.get("/api/test/whoami", headers=headers)
        assert answer.status_code == 401, headers
        assert answer.json()["detail"]["code"] == "invalid_token"
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.headers["cache-control"] == "no-store"
    # A bad token is refused even next to a valid session cookie.
    cookie = f"{sessions.COOKIE_NAME}={sessions.start(uid)}"
    assert client.get("/api/test/whoami", headers={**bearer("garbage"), "Cookie": cookie}).status_code == 401
    anonymous = client.get("/api/test/whoami")
    assert anonymous.status_code == 401 and anonymous.json()["detail"]["code"] == "unauthorized"


def test_api_user_still_accepts_the_session_cookie(client, make_user):
    uid = make_user("me@example.com")
    cookie = {"Cookie": f"{sessions.COOKIE_NAME}={sessions.start(uid)}"}
    assert client.get("/api/test/whoami", headers=cookie).json() == {"user_id": uid}
    # Another scheme (a proxy's Basic authentication) leaves the decision to the cookie.
    assert client.get("/api/test/whoami", headers={**cookie, "Authorization": "Basic dXNlcjpwYXNz"}).status_code == 200
    # A cookie request that writes keeps the same-origin check.
    assert client.post("/api/test/whoami", headers={**cookie, "Origin": ORIGIN}).json() == {"user_id": uid}
    assert client.post("/api/test/whoami", headers={**cookie, "Origin": "https://evil.example"}).status_code == 403
    assert client.post("/api/test/whoami", headers=cookie).status_code == 403  # no Origin or Referer at all
