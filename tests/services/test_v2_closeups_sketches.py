"""Tech Pack V2 close-ups and technical sketches through the real runner, ledger, storage and offline V2 image
provider (issue 10 items 4-5; seed 001 "Close-Ups Generation", "Technical Sketches"; DESIGN.md §5, §7.1).

The product's views are replaced by drawn studio images whose details (label, snap, zipper, stitching) are flat
color patches at the regions the seeded base-view analysis names, so every close-up can be checked against
the pixels of its region and every sketch callout against the place it points at.
"""

from __future__ import annotations

import asyncio
import io
import uuid
import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw
from sqlmodel import func, select

from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import CreditHold, ProductMultiviewRevision
from genpire_app.backend.db.techpack_v2_models import ProductCloseupImage, ProductTechPackV2, ProductTechSketch
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.registry import get_providers, set_providers
from genpire_app.backend.services import credits
from genpire_app.backend.services.v2_closeups import CloseUpsPlan, latest_close_ups, start_close_ups
from genpire_app.backend.services.v2_sketches import SketchesPlan, latest_sketches, start_sketches
from genpire_app.backend.storage import content_key, get_storage
from tests.edit_cases import product_with_views
from tests.fakes import FakeImage, fake_providers
from tests.ledger_cases import assert_invariant

SIZE = 512
BODY = (0.25, 0.2, 0.75, 0.88)  # the product's box in every drawn view (fractions)
BODY_COLOR = (214, 190, 150)
#: Detail patches of the front view: region (fractions) -> color.
FRONT_PATCHES = {
    "zip": ((0.3, 0.22, 0.7, 0.27), (30, 30, 30)),
    "stitch": ((0.28, 0.8, 0.72, 0.83), (150, 40, 40)),
    "snap": ((0.47, 0.32, 0.53, 0.38), (200, 160, 30)),
    "label": ((0.36, 0.5, 0.46, 0.6), (30, 60, 200)),
}
BACK_PATCHES = {"care": ((0.55, 0.62, 0.65, 0.72), (20, 150, 60))}
NEUTRAL = {"materials": [], "construction": [], "hardware": [], "finishes": [], "labels": [], "colors": []}


def front_analysis() -> dict[str, Any]:
    p = {k: list(v[0]) for k, v in FRONT_PATCHES.items()}
    return {**NEUTRAL, "schema_version": 1, "view": "front", "category": "Bags",
            "materials": [{"name": "Canvas", "component": "body", "confidence": 0.9},
                          {"name": "Leather", "component": "straps", "confidence": 0.7}],
            "construction": [{"feature": "Zipper closure", "detail": "coil zipper along the top", "region": p["zip"]},
                             {"feature": "Top stitching", "detail": "double needle hem", "region": p["stitch"]}],
            "hardware": [{"item": "Magnetic snap", "finish": "brass", "region": p["snap"]}],
            "labels": [{"type": "woven", "placement": "front left", "region": p["label"]}],
            "finishes": [{"surface": "body", "finish": "matte"}],
            "dimensions_mm": {"width": 400, "height": 380, "depth": 120}, "notes": ""}


def back_analysis() -> dict[str, Any]:
    return {**NEUTRAL, "schema_version": 1, "view": "back", "category": "Bags",
            "labels": [{"type": "care", "placement": "back right", "region": list(BACK_PATCHES["care"][0])}],
            "materials": [{"name": "Canvas", "component": "body", "confidence": 0.9}],
            "dimensions_mm": {"width": 400, "height": 380, "depth": 120}, "notes": ""}


def px(box: tuple[float, ...]) -> list[int]:
    return [round(v * SIZE) for v in box]


def view_png(patches: dict[str, tuple[tuple[float, ...], tuple[int, int, int]]]) -> bytes:
    img = Image.new("RGB", (SIZE, SIZE), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.rectangle(px(BODY), fill=BODY_COLOR, outline=(90, 70, 50), width=3)
    for region, color in patches.values():
        x0, y0, x1, y1 = px(region)
        draw.rectangle([x0, y0, x1 - 1, y1 - 1], fill=color)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


async def paint_views(pid: uuid.UUID) -> dict[str, bytes]:
    """Replace the product's active views by drawn ones (new keys); returns the PNGs by view."""
    pngs = {"front": view_png(FRONT_PATCHES), "back": view_png(BACK_PATCHES), "side": view_png({}),
            "top": view_png({}), "bottom": view_png({})}
    active = (ProductMultiviewRevision.product_idea_id == pid, ProductMultiviewRevision.is_active.is_(True))
    with read_session() as s:
        users = {r.view_type: r.user_id for r in s.exec(select(ProductMultiviewRevision).where(*active)).all()}
    keys = {v: content_key(f"users/{u}/products/{pid}/views", v, pngs[v], "png") for v, u in users.items()}
    for view, key in keys.items():
        await get_storage().put(key, pngs[view], "image/png")
    with write_session() as s:
        for row in s.exec(select(ProductMultiviewRevision).where(*active)).all():
            row.image_key = keys[row.view_type]
            s.add(row)
    return pngs


def seed_analysis(product_id: uuid.UUID, user_id: int, views: dict[str, dict[str, Any]] | None = None,
                  revision_number: int = 0) -> None:
    """The Base views step's output: the V2 document of the revision with an analysis per view."""
    views = {"front": front_analysis(), "back": back_analysis()} if views is None else views
    with write_session() as s:
        s.add(ProductTechPackV2(
            user_id=user_id, product_idea_id=product_id, revision_number=revision_number, category="Bags",
            views={v: {"analysis_id": str(uuid.uuid4()), "image_hash": "0" * 64, "confidence": 0.8, "fields": a}
                   for v, a in views.items()},
        ))


@pytest.fixture
def fakes(app_env):
    set_providers(fake_providers(FakeImage()))  # v2_images: the offline provider (default)
    yield
    set_providers(None)


async def ready_product(jobs, make_user) -> tuple[int, uuid.UUID, dict[str, bytes]]:
    user = make_user()
    pid = await product_with_views(jobs, user)
    pngs = await paint_views(pid)
    seed_analysis(pid, user)
    return user, pid, pngs


async def submit_and_run(jobs, start, user: int, pid: uuid.UUID):
    submitted = await asyncio.to_thread(start, user, pid, uuid.uuid4().hex)
    await jobs.drain()
    return jobs.done(submitted.job_id)


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float32)


async def blob(key: str) -> bytes:
    return await get_storage().get(key)


def holds(user: int) -> list[CreditHold]:
    with read_session() as s:
        return list(s.exec(select(CreditHold).where(CreditHold.user_id == user)).all())


# ------------------------------------------------------------------------------------------------ close-ups


async def test_close_ups_are_crops_of_their_regions_stored_in_order(fakes, jobs, make_user):
    user, pid, pngs = await ready_product(jobs, make_user)
    before = credits.balance(user_id=user)

    done = await submit_and_run(jobs, start_close_ups, user, pid)

    assert done.ok, done.message
    assert before - credits.balance(user_id=user) == 300 and done.charged == 300
    batch = latest_close_ups(user, pid)
    assert batch is not None and batch.batch_id == done.result["batch_id"] and batch.revision_number == 0
    shots = batch.shots
    assert 6 <= len(shots) <= 10 and [s.position for s in shots] == list(range(len(shots)))
    titles = [s.title for s in shots]
    assert {"Zipper closure", "Magnetic snap", "Top stitching", "Woven label", "Care label"} <= set(titles)
    assert titles.index("Zipper closure") < titles.index("Top stitching") < titles.index("Woven label")
    for shot in shots:
        image = await blob(shot.image_key)
        assert image.startswith(b"\x89PNG") and Image.open(io.BytesIO(image)).size == (768, 768)
        thumb = Image.open(io.BytesIO(await blob(shot.thumbnail_key)))
        assert thumb.format == "WEBP" and max(thumb.size) <= 256
        # the close-up shows exactly the pixels around its region of the source view
        x0, y0, x1, y1 = shot.crop
        assert x0 <= shot.region[0] < shot.region[2] <= x1 or shot.region[2] - shot.region[0] > x1 - x0
        source = decode(pngs[shot.source_view])[y0:y1, x0:x1]
        closeup = decode(image)
        assert np.abs(closeup.mean(axis=(0, 1)) - source.mean(axis=(0, 1))).max() < 6, shot.title
        assert shot.analysis["colors"] and shot.analysis["texture"] and shot.analysis["source_view"] == shot.source_view
    by_title = {s.title: s for s in shots}
    for title, (view, patch) in {"Zipper closure": ("front", "zip"), "Magnetic snap": ("front", "snap"),
                                 "Top stitching": ("front", "stitch"), "Woven label": ("front", "label"),
                                 "Care label": ("back", "care")}.items():
        shot = by_title[title]
        patches = FRONT_PATCHES if view == "front" else BACK_PATCHES
        assert shot.source_view == view and shot.focus in ("closure", "stitching", "label", "hardware")
        region, color = patches[patch]
        assert shot.region == tuple(px(region))
        x0, y0, x1, y1 = shot.crop  # pixels of the source view shown by the close-up
        cx = ((region[0] + region[2]) / 2 * SIZE - x0) / (x1 - x0) * 768
        cy = ((region[1] + region[3]) / 2 * SIZE - y0) / (y1 - y0) * 768
        centre = decode(await blob(shot.image_key))[round(cy) - 6:round(cy) + 6, round(cx) - 6:round(cx) + 6]
        assert np.abs(centre.mean(axis=(0, 1)) - np.array(color)).max() < 12, title  # the detail's own color
    with read_session() as s:
        doc = s.exec(select(ProductTechPackV2).where(ProductTechPackV2.product_idea_id == pid)).one()
        assert doc.steps["close_ups"]["status"] == "done"
    assert_invariant(user)

    again = await submit_and_run(jobs, start_close_ups, user, pid)  # a re-run makes a new batch
    assert again.ok and latest_close_ups(user, pid).batch_id == again.result["batch_id"] != batch.batch_id
    with read_session() as s:
        assert len({r.batch_id for r in s.exec(select(ProductCloseupImage)).all()}) == 2
    assert latest_close_ups(make_user("other@example.com"), pid) is None


# ------------------------------------------------------------------------------------------------ sketches


async def test_sketches_have_line_drawings_callouts_and_dimensions(fakes, jobs, make_user):
    user, pid, _pngs = await ready_product(jobs, make_user)
    before = credits.balance(user_id=user)

    done = await submit_and_run(jobs, start_sketches, user, pid)

    assert done.ok, done.message
    assert before - credits.balance(user_id=user) == 300
    sketches = latest_sketches(user, pid)
    assert sketches is not None and [s.view_type for s in sketches.sketches] == ["front", "back", "side"]
    for sketch in sketches.sketches:
        gray = np.asarray(Image.open(io.BytesIO(await blob(sketch.image_key))).convert("L"))
        assert gray.shape == (sketch.height_px, sketch.width_px)
        assert (gray >= 200).mean() > 0.9 and (gray < 80).mean() > 0.003, sketch.view_type  # white, dark lines
        root = ET.fromstring(await blob(sketch.svg_key))
        ns = {"s": "http://www.w3.org/2000/svg"}
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("width") == str(sketch.width_px)
        image = root.find("s:image", ns)
        assert image is not None and image.get("href").startswith("data:image/png;base64,")
        callouts = root.find("s:g[@id='callouts']", ns)
        dims = root.find("s:g[@id='dimensions']", ns)
        numbers = [t.text for t in callouts.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "number"]
        assert numbers == [str(n) for n in range(1, len(sketch.callouts) + 1)] and numbers
        values = [t.text for t in dims.iter("{http://www.w3.org/2000/svg}text")]
        across = "120 mm" if sketch.view_type == "side" else "400 mm"
        assert sorted(values) == sorted([across, "380 mm"]), values
        assert {m["label"] for m in sketch.measurements} == {"depth" if sketch.view_type == "side" else "width", "height"}
        assert "<svg" in sketch.overlay_svg and "data:image" not in sketch.overlay_svg
    front = sketches.sketches[0]
    gray = np.asarray(Image.open(io.BytesIO(await blob(front.image_key))).convert("L"))
    ys, xs = np.nonzero(gray < 128)
    ink = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    label = next(c for c in front.callouts if c["label"] == "woven label")
    region = FRONT_PATCHES["label"][0]
    want = ((region[0] + region[2]) / 2 - BODY[0]) / (BODY[2] - BODY[0]), ((region[1] + region[3]) / 2 - BODY[1]) / (BODY[3] - BODY[1])
    got = (label["anchor"][0] - ink[0]) / (ink[2] - ink[0]), (label["anchor"][1] - ink[1]) / (ink[3] - ink[1])
    assert abs(got[0] - want[0]) < 0.03 and abs(got[1] - want[1]) < 0.03  # points at the label
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(ProductTechSketch)).one() == 3
    assert_invariant(user)


# ------------------------------------------------------------------------------------------------ refusals


class Failing:
    name, model = "failing", "failing-1"

    async def closeup(self, request):
        raise ProviderError("The image service is unavailable.", provider=self.name, retryable=True)

    sketch = closeup


async def test_sketches_draw_the_views_a_photo_product_has(fakes, jobs, make_user):
    """A product started from photos (front and side, no back) gets a front and a side sketch."""
    from genpire_app.backend.db.models import ProductMultiviewRevision

    user, pid, _pngs = await ready_product(jobs, make_user)
    with write_session() as s:
        for row in s.exec(select(ProductMultiviewRevision).where(ProductMultiviewRevision.product_idea_id == pid,
                                                                 ProductMultiviewRevision.view_type == "back")).all():
            s.delete(row)  # as if it had never been uploaded
    before = credits.balance(user_id=user)
    done = await submit_and_run(jobs, start_sketches, user, pid)
    assert done.ok, done.message
    assert before - credits.balance(user_id=user) == 300
    assert [s.view_type for s in latest_sketches(user, pid).sketches] == ["front", "side"]


def v2_files(data_dir) -> list[str]:
    return [str(p) for p in (data_dir / "storage").rglob("*") if p.is_file() and "/v2/" in str(p)]


@pytest.mark.parametrize("start", [start_close_ups, start_sketches])
@pytest.mark.parametrize("failing", ["provider", "store"])
async def test_failure_releases_the_hold_and_leaves_nothing(fakes, jobs, make_user, app_env, monkeypatch, start, failing):
    user, pid, _ = await ready_product(jobs, make_user)
    before = credits.balance(user_id=user)
    written: list[int] = []
    if failing == "provider":
        set_providers(replace(get_providers(), v2_images=Failing()))
    else:  # after the files were written: they are deleted again
        def broken(*args, **kwargs):
            written.append(len(v2_files(app_env)))
            raise RuntimeError("database hiccup")

        monkeypatch.setattr(start.__module__ + ".mark_step", broken)

    done = await submit_and_run(jobs, start, user, pid)

    assert done.status == "failed" and "returned" in done.message
    if failing == "provider":
        assert "image service is unavailable" in done.message
    else:
        assert written and written[0] >= 6  # PNGs (+ thumbnails or SVGs) existed before the failure
    assert credits.balance(user_id=user) == before
    assert [h.status for h in holds(user) if h.operation.startswith("v2_")] == ["released"]
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(ProductCloseupImage)).one() == 0
        assert s.exec(select(func.count()).select_from(ProductTechSketch)).one() == 0
    assert v2_files(app_env) == []
    assert_invariant(user)


@pytest.mark.parametrize("start", [start_close_ups, start_sketches])
async def test_another_users_product_is_not_found_and_nothing_is_held(fakes, jobs, make_user, start):
    _owner, pid, _ = await ready_product(jobs, make_user)
    other = make_user("other@example.com")
    with pytest.raises(OperationError) as err:
        await asyncio.to_thread(start, other, pid, uuid.uuid4().hex)
    assert err.value.code == "not_found"
    assert holds(other) == [] and credits.balance(user_id=other) == 2000 and jobs.pending == []


@pytest.mark.parametrize("start", [start_close_ups, start_sketches])
async def test_without_base_view_analysis_it_is_refused(fakes, jobs, make_user, start):
    user = make_user()
    pid = await product_with_views(jobs, user)
    before = credits.balance(user_id=user)
    with pytest.raises(OperationError) as err:
        await asyncio.to_thread(start, user, pid, uuid.uuid4().hex)
    assert (err.value.code, err.value.message) == ("invalid_state", "Analyze the base views first.")
    assert credits.balance(user_id=user) == before
    assert not [h for h in holds(user) if h.operation.startswith("v2_")]


async def test_close_ups_and_sketches_may_run_side_by_side(fakes, jobs, make_user):
    user, pid, _ = await ready_product(jobs, make_user)
    before = credits.balance(user_id=user)
    first = await jobs.submit("v2_close_ups", user, CloseUpsPlan(product_id=pid))
    second = await jobs.submit("v2_sketches", user, SketchesPlan(product_id=pid))  # not "busy"
    await jobs.drain()
    assert jobs.done(first.job_id).ok and jobs.done(second.job_id).ok
    assert before - credits.balance(user_id=user) == 600
