"""The main job in the browser (issue 2): sign up -> idea -> front view -> changes -> approve -> five views
-> tech pack -> PDF and Excel, with the balance exactly as priced; plus the upload tab, a reload during
generation, and bad input.
"""

from __future__ import annotations

import io
import re
import uuid

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

pytestmark = pytest.mark.e2e

IDEA = "A minimalist canvas tote bag with leather straps and magnetic buttons"
VIEW_ALTS = ("Front view", "Back view", "Side view", "Top view", "Bottom view")
SLOW = 60_000


def sign_up(page) -> str:
    email = f"maker-{uuid.uuid4().hex[:10]}@example.com"
    page.goto("/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a-long-password")
    page.shots("signup-form")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"), timeout=SLOW)
    expect(balance(page)).to_have_text("20 credits", timeout=SLOW)
    return email


def balance(page):
    return page.locator("#credit-balance")


def expect_five_views(page) -> None:
    for alt in VIEW_ALTS:
        img = page.get_by_role("img", name=alt, exact=True).first
        expect(img).to_be_visible(timeout=SLOW)
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle(), timeout=SLOW)


def test_text_idea_to_tech_pack_downloads(page, fixtures, tmp_path):
    sign_up(page)
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

    expect(balance(page)).to_have_text("15 credits")
    page.shots("done")
    assert not page.js_errors, page.js_errors


def test_upload_design_to_five_views(page, fixtures):
    sign_up(page)
    page.get_by_role("tab", name="Upload design").click()
    page.get_by_label("Design file").set_input_files(str(fixtures["photo"]))
    expect(page.get_by_text("coffee-cup-photo.png")).to_be_visible(timeout=SLOW)
    page.get_by_label("Design description").fill("A ceramic coffee cup with a saucer")
    page.shots("upload-filled")
    page.get_by_role("button", name="Create product").click()
    expect(page).to_have_url(re.compile(r"/ai-designer\?projectId="), timeout=SLOW)
    expect(page.get_by_role("img", name="Front view", exact=True)).to_be_visible(timeout=SLOW)
    expect(balance(page)).to_have_text("19 credits", timeout=SLOW)
    page.shots("front-view")
    page.get_by_role("button", name="Approve & Generate All Views").click()
    expect_five_views(page)
    expect(balance(page)).to_have_text("17 credits", timeout=SLOW)
    page.shots("five-views")
    page.get_by_role("link", name="Dashboard").first.click()
    expect(page.get_by_role("link", name=re.compile("Ceramic Coffee Cup", re.I))).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("Views ready")).to_be_visible()
    page.shots("my-products")


def test_reload_during_generation_shows_progress_then_views(page):
    sign_up(page)
    page.get_by_label("Product idea").fill("A stainless steel water bottle with a bamboo cap")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("img", name="Front view", exact=True)).to_be_visible(timeout=SLOW)
    page.get_by_role("button", name="Approve & Generate All Views").click()
    expect(page.get_by_text("Generating all views")).to_be_visible(timeout=SLOW)
    page.reload()
    expect(page.get_by_text("Generating all views")).to_be_visible(timeout=SLOW)
    page.shots("after-reload-in-progress")
    expect_five_views(page)
    expect(balance(page)).to_have_text("17 credits", timeout=SLOW)
    page.shots("after-reload-done")


def test_bad_input_shows_clear_errors_and_costs_nothing(page, tmp_path):
    sign_up(page)
    page.get_by_role("button", name="Create product").click()
    expect(page.locator("#idea-error")).to_have_text(re.compile("Describe your product idea"), timeout=SLOW)
    expect(page.get_by_label("Product idea")).to_have_attribute("aria-invalid", "true")
    fake = tmp_path / "logo.png"
    fake.write_bytes(b"this is not an image at all, just text pretending" * 10)
    page.get_by_label("Logo").set_input_files(str(fake))
    expect(page.locator("#logo-error")).to_contain_text("not a valid PNG image", timeout=SLOW)
    page.shots("errors")
    expect(balance(page)).to_have_text("20 credits")
    expect(page.get_by_text("No products yet")).to_be_visible()


def test_pages_need_a_signed_in_user(page):
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login"), timeout=SLOW)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not right", timeout=SLOW)
    page.shots("sign-in-error")


def test_sign_out_and_back_in(page):
    email = sign_up(page)
    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"), timeout=SLOW)
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login$"), timeout=SLOW)
    page.get_by_label("Email").fill(email.upper())
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"), timeout=SLOW)
    expect(balance(page)).to_have_text("20 credits", timeout=SLOW)
    page.shots("signed-in-again")
