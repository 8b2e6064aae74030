"""The 3D models journey (issue 8 "Done means"), shared by the embedded browser tier (``tests/e2e``) and the
production topology (``tests/prod``): an approved product with a tech pack gets a 3D model from the offline
provider (reconstruction on the queue, finished through our own Meshy webhook route); the card changes by
itself; the viewer renders it; five formats download by a real click and load with the tech pack's size;
the AI Designer opens the same viewer; versions are made, activated and deleted; a collection gets its own
model. The balance is exact after each step."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import uuid
import zipfile

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.journeys import SLOW, balance, expect_five_views, sign_up


def approved_product_with_tech_pack(page) -> tuple[str, str, dict[str, float]]:
    """Sign up, create and approve a mug, generate its tech pack (17 -> 16 credits); return the e-mail, the
    AI Designer's URL and the tech pack's Width/Height/Depth in millimetres (its first size)."""
    email = sign_up(page)
    page.get_by_label("Product idea").fill("A ceramic coffee mug with a round handle")
    page.get_by_role("button", name="Create product").click()
    expect(page).to_have_url(re.compile(r"/ai-designer\?projectId="), timeout=SLOW)
    expect(page.get_by_role("img", name="Front view", exact=True)).to_be_visible(timeout=SLOW)
    page.get_by_role("button", name="Approve & Generate All Views").click()
    expect_five_views(page)
    expect(balance(page)).to_have_text("17 credits", timeout=SLOW)
    expect(page.get_by_role("button", name="Generate 3D")).to_be_visible()  # no model yet: no "View 3D"
    expect(page.get_by_role("button", name="View 3D")).to_have_count(0)
    page.shots("designer-generate-3d")
    designer = page.url
    page.get_by_role("button", name="Generate Tech Pack").click()
    expect(page).to_have_url(re.compile(r"/techpacks/"), timeout=SLOW)
    table = page.get_by_role("table", name="Measurements")
    expect(table.locator("tbody tr").first).to_be_visible(timeout=SLOW)
    expect(balance(page)).to_have_text("16 credits", timeout=SLOW)
    dims: dict[str, float] = {}
    for row in table.locator("tbody tr").all():
        size, name, value = (c.strip() for c in row.locator("td").all_inner_texts()[:3])
        if name in ("Width", "Height", "Depth") and name not in dims:
            dims[name] = float(value.removesuffix(" mm"))
    assert set(dims) == {"Width", "Height", "Depth"}, dims
    return email, designer, dims


def proportions(values) -> list[float]:
    top = max(values)
    return [v / top for v in values]


def grant_credits(env: dict[str, str], email: str, amount: int) -> None:
    """Give the account ``amount`` hundredths of a credit (a promo grant, its own reference each time: a
    grant with a reference already used is not made twice) in the server's database; ``env``: the server's
    database settings (``DATA_DIR`` and ``DATABASE_URL``)."""
    code = ("import sys; from sqlmodel import select; from genpire_app.backend.db.engine import read_session; "
            "from genpire_app.backend.db.account_models import LocalUser; from genpire_app.backend.services import credits; "
            "s = read_session().__enter__(); uid = s.exec(select(LocalUser.id).where(LocalUser.username == sys.argv[1])).one(); "
            "credits.grant(user_id=uid, source='promo', amount=int(sys.argv[2]), source_ref='e2e-topup:' + sys.argv[1] + ':' + sys.argv[3])")
    subprocess.run([sys.executable, "-c", code, email, str(amount), uuid.uuid4().hex], check=True, timeout=60,
                   env={**os.environ, **env})


def non_background_share(png: bytes) -> float:
    im = Image.open(io.BytesIO(png)).convert("RGB").resize((160, 120))
    corner = im.getpixel((2, 2))
    pixels = list(im.getdata())
    return sum(1 for p in pixels if max(abs(a - b) for a, b in zip(p, corner)) > 24) / len(pixels)


def models3d_journey(page, tmp_path, env: dict[str, str]) -> str:
    """The whole journey on ``page``; ``env`` reaches the server's database (:func:`grant_credits`).
    Returns the account's e-mail."""
    import trimesh

    email, designer, dims = approved_product_with_tech_pack(page)
    page.get_by_role("link", name="3D models").first.click()
    expect(page.get_by_role("heading", name="3D models")).to_be_visible(timeout=SLOW)
    card = page.get_by_role("list", name="3D models").get_by_role("listitem").first
    card.get_by_role("button", name="Generate 3D").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("10 credits")
    page.shots("confirm-generate")
    dialog.get_by_role("button", name="Generate 3D").click()
    expect(balance(page)).to_have_text("6 credits", timeout=SLOW)  # held at start
    expect(card.get_by_role("button", name="View 3D")).to_be_visible(timeout=120_000)  # without a reload
    expect(balance(page)).to_have_text("6 credits")  # captured, not charged twice
    page.shots("model-ready")

    card.get_by_role("button", name="View 3D").click()
    viewer = page.get_by_role("img", name="3D model")
    expect(viewer).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("Loading 3D model…")).to_have_count(0, timeout=SLOW)
    shot = viewer.screenshot()
    (tmp_path / "viewer.png").write_bytes(shot)
    page.shots("viewer")
    assert non_background_share(shot) > 0.05

    loaded = {}
    for fmt in ("GLB", "STL", "OBJ", "3MF", "USDZ"):
        link = page.get_by_role("link", name=f"Download {fmt}")
        expect(link).to_be_visible(timeout=120_000)  # exports are converted once on the queue
        expect(link).to_be_in_viewport()  # the full-screen dialog fits the window
        with page.expect_download() as download:  # a real click saves the file (the tab's cookie)
            link.click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        assert path.suffix.lower() == "." + {"OBJ": "zip"}.get(fmt, fmt.lower()), path.name
        loaded[fmt] = path
    expect(page).to_have_url(re.compile(r"/3d-models$"))  # still on the gallery
    glb = trimesh.load(loaded["GLB"], force="mesh")
    stl = trimesh.load(loaded["STL"])
    with zipfile.ZipFile(loaded["OBJ"]) as z:
        assert any(n.endswith(".obj") for n in z.namelist())
        obj_name = next(n for n in z.namelist() if n.endswith(".obj"))
        z.extractall(tmp_path / "obj")
    obj = trimesh.load(tmp_path / "obj" / obj_name, force="mesh")
    mf = trimesh.load(loaded["3MF"], force="mesh")
    assert glb.is_watertight and len(glb.faces) > 1000
    from pxr import Usd, UsdGeom

    stage = Usd.Stage.Open(str(loaded["USDZ"]))
    assert any(p.IsA(UsdGeom.Mesh) for p in stage.Traverse())
    usd_box = UsdGeom.BBoxCache(Usd.TimeCode.Default(), [UsdGeom.Tokens.default_]).ComputeWorldBound(
        stage.GetPseudoRoot()).ComputeAlignedRange().GetSize()
    # The tech pack's proportions in every format, and its size: GLB in metres and USDZ in millimetres, Y up
    # (x width, y height, z depth); OBJ, STL and 3MF in millimetres, Z up (x width, y depth, z height).
    want = [dims["Width"], dims["Height"], dims["Depth"]]
    for label, extents, order, unit in (("GLB", glb.extents, (0, 1, 2), 1000), ("USDZ", list(usd_box), (0, 1, 2), 1),
                                        ("OBJ", obj.extents, (0, 2, 1), 1), ("STL", stl.extents, (0, 2, 1), 1),
                                        ("3MF", mf.extents, (0, 2, 1), 1)):
        got = [extents[i] * unit for i in order]
        assert all(abs(a - b) <= 0.05 * b for a, b in zip(proportions(got), proportions(want))), (label, got, want)
        assert got == pytest.approx(want, rel=0.05), (label, got, want)
    page.keyboard.press("Escape")

    # The AI Designer now offers "View 3D" and opens the same viewer.
    page.goto(designer)
    page.get_by_role("button", name="View 3D").click()
    expect(page.get_by_role("img", name="3D model")).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("link", name="Download STL")).to_be_visible(timeout=SLOW)
    page.shots("designer-viewer")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    expect(page.get_by_role("link", name="Download STL")).to_be_in_viewport()
    page.shots("designer-viewer-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.keyboard.press("Escape")

    # Regenerate -> version 2 active; set version 1 active; delete version 2.
    grant_credits(env, email, 500)  # 6 + 5 = 11 credits: enough for a second model
    page.get_by_role("link", name="3D models").first.click()
    expect(balance(page)).to_have_text("11 credits", timeout=SLOW)
    card.get_by_role("button", name="Regenerate").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Generate 3D").click()
    expect(balance(page)).to_have_text("1 credit", timeout=SLOW)
    expect(card.get_by_role("button", name="Versions")).to_be_visible(timeout=120_000)
    expect(card).to_contain_text("2 version(s)", timeout=120_000)
    card.get_by_role("button", name="Versions").click()
    versions = page.get_by_role("list", name="Versions").get_by_role("listitem")
    expect(versions).to_have_count(2)
    expect(versions.first).to_contain_text("Active")  # version 2, newest first
    page.shots("versions")
    versions.nth(1).get_by_role("button", name="Set as active").click()
    expect(versions.nth(1)).to_contain_text("Active", timeout=SLOW)
    versions.first.get_by_role("button", name="Delete version").click()
    expect(versions).to_have_count(1, timeout=SLOW)
    expect(versions.first).to_contain_text("Version 1")
    expect(versions.first.get_by_role("button", name="Delete version")).to_have_count(0)  # never the only one
    expect(balance(page)).to_have_text("1 credit")
    page.keyboard.press("Escape")

    # A collection: created here, filled with the product, its own 3D model.
    grant_credits(env, email, 1000)  # 11 credits
    page.reload()
    expect(balance(page)).to_have_text("11 credits", timeout=SLOW)
    page.get_by_role("tab", name="Collections").click()
    page.get_by_label("Collection name").fill("Spring set")
    page.get_by_role("button", name="Create collection").click()
    row = page.get_by_role("list", name="Collections").get_by_role("listitem", name="Spring set")
    expect(row).to_be_visible(timeout=SLOW)
    row.get_by_role("combobox", name="Add a product to the collection").click()
    page.get_by_role("option").first.click()
    expect(row).to_contain_text("mug", ignore_case=True, timeout=SLOW)
    row.get_by_role("button", name="Generate 3D").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Generate 3D").click()
    expect(balance(page)).to_have_text("1 credit", timeout=SLOW)
    expect(row.get_by_role("button", name="View 3D")).to_be_visible(timeout=120_000)
    page.shots("collection-model")
    row.get_by_role("button", name="View 3D").click()
    expect(page.get_by_role("img", name="3D model")).to_be_visible(timeout=SLOW)
    expect(balance(page)).to_have_text("1 credit")
    return email
