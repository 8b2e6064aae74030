"""Brand DNA in the browser (issue 11 item 8; seed 000 §3 Phase 1): sign up -> Settings -> fill the profile
(name, two palette colors, fonts, tone, logo) -> save -> dashboard -> "Use Brand DNA" on -> create a product ->
its front view's measured main color is the palette's first color, and its initial chat message carries the
brand. Bad input on the way is refused inline with nothing saved.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from genpire_app.backend.providers.colors import hex_to_rgb, nearest_color_name
from genpire_app.backend.providers.offline_vision import analyse_image
from tests.journeys import SLOW, balance, expect_five_views, sign_up

pytestmark = pytest.mark.e2e

IDEA = "A minimalist canvas tote bag with leather straps"
LINE = "Brand DNA — Acme: palette #1E90FF, #FFD700; fonts Inter; tone playful, bold."


def measured_main_color(page, img) -> str:
    """The main product color of an image on the page, by the app's own pixel analysis."""
    resp = page.request.get(img.get_attribute("src"))
    assert resp.ok
    return analyse_image(Image.open(io.BytesIO(resp.body()))).colors[0].hex


def close(measured: str, expected: str) -> bool:
    a, b = hex_to_rgb(measured), hex_to_rgb(expected)
    return max(abs(x - y) for x, y in zip(a, b)) < 40 or nearest_color_name(measured) == nearest_color_name(expected)


def test_brand_dna_colors_the_product_and_its_initial_message(page, fixtures):
    sign_up(page)
    switch = page.get_by_role("switch", name="Use Brand DNA")
    expect(switch).to_be_disabled()
    settings_link = page.locator("#brand-hint").get_by_role("link", name="Settings")
    page.shots("dashboard-without-brand")
    settings_link.click()
    expect(page).to_have_url(re.compile(r"/account"), timeout=SLOW)
    expect(page.get_by_role("heading", name="Brand DNA")).to_be_visible(timeout=SLOW)

    # bad input: the error names the bad color and nothing is saved
    save = page.get_by_role("button", name="Save Brand DNA")
    expect(save).to_be_enabled(timeout=SLOW)
    page.get_by_label("Brand name").fill("Acme")
    page.get_by_label("Palette", exact=True).fill("#1E90FF, #12345G")
    save.click()
    expect(page.get_by_role("alert").filter(has_text="“#12345G” is not a hex color")).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("Saved", exact=True)).to_have_count(0)
    page.shots("brand-bad-palette")

    page.get_by_label("Palette", exact=True).fill("#1e90ff, #ffd700")
    swatches = page.get_by_role("list", name="Palette swatches").get_by_role("listitem")
    expect(swatches).to_have_count(2)
    expect(swatches.first).to_have_accessible_name("#1E90FF")
    page.get_by_label("Fonts").fill("Inter")
    page.get_by_label("Tone words").fill("playful, bold")
    page.get_by_label("Brand logo").set_input_files(str(fixtures["logo"]))
    expect(page.get_by_text("brand-logo.png")).to_be_visible(timeout=SLOW)
    page.shots("brand-filled")
    save.click()
    expect(page.get_by_text("Saved", exact=True)).to_be_visible(timeout=SLOW)

    # saved: a reload shows the normalised profile and the logo through the private file route
    page.reload()
    expect(page.get_by_label("Palette", exact=True)).to_have_value("#1E90FF, #FFD700", timeout=SLOW)
    expect(page.get_by_label("Brand name")).to_have_value("Acme")
    expect(page.get_by_label("Tone words")).to_have_value("playful, bold")
    logo = page.locator("#brand_logo img")
    expect(logo).to_have_attribute("src", re.compile(r"^/api/files/users/\d+/brand/logo-"), timeout=SLOW)
    resp = page.request.get(logo.get_attribute("src"))
    assert resp.ok and Image.open(io.BytesIO(resp.body())).size == (500, 500)
    page.shots("brand-saved")

    page.get_by_role("link", name="Dashboard").first.click()
    expect(switch).to_be_enabled(timeout=SLOW)
    expect(page.locator("#brand-hint")).to_contain_text("Acme")
    switch.click()
    expect(switch).to_be_checked()
    page.get_by_label("Product idea").fill(IDEA)
    page.shots("dashboard-brand-on")
    page.get_by_role("button", name="Create product").click()

    expect(page).to_have_url(re.compile(r"/ai-designer\?projectId="), timeout=SLOW)
    front = page.get_by_role("img", name="Front view", exact=True)
    expect(front).to_be_visible(timeout=SLOW)
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=front.element_handle(), timeout=SLOW)
    color = measured_main_color(page, front)
    assert close(color, "#1E90FF"), f"front view main color {color}, brand palette starts with #1E90FF"
    expect(balance(page)).to_have_text("19 credits", timeout=SLOW)
    page.shots("front-view-in-brand-colors")

    page.get_by_role("button", name="Approve & Generate All Views").click()
    expect_five_views(page)
    first = page.get_by_role("log", name="Chat history").get_by_role("article").first
    expect(first).to_contain_text(IDEA, timeout=SLOW)
    expect(first).to_contain_text(LINE)
    back = measured_main_color(page, page.get_by_role("img", name="Back view", exact=True).first)
    assert close(back, "#1E90FF"), f"back view main color {back}"
    page.shots("views-in-brand-colors")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/account")
    expect(page.get_by_label("Palette", exact=True)).to_have_value("#1E90FF, #FFD700", timeout=SLOW)
    page.get_by_role("heading", name="Brand DNA").scroll_into_view_if_needed()
    page.shots("brand-settings-phone")
    assert not page.js_errors, page.js_errors
