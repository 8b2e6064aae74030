"""3D model versions on PostgreSQL (issue 8 item 2): the schema built by Alembic, concurrent webhooks and
concurrent version creation under READ COMMITTED row locks."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.services import models3d as m3
from genpire_app.backend.services.models3d import Source
from tests.services import test_models3d as helpers


def test_partial_unique_index_and_checks_come_from_the_migration(make_user):
    user = make_user()
    product = helpers.new_product(user)
    helpers.succeeded(user, Source.product(product))
    with read_session() as s:
        indexdef = s.execute(
            text(
                "SELECT indexdef FROM pg_indexes"
                " WHERE indexname = 'uq_p3m_active_product' AND schemaname = current_schema()"
            )
        ).scalar_one()
        query = "SELECT conname FROM pg_constraint WHERE conrelid = 'product_3d_models'::regclass"
        checks = set(s.execute(text(query)).scalars())
    assert indexdef.startswith("CREATE UNIQUE INDEX") and "WHERE (is_active = true)" in indexdef
    assert {"ck_p3m_one_source", "ck_p3m_active_succeeded", "ck_p3m_status", "ck_p3m_progress"} <= checks
    base = dict(user_id=user, source_type="product", product_id=product, provider="offline")
    with pytest.raises(IntegrityError):
        helpers.insert_raw(**base, version=2, status="SUCCEEDED", is_active=True)
    with pytest.raises(IntegrityError):
        helpers.insert_raw(**base, version=3, status="FAILED", is_active=True)
    helpers.insert_raw(**base, version=4, status="SUCCEEDED", is_active=False)


def test_concurrent_webhooks_have_exactly_one_winner(make_user):
    user = make_user()
    src = Source.product(helpers.new_product(user))
    old = helpers.succeeded(user, src)
    model = helpers.new_version(user, src)
    results = helpers.race(8, lambda i: m3.advance(model.id, status="SUCCEEDED", model_files={"glb": f"k{i}"}))
    assert sum(r.became_terminal for r in results) == 1
    assert m3.active_model(user, src).id == model.id
    assert not m3.get_owned(user, old.id).is_active


def test_two_versions_succeeding_together_leave_one_active(make_user):
    user = make_user()
    src = Source.product(helpers.new_product(user))
    models = [helpers.new_version(user, src) for _ in range(4)]
    results = helpers.race(4, lambda i: m3.advance(models[i].id, status="SUCCEEDED"))
    assert all(r.became_terminal for r in results)
    assert sum(m.is_active for m in m3.list_versions(user, src)) == 1


def test_concurrent_creation_numbers_versions_without_gaps(make_user):
    user = make_user()
    src = Source.product(helpers.new_product(user))
    made = helpers.race(8, lambda i: helpers.new_version(user, src))
    assert sorted(m.version for m in made) == list(range(1, 9))
