"""Selling and printing quick-3D models in the browser (issue 9 "Done means"): a prompt becomes concepts, a
chosen concept becomes a model; "Download Model" puts its files in the cart; "3D Print + Download Model"
configures a print whose price rises when its size doubles; a credit pack joins them; one test checkout
makes ONE order with all three; the balance grows by the pack; the print's scaled model (a new version made
after payment) has the target bounding box within 1%; a second user buys the first user's public model
from its read-only page and downloads it. "Skip concept" goes straight from an image to a model."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from genpire_app.backend.services.mesh_analysis import analyse
from tests.browser import open_page, results_folder
from tests.journeys import SLOW, balance, sign_up

pytestmark = pytest.mark.e2e
MODEL_WAIT = 150_000  # the offline reconstruction runs on the 3D queue


def _cents(text: str) -> int:
    """"$1,234.56" -> 123456."""
    digits = re.sub(r"[^0-9]", "", text)
    return int(digits)


def _model_from_prompt(page) -> str:
    """Text -> two concepts -> the first chosen -> the free 3D model; returns the asset page's URL."""
    page.goto("/quick-3d")
    page.get_by_label("Prompt").fill("A small owl figurine standing on a round base")
    page.get_by_role("button", name="Generate").click()
    expect(page).to_have_url(re.compile(r"/assets/"), timeout=SLOW)
    concepts = page.get_by_role("group", name="Concepts").get_by_role("button")
    expect(concepts).to_have_count(2, timeout=SLOW)
    concepts.first.click()
    expect(concepts.first).to_have_attribute("aria-pressed", "true", timeout=SLOW)
    page.get_by_role("button", name="Generate 3D Model").click()
    expect(page.get_by_role("img", name="3D model")).to_be_visible(timeout=MODEL_WAIT)
    return page.url


def _price(page) -> int:
    total = page.locator("#print-total")
    expect(total).to_have_text(re.compile(r"^\$"), timeout=SLOW)
    return _cents(total.inner_text())


def test_models_prints_and_packs_in_one_order_then_a_second_user_buys_the_public_model(page, server, browser,
                                                                                        request):
    sign_up(page)
    asset_url = _model_from_prompt(page)
    expect(balance(page)).to_have_text("19 credits", timeout=SLOW)  # concepts 1 credit, the first model free
    page.shots("model-ready")

    # "Download Model": the files into the cart, and the cart opens
    page.get_by_role("button", name="Download Model", exact=True).click()
    expect(page).to_have_url(re.compile(r"/cart$"), timeout=SLOW)
    lines = page.get_by_role("list", name="Cart items").get_by_role("listitem")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("3D model files")

    # "3D Print + Download Model": configure; doubling the size raises the price
    page.goto(asset_url)
    page.get_by_role("button", name="3D Print + Download Model").click()
    expect(page).to_have_url(re.compile(r"/print/"), timeout=SLOW)
    expect(page.get_by_label("Technology")).to_have_value("FDM", timeout=SLOW)
    page.get_by_label("Material").select_option("PLA")
    page.get_by_label("Quantity").fill("2")
    width = page.get_by_label("Width (mm)")
    expect(width).not_to_have_value("")
    base = _price(page)
    original = float(width.input_value())
    target_width = round(original * 2, 1)
    height = page.get_by_label("Height (mm)")
    height_before = height.input_value()
    width.fill(str(target_width))
    width.press("Enter")
    expect(height).not_to_have_value(height_before, timeout=SLOW)  # the proportions are kept
    doubled = _price(page)
    assert doubled > base, (base, doubled)
    target = tuple(float(page.get_by_label(f"{axis} (mm)").input_value()) for axis in ("Width", "Depth", "Height"))
    page.get_by_label("Remarks").fill("Matte look, please")
    page.shots("print-config")
    page.get_by_role("button", name="Add Configured Print to Cart").click()
    expect(page).to_have_url(re.compile(r"/cart$"), timeout=SLOW)
    expect(lines).to_have_count(2, timeout=SLOW)

    # a credit pack from the header's [+]
    page.get_by_role("button", name="Buy Credits").click()
    page.get_by_role("dialog", name="Buy Credits").get_by_role("button", name=re.compile(r"^Add Starter")).click()
    expect(lines).to_have_count(3, timeout=SLOW)
    page.shots("cart-mixed")

    # one checkout, one order with all three; the balance grows by the pack (10 credits)
    page.get_by_role("button", name="Proceed to Checkout").click()
    expect(page).to_have_url(re.compile(r"/checkout/test/cs_test_"), timeout=SLOW)
    page.get_by_label("Full name").fill("Ada Maker")
    page.get_by_label("Street address").fill("1 Print Street")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Postcode").fill("10115")
    page.get_by_label("Country (e.g. US)").fill("DE")
    page.shots("checkout-shipping")
    page.get_by_role("button", name="Pay").click()
    expect(page).to_have_url(re.compile(r"/orders\?session_id=cs_test_"), timeout=SLOW)
    orders = page.get_by_role("list", name="Orders").get_by_role("listitem")
    expect(orders).to_have_count(1, timeout=SLOW)
    expect(orders.first).to_contain_text("Paid", timeout=SLOW)
    expect(balance(page)).to_have_text("29 credits", timeout=SLOW)
    orders.first.click()
    items = page.get_by_role("list", name="Order items").get_by_role("listitem")
    expect(items).to_have_count(3, timeout=SLOW)
    expect(page.get_by_text("Shipping to")).to_be_visible()
    print_item = items.filter(has_text="3D print")
    expect(print_item).to_contain_text(" mm")
    # the scaled model is made after payment; its file appears on the order by itself
    expect(print_item.get_by_role("link", name="Download GLB")).to_be_visible(timeout=SLOW)
    expect(items.filter(has_text="3D model files").get_by_role("link", name="Download GLB")).to_be_visible()
    page.shots("order-with-downloads")
    scaled = page.request.get(print_item.get_by_role("link", name="Download GLB").get_attribute("href"))
    assert scaled.ok
    extents = analyse(scaled.body()).extents_mm
    for got, want in zip(extents, target):
        assert abs(got - want) <= 0.01 * want, (extents, target)

    # publish; a second user buys it from its read-only page and downloads it
    page.goto(asset_url)
    page.get_by_label("Public: show it in the discovery feed").click()
    expect(page.get_by_role("switch", name="Public: show it in the discovery feed")).to_be_checked(timeout=SLOW)
    with open_page(browser, server[0], results_folder("e2e", request.node.name + "-buyer")) as buyer:
        sign_up(buyer)
        buyer.goto("/quick-3d")
        feed = buyer.get_by_role("list", name="Public models").get_by_role("listitem")
        expect(feed.first).to_be_visible(timeout=SLOW)
        feed.filter(has_text="A small owl figurine standing on a round base").first.click()
        expect(buyer.get_by_text("A model published by another creator.")).to_be_visible(timeout=SLOW)
        expect(buyer.get_by_role("button", name="Regenerate Model")).to_have_count(0)
        buyer.shots("public-asset")
        buyer.get_by_role("button", name="Download Model", exact=True).click()
        expect(buyer).to_have_url(re.compile(r"/cart$"), timeout=SLOW)
        buyer.get_by_role("button", name="Proceed to Checkout").click()
        buyer.get_by_role("button", name="Pay").click()
        expect(buyer).to_have_url(re.compile(r"/orders\?session_id="), timeout=SLOW)
        buyer.get_by_role("list", name="Orders").get_by_role("listitem").first.click()
        link = buyer.get_by_role("link", name="Download GLB")
        expect(link).to_be_visible(timeout=SLOW)
        with buyer.expect_download() as download:
            link.click()
        assert download.value.suggested_filename.endswith(".glb")
        assert analyse(open(download.value.path(), "rb").read()).watertight
        buyer.goto(asset_url)
        expect(buyer.get_by_role("link", name="Download GLB")).to_be_visible(timeout=SLOW)  # bought: a link now
        assert not buyer.js_errors, buyer.js_errors
    assert not page.js_errors, page.js_errors


def test_skip_concept_goes_from_an_image_straight_to_a_model(page, fixtures):
    sign_up(page)
    page.goto("/quick-3d")
    page.get_by_role("tab", name="Image to Model").click()
    page.get_by_label("Image", exact=True).set_input_files(str(fixtures["photo"]))
    expect(page.get_by_text("coffee-cup-photo.png")).to_be_visible(timeout=SLOW)
    page.get_by_role("checkbox", name="Skip concept").click()
    expect(page.get_by_role("button", name="Generate")).to_contain_text("Free")
    page.shots("skip-concept")
    page.get_by_role("button", name="Generate").click()
    expect(page).to_have_url(re.compile(r"/assets/"), timeout=SLOW)
    expect(page.get_by_role("img", name="3D model")).to_be_visible(timeout=MODEL_WAIT)
    expect(page.get_by_role("group", name="Concepts")).to_have_count(0)
    expect(balance(page)).to_have_text("20 credits")  # nothing spent
    assert not page.js_errors, page.js_errors


SEED_PUBLIC = """
import sys, uuid
from datetime import timedelta
from sqlmodel import select
from genpire_app.backend.db.account_models import LocalUser
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.quick3d_models import Asset
with read_session() as s:
    uid = s.exec(select(LocalUser.id).where(LocalUser.username == sys.argv[1])).one()
now = utcnow()
with write_session() as s:
    for i in range(int(sys.argv[2])):
        s.add(Asset(user_id=uid, prompt=f"Feed model {i:02d}", status="COMPLETED", is_public=True,
                    published_at=now - timedelta(minutes=i)))
"""


def test_the_discovery_feed_loads_more_as_the_user_scrolls(page, server):
    import os
    import subprocess
    import sys

    email = sign_up(page)
    subprocess.run([sys.executable, "-c", SEED_PUBLIC, email, "30"], check=True, timeout=60,
                   env={**os.environ, "DATA_DIR": str(server[1]), "DATABASE_URL": ""})
    page.goto("/quick-3d")
    feed = page.get_by_role("list", name="Public models").get_by_role("listitem")
    expect(feed.first).to_be_visible(timeout=SLOW)
    assert feed.count() == 12  # one page first
    more = page.get_by_role("button", name="Show more")
    while more.count():  # scrolling alone loads the next pages: no click
        shown = feed.count()
        feed.last.scroll_into_view_if_needed()
        expect(feed).not_to_have_count(shown, timeout=SLOW)
    expect(feed.filter(has_text="Feed model 29")).to_have_count(1, timeout=SLOW)
    names = [t.strip() for t in feed.all_inner_texts()]
    assert len(names) == len(set(names)), "a model was listed twice"
    page.shots("feed-scrolled")
