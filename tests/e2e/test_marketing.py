"""Mockups and the store in the browser (issue 11 "Done means"): a product with five views -> /marketing ->
2 designs x 3 scenes (6 credits) -> the renders appear progressively -> supervised approval queue: reject 1
with a reason, approve 1, "Approve all" the other 4 -> "Create store product" with 3 sizes x 2 finishes and
the 5 approved mockups -> SKUs and prices as the pricing table says -> "Publish" (supervised: approved in the
queue) -> the public store page shows it to a signed-out visitor -> "Retire" -> gone from the store. The
balance and the usage card are exact at every step."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser import open_page
from tests.journeys import IDEA, SLOW, balance, expect_five_views, sign_up

pytestmark = pytest.mark.e2e

SCENES = ("Bedroom", "Living Room", "Studio Tabletop")
#: The pricing table's system defaults (seed 004), dollars: size -> (unframed, framed).
PRICES = {"8x10": ("24.99", "49.99"), "11x14": ("34.99", "69.99"), "16x20": ("49.99", "99.99")}
FINISH_CODES = {"Unframed": "UNF", "Black frame": "BLA"}
LOADED = "(img) => img.complete && img.naturalWidth > 0"


def product_with_five_views(page, fixtures) -> None:
    """Dashboard -> idea + logo -> front view (1 credit) -> approve -> five views (2 credits)."""
    page.get_by_label("Product idea").fill(IDEA)
    page.get_by_label("Logo").set_input_files(str(fixtures["logo"]))
    expect(page.get_by_text("brand-logo.png")).to_be_visible(timeout=SLOW)
    page.get_by_role("button", name="Create product").click()
    expect(page).to_have_url(re.compile(r"/ai-designer\?projectId="), timeout=SLOW)
    expect(page.get_by_role("img", name="Front view", exact=True)).to_be_visible(timeout=SLOW)
    expect(balance(page)).to_have_text("19 credits", timeout=SLOW)
    page.get_by_role("button", name="Approve & Generate All Views").click()
    expect_five_views(page)
    expect(balance(page)).to_have_text("17 credits", timeout=SLOW)


def generate_six_mockups(page) -> None:
    """Front and back views x three scenes; the renders appear one by one; 6 credits."""
    page.goto("/marketing")
    expect(page.get_by_role("tab", name="Mockups")).to_be_visible(timeout=SLOW)
    expect(page.locator("#usage-year")).to_have_text("0 / 3,500 renders this year", timeout=SLOW)
    designs = page.get_by_role("group", name="Designs")
    for view in ("Front view", "Back view"):
        designs.get_by_role("checkbox", name=re.compile(f"— {view}$")).click()
    scenes = page.get_by_role("group", name="Scene")
    for scene in SCENES:
        scenes.get_by_role("checkbox", name=scene, exact=True).click()
    generate = page.get_by_role("button", name="Generate mockups")
    expect(generate).to_contain_text("6 credits")
    page.shots("mockups-picked")
    generate.click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("6 credits")
    page.shots("mockups-confirm")
    confirm.get_by_role("button", name="Generate mockups").click()
    renders = page.get_by_role("list", name="Renders").get_by_role("listitem")
    expect(renders).to_have_count(6, timeout=SLOW)
    # in progress: some renders still queued or generating, the batch not yet done
    expect(page.get_by_role("status").filter(has_text=re.compile(r"^[0-5] of 6 done$"))).to_be_visible(timeout=SLOW)
    expect(renders.get_by_text(re.compile(r"^(Queued|Generating)$")).first).to_be_visible()
    page.shots("mockups-progress")
    expect(page.get_by_role("status").filter(has_text="6 of 6 done")).to_be_visible(timeout=SLOW * 2)
    expect(renders.get_by_text("Awaiting approval", exact=True)).to_have_count(6, timeout=SLOW)
    expect(balance(page)).to_have_text("11 credits", timeout=SLOW)  # 20 - 1 front - 2 views - 6 renders
    expect(page.locator("#usage-year")).to_have_text("6 / 3,500 renders this year", timeout=SLOW)
    expect(page.locator("#usage-month")).to_have_text("6 / 292 renders this month")
    page.shots("mockups-done")


def decide_in_queue(page) -> None:
    """Reject one with a reason (an empty reason is refused), approve one, then "Approve all" (4)."""
    page.get_by_role("tab", name="Approval queue").click()
    queue = page.get_by_role("list", name="Waiting for approval").get_by_role("listitem")
    expect(queue).to_have_count(6, timeout=SLOW)
    expect(page.get_by_text("6 items waiting for your decision")).to_be_visible()
    page.shots("queue")
    queue.nth(0).get_by_role("button", name="Reject", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Reject", exact=True).click()
    expect(dialog.get_by_role("alert")).to_be_visible(timeout=SLOW)  # a reason is required
    dialog.get_by_label("Reason").fill("Cropped at the top")
    page.shots("reject-reason")
    dialog.get_by_role("button", name="Reject", exact=True).click()
    expect(dialog).to_be_hidden(timeout=SLOW)
    expect(queue).to_have_count(5, timeout=SLOW)
    queue.nth(0).get_by_role("button", name="Approve", exact=True).click()
    expect(queue).to_have_count(4, timeout=SLOW)
    page.get_by_role("button", name="Approve all").click()
    expect(page.get_by_text("Nothing waiting for approval")).to_be_visible(timeout=SLOW)
    page.shots("queue-empty")


def render_files(page) -> dict[str, list[str]]:
    """Mockups tab: status -> the full-size image paths (without the signature) of the renders."""
    page.get_by_role("tab", name="Mockups").click()
    renders = page.get_by_role("list", name="Renders").get_by_role("listitem")
    expect(renders.get_by_text("Approved", exact=True)).to_have_count(5, timeout=SLOW)
    expect(renders.get_by_text("Rejected", exact=True)).to_have_count(1)
    expect(renders.get_by_text("Rejected: Cropped at the top")).to_be_visible()
    page.shots("mockups-decided")
    files: dict[str, list[str]] = {"Approved": [], "Rejected": []}
    for n in range(6):
        card = renders.nth(n)
        status = "Rejected" if card.get_by_text("Rejected", exact=True).count() else "Approved"
        card.get_by_role("button", name=re.compile("full size$")).click()
        full = page.get_by_role("dialog").get_by_role("img", name=re.compile(r"\(full size\)$"))
        expect(full).to_be_visible(timeout=SLOW)
        files[status].append(full.get_attribute("src"))
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog")).to_be_hidden()
    big = page.request.get(files["Approved"][0])  # a real, full-size image
    assert big.ok
    image = Image.open(io.BytesIO(big.body()))
    image.load()
    assert image.width > 600, image.size
    return {k: [urlsplit(u).path for u in v] for k, v in files.items()}


def create_store_product(page, approved: list[str], rejected: list[str]) -> str:
    """3 sizes x 2 finishes from the product and its approved mockups; returns the product's title."""
    page.get_by_role("tab", name="Products").click()
    expect(page.get_by_text("No store products yet")).to_be_visible(timeout=SLOW)
    for size, (unframed, framed) in PRICES.items():  # the pricing table the variants are priced from
        expect(page.get_by_label(f"Price for {size}", exact=True)).to_have_value(unframed, timeout=SLOW)
        expect(page.get_by_label(f"Framed for {size}", exact=True)).to_have_value(framed)
    page.get_by_role("button", name="Create store product").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("5 approved mockup(s) are added after the front view.")) \
        .to_be_visible(timeout=SLOW)
    sizes = dialog.get_by_role("group", name="Size")
    for size in PRICES:
        sizes.get_by_role("checkbox", name=size, exact=True).click()
    finishes = dialog.get_by_role("group", name="Finish")
    expect(finishes.get_by_role("checkbox", name="Unframed", exact=True)).to_be_checked()
    finishes.get_by_role("checkbox", name="Black frame", exact=True).click()
    expect(dialog.locator("#store-create-summary")).to_have_text("6 variants · $24.99 – $99.99")
    page.shots("create-store-product")
    dialog.get_by_role("button", name="Create store product").click()

    editor = page.get_by_role("dialog")
    expect(editor.get_by_role("heading", name="Variants")).to_be_visible(timeout=SLOW)
    variants = editor.get_by_role("list", name="Variants").get_by_role("listitem")
    expect(variants).to_have_count(6)
    ids = set()
    for size, prices in PRICES.items():
        for (finish, code), price in zip(FINISH_CODES.items(), prices):
            row = editor.get_by_role("listitem", name=f"{size} / {finish}", exact=True)
            sku = row.get_by_text(re.compile(rf"^GP-[0-9A-F]{{8}}-{size}-{code}$"))
            expect(sku).to_be_visible()
            ids.add(sku.inner_text().split("-")[1])
            expect(row.get_by_label("Price", exact=True)).to_have_value(price)
    assert len(ids) == 1, ids  # one product id part in every SKU

    images = editor.get_by_role("list", name="Images").get_by_role("listitem")
    expect(images).to_have_count(10)  # the front view, the five approved mockups, then the other views
    expect(images.first.get_by_role("img")).to_have_attribute("alt", re.compile(r"— front view$"))
    mockups = images.filter(has=page.locator("img[alt$='— mockup']"))
    expect(mockups).to_have_count(5)
    for n in range(1, 6):
        expect(images.nth(n).get_by_role("img")).to_have_attribute("alt", re.compile(r"— mockup$"))
    paths = sorted(urlsplit(mockups.nth(n).get_by_role("img").get_attribute("src")).path for n in range(5))
    assert paths == sorted(approved), (paths, approved)
    assert not set(paths) & set(rejected)
    editor.get_by_role("heading", name="Images").scroll_into_view_if_needed()
    page.shots("store-product-editor")
    return editor.get_by_role("heading").first.inner_text().strip()


def test_mockups_approvals_store_product_publish_and_retire(page, fixtures, browser, server):
    sign_up(page)
    product_with_five_views(page, fixtures)
    generate_six_mockups(page)
    decide_in_queue(page)
    files = render_files(page)
    title = create_store_product(page, files["Approved"], files["Rejected"])

    editor = page.get_by_role("dialog")
    editor.get_by_role("button", name="Publish").click()
    expect(editor.get_by_text("Waiting in the approval queue")).to_be_visible(timeout=SLOW)  # supervised
    page.shots("published-pending")
    page.keyboard.press("Escape")
    expect(editor).to_be_hidden()
    page.get_by_role("tab", name="Approval queue").click()
    queue = page.get_by_role("list", name="Waiting for approval").get_by_role("listitem")
    expect(queue).to_have_count(1, timeout=SLOW)
    expect(queue.first).to_contain_text("Store product")
    queue.first.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_text("Nothing waiting for approval")).to_be_visible(timeout=SLOW)
    page.get_by_role("tab", name="Products").click()
    card = page.get_by_role("list", name="Store products").get_by_role("listitem", name=title)
    expect(card.get_by_text("Active", exact=True)).to_be_visible(timeout=SLOW)
    expect(card).to_contain_text("$24.99 – $99.99")
    expect(card).to_contain_text("6 variants")
    page.shots("product-active")
    store = page.locator("#public-store-link").get_attribute("href")
    assert store and store.startswith("/store/"), store

    with open_page(browser, server[0], page.shots.folder / "signed-out") as anon:  # a new context, no cookies
        anon.goto(store)
        product = anon.get_by_role("article", name=title)
        expect(product).to_be_visible(timeout=SLOW)
        expect(product.get_by_role("list", name=f"Variants of {title}")).to_contain_text("$24.99")
        expect(product).to_contain_text("$99.99")
        expect(product.locator("img[alt$='— mockup']").first).to_be_attached()  # the mockups lead the gallery
        expect(product).not_to_contain_text("A logo is attached")  # the user's text, not the prompt's lines
        pictures = product.get_by_role("img")
        assert pictures.count() >= 2
        for n in range(2):
            pictures.nth(n).scroll_into_view_if_needed()
            anon.wait_for_function(LOADED, arg=pictures.nth(n).element_handle(), timeout=SLOW)
        anon.shots("store")

        page.get_by_role("button", name=f"Edit {title}").click()
        editor = page.get_by_role("dialog")
        editor.get_by_role("button", name="Retire").click()
        retire = page.get_by_role("dialog", name=re.compile("^Retire"))
        retire.get_by_role("radio", name="Seasonal").click()
        page.shots("retire")
        retire.get_by_role("button", name="Retire product").click()
        expect(page.get_by_text("no longer in your store")).to_be_visible(timeout=SLOW)
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog")).to_have_count(0, timeout=SLOW)
        expect(card.get_by_text("Retired", exact=True)).to_be_visible(timeout=SLOW)
        expect(page.get_by_role("list", name="Store activity")).to_contain_text("Retired", timeout=SLOW)
        page.shots("product-retired")

        anon.reload()
        expect(anon.get_by_text("No products yet. Come back soon.")).to_be_visible(timeout=SLOW)
        expect(anon.get_by_role("article")).to_have_count(0)
        anon.shots("store-after-retire")
        assert not anon.js_errors, anon.js_errors

    expect(balance(page)).to_have_text("11 credits")  # store products cost nothing
    phone_width(page)
    assert not page.js_errors, page.js_errors


def phone_width(page) -> None:
    """Every tab fits a 390 px wide phone: nothing wider than the screen, screenshots of each."""
    page.set_viewport_size({"width": 390, "height": 844})
    for tab in ("Mockups", "Approval queue", "Products"):
        page.get_by_role("tab", name=tab).click()
        expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        page.shots(f"phone-{tab.lower().replace(' ', '-')}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the {tab} tab is {width} px wide on a 390 px phone"
