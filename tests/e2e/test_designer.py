"""The AI Designer in the browser (issue 3): chat edit of all views, edit of one view, annotation
micro-edit, revision history and rollback, a tech pack for an older revision, SVG download, notifications
and the activity log — with the balance exactly as priced after each step.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.test_journeys import IDEA, SLOW, balance, expect_five_views, sign_up

pytestmark = pytest.mark.e2e
VIEWS = ("Front", "Back", "Side", "Top", "Bottom")


def view_bytes(page) -> dict[str, bytes]:
    """The image bytes of the five active views as the grid shows them."""
    out = {}
    for name in VIEWS:
        src = page.get_by_role("img", name=f"{name} view", exact=True).get_attribute("src")
        resp = page.request.get(src)
        assert resp.ok, src
        out[name] = resp.body()
    return out


def dominant_color(png: bytes) -> tuple[int, int, int]:
    img = Image.open(io.BytesIO(png)).convert("RGB").resize((128, 128))
    pixels = [p for p in img.getdata() if not all(c > 235 for c in p)]
    buckets: dict[tuple[int, int, int], int] = {}
    for r, g, b in pixels:
        key = (r // 32, g // 32, b // 32)
        buckets[key] = buckets.get(key, 0) + 1
    top = max(buckets, key=buckets.get)
    members = [p for p in pixels if (p[0] // 32, p[1] // 32, p[2] // 32) == top]
    return tuple(sum(c[i] for c in members) // len(members) for i in range(3))  # type: ignore[return-value]


def wait_revision(page, number: int) -> None:
    expect(page.get_by_text(f"Revision {number}", exact=True).first).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("button", name="Send")).to_be_enabled(timeout=SLOW)


def test_chat_edit_annotate_rollback_tech_pack_and_svg(page, tmp_path):
    sign_up(page)
    page.get_by_label("Product idea").fill(IDEA)
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("img", name="Front view", exact=True)).to_be_visible(timeout=SLOW)
    page.get_by_role("button", name="Approve & Generate All Views").click()
    expect_five_views(page)
    expect(balance(page)).to_have_text("17 credits", timeout=SLOW)
    revision0 = view_bytes(page)
    page.shots("revision-0")

    # 1. Chat edit of every view (2 credits) -> revision 1, the front is measurably red.
    for name in VIEWS:
        expect(page.get_by_role("checkbox", name=name, exact=True)).to_be_checked()
    page.get_by_label("Message").fill("Change the color to red")
    page.get_by_role("button", name="Send").click()
    wait_revision(page, 1)
    expect(balance(page)).to_have_text("15 credits", timeout=SLOW)
    expect_five_views(page)
    revision1 = view_bytes(page)
    r, g, b = dominant_color(revision1["Front"])
    assert r > 150 and g < 90 and b < 90, (r, g, b)
    assert all(revision1[v] != revision0[v] for v in VIEWS)
    expect(page.get_by_role("log", name="Chat history")).to_contain_text("Revision 1")
    page.shots("revision-1-red")

    # 2. Edit only the side view (0.5 credit) -> revision 2; the other four are byte-identical.
    for name in ("Front", "Back", "Top", "Bottom"):
        page.get_by_role("checkbox", name=name, exact=True).click()
    expect(page.get_by_role("checkbox", name="Side", exact=True)).to_be_checked()
    page.get_by_label("Message").fill("Make the straps brown")
    page.get_by_role("button", name="Send").click()
    wait_revision(page, 2)
    expect(balance(page)).to_have_text("14.5 credits", timeout=SLOW)
    expect_five_views(page)
    revision2 = view_bytes(page)
    assert revision2["Side"] != revision1["Side"]
    for name in ("Front", "Back", "Top", "Bottom"):
        assert revision2[name] == revision1[name], name
    page.shots("revision-2-side")

    # 3. Annotate the front view (0.5 credit) -> revision 3.
    page.get_by_role("img", name="Front view", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Annotate").click()
    canvas = dialog.get_by_role("img", name=re.compile("Annotation canvas"))
    expect(canvas).to_be_visible(timeout=SLOW)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.45)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.7, steps=8)
    page.mouse.up()
    expect(canvas).to_have_attribute("aria-label", re.compile("1 mark"))
    dialog.get_by_label("Instruction").fill("Make this black")
    expect(dialog.locator("#annotation-marks")).to_have_text("1 marked", timeout=SLOW)
    page.shots("annotate")
    dialog.get_by_role("button", name="Submit annotation").click()
    expect(dialog).to_be_hidden(timeout=SLOW)
    wait_revision(page, 3)
    expect(balance(page)).to_have_text("14 credits", timeout=SLOW)
    expect_five_views(page)
    revision3 = view_bytes(page)
    assert revision3["Front"] != revision2["Front"]
    assert all(revision3[v] == revision2[v] for v in ("Back", "Side", "Top", "Bottom"))
    page.shots("revision-3-annotated")

    # 4. Roll back to revision 1 (free): the grid shows revision 1's images.
    page.get_by_role("button", name="Revision history").click()
    history = page.get_by_role("dialog", name="Revision history")
    for n in range(4):
        expect(history.get_by_role("listitem", name=f"Revision {n}", exact=True)).to_be_visible()
    page.shots("revision-history")
    history.get_by_role("listitem", name="Revision 1", exact=True).get_by_role("button", name="Rollback").click()
    expect(history.get_by_role("listitem", name="Revision 4", exact=True)).to_be_visible(timeout=SLOW)
    page.keyboard.press("Escape")
    expect(history).to_be_hidden()
    expect_five_views(page)
    assert view_bytes(page) == revision1
    expect(balance(page)).to_have_text("14 credits")
    page.shots("rolled-back")

    # 5. A tech pack for revision 2 (1 credit): its page names revision 2.
    page.get_by_role("button", name="Revision history").click()
    history.get_by_role("listitem", name="Revision 2", exact=True).get_by_role("button", name="Generate Tech Pack").click()
    expect(page).to_have_url(re.compile(r"/techpacks/"), timeout=SLOW)
    expect(page.get_by_text("Revision 2").first).to_be_visible(timeout=SLOW)
    expect(balance(page)).to_have_text("13 credits", timeout=SLOW)
    page.shots("tech-pack-revision-2")

    # 6. SVG of the front view: real vector paths.
    page.get_by_role("link", name="Back to the product").click()
    expect_five_views(page)
    page.get_by_role("img", name="Front view", exact=True).click()
    with page.expect_download() as dl:
        page.get_by_role("dialog").get_by_role("button", name="Download SVG").click()
    svg_path = tmp_path / "front.svg"
    dl.value.save_as(svg_path)
    root = ET.parse(svg_path).getroot()
    assert root.tag.endswith("svg")
    paths = [el for el in root.iter() if el.tag.endswith("path")]
    assert len(paths) > 20, len(paths)
    page.keyboard.press("Escape")

    # 7. Notifications: the bell counts unread ones and clears when opened.
    expect(page.locator("#notification-count")).to_be_visible()
    page.get_by_role("button", name="Notifications").click()
    expect(page.get_by_role("listitem").filter(has_text="Edit done").first).to_be_visible(timeout=SLOW)
    page.shots("notifications")
    page.keyboard.press("Escape")
    expect(page.locator("#notification-count")).to_be_hidden(timeout=SLOW)

    # 8. Activity: every provider call is listed and can be filtered.
    page.goto("/activity")
    expect(page.get_by_role("heading", name="Activity")).to_be_visible(timeout=SLOW)
    table = page.get_by_role("table")
    expect(table).to_contain_text("ai edit", timeout=SLOW)
    expect(table).to_contain_text("tech pack")
    page.get_by_label("Operation").click()
    page.get_by_role("option", name="ai edit").click()
    expect(table.locator("tbody tr")).to_have_count(6, timeout=SLOW)  # 5 views + 1 view
    page.shots("activity")
    expect(balance(page)).to_have_text("13 credits")
    assert not page.js_errors, page.js_errors


def test_annotating_a_photographic_view_survives_the_websocket(page, fixtures):
    """A photo-based front view exports as a multi-megabyte PNG data URL; it must reach the server."""
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
    dialog.get_by_role("button", name="Submit annotation").click()
    expect(dialog).to_be_hidden(timeout=SLOW)
    wait_revision(page, 1)
    expect(balance(page)).to_have_text("16.5 credits", timeout=SLOW)
    page.shots("photo-annotated")
