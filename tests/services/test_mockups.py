"""Mockup batches through the real runner, ledger, storage and guardrails, with a fake mockup provider
(issue 11 items 2-4; seed 004 Phase 9; DESIGN.md §5, §7.1, §12 "mockups").

A batch holds one credit per render in one transaction; each render is its own job: captured when stored,
retried with backoff on retryable failures and released when it finally fails.
"""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image
from sqlmodel import select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.marketing_models import ApprovalItem, MockupCreditUsage
from genpire_app.backend.db.models import CreditHold, Job
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.push import Topic
from genpire_app.backend.jobs.runner import new_intent
from genpire_app.backend.services import approvals, credits, guardrails, mockup_scenes, mockups
from genpire_app.backend.services.mockups import DesignRef, list_designs, list_mockups, submit_batch
from genpire_app.backend.storage import get_storage
from tests.mockup_cases import FakeMockups, composite, counts, designed_product, install, mockups_of, quick_asset

INTENT = "batch-intent-0001"


@pytest.fixture
def env(app_env, monkeypatch):
    monkeypatch.setenv("MOCKUP_RETRY_BACKOFF_SECONDS", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def fake(env):
    return install(FakeMockups())


def scenes(user: int, n: int = 3) -> list[uuid.UUID]:
    return [s.id for s in mockup_scenes.list_scenes(user)[:n]]


async def two_designs(user: int) -> list[DesignRef]:
    pid = await designed_product(user, "Canvas Tote")
    aid = await quick_asset(user, "A low-poly fox")
    return [DesignRef("product", pid, "front"), DesignRef("asset", aid, "asset")]


def mockup_events(jobs) -> list:
    return [e for e in jobs.channel.events if Topic.MOCKUPS in e.topics]


async def test_two_designs_by_three_scenes_render_six_mockups_for_six_credits(fake, make_user, jobs):
    user = make_user()
    designs, scene_ids = await two_designs(user), scenes(user)
    before = credits.balance(user_id=user)

    batch = submit_batch(user, designs, scene_ids, INTENT)

    assert len(batch.job_ids) == len(set(batch.job_ids)) == 6 and batch.warning is None
    assert credits.balance(user_id=user) == before - 600  # six holds of one credit
    assert {m.status for m in mockups_of(user)} == {"queued"}
    assert guardrails.usage(user).in_flight == 6

    await jobs.drain()

    rows = mockups_of(user)
    assert [m.id for m in rows] == batch.mockup_ids
    assert {m.status for m in rows} == {"completed"} and {m.credits_used for m in rows} == {100}
    assert {(m.source_type, m.scene_id) for m in rows} == {(d.source_type, s) for d in designs for s in scene_ids}
    assert all(jobs.done(j).charged == 100 for j in batch.job_ids)
    assert credits.balance(user_id=user) == before - 600
    with read_session() as s:
        assert {h.status for h in s.exec(select(CreditHold).where(CreditHold.user_id == user))} == {"captured"}
        usage_rows = s.exec(select(MockupCreditUsage).where(MockupCreditUsage.user_id == user)).all()
    year, month = guardrails.current_period()
    assert sorted(u.mockup_id for u in usage_rows) == sorted(batch.mockup_ids)
    assert {(u.amount, u.operation, u.year, u.month) for u in usage_rows} == {(100, "generation", year, month)}
    usage = guardrails.usage(user)
    assert (usage.annual_used, usage.monthly_used, usage.in_flight, usage.annual_remaining) == (6, 6, 0, 3494)
    assert (usage.annual_budget, usage.monthly_limit, usage.monthly_warning) == (3500, 292, False)
    # the stored file is the provider's render; the thumbnail a 256 px WebP of it
    first = rows[0]  # the product's front view in the first scene
    front = await get_storage().get(next(d for d in list_designs(user) if d.view == "front").image_key)
    (call,) = [c for c in fake.calls if c.scene.key == first.scene_key and c.design == front]
    assert await get_storage().get(first.file_key) == composite(call)
    placement = mockup_scenes.list_scenes(user)[0].placement
    assert (call.scene.placement.x, call.scene.placement.y, call.scene.placement.width,
            call.scene.placement.height) == placement
    with Image.open(io.BytesIO(await get_storage().get(first.thumbnail_key))) as thumb:
        assert thumb.format == "WEBP" and max(thumb.size) == 256
    events = mockup_events(jobs)  # the batch's "queued" push, then each render's start and end
    assert Topic.BALANCE in events[0].topics and events[0].status == "queued"
    assert sorted(e.job_id for e in events if e.status == "succeeded") == sorted(map(str, batch.job_ids))


async def test_supervised_renders_wait_for_approval_then_five_approved_one_rejected(fake, make_user, jobs):
    user = make_user()
    batch = submit_batch(user, await two_designs(user), scenes(user), INTENT)
    await jobs.drain()

    page = approvals.pending(user, module="mockups")
    assert sorted(r.item_id for r in page.items) == sorted(batch.mockup_ids)
    assert {r.subtitle for r in page.items} == {s.name for s in mockup_scenes.list_scenes(user)[:3]}
    ids = [r.id for r in page.items]
    done = await approvals.decide(user, ids[:5], approve=True, reason=None)
    assert (done.approved, done.rejected, done.skipped) == (5, 0, 0)
    done = await approvals.decide(user, ids[5:], approve=False, reason="  The  label is cut off.  ")
    assert (done.approved, done.rejected) == (0, 1)

    by_id = {m.id: m for m in mockups_of(user)}
    decided = {r.item_id: by_id[r.item_id].status for r in page.items}
    assert sorted(decided.values()) == ["approved"] * 5 + ["rejected"]
    listed = {r.id: r for r in list_mockups(user, batch_id=batch.batch_id).items}
    assert listed[page.items[5].item_id].reason == "The label is cut off."
    assert approvals.pending(user).items == []


async def test_autopilot_approves_renders_directly_without_queue_items(fake, make_user, jobs):
    user = make_user()
    guardrails.set_approval_mode(user, "supervised", {"mockups": "autopilot"})
    batch = submit_batch(user, await two_designs(user), scenes(user, 2), INTENT)
    await jobs.drain()

    assert {m.status for m in mockups_of(user)} == {"approved"} and len(batch.job_ids) == 4
    with read_session() as s:
        assert s.exec(select(ApprovalItem).where(ApprovalItem.user_id == user)).all() == []


async def test_batch_crossing_the_annual_budget_is_refused_with_nothing_held(fake, make_user, jobs):
    user = make_user()
    guardrails.update_guardrails(user, annual_budget=8, monthly_limit=8)
    designs = await two_designs(user)
    submit_batch(user, designs, scenes(user), INTENT)  # 6 captured
    await jobs.drain()
    submit_batch(user, designs[:1], scenes(user, 1), "batch-intent-0002")  # 1 in flight (not drained)
    before, balance = counts(user), credits.balance(user_id=user)

    with pytest.raises(OperationError) as refused:
        submit_batch(user, designs, scenes(user, 1), "batch-intent-0003")  # 6 + 1 + 2 > 8

    assert refused.value.code == "budget"
    assert all(n in refused.value.message for n in ("2 renders", "8", "6 used", "1 in progress", "1 render is left"))
    assert counts(user) == before and credits.balance(user_id=user) == balance
    one_more = submit_batch(user, designs[1:], scenes(user, 1), "batch-intent-0004")  # 6 + 1 + 1 == 8: allowed
    assert len(one_more.job_ids) == 1


async def test_monthly_soft_limit_warns_and_the_batch_still_runs(fake, make_user, jobs):
    user = make_user()
    guardrails.update_guardrails(user, annual_budget=100, monthly_limit=4)

    batch = submit_batch(user, await two_designs(user), scenes(user), INTENT)
    await jobs.drain()

    assert batch.warning and "6 renders this month" in batch.warning and "soft limit of 4" in batch.warning
    assert {m.status for m in mockups_of(user)} == {"completed"}
    usage = guardrails.usage(user)
    assert usage.monthly_warning and usage.monthly_used == 6 and usage.monthly_percent == 100


async def test_failing_render_is_retried_with_backoff_then_failed_and_released(env, make_user, jobs, monkeypatch):
    fake = install(FakeMockups(fail_always=True))
    monkeypatch.setenv("MOCKUP_RETRY_BACKOFF_SECONDS", "1.5")
    get_settings.cache_clear()
    seen = []

    async def watch(seconds: float) -> None:  # the retry queue as the page sees it between attempts
        (row,) = mockups_of(user)
        seen.append((seconds, row.status, row.attempts, row.error_message))

    monkeypatch.setattr(mockups, "backoff", watch)
    user = make_user()
    before = credits.balance(user_id=user)
    pid = await designed_product(user)
    batch = submit_batch(user, [("product", pid, "back")], scenes(user, 1), INTENT)
    await jobs.drain()

    reason = fake.message
    assert seen == [(1.5, "retrying", 1, reason), (3.0, "retrying", 2, reason)]
    assert len(fake.calls) == get_settings().mockup_render_attempts == 3
    (row,) = mockups_of(user)
    assert row.status == "failed" and row.attempts == 3
    assert row.error_message == f"{reason} Your 1 credit was returned." and row.file_key is None
    done = jobs.done(batch.job_ids[0])
    assert done.status == "failed" and done.message == row.error_message
    assert credits.balance(user_id=user) == before
    with read_session() as s:
        assert s.exec(select(CreditHold.status).where(CreditHold.user_id == user)).all() == ["released"]
        assert s.exec(select(MockupCreditUsage)).all() == []
    assert guardrails.usage(user).in_flight == 0
    retry_queue = list_mockups(user, status=("retrying", "failed")).items
    assert [(r.status, r.error_message) for r in retry_queue] == [("failed", row.error_message)]
    assert mockup_events(jobs)[-1].status == "failed"


async def test_render_failing_once_then_succeeding_is_captured(env, make_user, jobs):
    fake = install(FakeMockups(fail_first=1))
    user = make_user()
    before = credits.balance(user_id=user)
    batch = submit_batch(user, [f"product:{await designed_product(user)}:front"], scenes(user, 1), INTENT)
    await jobs.drain()

    (row,) = mockups_of(user)
    assert (row.status, row.attempts, row.error_message) == ("completed", 2, None) and len(fake.calls) == 2
    assert jobs.done(batch.job_ids[0]).charged == 100 and credits.balance(user_id=user) == before - 100


async def test_failure_that_is_not_retryable_ends_at_once(env, make_user, jobs):
    fake = install(FakeMockups(fail_always=True, retryable=False, message="The design was refused."))
    user = make_user()
    before = credits.balance(user_id=user)
    submit_batch(user, [("product", await designed_product(user), "front")], scenes(user, 1), INTENT)
    await jobs.drain()

    (row,) = mockups_of(user)
    assert len(fake.calls) == 1 and row.status == "failed" and row.error_message.startswith("The design was refused.")
    assert credits.balance(user_id=user) == before


async def test_insufficient_credits_refuses_the_whole_batch(fake, make_user, jobs):
    user = make_user(credits=500)
    designs = await two_designs(user)
    before = counts(user)

    with pytest.raises(OperationError) as refused:
        submit_batch(user, designs, scenes(user), INTENT)

    assert refused.value.code == "insufficient_credits"
    assert "needs 6 credits" in refused.value.message and "you have 5 credits" in refused.value.message
    assert counts(user) == before and credits.balance(user_id=user) == 500 and jobs.pending == []


async def test_same_intent_and_choice_returns_the_same_jobs(fake, make_user, jobs):
    user = make_user()
    designs, scene_ids = await two_designs(user), scenes(user)
    first = submit_batch(user, designs, scene_ids, INTENT)
    again = submit_batch(user, [d.key for d in designs], [str(s) for s in scene_ids], INTENT)

    assert (again.batch_id, again.job_ids, again.reused) == (first.batch_id, first.job_ids, True)
    assert counts(user) == {"holds": 6, "jobs": 6, "mockups": 6}
    other = submit_batch(user, designs, scene_ids, "batch-intent-0002")
    assert other.batch_id != first.batch_id and counts(user)["jobs"] == 12


async def test_designs_and_scenes_of_another_user_are_not_found(fake, make_user, jobs):
    owner, intruder = make_user("owner@example.com"), make_user("intruder@example.com")
    theirs = await designed_product(owner)
    asset = await quick_asset(owner)
    own = await designed_product(intruder)
    scene = await mockup_scenes.create_user_scene(owner, "Owner's wall", _png(200, 160), (20, 20, 100, 100))
    before = counts(intruder)

    for designs, scene_ids in (([("product", theirs, "front")], scenes(intruder, 1)),
                               ([("asset", asset, "asset")], scenes(intruder, 1)),
                               ([("product", own, "front"), ("product", theirs, "back")], scenes(intruder, 1)),
                               ([("product", own, "front")], [scene.id])):
        with pytest.raises(OperationError) as refused:
            submit_batch(intruder, designs, scene_ids, new_intent())
        assert refused.value.code == "not_found"
    assert counts(intruder) == before
    assert [d.id for d in list_designs(intruder)] == [own] * 5
    submit_batch(owner, [("product", theirs, "front")], [scene.id], INTENT)
    assert list_mockups(intruder).items == [] and len(list_mockups(owner).items) == 1


async def test_list_designs_lists_product_views_and_assets_with_an_image(fake, make_user):
    user = make_user()
    older = await designed_product(user, "Older mug")
    newer = await designed_product(user, "Newer lamp")
    fox = await quick_asset(user, "A low-poly fox")
    await quick_asset(user, "No image yet", with_image=False)

    designs = list_designs(user)

    assert [(d.id, d.view) for d in designs] == [(newer, v) for v in ("front", "back", "side", "top", "bottom")] + \
        [(older, v) for v in ("front", "back", "side", "top", "bottom")] + [(fox, "asset")]
    assert designs[0].name == "Newer lamp" and designs[-1].name == "A low-poly fox"
    assert designs[-1].key == f"asset:{fox}:asset" and DesignRef.parse(designs[0].key) == DesignRef("product", newer, "front")


async def test_batch_sizes_are_checked(fake, make_user):
    user = make_user()
    pid = await designed_product(user)
    many = [await designed_product(user, f"P{n}") for n in range(21)]
    cases = [([], scenes(user, 1)), ([("product", pid, "front")], []),
             ([("product", p, "front") for p in many], scenes(user, 1)),
             ([("product", pid, "front")], scenes(user, 6)), (["product:not-a-uuid:front"], scenes(user, 1)),
             ([("product", pid, "sideways")], scenes(user, 1))]
    for designs, scene_ids in cases:
        with pytest.raises(OperationError) as refused:
            submit_batch(user, designs, scene_ids, INTENT)
        assert refused.value.code == "invalid_input"
    assert counts(user) == {"holds": 0, "jobs": 0, "mockups": 0}


async def test_renders_list_is_keyset_paged_and_filtered(fake, make_user, jobs):
    user = make_user()
    first = submit_batch(user, await two_designs(user), scenes(user), INTENT)
    await jobs.drain()
    second = submit_batch(user, [("product", await designed_product(user, "Lamp"), "front")], scenes(user, 2),
                          "batch-intent-0002")

    pages, cursor = [], None
    while True:
        page = list_mockups(user, cursor=cursor, limit=3)
        pages.append([r.id for r in page.items])
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    flat = [i for p in pages for i in p]
    assert [len(p) for p in pages] == [3, 3, 2] and len(set(flat)) == 8
    assert set(flat[:2]) == set(second.mockup_ids)  # newest first
    assert {r.status for r in list_mockups(user, status="queued").items} == {"queued"}
    assert {r.id for r in list_mockups(user, batch_id=first.batch_id).items} == set(first.mockup_ids)
    assert {r.design_name for r in list_mockups(user, batch_id=first.batch_id).items} == {"Canvas Tote", "A low-poly fox"}
    with pytest.raises(OperationError):
        list_mockups(user, status="lost")


async def test_brand_palette_reaches_the_provider(fake, make_user, jobs):
    user = make_user()
    pid = await designed_product(user, brand_dna={"name": "Fox & Co", "palette": ["#aa3300", "#112233", "nope"]})
    submit_batch(user, [("product", pid, "front")], scenes(user, 1), INTENT)
    await jobs.drain()
    assert fake.calls[0].palette == ("#AA3300", "#112233") and fake.calls[0].label == "Canvas Tote"


def _png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (220, 210, 200)).save(buf, "PNG")
    return buf.getvalue()


async def test_renders_run_beside_the_products_own_jobs(fake, make_user, jobs):
    user = make_user()
    pid = await designed_product(user)
    with write_session() as s:  # the product is busy with an exclusive job (an edit waiting for a worker)
        s.add(Job(user_id=user, kind="edit", product_id=pid, idempotency_key=f"edit:{user}:busy"))

    batch = submit_batch(user, [("product", pid, "front")], scenes(user, 2), INTENT)
    await jobs.drain()

    assert mockups.RenderMockup.exclusive is False
    assert [jobs.done(j).status for j in batch.job_ids] == ["succeeded", "succeeded"]
