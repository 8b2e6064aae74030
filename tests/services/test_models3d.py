"""3D model versions and collections (issue 8 items 2, 6 and 8; services/models3d.py) on SQLite."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from genpire_app.backend.db.engine import write_session
from genpire_app.backend.db.model3d_models import Product3DModel
from genpire_app.backend.db.models import ProductIdea, ProductMultiviewRevision, utcnow
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import collections
from genpire_app.backend.services import models3d as m3
from genpire_app.backend.services.models3d import NotFound, Source

# ----------------------------------------------------------------------------------- helpers (also for tests/pg)


def new_product(user_id: int, name: str = "Lamp") -> uuid.UUID:
    with write_session() as s:
        product = ProductIdea(user_id=user_id, name=name, prompt="a lamp")
        s.add(product)
        s.flush()
        return product.id


def new_version(user_id: int, source: Source, **kw) -> Product3DModel:
    with write_session() as s:
        return m3.create_version(
            s,
            user_id=user_id,
            source=source,
            revision_id=kw.get("revision_id"),
            input_image_ids=kw.get("input_image_ids", []),
            provider=kw.get("provider", "offline"),
            hold_id=None,
        )


def succeeded(user_id: int, source: Source, files: dict[str, str] | None = None) -> Product3DModel:
    model = new_version(user_id, source)
    return m3.advance(model.id, status="SUCCEEDED", model_files=files or {"glb": f"u/{model.id}.glb"}).model


def race(n: int, fn) -> list:
    """Run ``fn(i)`` in ``n`` threads released together; returns the results."""
    barrier = threading.Barrier(n)

    def go(i: int):
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(go, range(n)))


def insert_raw(**columns) -> None:
    with write_session() as s:
        s.add(Product3DModel(**columns))


# ------------------------------------------------------------------------------------------------ versions


def test_versions_increment_per_source_and_start_pending_inactive(make_user):
    user = make_user()
    a, b = Source.product(new_product(user)), Source.product(new_product(user, "Chair"))
    group = Source.collection(collections.create_collection(user, "Spring").id)
    versions = [new_version(user, s).version for s in (a, a, b, a, group, group)]
    assert versions == [1, 2, 1, 3, 1, 2]
    latest = m3.list_versions(user, a)
    assert [m.version for m in latest] == [3, 2, 1]
    assert all(m.status == "PENDING" and m.progress == 0 and not m.is_active for m in latest)
    assert m3.active_model(user, a) is None


def test_create_version_refuses_foreign_revision_and_unknown_provider(make_user):
    user = make_user()
    product, other = new_product(user), new_product(user, "Other")
    with write_session() as s:
        row = ProductMultiviewRevision(
            product_idea_id=other, user_id=user, batch_id="b", view_type="front", image_key="k"
        )
        s.add(row)
        s.flush()
        revision_id = row.id
    with pytest.raises(OperationError) as err:
        new_version(user, Source.product(product), revision_id=revision_id)
    assert err.value.code == "invalid_input"
    with pytest.raises(OperationError):
        new_version(user, Source.product(product), provider="elsewhere")
    made = new_version(user, Source.product(other), revision_id=revision_id, input_image_ids=[revision_id])
    assert made.revision_id == revision_id and made.revision_number == 0 and made.input_image_ids == [str(revision_id)]


def test_success_activates_new_version_and_deactivates_old(make_user):
    user = make_user()
    src = Source.product(new_product(user))
    first = succeeded(user, src)
    assert m3.active_model(user, src).id == first.id
    second = new_version(user, src)
    assert m3.active_model(user, src).id == first.id  # still the old one while generating
    moved = m3.advance(second.id, status="SUCCEEDED", model_files={"glb": "k2"})
    assert moved.succeeded and moved.model.is_active and moved.model.progress == 100
    assert m3.active_model(user, src).id == second.id
    assert [m.is_active for m in m3.list_versions(user, src)] == [True, False]


def test_database_allows_one_active_per_source_and_checks_rows(make_user):
    user = make_user()
    product = new_product(user)
    succeeded(user, Source.product(product))
    base = dict(user_id=user, source_type="product", product_id=product, provider="offline")
    with pytest.raises(IntegrityError):  # partial unique index
        insert_raw(**base, version=2, status="SUCCEEDED", is_active=True)
    with pytest.raises(IntegrityError):  # active only when SUCCEEDED
        insert_raw(**base, version=3, status="PENDING", is_active=True)
    with pytest.raises(IntegrityError):  # same version twice
        insert_raw(**base, version=1, status="FAILED")
    collection = collections.create_collection(user, "Set").id
    with pytest.raises(IntegrityError):  # both sources set
        insert_raw(**base, collection_id=collection, version=4)
    with pytest.raises(IntegrityError):  # type does not match the source
        insert_raw(user_id=user, source_type="collection", product_id=product, provider="offline", version=5)
    insert_raw(**base, version=6, status="SUCCEEDED", is_active=False)  # inactive rows are unlimited


def test_advance_never_moves_backwards(make_user):
    user = make_user()
    model = new_version(user, Source.product(new_product(user)))
    step = m3.advance(model.id, status="IN_PROGRESS", progress=30)
    assert step.changed and not step.became_terminal and step.model.started_at is not None
    lower = m3.advance(model.id, status="IN_PROGRESS", progress=20)
    assert not lower.changed and lower.model.progress == 30
    back = m3.advance(model.id, status="PENDING", progress=90)
    assert not back.changed and back.model.status == "IN_PROGRESS"
    done = m3.advance(model.id, status="SUCCEEDED", model_files={"glb": "a.glb"}, thumbnail_key="t.png")
    assert done.became_terminal and done.succeeded and done.model.finished_at is not None
    late_calls = (dict(status="IN_PROGRESS", progress=50), dict(status="FAILED", task_error="x"), dict(status="SUCCEEDED"))
    for late in late_calls:
        again = m3.advance(model.id, **late)
        assert not again.changed and not again.became_terminal
    final = m3.get_owned(user, model.id)
    assert (final.status, final.progress, final.task_error) == ("SUCCEEDED", 100, None)
    assert final.model_files == {"glb": "a.glb"}


def test_failure_keeps_progress_and_error_and_leaves_active_alone(make_user):
    user = make_user()
    src = Source.product(new_product(user))
    first = succeeded(user, src)
    model = new_version(user, src)
    m3.advance(model.id, status="IN_PROGRESS", progress=40)
    failed = m3.advance(model.id, status="FAILED", progress=10, task_error="provider said no")
    assert failed.became_terminal and not failed.succeeded
    assert (failed.model.progress, failed.model.task_error, failed.model.is_active) == (40, "provider said no", False)
    assert m3.active_model(user, src).id == first.id
    with pytest.raises(OperationError):
        m3.advance(model.id, status="DONE")
    with pytest.raises(OperationError):
        m3.advance(model.id, status="IN_PROGRESS", progress=101)
    with pytest.raises(NotFound):
        m3.advance(uuid.uuid4(), status="FAILED")


def test_concurrent_success_has_exactly_one_winner(make_user):
    user = make_user()
    model = new_version(user, Source.product(new_product(user)))
    results = race(8, lambda i: m3.advance(model.id, status="SUCCEEDED", model_files={"glb": f"k{i}"}))
    assert sum(r.became_terminal for r in results) == 1
    assert sum(r.succeeded for r in results) == 1
    assert m3.get_owned(user, model.id).is_active


def test_concurrent_success_and_failure_agree_with_the_winner(make_user):
    user = make_user()
    model = new_version(user, Source.product(new_product(user)))
    results = race(8, lambda i: m3.advance(model.id, status="SUCCEEDED" if i % 2 else "FAILED"))
    winners = [r for r in results if r.became_terminal]
    assert len(winners) == 1
    assert m3.get_owned(user, model.id).status == winners[0].model.status


def test_set_active_rules_and_owner_checks(make_user):
    user, other = make_user(), make_user("other@example.com")
    src = Source.product(new_product(user))
    v1, v2 = succeeded(user, src), succeeded(user, src)
    pending = new_version(user, src)
    assert m3.set_active(user, v1.id).is_active
    assert m3.active_model(user, src).id == v1.id and not m3.get_owned(user, v2.id).is_active
    with pytest.raises(OperationError) as err:
        m3.set_active(user, pending.id)
    assert err.value.code == "invalid_state"
    for call in (
        lambda: m3.set_active(other, v2.id),
        lambda: m3.delete_version(other, v2.id),
        lambda: m3.get_owned(other, v2.id),
        lambda: m3.get_owned(user, uuid.uuid4()),
        lambda: m3.list_versions(other, src),
        lambda: m3.active_model(other, src),
        lambda: new_version(other, src),
    ):
        with pytest.raises(NotFound):
            call()
    assert m3.active_model(user, src).id == v1.id


def test_delete_version_rules(make_user):
    user = make_user()
    src = Source.product(new_product(user))
    only = succeeded(user, src)
    with pytest.raises(OperationError, match="only version"):
        m3.delete_version(user, only.id)
    failed = new_version(user, src)
    m3.advance(failed.id, status="FAILED")
    newest = succeeded(user, src, {"glb": "v3.glb", "stl": "v3.stl"})
    generating = new_version(user, src)
    with pytest.raises(OperationError, match="still generating"):
        m3.delete_version(user, generating.id)
    m3.advance(newest.id, status="SUCCEEDED", thumbnail_key="ignored")  # terminal: no change
    keys = m3.delete_version(user, newest.id)
    assert sorted(keys) == ["v3.glb", "v3.stl"]
    assert m3.active_model(user, src).id == only.id  # newest remaining SUCCEEDED one (not the FAILED v2)
    assert m3.delete_version(user, failed.id) == []
    assert [m.version for m in m3.list_versions(user, src)] == [4, 1]


def test_expire_stale_moves_only_old_open_tasks_once(make_user):
    user = make_user()
    src = Source.product(new_product(user))
    old, fresh, done = new_version(user, src), new_version(user, src), succeeded(user, src)
    m3.advance(fresh.id, status="IN_PROGRESS", progress=5)
    now = utcnow()
    with write_session() as s:
        for model_id in (old.id, done.id):
            row = s.get(Product3DModel, model_id)
            row.created_at = now - timedelta(hours=2)
            s.add(row)
    expired = m3.expire_stale(now, timedelta(hours=1))
    assert [m.id for m in expired] == [old.id]
    assert expired[0].status == "EXPIRED" and "60 minutes" in expired[0].task_error
    assert m3.get_owned(user, fresh.id).status == "IN_PROGRESS"
    assert m3.get_owned(user, done.id).status == "SUCCEEDED"
    assert m3.expire_stale(now, timedelta(hours=1)) == []


def test_provider_task_id_is_attached_once_and_unique(make_user):
    user = make_user()
    src = Source.product(new_product(user))
    a, b = new_version(user, src), new_version(user, src)
    assert m3.attach_task(a.id, provider_task_id="task-1", task_kind="multi-image-to-3d")
    assert not m3.attach_task(a.id, provider_task_id="task-2")
    assert m3.find_by_task("task-1").id == a.id and m3.find_by_task("task-2") is None
    with pytest.raises(IntegrityError):
        m3.attach_task(b.id, provider_task_id="task-1")


# --------------------------------------------------------------------------------------------- collections


def test_collection_names_are_validated(make_user):
    user = make_user()
    assert collections.create_collection(user, "  Summer   line ").name == "Summer line"
    assert len(collections.create_collection(user, "x" * 80).name) == 80
    for bad in ("", "   ", "x" * 81):
        with pytest.raises(OperationError) as err:
            collections.create_collection(user, bad)
        assert err.value.code == "invalid_input"


def test_collection_membership_with_owner_checks(make_user):
    user, other = make_user(), make_user("other@example.com")
    group = collections.create_collection(user, "Desk").id
    lamp, chair, foreign = new_product(user), new_product(user, "Chair"), new_product(other)
    assert collections.add_product(user, group, lamp).position == 0
    assert collections.add_product(user, group, chair).position == 1
    assert collections.add_product(user, group, lamp).position == 0  # idempotent
    assert collections.collection_products(user, group) == [lamp, chair]
    for call in (
        lambda: collections.add_product(user, group, foreign),
        lambda: collections.add_product(other, group, foreign),
        lambda: collections.remove_product(other, group, lamp),
        lambda: collections.collection_products(other, group),
        lambda: collections.rename_collection(other, group, "Mine"),
        lambda: collections.delete_collection(other, group),
    ):
        with pytest.raises(NotFound):
            call()
    assert collections.remove_product(user, group, lamp) and not collections.remove_product(user, group, lamp)
    assert collections.collection_products(user, group) == [chair]
    assert collections.rename_collection(user, group, "Desk set").name == "Desk set"
    succeeded(user, Source.collection(group), {"glb": "c.glb"})
    assert collections.delete_collection(user, group) == ["c.glb"]
    with pytest.raises(NotFound):
        collections.collection_products(user, group)


def test_collections_keyset_pagination(make_user):
    user, other = make_user(), make_user("other@example.com")
    made = [collections.create_collection(user, f"C{i}").id for i in range(5)]
    collections.create_collection(other, "not mine")
    first = collections.list_collections(user, limit=2)
    late = collections.create_collection(user, "added while paging").id
    seen = [c.id for c in first.items]
    cursor = first.next_cursor
    while cursor:
        page = collections.list_collections(user, limit=2, cursor=cursor)
        seen += [c.id for c in page.items]
        cursor = page.next_cursor
    assert seen == made[::-1] and late not in seen
    with pytest.raises(OperationError):
        collections.list_collections(user, cursor="garbage")
