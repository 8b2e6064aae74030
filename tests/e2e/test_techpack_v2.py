"""Tech Pack V2 in the browser (issue 10 "Done means"): a product started from photos (front and side) goes
through the stepper: Detect category (free) -> Analyze base views (3 credits) -> Generate close-ups (3 credits,
6-10 shown) -> Generate sketches (3 credits, callouts visible and toggleable) -> Review: a field edited by instruction
(1 credit), a view regenerated (1 credit, the edit kept), the PDF with vector callouts on its sketch pages and
the close-ups; the balance is exact after each step."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.journeys import SLOW, balance, sign_up

pytestmark = pytest.mark.e2e


def start_from_photos(page, fixtures) -> None:
    """Dashboard -> "Start from photos" with a front and a side photo -> the product's AI Designer."""
    page.get_by_role("tab", name="Start from photos").click()
    page.get_by_label("Product name").fill("Espresso cup")
    page.get_by_label("Front photo").set_input_files(str(fixtures["photo"]))
    expect(page.get_by_text("coffee-cup-photo.png · 600×400px")).to_be_visible(timeout=SLOW)
    page.get_by_label("Side photo").set_input_files(str(fixtures["photo"]))
    expect(page.get_by_text("coffee-cup-photo.png · 600×400px")).to_have_count(2, timeout=SLOW)
    page.get_by_role("button", name="Create product").click()
    expect(page).to_have_url(re.compile(r"/ai-designer\?projectId="), timeout=SLOW)


def test_from_photos_through_every_step_with_exact_balances(page, fixtures):
    sign_up(page)
    start_from_photos(page, fixtures)
    page.get_by_role("link", name="Open Tech Pack V2").click()
    expect(page).to_have_url(re.compile(r"/tech-pack-v2/"), timeout=SLOW)
    expect(page.get_by_role("heading", name="Tech Pack V2")).to_be_visible(timeout=SLOW)
    for name in ("Category", "Base views", "Close-ups", "Sketches", "Review"):
        expect(page.get_by_role("tab", name=name)).to_be_visible()

    page.get_by_role("button", name="Detect category").click()
    expect(page.get_by_text("confident")).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("textbox", name="Category", exact=True)).to_have_value("Drinkware")  # a coffee cup
    expect(balance(page)).to_have_text("20 credits")  # free
    page.shots("category")

    page.get_by_role("tab", name="Base views").click()
    page.get_by_role("button", name="Analyze base views").click()
    views = page.get_by_role("list", name="Analysed views").get_by_role("listitem")
    expect(views).to_have_count(2, timeout=SLOW)
    expect(views.first).to_contain_text("%")
    expect(balance(page)).to_have_text("17 credits", timeout=SLOW)
    page.shots("base-views")

    page.get_by_role("tab", name="Close-ups").click()
    page.get_by_role("button", name="Generate close-ups").click()
    shots = page.get_by_role("list", name="Close-ups").get_by_role("listitem")
    expect(shots.first).to_be_visible(timeout=SLOW)
    assert 6 <= shots.count() <= 10, shots.count()
    expect(balance(page)).to_have_text("14 credits", timeout=SLOW)
    page.shots("close-ups")

    page.get_by_role("tab", name="Sketches").click()
    page.get_by_role("button", name="Generate sketches").click()
    sketches = page.get_by_role("list", name="Technical sketches").get_by_role("listitem")
    expect(sketches).to_have_count(2, timeout=SLOW)  # front and side: the product has no back photo
    expect(page.get_by_role("img", name="Front callouts")).to_be_visible()
    expect(balance(page)).to_have_text("11 credits", timeout=SLOW)
    page.shots("sketches-callouts")
    page.get_by_role("checkbox", name="Show callouts").click()
    expect(page.get_by_role("img", name="Front callouts")).to_have_count(0)
    page.get_by_role("checkbox", name="Show callouts").click()
    expect(page.get_by_role("img", name="Front callouts")).to_be_visible()

    page.get_by_role("tab", name="Review").click()
    fields = page.get_by_role("list", name="Tech pack fields").get_by_role("listitem")
    expect(fields.first).to_be_visible(timeout=SLOW)
    page.get_by_label("Field", exact=True).select_option(label="Materials · mug")
    page.get_by_label("Instruction").first.fill("change the mug to recycled stoneware")
    page.get_by_role("button", name="Edit field").click()
    expect(fields.filter(has_text="Recycled stoneware")).to_have_count(1, timeout=SLOW)
    expect(balance(page)).to_have_text("10 credits", timeout=SLOW)

    page.get_by_label("View", exact=True).select_option(label="Side")
    page.get_by_label("Instruction").nth(1).fill("show the handle more clearly")
    page.get_by_role("button", name="Regenerate view").click()
    expect(balance(page)).to_have_text("9 credits", timeout=SLOW)  # 9 for the steps + 2 edits
    expect(page.get_by_role("tab", name="Review")).to_contain_text("Done", timeout=SLOW)
    expect(fields.filter(has_text="Recycled stoneware")).to_have_count(1, timeout=SLOW)  # the edit is kept
    page.shots("review-edited")

    page.get_by_role("button", name="Export PDF and Excel").click()
    pdf_link = page.get_by_role("link", name="Download PDF")
    expect(pdf_link).to_be_visible(timeout=SLOW)
    with page.expect_download() as download:
        pdf_link.click()
    reader = PdfReader(download.value.path())
    text = [p.extract_text() or "" for p in reader.pages]
    assert any("Close-ups" in t for t in text)
    sketch_pages = [t for t in text if "Technical sketch" in t]
    assert len(sketch_pages) == 2, len(sketch_pages)  # front and side
    for t in sketch_pages:  # the callouts and dimension lines are vector text, not pixels
        assert re.search(r"\b\d+ mm\b", t) and re.search(r"(^|\s)1(\s|$)", t), t[:300]
    assert sum(len(p.images) for p in reader.pages) >= 8  # views, close-ups and drawings
    expect(balance(page)).to_have_text("9 credits")  # the export is free
    assert not page.js_errors, page.js_errors
