"""3D generation on the held-operation runner (issue 8 items 1, 3, 9; services/model_generation.py) and the
offline 3D provider end to end (providers/offline/model_provider.py).

Fake image/vision/text providers make the views quickly for the accounting tests; the offline tests use the
real offline renderer and reconstruction. The webhook POST goes to an ``httpx.MockTransport``.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
import trimesh
from PIL import Image
from sqlmodel import select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.model3d_models import Product3DModel
from genpire_app.backend.db.models import CreditHold, Job, ProductTechPack, as_utc, utcnow
from genpire_app.backend.exports.mesh_formats import FORMATS
from genpire_app.backend.jobs import queue
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.meshy import parse_task
from genpire_app.backend.providers.model3d import ModelRequest
from genpire_app.backend.providers.offline import model_provider
from genpire_app.backend.providers.offline.model_provider import OfflineModelProvider
from genpire_app.backend.providers.registry import Providers, get_providers, set_providers
from genpire_app.backend.services import credits, model_generation, models3d, products
from genpire_app.backend.services.models3d import Source
from genpire_app.backend.storage import get_storage
from tests.fakes import VIEW_COLORS, FakeImage, FakeText, FakeVision
from tests.ledger_cases import assert_invariant

IDEA = "A minimalist canvas tote bag with leather straps and magnetic buttons"


@dataclass
class FakeModel:
    """A 3D provider that records requests and returns task ids (or fails)."""

    fail: bool = False
    name: str = "meshy"
    requests: list[ModelRequest] = field(default_factory=list)

    async def start(self, request: ModelRequest, *, webhook_url: str | None = None) -> str:
        self.requests.append(request)
        if self.fail:
            raise ProviderError("The 3D service is busy right now. Please try again in a minute.", provider="meshy")
        return f"task-{len(self.requests)}"

    async def get(self, task_id: str, *, kind: str):  # pragma: no cover - not used here
        raise NotImplementedError

    async def download(self, url: str, *, max_bytes: int) -> bytes:  # pragma: no cover
        raise NotImplementedError


@pytest.fixture
def model(app_env):
    fake = FakeModel()
    set_providers(Providers(image=FakeImage(), vision=FakeVision(), text=FakeText(), model=fake))
    yield fake
    set_providers(None)


async def approved_product(jobs, user: int) -> uuid.UUID:
    pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea=IDEA))
    await jobs.approved(user, pid)
    return pid


async def generate(jobs, user: int, pid: uuid.UUID, intent: str | None = None):
    submitted = await asyncio.to_thread(model_generation.start, user_id=user, source=Source.product(pid),
                                        intent=intent or uuid.uuid4().hex)
    await jobs.drain()
    return jobs.done(submitted.job_id)


def versions(pid: uuid.UUID) -> list[Product3DModel]:
    with read_session() as s:
        return list(s.exec(select(Product3DModel).where(Product3DModel.product_id == pid)
                           .order_by(Product3DModel.version)).all())


def hold(hold_id: str) -> CreditHold:
    with read_session() as s:
        row = s.get(CreditHold, hold_id)
        assert row is not None
        return row


def model_jobs() -> list[Job]:
    with read_session() as s:
        return list(s.exec(select(Job).where(Job.kind == "model_3d")).all())


# ------------------------------------------------------------------------------------------- accounting


async def test_start_holds_ten_credits_and_leaves_the_hold_pending(model, jobs, make_user):
    user = make_user()
    pid = await approved_product(jobs, user)
    before = credits.balance(user_id=user)
    done = await generate(jobs, user, pid)
    assert done.ok, done.message
    assert done.message == model_generation.STARTED and done.charged == 0
    assert credits.balance(user_id=user) == before - 1000  # held, neither captured nor released

    [row] = versions(pid)
    assert (row.version, row.status, row.is_active) == (1, "PENDING", False)
    assert row.provider == "meshy" and row.provider_task_id == "task-1" and row.task_kind == "multi-image-to-3d"
    assert done.result["model_id"] == str(row.id)
    [job] = model_jobs()
    assert row.hold_id == job.hold_id
    pending = hold(job.hold_id)
    assert (pending.status, pending.amount) == ("pending", 1000)
    expire = get_settings().model_task_expire_seconds
    assert as_utc(pending.expires_at) > utcnow() + timedelta(seconds=expire + 300)  # outlives the 3D expiry

    # front, back, side, top, in that order, as PNG data URIs of the active views
    [request] = model.requests
    assert len(request.image_urls) == 4 and len(row.input_image_ids) == 4
    for uri, view in zip(request.image_urls, ("front", "back", "side", "top")):
        data = base64.b64decode(uri.split(",", 1)[1])
        assert Image.open(io.BytesIO(data)).convert("RGB").getpixel((5, 5)) == VIEW_COLORS[view]
    assert_invariant(user)


async def test_refused_when_short_holds_nothing(model, jobs, make_user):
    user = make_user()
    pid = await approved_product(jobs, user)
    left = credits.balance(user_id=user)
    credits.reserve(user_id=user, amount=left - 999, operation="other")  # 9.99 credits remain
    with pytest.raises(OperationError) as refused:
        await generate(jobs, user, pid)
    assert refused.value.code == "insufficient_credits"
    assert credits.balance(user_id=user) == 999
    assert model_jobs() == [] and versions(pid) == [] and model.requests == []


async def test_busy_while_a_model_is_generating_and_same_intent_is_not_charged_twice(model, jobs, make_user):
    user = make_user(credits=4000)
    pid = await approved_product(jobs, user)
    before = credits.balance(user_id=user)
    first = await generate(jobs, user, pid, intent="intent-one-123")
    assert first.ok
    again = await asyncio.to_thread(model_generation.start, user_id=user, source=Source.product(pid),
                                    intent="intent-one-123")
    assert again.reused and again.job_id == first.job_id
    with pytest.raises(OperationError) as busy:
        await generate(jobs, user, pid)
    assert busy.value.code == "busy" and busy.value.message == model_generation.BUSY_PRODUCT
    assert credits.balance(user_id=user) == before - 1000 and len(versions(pid)) == 1


async def test_busy_while_a_generation_job_is_queued(model, jobs, make_user):
    user = make_user(credits=4000)
    pid = await approved_product(jobs, user)
    await asyncio.to_thread(model_generation.start, user_id=user, source=Source.product(pid), intent=uuid.uuid4().hex)
    with pytest.raises(OperationError) as busy:  # no version row yet: the queued job counts
        await asyncio.to_thread(model_generation.start, user_id=user, source=Source.product(pid),
                                intent=uuid.uuid4().hex)
    assert busy.value.code == "busy"
    await jobs.drain()


async def test_provider_error_releases_the_hold_and_writes_no_version(model, jobs, make_user):
    model.fail = True
    user = make_user()
    pid = await approved_product(jobs, user)
    before = credits.balance(user_id=user)
    done = await generate(jobs, user, pid)
    assert done.status == "failed"
    assert done.message.startswith("The 3D service is busy") and "were returned" in done.message
    assert credits.balance(user_id=user) == before
    assert versions(pid) == []
    [job] = model_jobs()
    assert hold(job.hold_id).status == "released"
    assert_invariant(user)


async def test_refused_before_approval_and_for_another_users_product(model, jobs, make_user):
    user, other = make_user(), make_user("other@example.com")
    pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea=IDEA))
    assert (await jobs.front_view(user, pid)).ok
    with pytest.raises(OperationError) as early:
        await generate(jobs, user, pid)
    assert early.value.code == "invalid_state"
    with pytest.raises(OperationError) as foreign:
        await generate(jobs, other, pid)
    assert foreign.value.code == "not_found"
    assert model_jobs() == []


async def test_second_generation_after_success_is_version_two(model, jobs, make_user):
    user = make_user(credits=4000)
    pid = await approved_product(jobs, user)
    before = credits.balance(user_id=user)
    assert (await generate(jobs, user, pid)).ok
    [first] = versions(pid)
    moved = models3d.advance(first.id, status="SUCCEEDED", model_files={"glb": "users/x/model.glb"})
    assert moved.became_terminal  # what the webhook does, then it captures once
    credits.capture(hold_id=first.hold_id, amount=1000)

    assert (await generate(jobs, user, pid)).ok
    one, two = versions(pid)
    assert (one.version, one.status, one.is_active) == (1, "SUCCEEDED", True)
    assert (two.version, two.status, two.is_active) == (2, "PENDING", False)
    assert two.hold_id != one.hold_id
    assert (hold(one.hold_id).status, hold(two.hold_id).status) == ("captured", "pending")
    assert credits.balance(user_id=user) == before - 2000
    assert_invariant(user)


async def test_collection_uses_its_first_product_and_refuses_when_empty(model, jobs, make_user):
    from genpire_app.backend.services import collections

    user = make_user()
    pid = await approved_product(jobs, user)
    empty = collections.create_collection(user, "Empty")
    with pytest.raises(OperationError) as refused:
        await asyncio.to_thread(model_generation.start, user_id=user, source=Source.collection(empty.id),
                                intent=uuid.uuid4().hex)
    assert refused.value.code == "invalid_state"
    group = collections.create_collection(user, "Spring")
    collections.add_product(user, group.id, pid)
    submitted = await asyncio.to_thread(model_generation.start, user_id=user, source=Source.collection(group.id),
                                        intent=uuid.uuid4().hex)
    await jobs.drain()
    assert jobs.done(submitted.job_id).ok
    [row] = models3d.list_versions(user, Source.collection(group.id))
    assert (row.source_type, row.collection_id, row.product_id, row.version) == ("collection", group.id, None, 1)
    assert versions(pid) == []  # the product's own versions are separate
    with pytest.raises(OperationError) as busy:
        await asyncio.to_thread(model_generation.start, user_id=user, source=Source.collection(group.id),
                                intent=uuid.uuid4().hex)
    assert busy.value.message == model_generation.BUSY_COLLECTION


# ------------------------------------------------------------------------------------------- exports


def box_glb() -> bytes:
    mesh = trimesh.creation.box(extents=(0.2, 0.1, 0.3))
    mesh.visual.vertex_colors = [200, 40, 40, 255]
    return mesh.export(file_type="glb")


async def test_exports_store_every_format_once(model, jobs, make_user):
    user, other = make_user(), make_user("other@example.com")
    pid = await approved_product(jobs, user)
    assert (await generate(jobs, user, pid)).ok
    [row] = versions(pid)
    key = f"users/{user}/models/{row.id}/model.glb"
    await get_storage().put(key, box_glb(), "model/gltf-binary")
    models3d.advance(row.id, status="SUCCEEDED", model_files={"glb": key})

    with pytest.raises(OperationError):
        await asyncio.to_thread(model_generation.submit_exports, user_id=other, model_id=row.id)
    await asyncio.to_thread(model_generation.submit_exports, user_id=user, model_id=row.id)
    await asyncio.to_thread(model_generation.submit_exports, user_id=user, model_id=row.id)  # same job
    await jobs.drain()
    with read_session() as s:
        export_jobs = s.exec(select(Job).where(Job.kind == "model_exports")).all()
    assert len(export_jobs) == 1 and export_jobs[0].status == "succeeded" and export_jobs[0].hold_id is None

    [row] = versions(pid)
    assert set(row.model_files) == set(FORMATS) and row.model_files["glb"] == key
    for fmt in model_generation.export_formats():
        stored = row.model_files[fmt]
        assert stored.startswith(f"users/{user}/models/{row.id}/")
        assert len(await get_storage().get(stored)) > 0
    stl = trimesh.load(io.BytesIO(await get_storage().get(row.model_files["stl"])), file_type="stl")
    assert sorted(round(e) for e in stl.extents) == [100, 200, 300]  # millimetres


# ------------------------------------------------------------------------------------------- offline provider


@pytest.fixture
def offline(app_env, monkeypatch):
    """Offline providers everywhere, a coarse grid (fast), an internal API URL and captured 3D tasks."""
    monkeypatch.setenv("OFFLINE_3D_RESOLUTION", "40")
    monkeypatch.setenv("API_URL", "http://api.internal:8000/")
    get_settings.cache_clear()
    set_providers(None)
    tasks: list[str] = []
    queue.set_model_sink(tasks.append)
    yield tasks
    queue.set_model_sink(None)


class Webhook:
    """Records webhook POSTs; answers ``statuses`` in turn (then 200)."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.statuses.pop(0) if self.statuses else 200, json={"ok": True})

    @property
    def bodies(self) -> list[dict]:
        return [json.loads(r.content) for r in self.requests]


async def test_offline_generation_end_to_end(offline, jobs, make_user):
    user = make_user()
    pid = await approved_product(jobs, user)
    assert isinstance(get_providers().model, OfflineModelProvider)
    done = await generate(jobs, user, pid)
    assert done.ok, done.message
    [task_id] = offline
    [row] = versions(pid)
    assert row.provider == "offline" and row.provider_task_id == task_id
    pending = json.loads(await get_storage().get(f"offline-3d/{task_id}/task.json"))
    assert pending["status"] == "PENDING" and [i["view"] for i in pending["inputs"]] == ["front", "back", "side", "top"]

    hook, waits = Webhook(), []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    status = await model_provider.run_task(task_id, transport=httpx.MockTransport(hook), sleep=sleep)
    assert status == "SUCCEEDED" and waits == []
    stored = json.loads(await get_storage().get(f"offline-3d/{task_id}/task.json"))
    assert stored["status"] == "SUCCEEDED" and stored["progress"] == 100
    assert stored["model_urls"] == {"glb": f"storage://offline-3d/{task_id}/model.glb"}
    assert stored["thumbnail_url"] == f"storage://offline-3d/{task_id}/thumbnail.webp"

    provider = get_providers().model
    task = await provider.get(task_id, kind="multi-image-to-3d")
    assert task.status.value == "SUCCEEDED" and task.progress == 100 and task.finished_at_ms
    glb = await provider.download(task.model_urls["glb"], max_bytes=get_settings().max_model_bytes)
    mesh = trimesh.load(io.BytesIO(glb), file_type="glb", force="mesh")
    assert mesh.is_watertight and len(mesh.faces) > 100
    # real size: the product's (width, depth, height) mm; glTF is metres, x = width, y = height, z = depth
    with read_session() as s:
        width, depth, height = model_generation.product_dimensions_mm(s, pid)
    assert pending["dimensions_mm"] == [width, depth, height]
    assert mesh.extents * 1000 == pytest.approx([width, height, depth], rel=0.01)
    thumb = Image.open(io.BytesIO(await provider.download(task.thumbnail_url, max_bytes=10**6)))
    assert thumb.format == "WEBP" and max(thumb.size) <= 256

    # Meshy's webhook: the task object POSTed to our secret route, IN_PROGRESS first, then the end state
    secret = get_settings().meshy_webhook_secret_value()
    assert {str(r.url) for r in hook.requests} == {f"http://api.internal:8000/api/webhooks/meshy/{secret}"}
    assert [r.method for r in hook.requests] == ["POST", "POST"]
    assert [b["status"] for b in hook.bodies] == ["IN_PROGRESS", "SUCCEEDED"]
    final = hook.bodies[-1]
    assert final["id"] == task_id and final["progress"] == 100 and final["task_error"] == {"message": ""}
    assert parse_task(final, kind="multi-image-to-3d").model_urls == task.model_urls
    with pytest.raises(ProviderError):  # no open proxy: only our own offline files
        await provider.download("https://assets.meshy.ai/x/model.glb", max_bytes=10**6)
    with pytest.raises(ProviderError) as unknown:
        await provider.get("nope-123", kind="multi-image-to-3d")
    assert unknown.value.status_code == 404
    assert await model_provider.run_task(task_id, transport=httpx.MockTransport(hook), sleep=sleep) is None
    assert len(hook.requests) == 2  # a duplicate message changes nothing


async def test_size_comes_from_the_newest_tech_pack_else_the_estimate(model, jobs, make_user):
    user = make_user()
    pid = await approved_product(jobs, user)
    with read_session() as s:
        [approval] = [a for a in repo.approvals(s, product_id=pid) if a.status in ("approved", "completed")]
        estimate = approval.extracted_features["estimated_dimensions"]
        assert model_generation.product_dimensions_mm(s, pid) == (
            estimate["width_mm"], estimate["depth_mm"], estimate["height_mm"])
    sizes = [{"size": "One size", "measurements": [{"name": "Width", "value_mm": 82, "tolerance_mm": 1},
                                                   {"name": "Height", "value_mm": 96, "tolerance_mm": 1},
                                                   {"name": "Depth", "value_mm": 120, "tolerance_mm": 1}]}]
    with write_session() as s:
        s.add(ProductTechPack(product_idea_id=pid, user_id=user, tech_pack_data={"dimensions": sizes}, is_active=True))
        s.add(ProductTechPack(product_idea_id=pid, user_id=user, tech_pack_data={"dimensions": []}))
    with read_session() as s:
        assert model_generation.product_dimensions_mm(s, pid) == (82.0, 120.0, 96.0)
    done = await generate(jobs, user, pid)
    assert done.ok, done.message
    assert model.requests[-1].dimensions_mm == (82.0, 120.0, 96.0)  # sent with the views


async def test_offline_failure_is_reported_and_the_webhook_retried(offline, monkeypatch):
    monkeypatch.delenv("API_URL")
    png = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 40, 40)).save(png, "PNG")
    uri = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    task_id = await OfflineModelProvider().start(ModelRequest(image_urls=(uri,)))
    assert offline == [task_id]
    hook, waits = Webhook(503, 500, 502, 503, 500), []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    assert await model_provider.run_task(task_id, transport=httpx.MockTransport(hook), sleep=sleep) == "FAILED"
    # one attempt for the progress hint, then 1 + 3 attempts for the end state, waiting 1, 2, 4 s
    assert [b["status"] for b in hook.bodies] == ["IN_PROGRESS", "FAILED", "FAILED", "FAILED", "FAILED"]
    assert waits == [1.0, 2.0, 4.0]
    assert str(hook.requests[0].url).startswith(get_settings().public_url + "/api/webhooks/meshy/")
    task = await OfflineModelProvider().get(task_id, kind="image-to-3d")
    # one image is carved from the front alone (front-only mode), but a plain red square has no backdrop
    assert task.status.value == "FAILED" and "front view" in (task.task_error or "")
    with pytest.raises(ProviderError):
        await OfflineModelProvider().start(ModelRequest(image_urls=("https://example.com/a.png",)))


def test_registry_picks_meshy_with_a_key_and_offline_without(app_env):
    from genpire_app.backend.config import Settings
    from genpire_app.backend.providers.meshy import MeshyClient
    from genpire_app.backend.providers.registry import CAPABILITY_LABELS, build_providers

    real = build_providers(Settings(meshy_api_key="msy-key", meshy_asset_hosts="assets.meshy.ai,*.cdn.example"))
    assert isinstance(real.model, MeshyClient) and "model" not in real.offline
    assert real.model.allowed_hosts == ("assets.meshy.ai", "*.cdn.example")
    offline = build_providers(Settings())
    assert isinstance(offline.model, OfflineModelProvider) and "model" in offline.offline
    assert CAPABILITY_LABELS["model"] == "3D models"
