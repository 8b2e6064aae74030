"""The progressive pipeline end to end at the service level (seed 000 §3, DESIGN.md §5, §7).

Fake providers stand in for the AI services; everything else (database, ledger, storage) is real.
"""

from __future__ import annotations

import asyncio
import io
import uuid

import pytest
from PIL import Image
from sqlmodel import func, select

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import (
    AIOperationLog,
    ChatSession,
    CreditHold,
    FrontViewApproval,
    Job,
    Notification,
    ProductIdea,
    ProductMultiviewRevision,
    ProductTechPack,
)
from genpire_app.backend.providers.registry import set_providers
from genpire_app.backend.services import credits, products
from genpire_app.backend.storage import get_storage
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services.approval import ApprovalPlan
from genpire_app.backend.services.techpacks import TechPackPlan
from tests.fakes import FakeImage, FakeText, FakeVision, fake_providers
from tests.ledger_cases import assert_invariant

IDEA = "A minimalist canvas tote bag with leather straps and magnetic buttons"


@pytest.fixture
def fakes(app_env):
    image, vision, text = FakeImage(), FakeVision(), FakeText()
    set_providers(fake_providers(image, vision, text))
    yield image, vision, text
    set_providers(None)


def count(model) -> int:
    with read_session() as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def stored_files(data_dir) -> list[str]:
    root = data_dir / "storage"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


async def create(user: int, **kw) -> uuid.UUID:
    return await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea=IDEA, **kw))


async def test_full_journey_charges_exactly_the_prices(fakes, jobs, make_user, fixtures_dir):
    image, _vision, text = fakes
    user = make_user()
    logo = products.UploadedFile((fixtures_dir / "brand-logo.png").read_bytes(), "brand-logo.png", "image/png")
    pid = await create(user, logo=logo)
    assert credits.balance(user_id=user) == 2000  # creating is free; the front view costs 1

    first = await jobs.front_view(user, pid)
    assert first.ok and credits.balance(user_id=user) == 1900
    second = await jobs.iterate(user, pid, "Make the straps brown")
    assert second.ok and credits.balance(user_id=user) == 1800
    assert image.calls[-1].references, "an iteration starts from the previous front view"
    assert image.calls[-1].logo is not None and image.calls[-1].logo.data

    done = await jobs.approve(user, second.result["approval_id"])
    assert done.ok and done.result["failed"] == []
    assert credits.balance(user_id=user) == 1600

    tp = await jobs.tech_pack(user, pid)
    assert tp.ok
    assert credits.balance(user_id=user) == 1500  # 20 - 1 - 1 - 2 - 1
    assert_invariant(user)

    with read_session() as s:
        rows = s.exec(select(ProductMultiviewRevision).where(ProductMultiviewRevision.product_idea_id == pid)).all()
        assert sorted(r.view_type for r in rows) == ["back", "bottom", "front", "side", "top"]
        assert {r.revision_number for r in rows} == {0}
        assert len({r.batch_id for r in rows}) == 1 and all(r.is_active for r in rows)
        assert {r.edit_type for r in rows} == {"initial"}
        approvals = s.exec(select(FrontViewApproval).order_by(FrontViewApproval.iteration_number)).all()
        assert [(a.iteration_number, a.status) for a in approvals] == [(1, "rejected"), (2, "completed")]
        assert approvals[0].user_feedback == "Make the straps brown"
        assert approvals[1].extracted_features["materials"] == ["Canvas", "Leather"]
        assert approvals[1].credits_consumed == 300
        pack = s.exec(select(ProductTechPack)).one()
        front = next(r for r in rows if r.view_type == "front")
        assert pack.revision_id == front.id and pack.is_active and pack.revision_number == 0
        assert s.get(ProductIdea, pid).status == "images_generated"
        assert s.exec(select(func.count()).select_from(Job).where(Job.status != "succeeded")).one() == 0
        assert {h.status for h in s.exec(select(CreditHold)).all()} == {"captured"}
        logged = {row.operation for row in s.exec(select(AIOperationLog)).all()}
        assert {"front_view", "iteration", "extract_features", "back_view", "tech_pack"} <= logged
        files = pack.metadata_["files"]
    ctx = text.contexts[-1]
    assert ctx.revision_number == 0 and set(ctx.views) == {"front", "back", "side", "top", "bottom"}
    assert (await get_storage().get(files["pdf"])).startswith(b"%PDF")  # rendered by the job, not on download
    assert (await get_storage().get(files["xlsx"])).startswith(b"PK")


async def test_remaining_views_run_concurrently(app_env, jobs, make_user):
    image = FakeImage(latency=0.3)
    set_providers(fake_providers(image))
    user = make_user()
    pid = await create(user)
    first = await jobs.front_view(user, pid)
    loop = asyncio.get_running_loop()
    start = loop.time()
    done = await jobs.approve(user, first.result["approval_id"])
    elapsed = loop.time() - start
    assert done.ok
    assert elapsed < 4 * 0.3, f"four views of 0.3 s took {elapsed:.2f} s: not concurrent"


async def test_progress_is_recorded_and_pushed_per_view(fakes, jobs, make_user):
    user = make_user()
    pid = await create(user)
    first = await jobs.front_view(user, pid)
    jobs.channel.events.clear()
    done = await jobs.approve(user, first.result["approval_id"])
    with read_session() as s:
        assert s.get(Job, done.job_id).progress == {p: "done" for p in ("features", "back", "side", "top", "bottom")}
    pushed = [e for e in jobs.channel.events if e.job_id == str(done.job_id)]
    assert len([e for e in pushed if e.status == "running"]) >= 10  # claim + running/done of five parts
    assert pushed[-1].status == "succeeded" and {"balance", "product"} <= set(pushed[-1].topics)
    assert all(e.user_id == user and e.product_id == str(pid) for e in pushed)


@pytest.mark.parametrize(
    ("field", "make_input", "message"),
    [
        ("idea", lambda fx: products.ProductInput(mode="text", idea="   "), "Describe your product idea"),
        (
            "logo",
            lambda fx: products.ProductInput(
                mode="text", idea=IDEA, logo=products.UploadedFile(b"\xff\xd8\xff\xe0" + b"0" * 100, "logo.png", "image/png")
            ),
            "",
        ),
        (
            "design",
            lambda fx: products.ProductInput(
                mode="upload", design=products.UploadedFile(b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024), "d.png", "image/png")
            ),
            "5 MB",
        ),
        ("design", lambda fx: products.ProductInput(mode="upload"), "Choose a design file"),
    ],
)
async def test_bad_input_is_refused_and_leaves_nothing(fakes, make_user, app_env, field, make_input, message, fixtures_dir):
    user = make_user()
    with pytest.raises(products.ProductInputError) as err:
        await products.create_product(user_id=user, data=make_input(fixtures_dir))
    assert err.value.field == field and message in err.value.message
    assert count(ProductIdea) == 0 and count(ChatSession) == 0
    assert stored_files(app_env) == []
    assert credits.balance(user_id=user) == 2000


async def test_decompression_bomb_is_refused(fakes, make_user, app_env):
    user = make_user()
    buf = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buf, "PNG")  # 81 megapixels, a few kilobytes
    bomb = products.UploadedFile(buf.getvalue(), "bomb.png", "image/png")
    with pytest.raises(products.ProductInputError) as err:
        await products.create_product(user_id=user, data=products.ProductInput(mode="upload", design=bomb))
    assert err.value.field == "design" and "too large" in err.value.message.lower()
    assert count(ProductIdea) == 0 and stored_files(app_env) == []


async def test_insufficient_balance_creates_nothing(fakes, make_user, app_env):
    user = make_user(credits=250)
    with pytest.raises(credits.InsufficientCredits) as err:
        await create(user)
    assert (err.value.needed, err.value.available) == (300, 250)
    assert count(ProductIdea) == 0 and credits.balance(user_id=user) == 250


async def test_failing_image_provider_refunds_and_writes_no_approval(app_env, jobs, make_user):
    set_providers(fake_providers(FakeImage(fail_views={"front"})))
    user = make_user()
    pid = await create(user)
    outcome = await jobs.front_view(user, pid)
    assert not outcome.ok and "Your 1 credit was returned." in outcome.message
    assert credits.balance(user_id=user) == 2000
    assert count(FrontViewApproval) == 0
    with read_session() as s:
        assert s.get(ProductIdea, pid).status == "failed"
        job = s.exec(select(Job)).one()
        assert job.status == "failed" and "unavailable" in job.error
        assert s.get(CreditHold, job.hold_id).status == "released"
        assert s.exec(select(Notification).where(Notification.type == "generation_failed")).first() is not None
    assert [p for p in stored_files(app_env) if "/views/" in p] == []
    assert_invariant(user)


async def test_partial_failure_keeps_good_views_and_charges_only_them(app_env, jobs, make_user):
    image = FakeImage(fail_views={"side"})
    set_providers(fake_providers(image))
    user = make_user()
    pid = await create(user)
    first = await jobs.front_view(user, pid)
    done = await jobs.approve(user, first.result["approval_id"])
    assert done.status == "partial" and done.result["failed"] == ["side"] and done.charged == 150
    assert credits.balance(user_id=user) == 2000 - 100 - 150
    with read_session() as s:
        views = {r.view_type for r in s.exec(select(ProductMultiviewRevision)).all()}
    assert views == {"front", "back", "top", "bottom"}
    image.fail_views.clear()
    again = await jobs.retry_view(user, pid, "side")
    assert again.ok and credits.balance(user_id=user) == 2000 - 100 - 150 - 50
    with read_session() as s:
        rows = s.exec(select(ProductMultiviewRevision).where(ProductMultiviewRevision.is_active.is_(True))).all()
    assert sorted(r.view_type for r in rows) == ["back", "bottom", "front", "side", "top"]
    assert len({r.batch_id for r in rows}) == 1
    assert_invariant(user)


async def test_all_views_failing_returns_to_approval(app_env, jobs, make_user):
    set_providers(fake_providers(FakeImage(fail_views={"back", "side", "top", "bottom"})))
    user = make_user()
    pid = await create(user)
    first = await jobs.front_view(user, pid)
    done = await jobs.approve(user, first.result["approval_id"])
    assert not done.ok and credits.balance(user_id=user) == 1900
    with read_session() as s:
        assert s.get(FrontViewApproval, uuid.UUID(first.result["approval_id"])).status == "pending"
        assert s.get(ProductIdea, pid).status == "front_view_ready"
    assert count(ProductMultiviewRevision) == 0


async def test_feature_extraction_failure_refunds(app_env, jobs, make_user):
    set_providers(fake_providers(vision=FakeVision(fail=True)))
    user = make_user()
    pid = await create(user)
    first = await jobs.front_view(user, pid)
    done = await jobs.approve(user, first.result["approval_id"])
    assert not done.ok and credits.balance(user_id=user) == 1900
    assert count(ProductMultiviewRevision) == 0


async def test_failing_tech_pack_refunds(app_env, jobs, make_user):
    set_providers(fake_providers(text=FakeText(fail=True)))
    user = make_user()
    pid = await create(user)
    await jobs.approved(user, pid)
    outcome = await jobs.tech_pack(user, pid)
    assert not outcome.ok
    assert credits.balance(user_id=user) == 1700
    assert count(ProductTechPack) == 0
    assert_invariant(user)


async def test_double_approval_with_two_intents_charges_once(app_env, jobs, make_user):
    set_providers(fake_providers(FakeImage(latency=0.05)))
    user = make_user()
    pid = await create(user)
    first = await jobs.front_view(user, pid)
    plan = ApprovalPlan(approval_id=uuid.UUID(first.result["approval_id"]))
    results = await asyncio.gather(jobs.submit("approval", user, plan), jobs.submit("approval", user, plan),
                                   return_exceptions=True)
    submitted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, OperationError)]
    assert len(submitted) == 1 and len(refused) == 1 and refused[0].code in ("busy", "invalid_state")
    await jobs.drain()
    assert credits.balance(user_id=user) == 1700
    assert count(ProductMultiviewRevision) == 5


async def test_same_intent_after_the_job_ended_returns_that_job(app_env, jobs, make_user):
    """A double-click that arrives after a fast job finished is the same intent: charged once (issue 6 §8)."""
    set_providers(fake_providers())
    user = make_user()
    pid = await create(user)
    await jobs.approved(user, pid)
    first = await jobs.tech_pack(user, pid, intent="click-intent-1")
    assert first.ok and credits.balance(user_id=user) == 1600
    again = await jobs.submit("tech_pack", user, TechPackPlan(product_id=pid), intent="click-intent-1")
    assert again.reused and again.job_id == first.job_id
    assert credits.balance(user_id=user) == 1600 and count(ProductTechPack) == 1
    renewed = await jobs.tech_pack(user, pid, intent="click-intent-2")  # the renewed intent is a new operation
    assert renewed.ok and renewed.job_id != first.job_id and credits.balance(user_id=user) == 1500


async def test_another_users_product_is_invisible(fakes, jobs, make_user):
    owner = make_user("owner@example.com")
    other = make_user("other@example.com")
    pid = await create(owner)
    first = await jobs.front_view(owner, pid)
    with pytest.raises(OperationError) as err:
        await jobs.iterate(other, pid, "mine now")
    assert err.value.code == "not_found"
    with pytest.raises(OperationError):
        await jobs.approve(other, first.result["approval_id"])
    assert products.get_product(user_id=other, product_id=pid) is None
    assert products.list_products(user_id=other)[1] == 0
    assert credits.balance(user_id=other) == 2000


async def test_iteration_needs_feedback_and_approval_is_final(fakes, jobs, make_user):
    user = make_user()
    pid = await create(user)
    first = await jobs.front_view(user, pid)
    with pytest.raises(OperationError):
        await jobs.front_view(user, pid)
    with pytest.raises(OperationError):
        await jobs.iterate(user, pid, "   ")
    await jobs.approve(user, first.result["approval_id"])
    with pytest.raises(OperationError) as err:
        await jobs.iterate(user, pid, "bigger")
    assert err.value.code == "invalid_state"
    assert credits.balance(user_id=user) == 1700


async def test_upload_tab_describes_the_design_when_empty(fakes, jobs, make_user, fixtures_dir):
    user = make_user()
    design = products.UploadedFile((fixtures_dir / "coffee-cup-photo.png").read_bytes(), "coffee.png", "image/png")
    pid = await products.create_product(user_id=user, data=products.ProductInput(mode="upload", design=design))
    product = products.get_product(user_id=user, product_id=pid)
    assert product.design_key and "coffee cup" in product.prompt
    stored = await get_storage().get(product.design_key)
    assert Image.open(io.BytesIO(stored)).size == (600, 400)
    outcome = await jobs.front_view(user, pid)
    assert outcome.ok
