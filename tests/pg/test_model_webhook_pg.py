"""Meshy webhook on PostgreSQL (issue 8 items 3-4; DESIGN.md §8, §11): the schema from Alembic, the same delivery
again and again, and deliveries racing from 8 threads under READ COMMITTED capture the hold exactly once and
record the delivery once; expiry sweeps that ask the provider first settle a stale model's hold exactly once
even when they race each other and deliveries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from genpire_app.backend.config import get_settings

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.jobs import sweep
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.services import credits, external_events, model_expiry, model_webhook, models3d
from tests.services import test_model_webhook as helpers
from tests.services.test_models3d import race


def test_external_events_unique_constraint_comes_from_the_migration(make_user):
    with read_session() as s:
        names = set(s.execute(text(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'external_events'::regclass"
        )).scalars())
    assert "uq_external_events_source_external_id" in names
    first, seen = external_events.record_event("meshy", "t:SUCCEEDED:100", {"id": "t"})
    assert not seen
    assert external_events.record_event("meshy", "t:SUCCEEDED:100", {"id": "t", "again": True}, handled=True) == (first, False)
    assert external_events.record_event("meshy", "t:SUCCEEDED:100", {"id": "t"}) == (first, True)
    assert len(model_webhook.list_events()) == 1


def test_the_same_delivery_five_times_captures_once(make_user, monkeypatch):
    provider, recorder = helpers.install_fakes(monkeypatch)
    user = make_user(credits=2000)
    model = helpers.new_model(user)
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    for _ in range(5):
        assert helpers.deliver(model.provider_task_id, "SUCCEEDED", 100) == "ok"
    assert helpers.ledger(model.hold_id, "capture") == 1 and credits.balance(user_id=user) == 1000
    assert len(helpers.notes(user, "model_ready")) == 1 and len(recorder.exports) == 1
    assert len(model_webhook.list_events()) == 1


def test_concurrent_deliveries_capture_once(make_user, monkeypatch):
    provider, recorder = helpers.install_fakes(monkeypatch)
    user = make_user(credits=2000)
    model = helpers.new_model(user)
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    assert race(8, lambda i: helpers.deliver(model.provider_task_id, "SUCCEEDED", 100)) == ["ok"] * 8
    row = models3d.get_owned(user, model.id)
    assert row.status == "SUCCEEDED" and row.is_active
    assert helpers.ledger(model.hold_id, "capture") == 1 and credits.balance(user_id=user) == 1000
    assert credits.ledger_sum(user_id=user) == credits.balance(user_id=user)
    assert len(helpers.notes(user, "model_ready")) == 1 and len(recorder.exports) == 1
    assert len(model_webhook.list_events()) == 1


def test_concurrent_failures_and_expiry_release_once(make_user, monkeypatch):
    provider, _ = helpers.install_fakes(monkeypatch)
    user = make_user(credits=2000)
    model = helpers.new_model(user)
    provider.report(model.provider_task_id, "FAILED", 10)
    created = models3d.get_owned(user, model.id).created_at
    late = created + timedelta(seconds=get_settings().model_task_expire_seconds + 1)

    def go(i: int):
        if i % 2:
            return model_expiry.expire_due(late)
        return helpers.deliver(model.provider_task_id, "FAILED", 10)

    race(8, go)
    assert helpers.ledger(model.hold_id, "release") == 1 and credits.balance(user_id=user) == 2000
    assert len(helpers.notes(user, "model_failed")) == 1


# ------------------------------------------------------------- expiry asks the provider first (issue 8 item 3)


def test_a_stale_model_the_provider_finished_is_captured_once_by_racing_sweeps_and_deliveries(make_user, monkeypatch):
    provider, recorder = helpers.install_fakes(monkeypatch)
    user = make_user(credits=2000)
    model = helpers.new_model(user)
    provider.report(model.provider_task_id, "SUCCEEDED", 100)  # its webhook was lost
    late = helpers.late(model)

    def go(i: int):
        if i % 2:
            return model_expiry.expire_due(late)
        return helpers.deliver(model.provider_task_id, "SUCCEEDED", 100)

    outcomes = race(8, go)
    assert [o for i, o in enumerate(outcomes) if i % 2] == [0, 0, 0, 0]  # nothing expired
    row = models3d.get_owned(user, model.id)
    assert row.status == "SUCCEEDED" and row.is_active
    assert helpers.ledger(model.hold_id, "capture") == 1 and helpers.ledger(model.hold_id, "release") == 0
    assert credits.balance(user_id=user) == 1000 and credits.ledger_sum(user_id=user) == 1000
    assert len(helpers.notes(user, "model_ready")) == 1 and helpers.notes(user, "model_failed") == []
    assert len(recorder.exports) == 1
    for _ in range(2):  # later sweeps change nothing more
        assert sweep.recovery_sweep(now=late + timedelta(hours=1))["expired_models"] == 0
    assert helpers.ledger(model.hold_id, "capture") == 1 and credits.balance(user_id=user) == 1000


def test_a_stale_model_still_in_progress_is_expired_once_by_racing_sweeps(make_user, monkeypatch):
    provider, _ = helpers.install_fakes(monkeypatch)
    user = make_user(credits=2000)
    model = helpers.new_model(user)
    provider.report(model.provider_task_id, "IN_PROGRESS", 70)
    late = helpers.late(model)
    assert sum(race(8, lambda i: model_expiry.expire_due(late))) == 1
    assert models3d.get_owned(user, model.id).status == "EXPIRED"
    assert helpers.ledger(model.hold_id, "release") == 1 and helpers.ledger(model.hold_id, "capture") == 0
    assert credits.balance(user_id=user) == 2000 and credits.ledger_sum(user_id=user) == 2000
    assert len(helpers.notes(user, "model_failed")) == 1
    assert sweep.recovery_sweep(now=late + timedelta(hours=1))["expired_models"] == 0
    assert helpers.ledger(model.hold_id, "release") == 1


def test_a_provider_error_expires_the_stale_model(make_user, monkeypatch):
    provider, _ = helpers.install_fakes(monkeypatch)
    user = make_user(credits=2000)
    model = helpers.new_model(user)
    provider.report(model.provider_task_id, "SUCCEEDED", 100)
    provider.get_error = ProviderError("The 3D service is busy right now.", provider="meshy", retryable=True,
                                       status_code=503)
    assert model_expiry.expire_due(helpers.late(model)) == 1
    assert models3d.get_owned(user, model.id).status == "EXPIRED" and credits.balance(user_id=user) == 2000
    assert helpers.ledger(model.hold_id, "release") == 1 and helpers.ledger(model.hold_id, "capture") == 0
