"""The approval queue (issue 11 item 4; seed 004 ``approval_items``): supervised renders and store products
wait for the user's decision; approve / reject (with a reason) one or many; owner checks.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete
from sqlmodel import select

from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.marketing_models import ApprovalItem, Mockup
from genpire_app.backend.db.store_models import StoreImage, StoreProduct
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.push import Topic
from genpire_app.backend.services import approvals, mockup_scenes, store_publish
from genpire_app.backend.services.mockups import submit_batch
from tests.mockup_cases import FakeMockups, designed_product, install, mockups_of


@pytest.fixture
def fake(app_env):
    return install(FakeMockups())


async def rendered(jobs, user: int, scenes: int = 3, intent: str = "approval-intent-01") -> list[uuid.UUID]:
    """A supervised batch of one design x ``scenes`` scenes, run: its mockup ids."""
    pid = await designed_product(user)
    scene_ids = [s.id for s in mockup_scenes.list_scenes(user)[:scenes]]
    batch = submit_batch(user, [("product", pid, "front")], scene_ids, intent)
    await jobs.drain()
    return batch.mockup_ids


def store_product(user: int, title: str = "Fox print") -> tuple[uuid.UUID, uuid.UUID]:
    """A pending store product with an image and its approval item, as ``store_publish.publish`` leaves it."""
    pid = uuid.uuid4()
    with write_session() as s:
        s.add(StoreProduct(id=pid, user_id=user, title=title, handle=f"fox-{pid.hex[:6]}", status="pending"))
        s.flush()
        s.add_all([StoreImage(product_id=pid, user_id=user, position=n, file_key=f"users/{user}/img{n}.png")
                   for n in (1, 0)])
        item = ApprovalItem(user_id=user, module="products", item_type="product", item_id=pid)
        s.add(item)
    return pid, item.id


def statuses(user: int) -> dict[uuid.UUID, str]:
    with read_session() as s:
        return {i.item_id: i.status for i in s.exec(select(ApprovalItem).where(ApprovalItem.user_id == user))}


@pytest.fixture
def follow_ups(monkeypatch):
    calls: list[tuple] = []

    async def after_approval(user_id, product_id):
        calls.append(("approved", user_id, product_id))

    def after_rejection(user_id, product_id, reason):
        calls.append(("rejected", user_id, product_id, reason))
        return True

    monkeypatch.setattr(store_publish, "after_approval", after_approval)
    monkeypatch.setattr(store_publish, "after_rejection", after_rejection)
    return calls


async def test_pending_is_keyset_paged_oldest_first_and_filtered_by_module(fake, make_user, jobs):
    user = make_user()
    mockup_ids = await rendered(jobs, user, scenes=3)
    product_id, _ = store_product(user)

    first = approvals.pending(user, limit=2)
    rest = approvals.pending(user, cursor=first.next_cursor, limit=2)

    assert [r.item_id for r in first.items + rest.items] == [*mockup_ids, product_id] and rest.next_cursor is None
    assert [r.item_id for r in approvals.pending(user, module="products").items] == [product_id]
    assert len(approvals.pending(user, module="mockups").items) == 3 and approvals.pending_count(user) == 4
    product_row = rest.items[-1]
    assert (product_row.title, product_row.subtitle, product_row.thumbnail_key) == \
        ("Fox print", "Store product", f"users/{user}/img0.png")
    assert first.items[0].thumbnail_key == mockups_of(user)[0].thumbnail_key
    with pytest.raises(OperationError):
        approvals.pending(user, module="pins")


async def test_approve_all_decides_mockups_and_delegates_products(fake, make_user, jobs, follow_ups):
    user = make_user()
    mockup_ids = await rendered(jobs, user, scenes=2)
    product_id, _ = store_product(user)
    jobs.channel.events.clear()

    done = await approvals.decide(user, approvals.pending_ids(user), approve=True)

    assert (done.approved, done.rejected, done.skipped, done.errors) == (3, 0, 0, [])
    assert {m.id: m.status for m in mockups_of(user)} == {m: "approved" for m in mockup_ids}
    assert follow_ups == [("approved", user, product_id)]
    assert set(statuses(user).values()) == {"approved"}
    assert jobs.channel.events[-1].topics == (Topic.MOCKUPS, Topic.STORE)


async def test_reject_needs_a_reason_of_one_to_three_hundred_characters(fake, make_user, jobs, follow_ups):
    user = make_user()
    (mockup_id,) = await rendered(jobs, user, scenes=1)
    product_id, product_item = store_product(user)
    ids = approvals.pending_ids(user)

    for reason in (None, "", "   ", "x" * 301):
        with pytest.raises(OperationError) as refused:
            await approvals.decide(user, ids, approve=False, reason=reason)
        assert refused.value.code == "invalid_input"
    assert set(statuses(user).values()) == {"pending"} and follow_ups == []

    done = await approvals.decide(user, ids, approve=False, reason="x" * 300)

    assert done.rejected == 2 and mockups_of(user)[0].status == "rejected"
    assert follow_ups == [("rejected", user, product_id, "x" * 300)]
    with read_session() as s:
        assert s.get(ApprovalItem, product_item).reason == "x" * 300


async def test_a_decided_item_is_skipped_when_decided_again(fake, make_user, jobs):
    user = make_user()
    await rendered(jobs, user, scenes=1)
    ids = approvals.pending_ids(user)
    await approvals.decide(user, ids, approve=True)

    again = await approvals.decide(user, ids, approve=False, reason="Changed my mind")

    assert (again.approved, again.rejected, again.skipped) == (0, 0, 1)
    assert mockups_of(user)[0].status == "approved"


async def test_items_of_another_user_are_not_found_and_nothing_changes(fake, make_user, jobs, follow_ups):
    owner, intruder = make_user("owner@example.com"), make_user("intruder@example.com")
    await rendered(jobs, owner, scenes=1, intent="approval-intent-01")
    await rendered(jobs, intruder, scenes=1, intent="approval-intent-02")
    store_product(owner)
    theirs, mine = approvals.pending_ids(owner), approvals.pending_ids(intruder)

    for ids in (theirs, [*mine, theirs[0]], [uuid.uuid4()], ["not-an-id"]):
        with pytest.raises(OperationError) as refused:
            await approvals.decide(intruder, ids, approve=True)
        assert refused.value.code == "not_found"
    with pytest.raises(OperationError) as refused:
        await approvals.decide(intruder, [], approve=True)
    assert refused.value.code == "invalid_input"

    assert set(statuses(owner).values()) == set(statuses(intruder).values()) == {"pending"}
    assert {m.status for m in mockups_of(owner) + mockups_of(intruder)} == {"completed"} and follow_ups == []
    assert approvals.pending(intruder).items[0].id == mine[0] and len(approvals.pending(intruder).items) == 1


async def test_a_failed_product_follow_up_is_reported_and_the_item_stays_decided(make_user, monkeypatch):
    user = make_user()
    product_id, _ = store_product(user)

    async def refused(user_id, pid):
        raise store_publish.StoreSyncError("Shopify refused the product: Title can't be blank.")

    monkeypatch.setattr(store_publish, "after_approval", refused)
    done = await approvals.decide(user, approvals.pending_ids(user), approve=True)

    assert done.approved == 1 and done.errors == ["Shopify refused the product: Title can't be blank."]
    assert statuses(user) == {product_id: "approved"}


async def test_items_whose_mockup_or_product_was_deleted_are_left_out_everywhere(fake, make_user, jobs, follow_ups):
    user = make_user()
    first, second, third = await rendered(jobs, user, scenes=3)
    gone_product, _ = store_product(user, "Gone print")
    product_id, _ = store_product(user)
    with write_session() as s:  # e.g. the design's product was deleted (its mockups cascade) and a store product
        s.execute(delete(Mockup).where(Mockup.id == first))
        s.execute(delete(StoreProduct).where(StoreProduct.id == gone_product))

    page = approvals.pending(user, limit=2)
    listed = page.items + approvals.pending(user, cursor=page.next_cursor, limit=2).items

    assert [r.item_id for r in listed] == [second, third, product_id]
    assert len(page.items) == 2  # a full page: the deleted items do not take places in it
    assert approvals.pending_ids(user) == [r.id for r in listed] and approvals.pending_count(user) == 3
    assert approvals.pending_count(user, "mockups") == len(approvals.pending_ids(user, "mockups")) == 2
    assert approvals.pending_count(user, "products") == len(approvals.pending_ids(user, "products")) == 1

    done = await approvals.decide(user, approvals.pending_ids(user), approve=True)  # "Approve all"

    assert (done.approved, done.skipped) == (3, 0) and follow_ups == [("approved", user, product_id)]
    assert approvals.pending_count(user) == 0 and approvals.pending_ids(user) == []
