"""Tech Pack V2 field edits (by hand, by instruction) and "Regenerate view" through the real runner (issue 10
item 6; seed 001 "Edit Single Field", "Regenerate Single View").

The product and its five views come from the offline pipeline (real renderer), the analyses from the offline
pixel analysis behind the counting wrapper of ``test_v2_analysis``, the field edits from the offline
instruction parser; database, ledger, storage and runner are real.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlmodel import select

from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import AIOperationLog, CreditHold, Job
from genpire_app.backend.db.techpack_v2_models import ProductTechPackV2, RevisionVisionAnalysis
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.offline_v2_text import UNPARSED, edit_value
from genpire_app.backend.services import credits, v2_analysis, v2_document, v2_edits
from genpire_app.backend.storage import get_storage
from tests.services.test_v2_analysis import count, product, v2  # noqa: F401  (fixture)

NO_ANALYSIS = "Analyze the base views first."




async def analysed(jobs, user: int) -> uuid.UUID:
    """A product with five views and the Base views step done."""
    pid = await product(jobs, user)
    submitted = await asyncio.to_thread(v2_analysis.start_base_views, user, pid, runner.new_intent())
    await jobs.drain()
    assert jobs.done(submitted.job_id).ok
    return pid


async def run(jobs, start, *args):
    submitted = await asyncio.to_thread(start, *args, runner.new_intent())
    await jobs.drain()
    return jobs.done(submitted.job_id)


def holds(user: int) -> list[CreditHold]:
    with read_session() as s:
        return list(s.exec(select(CreditHold).where(CreditHold.user_id == user)).all())


@pytest.mark.parametrize(("path", "instruction", "value"), [
    ("materials.lining", "change the lining to recycled polyester", "Recycled polyester"),
    ("materials.straps", "make the straps black leather", "Black leather"),
    ("dimensions.width_mm", "set width to 400 mm", "400"),
    ("dimensions.depth_mm", "Set the depth to 12 cm.", "120"),
    ("materials.bag", "replace the canvas with recycled cotton, please", "Recycled cotton"),
    ("colors.primary", "turn it into navy blue", "Navy blue"),
])
def test_the_offline_parser_reads_the_value_from_the_instruction(path, instruction, value) -> None:
    assert edit_value(path, "Cotton canvas", instruction).value == value


async def test_a_hand_edit_is_free_persisted_and_survives_a_base_view_rerun(v2, jobs, make_user):
    user = make_user()
    pid = await analysed(jobs, user)
    before, held = credits.balance(user_id=user), len(holds(user))
    old_lining = v2_document.document_of(user, pid).fields["materials"].get("lining")

    doc = v2_edits.edit_by_hand(user, pid, "materials.lining", "  Recycled   polyester ")
    assert doc.fields["materials"]["lining"] == "Recycled polyester"
    edit = doc.edits[-1]
    assert (edit["path"], edit["old"], edit["new"], edit["by"]) == ("materials.lining", old_lining,
                                                                    "Recycled polyester", "hand")
    assert edit["at"].startswith("20")
    doc = v2_edits.edit_by_hand(user, pid, "dimensions.width", "380")  # "width" means width_mm; a number
    assert doc.fields["dimensions"]["width_mm"] == 380 and doc.edits[-1]["path"] == "dimensions.width_mm"
    doc = v2_edits.edit_by_hand(user, pid, "Labels.Care Label (inside)", "inside left seam")  # a new field
    assert doc.fields["labels"]["care_label_inside"] == "inside left seam"
    assert len(v2_edits.edit_by_hand(user, pid, "labels.care_label_inside", "inside left seam").edits) == 3
    assert credits.balance(user_id=user) == before and len(holds(user)) == held

    for path, value in (("fabric.body", "x"), ("materials.", "x"), ("materials.lining", " "),
                        ("materials.lining", "x" * 501), ("dimensions.width_mm", "wide"),
                        ("dimensions.height_mm", "0")):
        with pytest.raises(OperationError) as refused:
            v2_edits.edit_by_hand(user, pid, path, value)
        assert refused.value.code == "invalid_input", (path, value)

    stored = v2_document.document_of(user, pid)
    assert stored.fields["materials"]["lining"] == "Recycled polyester" and len(stored.edits) == 3
    again = await run(jobs, v2_analysis.start_base_views, user, pid)
    assert again.ok
    after = v2_document.document_of(user, pid)
    assert after.fields["materials"]["lining"] == "Recycled polyester"
    assert after.fields["dimensions"]["width_mm"] == 380
    assert after.fields["labels"]["care_label_inside"] == "inside left seam" and after.edits == stored.edits


async def test_an_ai_edit_charges_one_credit_and_changes_the_field(v2, jobs, make_user):
    user = make_user()
    pid = await analysed(jobs, user)
    before = credits.balance(user_id=user)
    done = await run(jobs, v2_edits.start_edit, user, pid, "materials.lining", "change the lining to recycled polyester")
    assert done.ok, done.message
    assert done.charged == 100 and credits.balance(user_id=user) == before - 100
    assert done.message == "Materials / lining is now “Recycled polyester”."
    doc = v2_document.document_of(user, pid)
    assert doc.fields["materials"]["lining"] == "Recycled polyester"
    edit = doc.edits[-1]
    assert (edit["path"], edit["new"], edit["by"], edit["model"]) == ("materials.lining", "Recycled polyester", "ai",
                                                                      "offline-v2-text-1")
    assert edit["instruction"] == "change the lining to recycled polyester"
    with read_session() as s:
        (row,) = s.exec(select(AIOperationLog).where(AIOperationLog.operation == "v2_edit")).all()
        hold = s.get(CreditHold, s.get(Job, done.job_id).hold_id)
    assert (row.status, row.operation_type, row.provider) == ("completed", "text", "offline")
    assert row.input_data["path"] == "materials.lining" and row.context["step"] == "edit"
    assert hold.status == "captured" and hold.amount == 100

    size = await run(jobs, v2_edits.start_edit, user, pid, "dimensions.width_mm", "set width to 40 cm")
    assert size.ok and size.charged == 100 and size.message == "Dimensions / width mm is now 400 mm."
    assert v2_document.document_of(user, pid).fields["dimensions"]["width_mm"] == 400
    assert credits.balance(user_id=user) == before - 200


async def test_an_unparseable_instruction_fails_and_releases_the_hold(v2, jobs, make_user):
    user = make_user()
    pid = await analysed(jobs, user)
    before, edits = credits.balance(user_id=user), v2_document.document_of(user, pid).edits
    done = await run(jobs, v2_edits.start_edit, user, pid, "materials.lining", "hmm, not sure about this one")
    assert done.status == "failed" and UNPARSED in done.message and "returned" in done.message
    assert credits.balance(user_id=user) == before
    with read_session() as s:
        assert s.get(CreditHold, s.get(Job, done.job_id).hold_id).status == "released"
    assert v2_document.document_of(user, pid).edits == edits
    bad_size = await run(jobs, v2_edits.start_edit, user, pid, "dimensions.width_mm", "set width to wider")
    assert bad_size.status == "failed" and credits.balance(user_id=user) == before


async def test_regenerate_makes_the_next_revision_with_the_view_analysed_again(v2, jobs, make_user):
    user = make_user()
    pid = await analysed(jobs, user)
    v2_edits.edit_by_hand(user, pid, "materials.lining", "Recycled polyester")
    old = v2_document.document_of(user, pid)
    rows, calls, before = count(RevisionVisionAnalysis), len(v2.calls), credits.balance(user_id=user)

    done = await run(jobs, v2_edits.start_regenerate, user, pid, "back", "make the bag navy blue")
    assert done.ok, done.message
    assert done.charged == 100 and credits.balance(user_id=user) == before - 100
    new = v2_document.document_of(user, pid)
    assert new.revision_number == old.revision_number + 1 == done.result["revision"]
    assert new.view_keys["back"] != old.view_keys["back"]
    assert {v: k for v, k in new.view_keys.items() if v != "back"} == \
        {v: k for v, k in old.view_keys.items() if v != "back"}, "the other views are carried over as they were"
    assert count(RevisionVisionAnalysis) == rows + 1 and v2.calls[calls:] == ["back"]
    entry = new.views["back"]
    assert entry["image_hash"] == v2_analysis.image_hash(await get_storage().get(new.view_keys["back"]))
    assert entry["image_hash"] != old.views["back"]["image_hash"] and entry["fields"]["view"] == "back"
    assert {v: e for v, e in new.views.items() if v != "back"} == {v: e for v, e in old.views.items() if v != "back"}
    assert new.edits == old.edits and new.fields["materials"]["lining"] == "Recycled polyester"
    assert (new.category, new.subcategory) == (old.category, old.subcategory) and new.step_done("base_views")
    with read_session() as s:
        cached = s.exec(select(RevisionVisionAnalysis).where(RevisionVisionAnalysis.image_hash ==
                                                             entry["image_hash"])).one()
        back = next(r for r in repo.active_revision(s, product_id=pid) if r.view_type == "back")
        previous = s.exec(select(ProductTechPackV2).where(ProductTechPackV2.revision_number ==
                                                          old.revision_number)).one()
    assert str(cached.id) == entry["analysis_id"] and cached.revision_id == back.id
    assert back.metadata_["instructions"][-1] == "make the bag navy blue" and back.revision_number == new.revision_number
    assert previous.views == old.views, "the previous revision's document is untouched"

    # A field edit now applies to the new revision's document.
    edited = v2_edits.edit_by_hand(user, pid, "materials.straps", "Cork")
    assert edited.revision_number == new.revision_number and edited.fields["materials"]["straps"] == "Cork"

    # Without an instruction the offline renderer redraws the same pixels: a cache hit, still a new revision.
    calls, rows = len(v2.calls), count(RevisionVisionAnalysis)
    same = await run(jobs, v2_edits.start_regenerate, user, pid, "back", "")
    assert same.ok and same.charged == 100 and same.result["cached"] is True
    assert len(v2.calls) == calls and count(RevisionVisionAnalysis) == rows
    last = v2_document.document_of(user, pid)
    assert last.revision_number == new.revision_number + 1 and last.views["back"] == new.views["back"]
    assert last.fields["materials"]["straps"] == "Cork" and last.edits == edited.edits
    with read_session() as s:
        hits = s.exec(select(AIOperationLog).where(AIOperationLog.operation == "v2_base_view")).all()
    assert [r.context["step"] for r in hits if r.context.get("cache") == "hit"] == ["regenerate"]


async def test_another_users_product_is_not_found_and_nothing_is_held(v2, jobs, make_user):
    owner = make_user()
    pid = await analysed(jobs, owner)
    other = make_user("other@example.com")
    attempts = [lambda: v2_edits.edit_by_hand(other, pid, "materials.lining", "Silk"),
                lambda: v2_edits.start_edit(other, pid, "materials.lining", "change it to silk", runner.new_intent()),
                lambda: v2_edits.start_regenerate(other, pid, "back", "", runner.new_intent())]
    for attempt in attempts:
        with pytest.raises(OperationError) as refused:
            await asyncio.to_thread(attempt)
        assert refused.value.code == "not_found"
    assert holds(other) == [] and credits.balance(user_id=other) == 2000
    with read_session() as s:
        assert s.exec(select(Job).where(Job.user_id == other)).all() == []
    assert v2_document.document_of(owner, pid).edits == []


async def test_without_base_views_everything_is_refused_and_nothing_is_held(v2, jobs, make_user):
    user = make_user()
    pid = await product(jobs, user)
    before, held = credits.balance(user_id=user), len(holds(user))
    attempts = [lambda: v2_edits.edit_by_hand(user, pid, "materials.lining", "Silk"),
                lambda: v2_edits.start_edit(user, pid, "materials.lining", "change it to silk", runner.new_intent()),
                lambda: v2_edits.start_regenerate(user, pid, "back", "make it red", runner.new_intent())]
    for attempt in attempts:
        with pytest.raises(OperationError) as refused:
            await asyncio.to_thread(attempt)
        assert (refused.value.code, refused.value.message) == ("invalid_state", NO_ANALYSIS)
    assert credits.balance(user_id=user) == before and len(holds(user)) == held
    with read_session() as s:
        assert s.exec(select(ProductTechPackV2)).all() == []
