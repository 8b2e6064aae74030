"""Browser journeys shared by the embedded tier (tests/e2e) and the production tier (tests/prod).

Each journey drives one signed-up user through a whole job of the app in Chromium and asserts what the
user sees (views, balance, downloads) after every step.
"""

from __future__ import annotations

import io
import re
import uuid
import xml.etree.ElementTree as ET

from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.mail_sink import link_token

IDEA = "A minimalist canvas tote bag with leather straps and magnetic buttons"
VIEW_ALTS = ("Front view", "Back view", "Side view", "Top view", "Bottom view")
VIEWS = ("Front", "Back", "Side", "Top", "Bottom")
SLOW = 60_000


def sign_up(page) -> str:
    email = f"maker-{uuid.uuid4().hex[:10]}@example.com"
    page.goto("/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a-long-password")
    page.shots("signup-form")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"), timeout=SLOW)
    sink = getattr(page, "mail_sink", None)
    if sink is not None:  # a mail server is configured: the credits come with the verified address
        verify_email(page, sink, email)
    expect(balance(page)).to_have_text("20 credits", timeout=SLOW)
    return email


def verify_email(page, sink, email: str) -> None:
    """Before verification: no credits and the banner; then the link from the mail grants the 20 credits."""
    expect(balance(page)).to_have_text("0 credits", timeout=SLOW)
    expect(page.locator("#verify-banner")).to_contain_text("Verify your email to receive your 20 credits.",
                                                          timeout=SLOW)
    page.shots("verify-banner")
    token = link_token(sink.wait_for_mail_to(email), "/verify-email")
    page.goto(f"/verify-email?token={token}")
    expect(page.get_by_role("status")).to_contain_text("verified", timeout=SLOW)
    page.shots("email-verified")
    page.get_by_role("link", name="Go to your dashboard").click()
    expect(page.locator("#verify-banner")).to_have_count(0, timeout=SLOW)


def balance(page):
    return page.locator("#credit-balance")


def expect_five_views(page) -> None:
    for alt in VIEW_ALTS:
        img = page.get_by_role("img", name=alt, exact=True).first
        expect(img).to_be_visible(timeout=SLOW)
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle(), timeout=SLOW)


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


def main_journey(page, fixtures, tmp_path, on_signed_up=None) -> str:
    """Sign up -> idea + logo -> front view -> changes -> approve -> five views -> tech pack -> PDF and Excel,
    with the balance exactly as priced (issue 2). ``on_signed_up(page)`` runs right after sign-up (a second
    tab can join then). Returns the account's e-mail address."""
    email = sign_up(page)
    if on_signed_up is not None:
        on_signed_up(page)
    page.get_by_label("Product idea").fill(IDEA)
    page.get_by_label("Logo").set_input_files(str(fixtures["logo"]))
    expect(page.get_by_text("brand-logo.png")).to_be_visible(timeout=SLOW)
    page.shots("dashboard-filled")
    page.get_by_role("button", name="Create product").click()

    expect(page).to_have_url(re.compile(r"/ai-designer\?projectId="), timeout=SLOW)
    front = page.get_by_role("img", name="Front view", exact=True)
    expect(front).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("button", name="V1", exact=True)).to_be_visible()
    expect(balance(page)).to_have_text("19 credits", timeout=SLOW)
    page.shots("front-view-v1")

    page.get_by_role("button", name="Request Changes").click()
    page.get_by_label("Feedback").fill("Make the straps brown")
    page.shots("request-changes")
    page.get_by_role("button", name="Regenerate", exact=True).click()
    expect(page.get_by_role("button", name="V2", exact=True)).to_be_visible(timeout=SLOW)
    expect(balance(page)).to_have_text("18 credits", timeout=SLOW)
    page.shots("front-view-v2")
    page.get_by_role("button", name="V1", exact=True).click()
    expect(page.get_by_role("button", name="V1", exact=True)).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="V2", exact=True).click()

    page.get_by_role("button", name="Approve & Generate All Views").click()
    expect(page.get_by_text("Generating all views")).to_be_visible(timeout=SLOW)
    page.shots("generating-views")
    expect_five_views(page)
    expect(balance(page)).to_have_text("16 credits", timeout=SLOW)
    page.shots("five-views")

    page.get_by_role("img", name="Side view", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("img", name="Side view (enlarged)")).to_be_visible()
    page.shots("zoom")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.get_by_role("button", name="Generate Tech Pack").click()
    expect(page).to_have_url(re.compile(r"/techpacks/"), timeout=SLOW)
    expect(page.get_by_role("heading", name="Materials (BOM)")).to_be_visible(timeout=SLOW)
    expect(balance(page)).to_have_text("15 credits", timeout=SLOW)
    for heading in ("Overview", "Color palette", "Sizes and dimensions", "Construction", "Hardware", "Packaging",
                    "Quality standards", "Production notes"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_text("Revision 0").first).to_be_visible()
    product_name = page.get_by_role("heading", level=1).inner_text().strip()
    materials = page.locator("table").first.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert materials, "the materials table is empty"
    page.shots("tech-pack")

    with page.expect_download() as dl:
        page.get_by_role("button", name="Download PDF").click()
    pdf_path = tmp_path / "techpack.pdf"
    dl.value.save_as(pdf_path)
    assert dl.value.suggested_filename.endswith(".pdf")
    text = " ".join((p.extract_text() or "") for p in PdfReader(str(pdf_path)).pages)
    flat = re.sub(r"\s+", " ", text)
    assert product_name in flat
    for material in materials:
        assert material.split()[0] in flat, f"material {material!r} missing from the PDF"

    with page.expect_download() as dl:
        page.get_by_role("button", name="Download Excel").click()
    xlsx_path = tmp_path / "techpack.xlsx"
    dl.value.save_as(xlsx_path)
    book = load_workbook(io.BytesIO(xlsx_path.read_bytes()))
    assert "Materials" in book.sheetnames
    sheet_materials = [row[1] for row in book["Materials"].iter_rows(min_row=2, values_only=True) if row[1]]
    assert sheet_materials == materials

    with page.expect_download(timeout=120_000) as dl:  # a view traced to vector paths (free; issue 10 item 7)
        page.get_by_role("button", name=re.compile(r"^Download SVG of the front", re.I)).click()
    svg = ET.fromstring(open(dl.value.path(), "rb").read())
    assert svg.tag.endswith("svg") and any(el.tag.endswith("path") for el in svg.iter())

    expect(balance(page)).to_have_text("15 credits")
    page.shots("done")
    assert not page.js_errors, page.js_errors
    return email


def designer_journey(page, tmp_path, on_signed_up=None) -> str:
    """The AI Designer (issue 3): chat edit of all views, edit of one view, annotation micro-edit, revision
    history and rollback, a tech pack for an older revision, SVG download, notifications and activity.
    ``on_signed_up(page)`` runs right after sign-up. Returns the account's e-mail address."""
    email = sign_up(page)
    if on_signed_up is not None:
        on_signed_up(page)
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
    return email
