"""Tech Pack V2 exports through the real runner, ledger and storage (issue 10 item 7): a free job renders the PDF
(sketch pages with vector callouts, close-ups, per-view analyses) and the workbook on the worker and records
their keys on the V2 document."""

from __future__ import annotations

import asyncio
import io
import uuid

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import select

from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.techpack_v2_models import ProductTechPackV2
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import credits
from genpire_app.backend.services.v2_closeups import latest_close_ups, start_close_ups
from genpire_app.backend.services.v2_exports import latest_exports, start_exports
from genpire_app.backend.services.v2_sketches import latest_sketches, start_sketches
from tests.edit_cases import product_with_views
from tests.ledger_cases import assert_invariant
from tests.services import test_v2_closeups_sketches as cases
from tests.services.test_v2_closeups_sketches import blob, holds, ready_product, submit_and_run

fakes = cases.fakes  # the V2 image provider fixture, shared


async def test_exports_store_the_pdf_and_workbook_for_free(fakes, jobs, make_user):
    user, pid, _ = await ready_product(jobs, make_user)
    assert (await submit_and_run(jobs, start_close_ups, user, pid)).ok
    assert (await submit_and_run(jobs, start_sketches, user, pid)).ok
    shots, sketches = latest_close_ups(user, pid).shots, latest_sketches(user, pid).sketches
    assert latest_exports(user, pid) is None
    before = credits.balance(user_id=user)

    done = await submit_and_run(jobs, start_exports, user, pid)

    assert done.ok, done.message
    assert done.charged == 0 and credits.balance(user_id=user) == before
    assert not [h for h in holds(user) if h.operation == "v2_export"]
    files = latest_exports(user, pid)
    assert files == {"pdf": done.result["pdf"], "xlsx": done.result["xlsx"]}
    assert files["pdf"].startswith(f"users/{user}/products/{pid}/v2/exports/") and files["pdf"].endswith(".pdf")
    with read_session() as s:
        step = s.exec(select(ProductTechPackV2).where(ProductTechPackV2.product_idea_id == pid)).one().steps["exports"]
    assert step["status"] == "done" and step["at"] and step["pdf"] == files["pdf"] and step["revision_number"] == 0

    reader = PdfReader(io.BytesIO(await blob(files["pdf"])))
    pages = [p.extract_text() for p in reader.pages]
    assert "Front view analysis" in "".join(pages) and "Back view analysis" in "".join(pages)
    sketch_pages = [n for n, t in enumerate(pages) if "Technical sketch:" in t]
    assert len(sketch_pages) == len(sketches) == 3
    for n, sk in zip(sketch_pages, sketches):
        text = pages[n]
        assert all(c["label"] in text for c in sk.callouts) and "380 mm" in text, sk.view_type
        assert all(str(c["n"]) in text for c in sk.callouts) and len(reader.pages[n].images) == 1
    closeups = next(n for n, t in enumerate(pages) if "Close-ups" in t)
    assert all(s.title in "".join(pages[closeups:sketch_pages[0]]) for s in shots)
    assert len(reader.pages[closeups].images) >= 6

    wb = load_workbook(io.BytesIO(await blob(files["xlsx"])))
    assert wb.sheetnames == ["Tech pack", "Views", "Close-ups", "Sketch callouts"]
    assert wb["Close-ups"].max_row == len(shots) + 1
    assert {r[0] for r in wb["Views"].iter_rows(min_row=2, values_only=True)} == {"Front", "Back"}
    callouts = [r for r in wb["Sketch callouts"].iter_rows(min_row=2, values_only=True) if r[1] == "callout"]
    assert len(callouts) == sum(len(sk.callouts) for sk in sketches)
    assert ("Front", "dimension", None, "Width", 400) in list(wb["Sketch callouts"].iter_rows(values_only=True))
    assert_invariant(user)

    again = await submit_and_run(jobs, start_exports, user, pid)  # re-exporting replaces the keys
    assert again.ok and latest_exports(user, pid)["pdf"] == again.result["pdf"]
    assert latest_exports(make_user("other@example.com"), pid) is None


async def test_exports_without_close_ups_or_sketches(fakes, jobs, make_user):
    user, pid, _ = await ready_product(jobs, make_user)
    done = await submit_and_run(jobs, start_exports, user, pid)
    assert done.ok, done.message
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(await blob(done.result["pdf"]))).pages]
    assert not any("Technical sketch:" in t or "Close-ups" in t for t in pages)
    assert "Front view analysis" in "".join(pages)


async def test_files_of_another_revision_are_not_offered(fakes, jobs, make_user):
    user, pid, _ = await ready_product(jobs, make_user)
    assert (await submit_and_run(jobs, start_exports, user, pid)).ok
    assert latest_exports(user, pid) is not None
    with write_session() as s:  # a regenerated view's document carries the steps of the revision it came from
        doc = s.exec(select(ProductTechPackV2).where(ProductTechPackV2.product_idea_id == pid)).one()
        doc.steps = {**doc.steps, "exports": {**doc.steps["exports"], "revision_number": 7}}
        s.add(doc)
    assert latest_exports(user, pid) is None


async def test_another_users_product_is_not_found(fakes, jobs, make_user):
    _owner, pid, _ = await ready_product(jobs, make_user)
    other = make_user("other@example.com")
    with pytest.raises(OperationError) as err:
        await asyncio.to_thread(start_exports, other, pid, uuid.uuid4().hex)
    assert err.value.code == "not_found" and jobs.pending == []


async def test_without_base_view_analysis_it_is_refused(fakes, jobs, make_user):
    user = make_user()
    pid = await product_with_views(jobs, user)
    with pytest.raises(OperationError) as err:
        await asyncio.to_thread(start_exports, user, pid, uuid.uuid4().hex)
    assert (err.value.code, err.value.message) == ("invalid_state", "Analyze the base views first.")


# ------------------------------------------------------------------------------------ V1 tech pack page: SVG


async def test_tech_pack_page_traces_a_view_to_svg_for_free(fakes, jobs, make_user):
    """The V1 tech pack page's "Download SVG" per view: the AI Designer's free tracing job, waited for, then a
    signed download of the traced SVG."""
    from genpire_app.backend.services import vectors
    from genpire_app.backend.services.techpacks import get_tech_pack
    from genpire_app.state.techpack import TechPackState

    user = make_user()
    pid = await product_with_views(jobs, user)
    made = await jobs.tech_pack(user, pid)
    view = get_tech_pack(user_id=user, tech_pack_id=uuid.UUID(made.result["tech_pack_id"]))
    assert set(view.view_row_ids) == set(view.view_keys) == {"front", "back", "side", "top", "bottom"}
    row = uuid.UUID(view.view_row_ids["side"])
    assert vectors.svg_download(user_id=user, row_id=row).key is None
    before = credits.balance(user_id=user)

    task = asyncio.ensure_future(TechPackState._trace(None, user, row))  # the page's wait; the worker runs the job
    while not task.done():
        await jobs.drain()
        await asyncio.sleep(0.02)
    event = task.result()

    ready = vectors.svg_download(user_id=user, row_id=row)
    assert ready.key and ready.filename.endswith("_side_r0.svg") and credits.balance(user_id=user) == before
    args = {name._js_expr: value._var_value for name, value in event.args}
    assert "download" in str(event.handler) and args["filename"] == ready.filename
    assert ready.key.rsplit("/", 1)[-1] in args["url"]  # a signed link to the stored SVG
    assert b"<svg" in (await blob(ready.key))[:500] and b"<path" in await blob(ready.key)
