"""The AI Designer in the browser (issue 3), on the embedded default: chat edit of all views, edit of one
view, annotation micro-edit, revision history and rollback, a tech pack for an older revision, SVG
download, notifications and the activity log — with the balance exactly as priced after each step.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.journeys import SLOW, balance, designer_journey, expect_five_views, sign_up, wait_revision

pytestmark = pytest.mark.e2e


def test_chat_edit_annotate_rollback_tech_pack_and_svg(page, tmp_path):
    designer_journey(page, tmp_path)


def test_annotating_a_photographic_view_travels_by_http(page, fixtures, server):
    """A photo-based front view exports as a multi-megabyte PNG: it is uploaded over HTTP
    (``/api/uploads/annotations``), not sent over the websocket, whose message cap stays Reflex's default."""
    frames: list[int] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(len(payload))))
    sign_up(page)
    page.get_by_role("tab", name="Upload design").click()
    page.get_by_label("Design file").set_input_files(str(fixtures["photo"]))
    expect(page.get_by_text("coffee-cup-photo.png")).to_be_visible(timeout=SLOW)
    page.get_by_label("Design description").fill("A ceramic coffee cup with a saucer")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("img", name="Front view", exact=True)).to_be_visible(timeout=SLOW)
    page.get_by_role("button", name="Approve & Generate All Views").click()
    expect_five_views(page)
    page.get_by_role("img", name="Front view", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Annotate").click()
    canvas = dialog.get_by_role("img", name=re.compile("Annotation canvas"))
    expect(canvas).to_be_visible(timeout=SLOW)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.7, steps=6)
    page.mouse.up()
    dialog.get_by_label("Instruction").fill("Make this red")
    expect(dialog.get_by_role("button", name="Submit annotation")).to_be_enabled(timeout=SLOW)
    with page.expect_response(lambda r: "/api/uploads/annotations" in r.url) as upload:
        dialog.get_by_role("button", name="Submit annotation").click()
    assert upload.value.status == 200
    staged = server[1] / "storage" / upload.value.json()["key"]
    assert staged.stat().st_size > 500_000, "the photo-based view with its marks, at natural size"
    assert frames and max(frames) < 64_000, f"the websocket carried {max(frames)} bytes in one message"
    expect(dialog).to_be_hidden(timeout=SLOW)
    wait_revision(page, 1)
    expect(balance(page)).to_have_text("16.5 credits", timeout=SLOW)
    page.shots("photo-annotated")
