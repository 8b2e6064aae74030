"""Issue 10 in the browser: "Start from photos" (item 1) makes a product whose views are the photos, for free;
personal API tokens (item 8) are created on the Account page, shown once, and revoked after a confirmation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.journeys import SLOW, balance, sign_up

pytestmark = pytest.mark.e2e


def test_start_from_photos_front_and_side(page, fixtures):
    sign_up(page)
    page.get_by_role("tab", name="Start from photos").click()
    create = page.get_by_role("button", name="Create product")
    expect(create).to_have_count(1)
    create.click()  # nothing chosen yet: clear errors, nothing created
    expect(page.locator("#photo-name-error")).to_contain_text("Give the product a name", timeout=SLOW)
    page.get_by_label("Product name").fill("Espresso cup")
    page.get_by_label("Front photo").set_input_files(str(fixtures["photo"]))
    expect(page.get_by_text("coffee-cup-photo.png · 600×400px")).to_be_visible(timeout=SLOW)
    page.get_by_label("Side photo").set_input_files(str(fixtures["logo"]))
    expect(page.get_by_text("brand-logo.png · 500×500px")).to_be_visible(timeout=SLOW)
    page.shots("photos-chosen")
    create.click()
    expect(page).to_have_url(re.compile(r"/ai-designer\?projectId="), timeout=SLOW)
    for alt in ("Front view", "Side view"):
        img = page.get_by_role("img", name=alt, exact=True).first
        expect(img).to_be_visible(timeout=SLOW)
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle(),
                               timeout=SLOW)
    expect(page.get_by_text("No back photo")).to_be_visible()
    expect(page.get_by_role("button", name="Generate the back view from the front photo")).to_be_visible()
    expect(balance(page)).to_have_text("20 credits")  # free
    page.shots("product-from-photos")
    page.get_by_role("link", name="Dashboard").first.click()
    expect(page.get_by_role("link", name="Espresso cup")).to_be_visible(timeout=SLOW)
    assert not page.js_errors, page.js_errors


def test_api_token_is_shown_once_and_revoked_after_confirmation(page):
    sign_up(page)
    page.get_by_role("link", name="Account").first.click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("No API tokens yet.")).to_be_visible(timeout=SLOW)
    page.get_by_label("Token name").fill("Export script")
    page.get_by_role("button", name="Create token").click()
    dialog = page.get_by_role("dialog", name="Your new API token")
    expect(dialog).to_be_visible(timeout=SLOW)
    secret = dialog.get_by_label("Your new API token").input_value()
    assert secret.startswith("gp_") and len(secret) >= 40
    expect(dialog.get_by_text("only time it is shown")).to_be_visible()
    dialog.get_by_role("button", name="Copy the token").click()
    expect(page.get_by_text("Token copied to the clipboard.")).to_be_visible(timeout=SLOW)
    page.shots("token-shown-once")
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_have_count(0)
    tokens = page.get_by_role("list", name="API tokens").get_by_role("listitem")
    expect(tokens).to_have_count(1, timeout=SLOW)
    expect(tokens.first).to_contain_text("Export script")
    expect(tokens.first).to_contain_text(secret[:10] + "…")
    assert secret not in page.content()  # never shown again

    page.get_by_role("button", name="Revoke token Export script").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Revoke “Export script”?")
    page.shots("revoke-confirm")
    confirm.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_text("No API tokens yet.")).to_be_visible(timeout=SLOW)
    assert not page.js_errors, page.js_errors
