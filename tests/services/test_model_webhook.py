"""Finishing 3D tasks (issue 8 items 3-4; services/model_webhook.py) on SQLite: the Meshy webhook with a
re-fetch, exactly-once capture/release, out-of-order and duplicate deliveries, the status check and expiry.
The provider is a fake (no network); the clock is injected (``now=``)."""

from __future__ import annotations

import asyncio
import importlib
import sys
import uuid
from datetime import datetime, timedelta

import pytest
from sqlmodel import func, select

from genpire_app.backend import services as services_pkg
from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import CreditLedgerEntry, Notification, utcnow
from genpire_app.backend.jobs import push, sweep
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.model3d import ModelTask, ModelTaskStatus
from genpire_app.backend.services import credits, model_expiry, model_webhook, models3d
from genpire_app.backend.services.models3d import NotFound, Source
from genpire_app.backend.storage import get_storage
from tests.services.test_models3d import new_product, race

GLB = b"glTF\x02\x00\x00\x00" + bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GLB_URL, PNG_URL = "https://assets.meshy.ai/t/model.glb", "https://assets.meshy.ai/t/preview.png"
KIND = "multi-image-to-3d"


class FakeModelProvider:
    """A ModelProvider whose tasks and files are set by the test; counts calls."""

    name = "meshy"

    def __init__(self) -> None:
        self.tasks: dict[str, ModelTask] = {}
        self.files = {GLB_URL: GLB, PNG_URL: PNG}
        self.gets: list[tuple[str, str]] = []
        self.downloads: list[tuple[str, int]] = []
        self.names: list[str] = []  # the names ``model_webhook.model_provider`` was asked for
        self.get_error: Exception | None = None  # raised by every ``get`` when set
        self.get_delay = 0.0  # seconds each ``get`` waits first (a slow provider)

    def report(self, task_id: str, status: str, progress: int = 0, *, glb: bool = True) -> None:
        succeeded = status == "SUCCEEDED"
        self.tasks[task_id] = ModelTask(
            id=task_id, kind=KIND, status=ModelTaskStatus(status), progress=progress,
            model_urls={"glb": GLB_URL} if succeeded and glb else {},
            thumbnail_url=PNG_URL if succeeded else None,
            task_error="internal server error" if status == "FAILED" else None,
        )

    async def start(self, request, *, webhook_url=None) -> str:  # pragma: no cover - not used here
        raise AssertionError("start is not part of finishing a task")

    async def get(self, task_id: str, *, kind: str) -> ModelTask:
        self.gets.append((task_id, kind))
        if self.get_delay:
            await asyncio.sleep(self.get_delay)
        if self.get_error is not None:
            raise self.get_error
        if task_id not in self.tasks:
            raise ProviderError("no such task", provider="meshy", status_code=404)
        return self.tasks[task_id]

    async def download(self, url: str, *, max_bytes: int) -> bytes:
        self.downloads.append((url, max_bytes))
        return self.files[url]


class Recorder:
    """Push channel and ``model_generation.submit_exports`` stand-in."""

    def __init__(self) -> None:
        self.events: list[push.PushEvent] = []
        self.exports: list[tuple[int, uuid.UUID]] = []

    def publish(self, event: push.PushEvent) -> None:
        self.events.append(event)

    def submit_exports(self, *, user_id: int, model_id: uuid.UUID) -> None:
        self.exports.append((user_id, model_id))


def install_recorder(monkeypatch) -> Recorder:
    """Recording push channel and a fake ``model_generation``; the real ``model_provider`` stays."""
    recorder = Recorder()
    # settle() imports asset_models lazily, which imports names of the real model_generation: load it first
    importlib.import_module("genpire_app.backend.services.asset_models")
    fake_generation = type(sys)("model_generation")
    fake_generation.submit_exports = recorder.submit_exports
    monkeypatch.setitem(sys.modules, "genpire_app.backend.services.model_generation", fake_generation)
    monkeypatch.setattr(services_pkg, "model_generation", fake_generation, raising=False)
    monkeypatch.setattr(push, "_channel", recorder)  # restored after the test
    return recorder


def install_fakes(monkeypatch) -> tuple[FakeModelProvider, Recorder]:
    """Fake provider (``model_webhook.model_provider`` returns it for every name and records the names),
    recording push channel and a fake ``model_generation`` (also for tests/pg)."""
    provider = FakeModelProvider()

    def model_provider(name: str) -> FakeModelProvider:
        provider.names.append(name)
        return provider

    monkeypatch.setattr(model_webhook, "model_provider", model_provider)
    return provider, install_recorder(monkeypatch)


@pytest.fixture
def fakes(app_env, monkeypatch):
    return install_fakes(monkeypatch)


def new_model(user_id: int, task_id: str | None = None, *, provider: str = "meshy"):
    """A PENDING model of a new product with a 10-credit hold and a task id of ``provider``; returns the row."""
    product = new_product(user_id)
    price = get_settings().prices.model_3d
    hold = credits.reserve(user_id=user_id, amount=price, operation="model_3d", key=f"model3d:{uuid.uuid4().hex}",
                           ttl_seconds=get_settings().model_task_expire_seconds + 600)
    with write_session() as s:
        model = models3d.create_version(s, user_id=user_id, source=Source.product(product), revision_id=None,
                                        input_image_ids=[], provider=provider, hold_id=hold.id, task_kind=KIND)
    models3d.attach_task(model.id, provider_task_id=task_id or f"task-{uuid.uuid4().hex[:12]}")
    return models3d.get_owned(user_id, model.id)


def deliver(task_id: str, status: str, progress: int = 0, *, secret: str | None = None) -> str:
    payload = {"id": task_id, "status": status, "progress": progress, "model_urls": {"glb": "https://evil.example/x"}}
    return asyncio.run(model_webhook.handle_delivery(get_settings().meshy_webhook_secret_value() if secret is None else secret, payload))


def ledger(hold_id: str, kind: str) -> int:
    with read_session() as s:
        return s.exec(select(func.count()).select_from(CreditLedgerEntry)
                      .where(CreditLedgerEntry.source_ref == hold_id, CreditLedgerEntry.kind == kind)).one()


def notes(user_id: int, type_: str) -> list[Notification]:
    with read_session() as s:
        return list(s.exec(select(Notification).where(Notification.user_id == user_id, Notification.type == type_)))


# -------------------------------------------------------------------------------------------------- tests


def test_wrong_secret_is_refused_before_anything_is_recorded(make_user, fakes):
    provider, _ = fakes
    model = new_model(make_user())
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    for secret in ("nope", "", get_settings().meshy_webhook_secret_value() + "x"):
        with pytest.raises(model_webhook.WrongSecret):
            deliver(model.provider_task_id, "SUCCEEDED", 100, secret=secret)
    assert model_webhook.list_events() == [] and provider.gets == []
    assert models3d.get_owned(model.user_id, model.id).status == "PENDING"


def test_unknown_task_and_malformed_payload(make_user, fakes):
    provider, _ = fakes
    new_model(make_user())
    with pytest.raises(model_webhook.UnknownTask):
        deliver("task-nobody-has", "SUCCEEDED", 100)
    secret = get_settings().meshy_webhook_secret_value()
    for payload in ({"status": "SUCCEEDED"}, {"id": "t1", "status": "DONE"}, {"id": "../x", "status": "FAILED"}):
        with pytest.raises(model_webhook.InvalidPayload):
            asyncio.run(model_webhook.handle_delivery(secret, payload))
    assert provider.gets == [] and model_webhook.list_events() == []


def test_success_captures_ten_credits_once_and_copies_the_glb(make_user, fakes):
    provider, recorder = fakes
    user = make_user(credits=2000)
    model = new_model(user)
    assert credits.balance(user_id=user) == 1000  # held at start
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    assert deliver(model.provider_task_id, "SUCCEEDED", 100) == "ok"
    row = models3d.get_owned(user, model.id)
    assert row.status == "SUCCEEDED" and row.progress == 100 and row.is_active
    assert provider.gets == [(model.provider_task_id, KIND)]  # re-fetched with the row's kind
    assert [u for u, _ in provider.downloads] == [GLB_URL, PNG_URL]  # the payload's URL was ignored
    assert all(limit == get_settings().max_model_bytes for _, limit in provider.downloads)
    key = row.model_files["glb"]
    assert key.startswith(f"users/{user}/models/{model.id}/model.") and key.endswith(".glb")
    assert asyncio.run(get_storage().get(key)) == GLB
    assert asyncio.run(get_storage().get(row.thumbnail_key)) == PNG
    assert credits.balance(user_id=user) == 1000 and credits.get_hold(model.hold_id).status == "captured"
    assert ledger(model.hold_id, "capture") == 1 and ledger(model.hold_id, "release") == 0
    ready = notes(user, "model_ready")
    assert [(n.title, n.link) for n in ready] == [("3D model ready", "/3d-models")]
    assert recorder.exports == [(user, model.id)]
    assert {push.Topic.PRODUCT, push.Topic.BALANCE, push.Topic.NOTIFICATIONS} <= set(recorder.events[-1].topics)
    assert recorder.events[-1].product_id == str(model.product_id)


def test_the_same_delivery_five_times_settles_once_and_is_recorded_once(make_user, fakes):
    provider, recorder = fakes
    user = make_user()
    model = new_model(user)
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    for _ in range(5):
        assert deliver(model.provider_task_id, "SUCCEEDED", 100) == "ok"
    assert ledger(model.hold_id, "capture") == 1 and credits.balance(user_id=user) == 1000
    assert len(notes(user, "model_ready")) == 1 and len(recorder.exports) == 1
    events = model_webhook.list_events()
    assert [e.external_id for e in events] == [f"{model.provider_task_id}:SUCCEEDED:100"]
    assert events[0].handled_at is not None and events[0].payload["status"] == "SUCCEEDED"
    assert len(provider.gets) == 1 and len(provider.downloads) == 2  # a finished model is not fetched again


def test_progress_then_out_of_order_in_progress_after_success_changes_nothing(make_user, fakes):
    provider, recorder = fakes
    user = make_user()
    model = new_model(user)
    provider.report(model.provider_task_id, "IN_PROGRESS", 40)
    deliver(model.provider_task_id, "IN_PROGRESS", 40)
    row = models3d.get_owned(user, model.id)
    assert (row.status, row.progress) == ("IN_PROGRESS", 40)
    assert recorder.events[-1].topics == (push.Topic.PRODUCT,)
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    deliver(model.provider_task_id, "SUCCEEDED", 100)
    published = len(recorder.events)
    # A late delivery (and a provider briefly answering the old state) after SUCCEEDED:
    provider.report(model.provider_task_id, "IN_PROGRESS", 60)
    deliver(model.provider_task_id, "IN_PROGRESS", 60)
    late = asyncio.run(model_webhook.apply(models3d.get_owned(user, model.id), provider.tasks[model.provider_task_id]))
    assert not late.changed and not late.became_terminal
    row = models3d.get_owned(user, model.id)
    assert (row.status, row.progress, row.is_active) == ("SUCCEEDED", 100, True)
    assert len(recorder.events) == published and ledger(model.hold_id, "capture") == 1
    assert len(model_webhook.list_events()) == 3


def test_failed_releases_the_hold_and_the_balance_is_back(make_user, fakes):
    provider, recorder = fakes
    user = make_user(credits=2000)
    model = new_model(user)
    provider.report(model.provider_task_id, "FAILED", 20)
    deliver(model.provider_task_id, "FAILED", 20)
    deliver(model.provider_task_id, "FAILED", 20)
    row = models3d.get_owned(user, model.id)
    assert row.status == "FAILED" and not row.is_active and row.task_error == "internal server error"
    assert credits.balance(user_id=user) == 2000 and ledger(model.hold_id, "release") == 1
    assert ledger(model.hold_id, "capture") == 0
    failed = notes(user, "model_failed")
    assert len(failed) == 1 and failed[0].title == "3D model failed" and "10 credits were returned" in failed[0].message
    assert "internal server error" not in failed[0].message  # the provider's text is not shown
    assert recorder.exports == [] and provider.downloads == []
    # A late SUCCEEDED after FAILED changes nothing either.
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    deliver(model.provider_task_id, "SUCCEEDED", 100)
    assert models3d.get_owned(user, model.id).status == "FAILED" and credits.balance(user_id=user) == 2000


def test_success_without_a_glb_fails_and_releases(make_user, fakes):
    provider, _ = fakes
    user = make_user(credits=2000)
    model = new_model(user)
    provider.report(model.provider_task_id, "SUCCEEDED", 100, glb=False)
    deliver(model.provider_task_id, "SUCCEEDED", 100)
    assert models3d.get_owned(user, model.id).status == "FAILED" and credits.balance(user_id=user) == 2000
    other = new_model(user)
    provider.files[GLB_URL] = b"<html>not a model</html>"
    provider.report(other.provider_task_id, "SUCCEEDED", 100)
    deliver(other.provider_task_id, "SUCCEEDED", 100)
    assert models3d.get_owned(user, other.id).status == "FAILED" and credits.balance(user_id=user) == 2000


def test_a_failed_download_writes_nothing_and_a_retry_succeeds(make_user, fakes):
    provider, _ = fakes
    user = make_user()
    model = new_model(user)
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    real = provider.files.pop(GLB_URL)

    async def broken(url, *, max_bytes):
        raise ProviderError("download failed", provider="meshy", retryable=True)

    provider.download, saved = broken, provider.download  # type: ignore[method-assign]
    with pytest.raises(ProviderError):
        deliver(model.provider_task_id, "SUCCEEDED", 100)
    assert models3d.get_owned(user, model.id).status == "PENDING" and credits.get_hold(model.hold_id).status == "pending"
    provider.download, provider.files[GLB_URL] = saved, real  # type: ignore[method-assign]
    deliver(model.provider_task_id, "SUCCEEDED", 100)
    assert models3d.get_owned(user, model.id).status == "SUCCEEDED" and ledger(model.hold_id, "capture") == 1


def test_concurrent_deliveries_from_eight_threads_capture_once(make_user, fakes):
    provider, recorder = fakes
    user = make_user()
    model = new_model(user)
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    results = race(8, lambda i: deliver(model.provider_task_id, "SUCCEEDED", 100))
    assert results == ["ok"] * 8
    assert ledger(model.hold_id, "capture") == 1 and credits.balance(user_id=user) == 1000
    assert len(notes(user, "model_ready")) == 1 and len(recorder.exports) == 1
    assert len(model_webhook.list_events()) == 1


def test_missed_webhook_check_status_applies_it_and_owner_is_checked(make_user, fakes):
    provider, _ = fakes
    user, other = make_user("a@example.com"), make_user("b@example.com")
    model = new_model(user)
    with pytest.raises(ProviderError):  # the provider does not know the task (yet)
        asyncio.run(model_webhook.check_status(user, model.id))
    provider.report(model.provider_task_id, "IN_PROGRESS", 30)
    view = asyncio.run(model_webhook.check_status(user, model.id))
    assert (view.status, view.progress, view.formats) == ("IN_PROGRESS", 30, ())
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    with pytest.raises(NotFound):
        asyncio.run(model_webhook.check_status(other, model.id))
    view = asyncio.run(model_webhook.check_status(user, model.id))
    assert view.status == "SUCCEEDED" and view.formats == ("glb",) and view.is_active and view.has_thumbnail
    assert ledger(model.hold_id, "capture") == 1 and credits.balance(user_id=user) == 1000
    gets = len(provider.gets)
    assert asyncio.run(model_webhook.check_status(user, model.id)).status == "SUCCEEDED"
    assert len(provider.gets) == gets  # a finished model is not re-fetched


def test_expiry_releases_after_the_configured_time(make_user, fakes, monkeypatch):
    provider, recorder = fakes
    user = make_user(credits=2000)
    model = new_model(user)
    done = new_model(user)
    provider.report(done.provider_task_id, "SUCCEEDED", 100)
    deliver(done.provider_task_id, "SUCCEEDED", 100)
    assert credits.balance(user_id=user) == 0
    limit = get_settings().model_task_expire_seconds
    start = models3d.get_owned(user, model.id).created_at
    assert model_expiry.expire_due(start + timedelta(seconds=limit - 60)) == 0
    assert models3d.get_owned(user, model.id).status == "PENDING"
    assert provider.gets == [(done.provider_task_id, KIND)]  # the webhook's only: not the model under the limit
    assert model_expiry.expire_due(start + timedelta(seconds=limit + 1)) == 1  # the provider: 404
    assert provider.gets[1:] == [(model.provider_task_id, KIND)]
    row = models3d.get_owned(user, model.id)
    assert row.status == "EXPIRED" and credits.balance(user_id=user) == 1000
    assert ledger(model.hold_id, "release") == 1 and models3d.get_owned(user, done.id).status == "SUCCEEDED"
    assert [n.title for n in notes(user, "model_failed")] == ["3D model failed"]
    assert push.Topic.BALANCE in recorder.events[-1].topics
    assert model_expiry.expire_due(start + timedelta(seconds=limit * 2)) == 0  # once
    # A webhook arriving after the expiry changes nothing.
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    deliver(model.provider_task_id, "SUCCEEDED", 100)
    assert models3d.get_owned(user, model.id).status == "EXPIRED" and credits.balance(user_id=user) == 1000


def test_the_recovery_sweep_expires_models(make_user, fakes, monkeypatch):
    user = make_user(credits=2000)
    model = new_model(user)
    monkeypatch.setenv("MODEL_TASK_EXPIRE_SECONDS", "120")
    get_settings.cache_clear()
    report = sweep.recovery_sweep(now=utcnow() + timedelta(seconds=121))
    assert report["expired_models"] == 1
    assert models3d.get_owned(user, model.id).status == "EXPIRED" and credits.balance(user_id=user) == 2000


# ------------------------------------------------------------------- expiry asks the provider first (issue 8 item 3)


def late(model) -> datetime:
    """A moment just past the expiry limit of ``model``."""
    return model.created_at + timedelta(seconds=get_settings().model_task_expire_seconds + 1)


def test_a_stale_model_the_provider_finished_is_captured_once_not_expired(make_user, fakes):
    provider, recorder = fakes
    user = make_user(credits=2000)
    model = new_model(user)
    assert credits.balance(user_id=user) == 1000
    provider.report(model.provider_task_id, "SUCCEEDED", 100)  # the webhook of this result was lost
    assert model_expiry.expire_due(late(model)) == 0
    row = models3d.get_owned(user, model.id)
    assert (row.status, row.progress, row.is_active) == ("SUCCEEDED", 100, True)
    assert asyncio.run(get_storage().get(row.model_files["glb"])) == GLB
    assert provider.gets == [(model.provider_task_id, KIND)] and provider.names[0] == "meshy"
    assert credits.balance(user_id=user) == 1000 and credits.get_hold(model.hold_id).status == "captured"
    assert ledger(model.hold_id, "capture") == 1 and ledger(model.hold_id, "release") == 0
    assert credits.ledger_sum(user_id=user) == credits.balance(user_id=user)
    assert len(notes(user, "model_ready")) == 1 and notes(user, "model_failed") == []
    assert recorder.exports == [(user, model.id)]
    # Sweeping again (and a late webhook) changes nothing more, and asks nothing: the model is finished.
    published = len(recorder.events)
    for _ in range(2):
        assert sweep.recovery_sweep(now=late(model) + timedelta(hours=1))["expired_models"] == 0
    deliver(model.provider_task_id, "SUCCEEDED", 100)
    assert models3d.get_owned(user, model.id).status == "SUCCEEDED" and credits.balance(user_id=user) == 1000
    assert ledger(model.hold_id, "capture") == 1 and len(notes(user, "model_ready")) == 1
    assert len(provider.gets) == 1 and len(recorder.exports) == 1  # nothing re-fetched for a finished model
    assert len(recorder.events) == published


def test_a_stale_model_the_provider_failed_is_failed_and_released_once(make_user, fakes):
    provider, _ = fakes
    user = make_user(credits=2000)
    model = new_model(user)
    provider.report(model.provider_task_id, "FAILED", 30)
    assert model_expiry.expire_due(late(model)) == 0
    row = models3d.get_owned(user, model.id)
    assert row.status == "FAILED" and row.task_error == "internal server error"
    assert credits.balance(user_id=user) == 2000 and ledger(model.hold_id, "release") == 1
    assert model_expiry.expire_due(late(model) + timedelta(hours=1)) == 0
    assert ledger(model.hold_id, "release") == 1 and len(notes(user, "model_failed")) == 1


def test_a_stale_model_still_in_progress_is_expired_and_released(make_user, fakes):
    provider, recorder = fakes
    user = make_user(credits=2000)
    model = new_model(user)
    provider.report(model.provider_task_id, "IN_PROGRESS", 80)
    report = sweep.recovery_sweep(now=late(model))
    assert report["expired_models"] == 1
    row = models3d.get_owned(user, model.id)
    assert row.status == "EXPIRED" and "IN_PROGRESS" in row.task_error and row.progress == 0
    assert credits.balance(user_id=user) == 2000 and credits.get_hold(model.hold_id).status == "released"
    assert ledger(model.hold_id, "release") == 1 and ledger(model.hold_id, "capture") == 0
    failed = notes(user, "model_failed")
    assert len(failed) == 1 and "did not answer in time" in failed[0].message
    assert push.Topic.BALANCE in recorder.events[-1].topics
    # A second pass changes nothing and asks nothing; the provider finishing afterwards changes nothing.
    gets = len(provider.gets)
    assert sweep.recovery_sweep(now=late(model) + timedelta(hours=1))["expired_models"] == 0
    assert len(provider.gets) == gets
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    deliver(model.provider_task_id, "SUCCEEDED", 100)
    assert models3d.get_owned(user, model.id).status == "EXPIRED" and credits.balance(user_id=user) == 2000
    assert ledger(model.hold_id, "release") == 1 and ledger(model.hold_id, "capture") == 0


@pytest.mark.parametrize("error", [
    ProviderError("The 3D service is busy right now.", provider="meshy", retryable=True, status_code=503),
    ProviderError("The 3D generation task was not found.", provider="meshy", status_code=404),
    ValueError("malformed 3D task id"),
    RuntimeError("a bug in the provider"),
])
def test_a_provider_error_expires_the_model(make_user, fakes, error):
    provider, _ = fakes
    user = make_user(credits=2000)
    model = new_model(user)
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    provider.get_error = error
    assert model_expiry.expire_due(late(model)) == 1
    assert models3d.get_owned(user, model.id).status == "EXPIRED" and credits.balance(user_id=user) == 2000
    assert ledger(model.hold_id, "release") == 1 and ledger(model.hold_id, "capture") == 0
    assert model_expiry.expire_due(late(model)) == 0 and ledger(model.hold_id, "release") == 1


def test_a_slow_provider_is_cut_short_and_the_model_expires(make_user, fakes, monkeypatch):
    provider, _ = fakes
    monkeypatch.setattr(model_expiry, "EXPIRY_GET_TIMEOUT_S", 0.05)
    user = make_user(credits=5000)
    models = [new_model(user) for _ in range(3)]
    for m in models:
        provider.report(m.provider_task_id, "SUCCEEDED", 100)
    provider.get_delay = 30.0  # seconds
    began = utcnow()
    assert model_expiry.expire_due(late(models[-1])) == 3
    assert (utcnow() - began).total_seconds() < 5
    assert {models3d.get_owned(user, m.id).status for m in models} == {"EXPIRED"}
    assert credits.balance(user_id=user) == 5000 and provider.downloads == []  # all three holds released


def test_a_finished_task_whose_files_cannot_be_copied_expires(make_user, fakes, monkeypatch):
    provider, _ = fakes
    user = make_user(credits=2000)
    model = new_model(user)
    provider.report(model.provider_task_id, "SUCCEEDED", 100)

    async def broken(url, *, max_bytes):
        raise ProviderError("The 3D model file could not be downloaded.", provider="meshy", retryable=True)

    provider.download = broken  # type: ignore[method-assign]
    assert model_expiry.expire_due(late(model)) == 1
    row = models3d.get_owned(user, model.id)
    assert row.status == "EXPIRED" and "SUCCEEDED" in row.task_error and row.model_files == {}
    assert credits.balance(user_id=user) == 2000 and ledger(model.hold_id, "capture") == 0


def test_a_hanging_download_is_bounded(make_user, fakes, monkeypatch):
    provider, _ = fakes
    monkeypatch.setattr(model_expiry, "EXPIRY_DOWNLOAD_TIMEOUT_S", 0.05)
    user = make_user(credits=2000)
    model = new_model(user)
    provider.report(model.provider_task_id, "SUCCEEDED", 100)

    async def hanging(url, *, max_bytes):
        await asyncio.sleep(30)

    provider.download = hanging  # type: ignore[method-assign]
    began = utcnow()
    assert model_expiry.expire_due(late(model)) == 1
    assert (utcnow() - began).total_seconds() < 5
    assert models3d.get_owned(user, model.id).status == "EXPIRED" and credits.balance(user_id=user) == 2000


def test_at_most_a_batch_of_the_oldest_stale_models_per_pass(make_user, fakes, monkeypatch):
    provider, _ = fakes
    monkeypatch.setattr(model_expiry, "EXPIRY_BATCH", 2)
    user = make_user(credits=5000)
    models = [new_model(user) for _ in range(3)]
    for m in models:
        provider.report(m.provider_task_id, "IN_PROGRESS", 10)
    now = late(models[-1])
    assert model_expiry.expire_due(now) == 2
    assert [models3d.get_owned(user, m.id).status for m in models] == ["EXPIRED", "EXPIRED", "PENDING"]
    assert [t for t, _ in provider.gets] == [m.provider_task_id for m in models[:2]]  # oldest first
    assert model_expiry.expire_due(now) == 1 and model_expiry.expire_due(now) == 0
    assert {models3d.get_owned(user, m.id).status for m in models} == {"EXPIRED"}
    assert len(provider.gets) == 3 and credits.balance(user_id=user) == 5000


def test_a_model_without_a_task_id_expires_without_asking(make_user, fakes):
    provider, _ = fakes
    user = make_user(credits=2000)
    product = new_product(user)
    hold = credits.reserve(user_id=user, amount=get_settings().prices.model_3d, operation="model_3d",
                           key=f"model3d:{uuid.uuid4().hex}", ttl_seconds=7200)
    with write_session() as s:
        model = models3d.create_version(s, user_id=user, source=Source.product(product), revision_id=None,
                                        input_image_ids=[], provider="meshy", hold_id=hold.id, task_kind=KIND)
    assert model_expiry.expire_due(late(model)) == 1
    assert provider.gets == [] and models3d.get_owned(user, model.id).status == "EXPIRED"
    assert credits.balance(user_id=user) == 2000


def test_expire_due_also_works_under_a_running_event_loop(make_user, fakes):
    provider, _ = fakes
    user = make_user(credits=2000)
    model = new_model(user)
    provider.report(model.provider_task_id, "SUCCEEDED", 100)

    async def inside_a_loop() -> int:
        return model_expiry.expire_due(late(model))

    assert asyncio.run(inside_a_loop()) == 0
    assert models3d.get_owned(user, model.id).status == "SUCCEEDED" and ledger(model.hold_id, "capture") == 1
    assert asyncio.run(model_expiry.expire_due_async(late(model))) == 0


# ------------------------------------------------------------------------------------- the provider of each row


class Named:
    """A stand-in configured 3D provider with a name."""

    def __init__(self, name: str) -> None:
        self.name = name


def configure(monkeypatch, provider, **env: str) -> None:
    from genpire_app.backend.providers.registry import Providers, set_providers

    monkeypatch.delenv("MESHY_API_KEY", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    set_providers(Providers(image=None, vision=None, text=None, model=provider))  # type: ignore[arg-type]


def test_model_provider_returns_the_provider_that_made_the_task(app_env, monkeypatch):
    from genpire_app.backend.providers.meshy import MeshyClient
    from genpire_app.backend.providers.offline.model_provider import OfflineModelProvider

    meshy = Named("meshy")
    configure(monkeypatch, meshy)
    assert model_webhook.model_provider("meshy") is meshy
    assert isinstance(model_webhook.model_provider("offline"), OfflineModelProvider)

    offline = Named("offline")
    configure(monkeypatch, offline)  # no MESHY_API_KEY
    assert model_webhook.model_provider("offline") is offline
    with pytest.raises(ProviderError) as err:
        model_webhook.model_provider("meshy")
    assert err.value.provider == "meshy" and "MESHY_API_KEY" in err.value.detail
    assert err.value.message == model_webhook.MSG_PROVIDER_UNAVAILABLE
    with pytest.raises(ProviderError):
        model_webhook.model_provider("somebody-else")

    configure(monkeypatch, offline, MESHY_API_KEY="msy-test-key", MESHY_ASSET_HOSTS="assets.meshy.ai,*.cdn.example")
    built = model_webhook.model_provider("meshy")
    assert isinstance(built, MeshyClient) and built.name == "meshy"
    assert built.allowed_hosts == ("assets.meshy.ai", "*.cdn.example") and "msy-test-key" not in repr(built)


def test_status_check_and_webhook_use_the_row_provider(make_user, fakes):
    provider, _ = fakes
    user = make_user(credits=3000)
    offline, meshy = new_model(user, provider="offline"), new_model(user, provider="meshy")
    provider.report(offline.provider_task_id, "IN_PROGRESS", 50)
    asyncio.run(model_webhook.check_status(user, offline.id))
    assert provider.names == ["offline"]
    provider.report(offline.provider_task_id, "SUCCEEDED", 100)
    deliver(offline.provider_task_id, "SUCCEEDED", 100)
    assert set(provider.names) == {"offline"} and len(provider.names) == 3  # re-fetch, then the download
    provider.report(meshy.provider_task_id, "FAILED", 0)
    deliver(meshy.provider_task_id, "FAILED", 0)
    assert provider.names[3:] == ["meshy"]


def test_a_meshy_model_expires_when_meshy_is_no_longer_configured(make_user, monkeypatch):
    """The real ``model_provider``: the app now runs offline, the model was made by Meshy (no key any more)."""
    install_recorder(monkeypatch)
    user = make_user(credits=2000)
    model = new_model(user, provider="meshy")
    configure(monkeypatch, Named("offline"))
    assert model_expiry.expire_due(late(model)) == 1
    row = models3d.get_owned(user, model.id)
    assert row.status == "EXPIRED" and "MESHY_API_KEY" in row.task_error
    assert credits.balance(user_id=user) == 2000 and ledger(model.hold_id, "release") == 1
    with pytest.raises(ProviderError):  # the status check cannot ask either
        asyncio.run(model_webhook.check_status(user, new_model(user, provider="meshy").id))


def test_an_offline_model_is_finished_by_the_offline_provider_while_meshy_is_configured(make_user, monkeypatch):
    """The real ``model_provider`` builds the offline provider for offline rows: a finished offline task
    (stored like the worker stores it) is applied and captured; an unknown one (404) expires."""
    from genpire_app.backend.providers.offline import model_provider as offline

    recorder = install_recorder(monkeypatch)
    user = make_user(credits=3000)
    done, lost = new_model(user, provider="offline"), new_model(user, provider="offline")
    glb_key = offline.task_key(done.provider_task_id, "model.glb")
    asyncio.run(get_storage().put(glb_key, GLB, "model/gltf-binary"))
    task = {"id": done.provider_task_id, "kind": KIND, "status": "SUCCEEDED", "progress": 100,
            "model_urls": {"glb": offline.SCHEME + glb_key}, "thumbnail_url": None, "task_error": None}
    asyncio.run(offline._write_task(task))
    configure(monkeypatch, Named("meshy"))
    assert model_expiry.expire_due(late(lost)) == 1
    row = models3d.get_owned(user, done.id)
    assert row.status == "SUCCEEDED" and asyncio.run(get_storage().get(row.model_files["glb"])) == GLB
    assert ledger(done.hold_id, "capture") == 1 and recorder.exports == [(user, done.id)]
    row = models3d.get_owned(user, lost.id)
    assert row.status == "EXPIRED" and "not found" in row.task_error
    assert credits.balance(user_id=user) == 2000 and ledger(lost.hold_id, "release") == 1
