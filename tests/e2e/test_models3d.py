"""The 3D gallery in the browser (issue 8): an approved product gets a 3D model from the offline provider
(reconstruction on the queue, finished through our own Meshy webhook route), the card changes by itself,
the viewer renders it, the files download and load, versions can be made, activated and deleted; the
balance is exact after each step."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.journeys import SLOW, balance, expect_five_views, sign_up

pytestmark = pytest.mark.e2e


def approved_product(page) -> str:
    email = sign_up(page)
    page.get_by_label("Product idea").fill("A ceramic coffee mug with a round handle")
    page.get_by_role("button", name="Create product").click()
    expect(page).to_have_url(re.compile(r"/ai-designer\?projectId="), timeout=SLOW)
    expect(page.get_by_role("img", name="Front view", exact=True)).to_be_visible(timeout=SLOW)
    page.get_by_role("button", name="Approve & Generate All Views").click()
    expect_five_views(page)
    expect(balance(page)).to_have_text("17 credits", timeout=SLOW)
    return email


def grant_credits(data_dir, email: str, amount: int) -> None:
    """Give the account ``amount`` hundredths of a credit (a promo grant) in the server's database."""
    code = ("import sys; from sqlmodel import select; from genpire_app.backend.db.engine import read_session; "
            "from genpire_app.backend.db.account_models import LocalUser; from genpire_app.backend.services import credits; "
            "s = read_session().__enter__(); uid = s.exec(select(LocalUser.id).where(LocalUser.username == sys.argv[1])).one(); "
            "credits.grant(user_id=uid, source='promo', amount=int(sys.argv[2]), source_ref='e2e-topup:' + sys.argv[1])")
    subprocess.run([sys.executable, "-c", code, email, str(amount)], check=True, timeout=60,
                   env={**os.environ, "DATA_DIR": str(data_dir), "DATABASE_URL": ""})


def non_background_share(png: bytes) -> float:
    im = Image.open(io.BytesIO(png)).convert("RGB").resize((160, 120))
    corner = im.getpixel((2, 2))
    pixels = list(im.getdata())
    return sum(1 for p in pixels if max(abs(a - b) for a, b in zip(p, corner)) > 24) / len(pixels)


def test_generate_view_download_and_manage_versions(page, server, tmp_path):
    import trimesh

    email = approved_product(page)
    page.get_by_role("link", name="3D models").first.click()
    expect(page.get_by_role("heading", name="3D models")).to_be_visible(timeout=SLOW)
    card = page.get_by_role("list", name="3D models").get_by_role("listitem").first
    card.get_by_role("button", name="Generate 3D").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("10 credits")
    page.shots("confirm-generate")
    dialog.get_by_role("button", name="Generate 3D").click()
    expect(balance(page)).to_have_text("7 credits", timeout=SLOW)  # held at start
    expect(card.get_by_role("button", name="View 3D")).to_be_visible(timeout=120_000)  # without a reload
    expect(balance(page)).to_have_text("7 credits")  # captured, not charged twice
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
        response = page.request.get(link.get_attribute("href"))  # the link's file, with the tab's cookie
        assert response.ok, (fmt, response.status, response.text()[:200])
        assert "attachment" in response.headers.get("content-disposition", "")
        name = re.search(r'filename="([^"]+)"', response.headers["content-disposition"]).group(1)
        path = tmp_path / name
        path.write_bytes(response.body())
        loaded[fmt] = path
    glb = trimesh.load(loaded["GLB"], force="mesh")
    stl = trimesh.load(loaded["STL"])
    with zipfile.ZipFile(loaded["OBJ"]) as z:
        assert any(n.endswith(".obj") for n in z.namelist())
    mf = trimesh.load(loaded["3MF"], force="mesh")
    assert glb.is_watertight and len(glb.faces) > 1000
    # Same shape in every format (GLB in metres, Y up; STL and 3MF in millimetres, Z up).
    g = sorted(glb.extents * 1000)
    for other in (stl, mf):
        o = sorted(other.extents)
        assert all(abs(a - b) / b < 0.05 for a, b in zip(g, o)), (g, o)
    from pxr import Usd, UsdGeom

    stage = Usd.Stage.Open(str(loaded["USDZ"]))
    assert any(p.IsA(UsdGeom.Mesh) for p in stage.Traverse())
    page.keyboard.press("Escape")

    # Regenerate -> version 2 active; set version 1 active; delete version 2.
    grant_credits(server[1], email, 500)  # 7 + 5 = 12 credits: enough for a second model
    page.reload()
    expect(balance(page)).to_have_text("12 credits", timeout=SLOW)
    card.get_by_role("button", name="Regenerate").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Generate 3D").click()
    expect(balance(page)).to_have_text("2 credits", timeout=SLOW)
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
    expect(balance(page)).to_have_text("2 credits")
    assert not page.js_errors, page.js_errors
