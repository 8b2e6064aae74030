"""AI Designer edits at the service level (seed 000 §5.3-§5.6, issue 3), run as held operations."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image, ImageDraw

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.registry import set_providers
from genpire_app.backend.services import credits, revisions, techpacks
from genpire_app.backend.storage import get_storage
from tests import edit_cases
from tests.edit_cases import FIVE, product_with_views, rows_of
from tests.fakes import FakeImage, fake_providers
from tests.ledger_cases import assert_invariant


@pytest.fixture
def image(app_env):
    fake = FakeImage()
    set_providers(fake_providers(fake))
    yield fake
    set_providers(None)


async def staged_annotation(user: int) -> str:
    img = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(img).ellipse((10, 10, 30, 30), outline="red", width=3)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    key = f"users/{user}/staging/annotations/{uuid.uuid4().hex}.png"
    await get_storage().put(key, buf.getvalue(), "image/png")
    return key


def chat(user: int, pid: uuid.UUID):
    with read_session() as s:
        return revisions.chat_messages(s, user_id=user, product_id=pid)


async def test_edit_annotate_rollback_and_tech_pack_per_revision(image, jobs, make_user):
    user = make_user()
    pid = await product_with_views(jobs, user)
    assert credits.balance(user_id=user) == 1700

    r1 = await jobs.edit(user, pid, "Change the color to red")
    assert r1.ok and r1.result["revision"] == 1 and r1.charged == 200
    assert credits.balance(user_id=user) == 1500
    rev0, rev1 = rows_of(pid, 0), rows_of(pid, 1)
    assert set(rev1) == set(FIVE) and len({r.batch_id for r in rev1.values()}) == 1
    assert {r.edit_type for r in rev1.values()} == {"ai_edit"}
    assert {r.edit_prompt for r in rev1.values()} == {"Change the color to red"}
    assert all(rev1[v].image_key != rev0[v].image_key for v in FIVE)
    assert not any(r.is_active for r in rev0.values()) and all(r.is_active for r in rev1.values())
    assert image.calls[-1].base_image is not None and image.calls[-1].instruction == "Change the color to red"

    r2 = await jobs.edit(user, pid, "Make the side pocket bigger", views=["side"])
    assert r2.ok and r2.result["revision"] == 2 and r2.charged == 50
    rev2 = rows_of(pid, 2)
    assert rev2["side"].image_key != rev1["side"].image_key
    for view in ("front", "back", "top", "bottom"):
        assert rev2[view].image_key == rev1[view].image_key  # carried forward: byte-identical
    assert rev2["side"].metadata_["instructions"][-2:] == ["Change the color to red", "Make the side pocket bigger"]

    r3 = await jobs.annotate(user, pid, "front", "Make this red", (0.1, 0.1, 0.5, 0.5), await staged_annotation(user))
    assert r3.ok and r3.result["revision"] == 3 and r3.charged == 50
    assert image.calls[-1].region == (0.1, 0.1, 0.5, 0.5) and image.calls[-1].annotation is not None
    rev3 = rows_of(pid, 3)
    assert rev3["front"].image_key != rev2["front"].image_key
    assert all(rev3[v].image_key == rev2[v].image_key for v in ("back", "side", "top", "bottom"))

    assert revisions.rollback(user_id=user, product_id=pid, revision_number=1) == 4
    rev4 = rows_of(pid, 4)
    assert {v: r.image_key for v, r in rev4.items()} == {v: r.image_key for v, r in rev1.items()}
    assert {r.edit_type for r in rev4.values()} == {"rollback"}
    assert {v: r.image_key for v, r in rows_of(pid, active=True).items()} == {v: r.image_key for v, r in rev1.items()}
    assert len(rows_of(pid, 3)) == 5, "rollback deletes nothing"
    assert credits.balance(user_id=user) == 1400

    history = revisions.list_revisions_for(user_id=user, product_id=pid)
    assert [h.number for h in history] == [4, 3, 2, 1, 0]
    assert history[0].is_active and history[0].label == "Rolled back to revision 1"
    assert history[2].edited_views == ("side",) and history[-1].label == "Original"

    tp = await jobs.tech_pack(user, pid, revision=2)
    assert tp.ok
    view = techpacks.get_tech_pack(user_id=user, tech_pack_id=uuid.UUID(tp.result["tech_pack_id"]))
    assert view.revision_number == 2 and view.view_keys["side"] == rev2["side"].image_key
    assert set(view.files) == {"pdf", "xlsx"}
    active_tp = await jobs.tech_pack(user, pid)
    assert techpacks.get_tech_pack(user_id=user, tech_pack_id=uuid.UUID(active_tp.result["tech_pack_id"])).revision_number == 4
    assert techpacks.set_active_tech_pack(user_id=user, tech_pack_id=uuid.UUID(tp.result["tech_pack_id"]))
    with read_session() as s:
        listed = techpacks.list_tech_packs(s, user_id=user, product_id=pid)
    assert [t.is_active for t in listed if t.id == tp.result["tech_pack_id"]] == [True]
    assert sum(t.is_active for t in listed) == 1
    assert credits.balance(user_id=user) == 1200
    assert_invariant(user)

    messages = chat(user, pid)
    assert messages[0].metadata_.get("initial") is True
    assert any("Revision 1" in m.content and m.role == "assistant" for m in messages)


async def test_failing_edit_provider_refunds_and_keeps_the_active_revision(image, jobs, make_user):
    user = make_user()
    pid = await product_with_views(jobs, user)
    before = {v: r.image_key for v, r in rows_of(pid, active=True).items()}
    image.fail_views.update(FIVE)
    outcome = await jobs.edit(user, pid, "Change the color to red")
    assert not outcome.ok and "Your 2 credits were returned." in outcome.message
    assert credits.balance(user_id=user) == 1700
    assert {v: r.image_key for v, r in rows_of(pid, active=True).items()} == before
    assert rows_of(pid, 1) == {}
    assert any(m.role == "assistant" and "Nothing was changed" in m.content for m in chat(user, pid))
    assert_invariant(user)


async def test_partial_edit_charges_only_the_edited_views(image, jobs, make_user):
    user = make_user()
    pid = await product_with_views(jobs, user)
    image.fail_views.add("top")
    outcome = await jobs.edit(user, pid, "Change the color to red", views=["front", "top"])
    assert outcome.status == "partial" and outcome.result["failed"] == ["top"] and outcome.charged == 50
    assert credits.balance(user_id=user) == 1650
    assert rows_of(pid, 1)["top"].image_key == rows_of(pid, 0)["top"].image_key


async def test_simultaneous_edits_get_distinct_revisions(image, jobs, make_user):
    await edit_cases.simultaneous_edits_get_distinct_revisions(jobs, make_user())


async def test_concurrent_edits_of_one_view_keep_both_instructions(image, jobs, make_user):
    await edit_cases.concurrent_edits_of_one_view_keep_both(jobs, make_user())


async def test_edit_input_is_validated_before_charging(image, jobs, make_user, fixtures_dir):
    user = make_user()
    pid = await product_with_views(jobs, user)
    other = make_user("intruder@example.com")
    with pytest.raises(OperationError):
        await jobs.edit(user, pid, "   ")
    with pytest.raises(OperationError):
        await jobs.edit(user, pid, "red", views=["inside"])
    with pytest.raises(OperationError):  # another user's staged file
        await jobs.edit(user, pid, "red", attachment_key=f"users/{other}/staging/x.png")
    with pytest.raises(OperationError):
        await jobs.annotate(user, pid, "front", "red", (0.5, 0.5, 0.2, 0.9), await staged_annotation(user))
    with pytest.raises(OperationError):
        await jobs.edit(other, pid, "mine")
    with pytest.raises(OperationError):
        revisions.rollback(user_id=other, product_id=pid, revision_number=0)
    assert revisions.list_revisions_for(user_id=other, product_id=pid) == []
    assert credits.balance(user_id=user) == 1700 and credits.balance(user_id=other) == 2000

    key = f"users/{user}/staging/ref.png"
    await get_storage().put(key, (fixtures_dir / "coffee-cup-photo.png").read_bytes(), "image/png")
    ok = await jobs.edit(user, pid, "Use the colors of the attached image", views=["front"], attachment_key=key)
    assert ok.ok and image.calls[-1].attachments
    assert any(m.attachments and m.attachments[0] == {"kind": "image", "key": key} for m in chat(user, pid))


async def test_rollback_to_the_current_revision_is_refused(image, jobs, make_user):
    user = make_user()
    pid = await product_with_views(jobs, user)
    with pytest.raises(OperationError):
        revisions.rollback(user_id=user, product_id=pid, revision_number=0)
    with pytest.raises(OperationError):
        revisions.rollback(user_id=user, product_id=pid, revision_number=7)


async def test_micro_edits_stay_out_of_the_replayed_instruction_chain(image, jobs, make_user):
    user = make_user()
    pid = await product_with_views(jobs, user)
    await jobs.annotate(user, pid, "front", "Make this red", (0.2, 0.2, 0.4, 0.4), await staged_annotation(user))
    front = rows_of(pid, 1)["front"]
    assert "Make this red" not in front.metadata_["instructions"]
    assert front.metadata_["micro_edits"] == [{"instruction": "Make this red", "region": [0.2, 0.2, 0.4, 0.4]}]
    assert rows_of(pid, 1)["back"].metadata_["micro_edits"] == []
    await jobs.edit(user, pid, "Make the straps brown", views=["front"])
    assert image.calls[-1].feedback.splitlines()[-1] == "Make the straps brown"
    assert "Make this red" not in image.calls[-1].feedback
