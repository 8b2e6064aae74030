"""Quick 3D "Generate 3D Model" of an asset (seed 003 §4 "Generation", §5 "Credit Logic"; DESIGN.md §4, §12
"first model attempt free, regenerate 1"; services/asset_models.py, the asset branch of model_webhook.settle).

The accounting tests use a fake 3D provider (``FakeModel`` of test_model_generation) and apply the task's end
state like the webhook does (``model_webhook.apply``); the end-to-end test runs the real offline provider on a
real offline concept (one image, front-only reconstruction) and posts to the webhook through an
``httpx.MockTransport``.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import uuid
from datetime import timedelta

import httpx
import pytest
import trimesh
from PIL import Image, ImageDraw
from sqlmodel import select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.model3d_models import Product3DModel
from genpire_app.backend.db.models import CreditHold, Job, Notification
from genpire_app.backend.db.quick3d_models import Asset, AssetStatus
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.meshy import parse_task
from genpire_app.backend.providers.offline import model_provider
from genpire_app.backend.providers.offline.model_provider import OfflineModelProvider
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.services import asset_models, credits, model_expiry, model_webhook, models3d
from genpire_app.backend.storage import get_storage
from tests.ledger_cases import assert_invariant
from tests.services.test_model_generation import Webhook, model, offline  # noqa: F401  (fixtures)
from tests.services.test_quick3d import quick, start  # noqa: F401  (fixture)

PROMPT = "A round ceramic vase"


def concept_png(color: tuple[int, int, int] = (40, 90, 200)) -> bytes:
    """A 128 px studio image: a rounded product on white."""
    img = Image.new("RGB", (128, 128), "white")
    ImageDraw.Draw(img).rounded_rectangle([34, 14, 94, 114], radius=18, fill=color)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


async def new_asset(user: int, *, status: AssetStatus = AssetStatus.CONCEPTS_GENERATED, selected: int | None = 1,
                    skip_concept: bool = False, mode: str = "text", concepts: int = 2) -> uuid.UUID:
    """An asset with ``concepts`` concept PNGs in storage (as the concepts job leaves it)."""
    asset_id = uuid.uuid4()
    keys = []
    for i in range(concepts):
        key = f"users/{user}/assets/{asset_id}/concepts/c{i}.png"
        await get_storage().put(key, concept_png((40 + 60 * i, 90, 200)), "image/png")
        keys.append(key)
    image_key = None
    if mode == "image":
        image_key = f"users/{user}/assets/{asset_id}/input.png"
        await get_storage().put(image_key, concept_png((200, 60, 40)), "image/png")
    with write_session() as s:
        s.add(Asset(id=asset_id, user_id=user, mode=mode, prompt=PROMPT, status=status.value, concept_keys=keys,
                    selected_concept=selected, skip_concept=skip_concept, input_image_key=image_key,
                    concept_attempts=1 if concepts else 0))
    return asset_id


async def generate(jobs, user: int, asset_id: uuid.UUID):
    submitted = await asyncio.to_thread(asset_models.start_model, user, asset_id, uuid.uuid4().hex)
    await jobs.drain()
    return jobs.done(submitted.job_id)


def asset_row(asset_id: uuid.UUID) -> Asset:
    with read_session() as s:
        return s.get(Asset, asset_id)


def models_of(asset_id: uuid.UUID) -> list[Product3DModel]:
    with read_session() as s:
        return list(s.exec(select(Product3DModel).where(Product3DModel.asset_id == asset_id)
                           .order_by(Product3DModel.version)).all())


def hold_of(hold_id: str) -> CreditHold:
    with read_session() as s:
        return s.get(CreditHold, hold_id)


def task(model_row: Product3DModel, status: str, error: str = ""):
    return parse_task({"id": model_row.provider_task_id, "status": status, "progress": 0,
                       "task_error": {"message": error}}, kind=model_row.task_kind)


def decoded_request_image(uri: str) -> tuple[int, int, int]:
    data = base64.b64decode(uri.split(",", 1)[1])
    return Image.open(io.BytesIO(data)).convert("RGB").getpixel((64, 64))


# ------------------------------------------------------------------------------------------- accounting


async def test_first_attempt_is_free_and_sends_the_selected_concept(model, jobs, make_user):  # noqa: F811
    user = make_user()
    asset_id = await new_asset(user, selected=1)
    before = credits.balance(user_id=user)
    done = await generate(jobs, user, asset_id)
    assert done.ok, done.message
    assert credits.balance(user_id=user) == before  # first model attempt free (seed 003 §5)
    [job] = [j for j in jobs_of(user) if j.kind == "asset_model"]
    assert job.hold_id is None

    [row] = models_of(asset_id)
    assert (row.source_type, row.asset_id, row.product_id, row.collection_id) == ("asset", asset_id, None, None)
    assert (row.version, row.status, row.hold_id, row.task_kind) == (1, "PENDING", None, "image-to-3d")
    assert models3d.Source.of(row) == models3d.Source.asset(asset_id)
    [request] = model.requests
    assert len(request.image_urls) == 1
    assert decoded_request_image(request.image_urls[0]) == (100, 90, 200)  # concept B, the selected one
    asset = asset_row(asset_id)
    assert (asset.status, asset.model_attempts) == (AssetStatus.GENERATING_MODEL.value, 1)

    # busy while the model is open; and asset_models.model_price now says 1 credit
    with pytest.raises(OperationError) as busy:
        await generate(jobs, user, asset_id)
    assert busy.value.code == "busy"
    assert asset_models.model_price(asset) == get_settings().prices.quick_model == 100

    # the task fails: nothing to release, the asset FAILED with a user-safe error, exactly once
    moved = await model_webhook.apply(row, task(row, "FAILED", "internal trace 0x1"))
    assert moved.became_terminal
    asset = asset_row(asset_id)
    assert asset.status == AssetStatus.FAILED.value and asset.error == asset_models.MODEL_FAILED
    assert credits.balance(user_id=user) == before
    assert_invariant(user)


def jobs_of(user: int) -> list[Job]:
    with read_session() as s:
        return list(s.exec(select(Job).where(Job.user_id == user)).all())


async def test_second_attempt_costs_one_credit_and_a_failure_releases_it(model, jobs, make_user):  # noqa: F811
    user = make_user()
    asset_id = await new_asset(user)
    before = credits.balance(user_id=user)
    assert (await generate(jobs, user, asset_id)).ok
    [first] = models_of(asset_id)
    await model_webhook.apply(first, task(first, "FAILED"))

    done = await generate(jobs, user, asset_id)
    assert done.ok, done.message
    assert credits.balance(user_id=user) == before - 100  # regenerate: 1 credit, held
    one, two = models_of(asset_id)
    assert (two.version, two.status) == (2, "PENDING")
    assert (hold_of(two.hold_id).status, hold_of(two.hold_id).amount) == ("pending", 100)
    assert asset_row(asset_id).model_attempts == 2

    moved = await model_webhook.apply(two, task(two, "FAILED"))
    assert moved.became_terminal
    assert hold_of(two.hold_id).status == "released" and credits.balance(user_id=user) == before
    asset = asset_row(asset_id)
    assert asset.status == AssetStatus.FAILED.value and asset.error == asset_models.MODEL_FAILED
    with read_session() as s:
        note = s.exec(select(Notification).where(Notification.user_id == user, Notification.type == "model_failed")
                      .order_by(Notification.created_at.desc())).first()
    assert note.link == f"/assets/{asset_id}" and "returned" in note.message and "0x" not in note.message
    # a late duplicate changes nothing (exactly once)
    assert not (await model_webhook.apply(two, task(two, "FAILED"))).changed
    assert credits.balance(user_id=user) == before
    assert_invariant(user)


async def test_expiry_of_an_asset_model_fails_the_asset_and_releases(model, jobs, make_user, monkeypatch):  # noqa: F811
    user = make_user()
    asset_id = await new_asset(user, status=AssetStatus.COMPLETED)
    with write_session() as s:
        s.get(Asset, asset_id).model_attempts = 1  # a paid regeneration
    before = credits.balance(user_id=user)
    assert (await generate(jobs, user, asset_id)).ok
    [row] = models_of(asset_id)
    assert credits.balance(user_id=user) == before - 100

    def gone(name: str):
        raise ProviderError("gone", provider=name, status_code=404)

    monkeypatch.setattr(model_webhook, "model_provider", gone)
    limit = get_settings().model_task_expire_seconds
    assert model_expiry.expire_due(row.created_at + timedelta(seconds=limit + 1)) == 1
    assert models3d.get_owned(user, row.id).status == "EXPIRED"
    asset = asset_row(asset_id)
    assert asset.status == AssetStatus.FAILED.value and asset.error == asset_models.MODEL_EXPIRED
    assert hold_of(row.hold_id).status == "released" and credits.balance(user_id=user) == before
    assert model_expiry.expire_due(row.created_at + timedelta(seconds=2 * limit)) == 0  # once
    assert_invariant(user)


async def test_refusals(model, jobs, make_user):  # noqa: F811
    user, other = make_user(), make_user("other@example.com")
    asset_id = await new_asset(user)
    with pytest.raises(OperationError) as foreign:
        await generate(jobs, other, asset_id)
    assert foreign.value.code == "not_found"
    with pytest.raises(OperationError) as missing:
        await generate(jobs, user, uuid.uuid4())
    assert missing.value.code == "not_found"

    unselected = await new_asset(user, selected=None)
    with pytest.raises(OperationError) as no_concept:
        await generate(jobs, user, unselected)
    assert (no_concept.value.code, no_concept.value.message) == ("invalid_state", asset_models.NO_CONCEPT)
    pending = await new_asset(user, status=AssetStatus.PENDING_CONCEPTS)
    with pytest.raises(OperationError) as not_now:
        await generate(jobs, user, pending)
    assert not_now.value.code == "invalid_state"
    text_skip = await new_asset(user, status=AssetStatus.GENERATING_MODEL, selected=None, skip_concept=True,
                                concepts=0)
    with pytest.raises(OperationError) as no_image:
        await generate(jobs, user, text_skip)
    assert no_image.value.message == asset_models.NO_IMAGE

    # a queued job is busy too (before the provider answered)
    first = await asyncio.to_thread(asset_models.start_model, user, asset_id, uuid.uuid4().hex)
    with pytest.raises(OperationError) as busy:
        await asyncio.to_thread(asset_models.start_model, user, asset_id, uuid.uuid4().hex)
    assert busy.value.code == "busy"
    await jobs.drain()
    assert jobs.done(first.job_id).ok
    assert [m.source_type for m in models_of(asset_id)] == ["asset"]
    assert model.requests and len(models_of(unselected)) == 0


async def test_skip_concept_image_asset_sends_the_upload(model, jobs, make_user):  # noqa: F811
    user = make_user()
    asset_id = await new_asset(user, status=AssetStatus.GENERATING_MODEL, selected=None, skip_concept=True,
                               mode="image", concepts=0)
    before = credits.balance(user_id=user)
    assert (await generate(jobs, user, asset_id)).ok
    [request] = model.requests
    assert decoded_request_image(request.image_urls[0]) == (200, 60, 40)  # the uploaded image
    assert credits.balance(user_id=user) == before and asset_row(asset_id).model_attempts == 1


async def test_skip_concept_from_the_dashboard_queues_the_free_model_at_once(model, quick, jobs, make_user):  # noqa: F811
    user = make_user()
    staged = f"users/{user}/staging/{uuid.uuid4().hex}.png"
    await get_storage().put(staged, concept_png((200, 60, 40)), "image/png")
    before = credits.balance(user_id=user)
    asset_id = await asyncio.to_thread(asset_models.start_direct, user, prompt="", style_id=None,
                                       input_image_key=staged, intent=uuid.uuid4().hex)
    await jobs.drain()
    [request] = model.requests
    assert decoded_request_image(request.image_urls[0]) == (200, 60, 40)  # no concepts: the upload itself
    asset = asset_row(asset_id)
    assert asset.skip_concept and asset.concept_keys == [] and asset.model_attempts == 1
    assert credits.balance(user_id=user) == before  # the first model is free
    with pytest.raises(OperationError) as refused:  # text mode has no picture to model
        await asyncio.to_thread(asset_models.start_direct, user, prompt="a vase", style_id=None, input_image_key=None,
                                intent=uuid.uuid4().hex)
    assert refused.value.code == "invalid_input"


async def test_skip_concept_with_a_vanished_upload_leaves_a_failed_asset_with_the_reason(model, quick, jobs,  # noqa: F811
                                                                                         make_user):
    user = make_user()
    asset_id = await asyncio.to_thread(asset_models.start_direct, user, prompt="", style_id=None,
                                       input_image_key=f"users/{user}/staging/gone.png", intent=uuid.uuid4().hex)
    await jobs.drain()
    asset = asset_row(asset_id)
    assert asset.status == AssetStatus.FAILED.value and "not available" in asset.error, (asset.status, asset.error)


# ------------------------------------------------------------------------------------------- offline


async def test_offline_one_image_end_to_end(offline, quick, jobs, make_user):  # noqa: F811
    user = make_user()
    started = await start(jobs, user, prompt=PROMPT)
    with write_session() as s:
        s.get(Asset, started.asset_id).selected_concept = 0
    before = credits.balance(user_id=user)
    with write_session() as s:  # no thumbnail yet: the model's becomes the asset's
        s.get(Asset, started.asset_id).thumbnail_key = None

    done = await generate(jobs, user, started.asset_id)
    assert done.ok, done.message
    assert isinstance(get_providers().model, OfflineModelProvider)
    [task_id] = offline
    [row] = models_of(started.asset_id)
    assert row.provider == "offline" and row.provider_task_id == task_id and row.task_kind == "image-to-3d"

    async def handle(request: httpx.Request) -> httpx.Response:  # our webhook route, in process
        secret = get_settings().meshy_webhook_secret_value()
        await model_webhook.handle_delivery(secret, json.loads(request.content))
        return httpx.Response(200, json={"ok": True})

    status = await model_provider.run_task(task_id, transport=httpx.MockTransport(handle))
    assert status == "SUCCEEDED"
    row = models3d.get_owned(user, row.id)
    assert (row.status, row.is_active) == ("SUCCEEDED", True)
    mesh = trimesh.load(io.BytesIO(await get_storage().get(row.model_files["glb"])), file_type="glb", force="mesh")
    assert mesh.is_watertight and len(mesh.faces) > 100
    asset = asset_row(started.asset_id)
    assert asset.status == AssetStatus.COMPLETED.value and asset.error is None
    assert asset.thumbnail_key == row.thumbnail_key is not None
    assert credits.balance(user_id=user) == before  # the first model attempt is free
    await jobs.drain()  # exports, and the print measurement queued as soon as the model succeeded
    measured = models3d.get_owned(user, row.id).mesh_info
    assert measured["watertight"] is True and all(v > 0 for v in measured["extents_mm"])
    assert_invariant(user)
