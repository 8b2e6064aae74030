"""3D model REST routes and the Meshy webhook route (issue 8 items 4-5; api/models3d.py, api/webhooks.py):
session required (401), same-origin writes (403), another user's ids answer 404 everywhere, the owner-checked
file route, the webhook's 404/400/200. FastAPI TestClient on ``create_api()``; fake provider."""

from __future__ import annotations

import asyncio
import sys
import uuid

import pytest
from fastapi.testclient import TestClient

from genpire_app.backend.api.app import create_api
from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import write_session
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobStatus
from genpire_app.backend.jobs.runner import Submitted
from genpire_app.backend.services import collections, credits, model_webhook, models3d, sessions
from genpire_app.backend.storage import get_storage
from tests.services.test_model_webhook import GLB, deliver, install_fakes, new_model

ORIGIN = "http://localhost:3000"
EVIL = "https://evil.example"


@pytest.fixture
def api(app_env, monkeypatch):
    monkeypatch.setenv("ALLOWED_ORIGINS", ORIGIN)
    get_settings.cache_clear()
    provider, recorder = install_fakes(monkeypatch)
    generation = sys.modules["genpire_app.backend.services.model_generation"]
    generation.calls = []  # type: ignore[attr-defined]

    def start(*, user_id, source, intent):
        generation.calls.append((user_id, source, intent))  # type: ignore[attr-defined]
        if intent.startswith("fail-"):
            code = intent.removeprefix("fail-")
            raise OperationError(code, f"refused: {code}")
        return Submitted(job_id=uuid.UUID(int=7), status=JobStatus.QUEUED, reused=False)

    generation.start = start  # type: ignore[attr-defined]
    with TestClient(create_api(), base_url=ORIGIN, follow_redirects=False) as client:
        yield client, provider, generation


def auth(user_id: int, *, origin: str | None = ORIGIN) -> dict[str, str]:
    headers = {"Cookie": f"{sessions.COOKIE_NAME}={sessions.start(user_id)}"}
    if origin:
        headers["Origin"] = origin
    return headers


def finished_model(provider, user_id: int):
    model = new_model(user_id)
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    deliver(model.provider_task_id, "SUCCEEDED", 100)
    return models3d.get_owned(user_id, model.id)


def routes(model_id, product_id, collection_id) -> list[tuple[str, str]]:
    return [
        ("POST", f"/api/3d-models/{model_id}/check"),
        ("GET", f"/api/products/{product_id}/3d-model"),
        ("GET", f"/api/products/{product_id}/3d-models"),
        ("GET", f"/api/collections/{collection_id}/3d-model"),
        ("GET", f"/api/collections/{collection_id}/3d-models"),
        ("POST", f"/api/3d-models/{model_id}/activate"),
        ("DELETE", f"/api/3d-models/{model_id}"),
        ("GET", f"/api/3d-models/{model_id}/files/glb"),
        ("GET", f"/api/3d-models/{model_id}/files/glb?inline=1"),
        ("GET", f"/api/3d-models/{model_id}/files/thumbnail"),
    ]


def test_every_route_needs_a_session_and_writes_need_our_origin(make_user, api):
    client, provider, generation = api
    user = make_user()
    model = finished_model(provider, user)
    group = collections.create_collection(user, "Spring")
    for method, path in routes(model.id, model.product_id, group.id) + [("POST", "/api/3d-models")]:
        assert client.request(method, path).status_code == 401, path
        assert client.request(method, path, headers={"Cookie": f"{sessions.COOKIE_NAME}=forged"}).status_code == 401
        if method != "GET":
            for origin in (EVIL, None):
                answer = client.request(method, path, headers=auth(user, origin=origin), json={})
                assert answer.status_code == 403, (path, origin)
    assert generation.calls == [] and models3d.get_owned(user, model.id).status == "SUCCEEDED"


def test_another_users_ids_answer_404_everywhere(make_user, api):
    client, provider, generation = api
    owner, other = make_user("owner@example.com"), make_user("other@example.com")
    model = finished_model(provider, owner)
    finished_model(provider, other)  # the other user has models of their own
    group = collections.create_collection(owner, "Spring")
    for method, path in routes(model.id, model.product_id, group.id):
        answer = client.request(method, path, headers=auth(other))
        assert answer.status_code == 404, (method, path, answer.status_code)
    for method, path in routes(uuid.uuid4(), uuid.uuid4(), uuid.uuid4()) + routes("not-a-uuid", "x", "y"):
        assert client.request(method, path, headers=auth(owner)).status_code == 404, path
    assert models3d.get_owned(owner, model.id).is_active  # nothing changed


def test_start_generation_maps_refusals(make_user, api):
    client, _, generation = api
    user = make_user()
    product = new_model(user).product_id
    answer = client.post("/api/3d-models", json={"product_id": str(product), "intent": "click-123456"},
                         headers=auth(user))
    assert answer.status_code == 202 and answer.json() == {"job_id": str(uuid.UUID(int=7)), "status": "queued"}
    (uid, source, intent), = generation.calls
    assert (uid, source, intent) == (user, models3d.Source.product(product), "click-123456")
    for code, status in (("insufficient_credits", 402), ("busy", 409), ("not_found", 404), ("invalid_state", 422)):
        answer = client.post("/api/3d-models", json={"product_id": str(product), "intent": f"fail-{code}"},
                             headers=auth(user))
        assert answer.status_code == status and answer.json()["detail"]["message"] == f"refused: {code}"
    for body in ({"intent": "x-12345678"}, {"product_id": str(product), "collection_id": str(product), "intent": "i"},
                 {"product_id": str(product)}, ["not", "an", "object"]):
        assert client.post("/api/3d-models", json=body, headers=auth(user)).status_code == 422
    assert client.post("/api/3d-models", content=b"{", headers=auth(user)).status_code == 422
    group = collections.create_collection(user, "Spring")
    answer = client.post("/api/3d-models", json={"collection_id": str(group.id), "intent": "click-abcdefgh"},
                         headers=auth(user))
    assert answer.status_code == 202 and generation.calls[-1][1] == models3d.Source.collection(group.id)


def test_check_reads_and_activate_delete(make_user, api):
    client, provider, _ = api
    user = make_user(credits=3000)
    first = finished_model(provider, user)
    src = models3d.Source.product(first.product_id)
    with write_session() as s:
        hold = credits.reserve(user_id=user, amount=1000, operation="model_3d", session=s)
        second = models3d.create_version(s, user_id=user, source=src, revision_id=None, input_image_ids=[],
                                         provider="meshy", hold_id=hold.id, task_kind="multi-image-to-3d")
    models3d.attach_task(second.id, provider_task_id="task-second")
    provider.report("task-second", "IN_PROGRESS", 55)
    answer = client.post(f"/api/3d-models/{second.id}/check", headers=auth(user))
    assert answer.status_code == 200 and (answer.json()["status"], answer.json()["progress"]) == ("IN_PROGRESS", 55)
    assert client.delete(f"/api/3d-models/{second.id}", headers=auth(user)).status_code == 422  # still generating
    provider.report("task-second", "SUCCEEDED", 100)
    assert client.post(f"/api/3d-models/{second.id}/check", headers=auth(user)).json()["status"] == "SUCCEEDED"
    active = client.get(f"/api/products/{first.product_id}/3d-model", headers=auth(user)).json()["model"]
    assert active["id"] == str(second.id) and active["version"] == 2 and active["formats"] == ["glb"]
    versions = client.get(f"/api/products/{first.product_id}/3d-models", headers=auth(user)).json()["versions"]
    assert [(v["version"], v["is_active"]) for v in versions] == [(2, True), (1, False)]
    answer = client.post(f"/api/3d-models/{first.id}/activate", headers=auth(user))
    assert answer.status_code == 200 and answer.json()["is_active"]
    assert models3d.active_model(user, src).id == first.id
    glb_key = models3d.get_owned(user, second.id).model_files["glb"]
    assert client.delete(f"/api/3d-models/{second.id}", headers=auth(user)).json() == {"ok": True}
    assert [m.id for m in models3d.list_versions(user, src)] == [first.id]
    assert client.delete(f"/api/3d-models/{first.id}", headers=auth(user)).status_code == 422  # the only one
    assert asyncio.run(get_storage().exists(glb_key)) is False  # the deleted version's files are gone
    assert asyncio.run(get_storage().exists(first.model_files["glb"])) is True
    group = collections.create_collection(user, "Empty")
    assert client.get(f"/api/collections/{group.id}/3d-model", headers=auth(user)).json() == {"model": None}
    assert client.get(f"/api/collections/{group.id}/3d-models", headers=auth(user)).json() == {"versions": []}


def test_file_route_serves_our_copy_with_names_and_types(make_user, api):
    client, provider, _ = api
    user = make_user()
    model = finished_model(provider, user)
    answer = client.get(f"/api/3d-models/{model.id}/files/glb", headers=auth(user, origin=None))
    assert answer.status_code == 200 and answer.content == GLB
    assert answer.headers["content-type"] == "model/gltf-binary"
    assert answer.headers["content-disposition"] == 'attachment; filename="Lamp-v1.glb"'
    assert answer.headers["x-content-type-options"] == "nosniff"
    inline = client.get(f"/api/3d-models/{model.id}/files/GLB?inline=1", headers=auth(user))
    assert inline.headers["content-disposition"] == 'inline; filename="Lamp-v1.glb"'
    for fmt in ("stl", "usdz", "obj", "exe", "..%2Fx"):
        assert client.get(f"/api/3d-models/{model.id}/files/{fmt}", headers=auth(user)).status_code == 404, fmt
    thumb = client.get(f"/api/3d-models/{model.id}/files/thumbnail", headers=auth(user))
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/png"
    pending = new_model(user)
    assert client.get(f"/api/3d-models/{pending.id}/files/glb", headers=auth(user)).status_code == 404


def test_webhook_route(make_user, api):
    client, provider, _ = api
    user = make_user(credits=2000)
    model = new_model(user)
    secret = get_settings().meshy_webhook_secret_value()
    body = {"id": model.provider_task_id, "status": "SUCCEEDED", "progress": 100}
    assert client.post("/api/webhooks/meshy/wrong-secret", json=body).status_code == 404
    assert client.post(f"/api/webhooks/meshy/{secret}", json={**body, "id": "task-unknown"}).status_code == 404
    assert client.post(f"/api/webhooks/meshy/{secret}", content=b"{not json").status_code == 400
    assert client.post(f"/api/webhooks/meshy/{secret}", json=[1, 2]).status_code == 400
    assert client.post(f"/api/webhooks/meshy/{secret}", json={"id": "x", "status": "NOPE"}).status_code == 400
    assert client.post(f"/api/webhooks/meshy/{secret}", content=b" " * (300 * 1024)).status_code == 413
    assert model_webhook.list_events() == []
    assert client.post(f"/api/webhooks/meshy/{secret}", json=body).status_code == 503  # provider has no such task
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    answer = client.post(f"/api/webhooks/meshy/{secret}", json=body, headers={"Origin": EVIL})  # no Origin check
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    assert models3d.get_owned(user, model.id).status == "SUCCEEDED" and credits.balance(user_id=user) == 1000
