"""Meshy webhook on PostgreSQL (issue 8 item 4; DESIGN.md §8, §11): the schema from Alembic, the same delivery
again and again, and deliveries racing from 8 threads under READ COMMITTED capture the hold exactly once and
record the delivery once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from genpire_app.backend.config import get_settings

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.services import credits, model_webhook, models3d
from tests.services import test_model_webhook as helpers
from tests.services.test_models3d import race


def test_external_events_unique_constraint_comes_from_the_migration(make_user):
    with read_session() as s:
        names = set(s.execute(text(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'external_events'::regclass"
        )).scalars())
    assert "uq_external_events_source_external_id" in names
    first = model_webhook.record_event("meshy", "t:SUCCEEDED:100", {"id": "t"})
    assert model_webhook.record_event("meshy", "t:SUCCEEDED:100", {"id": "t", "again": True}) == first
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
            return model_webhook.expire_due(late)
        return helpers.deliver(model.provider_task_id, "FAILED", 10)

    race(8, go)
    assert helpers.ledger(model.hold_id, "release") == 1 and credits.balance(user_id=user) == 2000
    assert len(helpers.notes(user, "model_failed")) == 1
