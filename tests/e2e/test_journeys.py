"""The main job in the browser (issue 2), on the embedded default: sign up -> idea -> front view -> changes
-> approve -> five views -> tech pack -> PDF and Excel; plus the upload tab, a reload during generation,
a second tab following by push, and bad input.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.journeys import SLOW, balance, expect_five_views, main_journey, sign_up

pytestmark = pytest.mark.e2e


def test_text_idea_to_tech_pack_downloads(page, fixtures, tmp_path):
    main_journey(page, fixtures, tmp_path)


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
    expect(page).to_have_url(re.compile(r"/login/?\?signed_out=1$"), timeout=SLOW)
    expect(page.get_by_text("You are signed out.")).to_be_visible(timeout=SLOW)
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login/?\?next=%2Fdashboard$"), timeout=SLOW)
    page.get_by_label("Email").fill(email.upper())
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"), timeout=SLOW)
    expect(balance(page)).to_have_text("20 credits", timeout=SLOW)
    page.shots("signed-in-again")


def test_a_second_tab_follows_by_push_and_images_come_from_the_cache(page, browser, server):
    """Two tabs of one account: the second sees the new views and the balance without reloading, and a
    reload or another tab does not download the views again (stable signed URLs, immutable objects)."""
    from tests.browser import open_page, results_folder

    sign_up(page)
    page.get_by_label("Product idea").fill("A ceramic planter with a drainage saucer")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("img", name="Front view", exact=True)).to_be_visible(timeout=SLOW)
    with open_page(browser, server[0], results_folder("e2e", "second-tab"), storage_state=page.context.storage_state()) as other:
        other.goto(page.url)
        expect(other.get_by_role("img", name="Front view", exact=True)).to_be_visible(timeout=SLOW)
        expect(balance(other)).to_have_text("19 credits", timeout=SLOW)
        page.get_by_role("button", name="Approve & Generate All Views").click()
        expect(other.get_by_text("Generating all views")).to_be_visible(timeout=SLOW)
        other.shots("second-tab-progress")
        expect_five_views(other)
        expect(balance(other)).to_have_text("17 credits", timeout=SLOW)
        other.shots("second-tab-views")
        expect_five_views(page)

        cdp = other.context.new_cdp_session(other)
        cdp.send("Network.enable")
        responses: list[tuple[str, str, bool]] = []
        cached: set[str] = set()
        cdp.on("Network.responseReceived", lambda e: responses.append(
            (e["requestId"], e["response"]["url"], bool(e["response"].get("fromDiskCache")))))
        cdp.on("Network.requestServedFromCache", lambda e: cached.add(e["requestId"]))
        other.reload()
        expect_five_views(other)
        views = [(rid, url, disk) for rid, url, disk in responses if "/api/files/" in url and "_thumb" in url]
        assert len(views) >= 5, responses
        downloaded = [url for rid, url, disk in views if not disk and rid not in cached]
        assert not downloaded, f"views downloaded again after a reload: {downloaded}"


def test_a_double_click_is_charged_once(page):
    """A double-click on a spending button is one operation and one charge (both clicks carry the
    button's intent token; tests/services/test_pipeline.py covers a repeat that arrives after the job ended)."""
    sign_up(page)
    page.get_by_label("Product idea").fill("A bamboo phone stand with a cable slot")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("img", name="Front view", exact=True)).to_be_visible(timeout=SLOW)
    page.get_by_role("button", name="Approve & Generate All Views").dblclick()
    expect_five_views(page)
    expect(balance(page)).to_have_text("17 credits", timeout=SLOW)
    page.get_by_role("button", name="Generate Tech Pack").dblclick()
    expect(page).to_have_url(re.compile(r"/techpacks/"), timeout=SLOW)
    expect(balance(page)).to_have_text("16 credits", timeout=SLOW)
    page.go_back()
    expect(page.get_by_role("link", name=re.compile("Tech pack · Revision 0"))).to_have_count(1, timeout=SLOW)
    expect(balance(page)).to_have_text("16 credits")
