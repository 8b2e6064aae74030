"""The Tech Pack V2 JSON API (issue 10 item 8, "Done means": every error class of every endpoint, with an API
token and with the session, the hold released and the ledger summing to the balance; a revoked token 401).
FastAPI TestClient on ``create_api()``; the route's job runs on a worker thread as soon as it is queued."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
from fastapi.testclient import TestClient

from genpire_app.backend.api.app import create_api
from genpire_app.backend.config import get_settings
from genpire_app.backend.jobs import queue, runner
from genpire_app.backend.services import api_tokens, credits, sessions
from tests.ledger_cases import assert_invariant
from tests.services.test_v2_analysis import product, v2  # noqa: F401  (fixture)

ORIGIN = "http://localhost:3000"
STEPS = ("category/detect", "base-views/analyze", "close-ups/generate", "sketches/generate")
PRICES = {"category/detect": 0, "base-views/analyze": 300, "close-ups/generate": 300, "sketches/generate": 300,
          "edit": 100, "regenerate": 100}


@pytest.fixture
def api(v2, jobs, monkeypatch):  # noqa: F811
    """The API client; call :func:`live` once the test's products exist: from then on a queued job runs on a
    worker thread (the route waits for it, as in production)."""
    monkeypatch.setenv("ALLOWED_ORIGINS", ORIGIN)
    get_settings.cache_clear()
    with TestClient(create_api(), base_url=ORIGIN, follow_redirects=False) as client:
        yield client
    queue.set_sink(jobs.pending.append)


def live() -> None:
    """Queued jobs run at once on a worker thread."""
    queue.set_sink(lambda job_id: threading.Thread(target=lambda: asyncio.run(runner.run(job_id)), daemon=True).start())


def token_for(user: int) -> dict[str, str]:
    _row, secret = api_tokens.create(user, "tests")
    return {"Authorization": f"Bearer {secret}"}


def cookie_for(user: int) -> dict[str, str]:
    return {"Cookie": f"{sessions.COOKIE_NAME}={sessions.start(user)}", "Origin": ORIGIN}


def post(client, step: str, headers: dict[str, str], body) -> tuple[int, dict]:
    response = client.post(f"/api/tech-pack-v2/{step}", headers=headers, json=body)
    return response.status_code, response.json()


def unchanged(user: int, before: int) -> None:
    assert credits.balance(user_id=user) == before
    assert_invariant(user)


@pytest.mark.parametrize("how", ["token", "session"])
async def test_every_step_in_order_with_a_token_or_the_session(api, jobs, make_user, how):
    user = make_user()
    pid = await product(jobs, user)
    live()
    headers = token_for(user) if how == "token" else cookie_for(user)
    start = credits.balance(user_id=user)
    spent = 0
    for step in STEPS:
        status, body = await asyncio.to_thread(post, api, step, headers, {"product_id": str(pid)})
        assert status == 200, (step, body)
        spent += PRICES[step]
        assert body["credits_used"] == PRICES[step]
        assert credits.balance(user_id=user) == start - spent
    status, body = await asyncio.to_thread(post, api, "base-views/analyze", headers, {"productId": str(pid)})
    assert status == 200 and len(body["result"]["analyses"]) == 5  # the seed's key name works too
    assert all(0 <= a["confidence"] <= 1 for a in body["result"]["analyses"])
    assert_invariant(user)


async def test_each_error_class_of_each_step_holds_nothing(api, jobs, make_user, v2):  # noqa: F811
    user, poor, other = make_user(), make_user("poor@example.com", credits=None), make_user("other@example.com")
    pid = await product(jobs, user)
    theirs = await product(jobs, other)
    live()
    headers = token_for(user)
    before = credits.balance(user_id=user)
    bodies = {step: {} for step in STEPS}
    bodies["edit"] = {"field_path": "materials.lining", "instruction": "change the lining to recycled polyester"}
    bodies["regenerate"] = {"view": "front", "instruction": "brighter colours"}
    for step in (*STEPS, "edit", "regenerate"):
        body = {"product_id": str(pid), **bodies[step]}
        # 401: no credentials, a garbage token, a revoked token
        assert (await asyncio.to_thread(post, api, step, {}, body))[0] == 401
        assert (await asyncio.to_thread(post, api, step, {"Authorization": "Bearer gp_nope"}, body))[0] == 401
        # 402 before 400: a user without credits gets 402 even for a bad body (free steps skip it)
        status, _ = await asyncio.to_thread(post, api, step, token_for(poor), {"nonsense": 1})
        assert status == (400 if PRICES[step] == 0 else 402), step
        # 400: a bad body
        status, err = await asyncio.to_thread(post, api, step, headers, {**body, "product_id": "not-a-uuid"})
        assert status == 400 and err["detail"]["code"] == "invalid_input"
        # 404: a missing product and another user's
        for missing in (uuid.uuid4(), theirs):
            assert (await asyncio.to_thread(post, api, step, headers, {**body, "product_id": str(missing)}))[0] == 404
        unchanged(user, before)
    # 500: the provider fails: the hold is released
    v2.fail = True
    status, err = await asyncio.to_thread(post, api, "base-views/analyze", headers, {"product_id": str(pid)})
    assert status == 500 and "returned" in err["detail"]["message"]
    unchanged(user, before)


async def test_a_revoked_token_gets_401(api, jobs, make_user):
    user = make_user()
    pid = await product(jobs, user)
    live()
    row, secret = api_tokens.create(user, "ci")
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await asyncio.to_thread(post, api, "category/detect", headers, {"product_id": str(pid)}))[0] == 200
    api_tokens.revoke(user, row.id)
    status, err = await asyncio.to_thread(post, api, "category/detect", headers, {"product_id": str(pid)})
    assert status == 401 and err["detail"]["code"] == "invalid_token"


def test_the_openapi_document_is_for_token_holders(api, make_user):
    assert api.get("/api/tech-pack-v2/openapi.json").status_code == 401
    doc = api.get("/api/tech-pack-v2/openapi.json", headers=token_for(make_user())).json()
    paths = set(doc["paths"])
    assert {f"/api/tech-pack-v2/{s}" for s in (*STEPS, "edit", "regenerate")} <= paths
    analyze = doc["paths"]["/api/tech-pack-v2/base-views/analyze"]["post"]
    assert {"400", "401", "402", "404", "500"} <= set(analyze["responses"])


async def test_edit_by_hand_or_instruction_and_regenerate_a_view(api, jobs, make_user):
    user = make_user()
    pid = await product(jobs, user)
    live()
    headers = token_for(user)
    assert (await asyncio.to_thread(post, api, "base-views/analyze", headers, {"product_id": str(pid)}))[0] == 200
    before = credits.balance(user_id=user)
    path = "materials.lining"
    status, body = await asyncio.to_thread(post, api, "edit", headers, {"product_id": str(pid), "field_path": path,
                                                                         "value": "Cotton twill"})
    assert status == 200 and body["result"]["value"] == "Cotton twill" and body["credits_used"] == 0
    assert credits.balance(user_id=user) == before  # by hand: free
    status, body = await asyncio.to_thread(post, api, "edit", headers, {
        "product_id": str(pid), "fieldPath": path, "editPrompt": "change the lining to recycled polyester"})
    assert status == 200 and "polyester" in body["result"]["value"].lower() and body["credits_used"] == 100
    status, err = await asyncio.to_thread(post, api, "edit", headers, {"product_id": str(pid), "field_path": path})
    assert status == 400  # neither an instruction nor a value
    status, err = await asyncio.to_thread(post, api, "edit", headers, {
        "product_id": str(pid), "field_path": path, "instruction": "make it nicer"})
    assert status == 500  # nothing to apply: the hold is released
    status, body = await asyncio.to_thread(post, api, "regenerate", headers, {
        "product_id": str(pid), "view": "side", "instruction": "show the strap more clearly"})
    assert status == 200 and body["credits_used"] == 100 and body["result"]["revision_number"] == 1
    assert (await asyncio.to_thread(post, api, "regenerate", headers, {"product_id": str(pid), "view": "inside"}))[0] == 400
    assert credits.balance(user_id=user) == before - 200
    assert_invariant(user)
