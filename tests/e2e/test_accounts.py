"""Sessions in the browser (issue 7 item 1): sign-out reaches every tab, a tab whose session ended can
spend nothing, the Account page lists devices and signs them out, the cookie is out of JavaScript's reach."""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.browser import open_page, results_folder
from tests.journeys import SLOW, balance, sign_up

pytestmark = pytest.mark.e2e
PASSWORD = "a-long-password"


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"), timeout=SLOW)


def end_sessions_quietly(data_dir, email: str) -> None:
    """Expire the account's sessions in the database without telling any tab (as the idle limit does)."""
    with sqlite3.connect(data_dir / "genpire.db") as db:
        db.execute("UPDATE user_sessions SET revoked_at = CURRENT_TIMESTAMP WHERE user_id = "
                   "(SELECT id FROM localuser WHERE username = ?)", (email,))


def test_sign_out_in_one_tab_signs_out_the_other_and_a_stale_tab_spends_nothing(page, browser, server):
    email = sign_up(page)
    cookie = next(c for c in page.context.cookies() if c["name"] == "genpire_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert "genpire_session" not in page.evaluate("document.cookie")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.includes('auth'))") == []

    second = page.context.new_page()
    second.goto("/dashboard")
    expect(balance(second)).to_have_text("20 credits", timeout=SLOW)
    second.get_by_label("Product idea").fill("A walnut desk organiser with three drawers")

    # Tab 1 signs out: tab 2 is told at once and lands on the sign-in page.
    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/?\?signed_out=1$"), timeout=SLOW)
    expect(second).to_have_url(re.compile(r"/login/?\?"), timeout=SLOW)
    expect(second.get_by_text("Your session ended. Please sign in again.")).to_be_visible()
    second.screenshot(path=str(results_folder("e2e", "stale-tab") / "signed-out-by-other-tab.png"))

    # A tab whose session ended without any tab being told (idle expiry): its next spend is refused.
    sign_in(page, email)
    page.get_by_label("Product idea").fill("A walnut desk organiser with three drawers")
    end_sessions_quietly(server[1], email)
    page.get_by_role("button", name="Create product").click()
    expect(page).to_have_url(re.compile(r"/login/?\?.*expired=1"), timeout=SLOW)
    page.shots("stale-tab-refused")

    sign_in(page, email)
    expect(balance(page)).to_have_text("20 credits", timeout=SLOW)  # nothing was held or charged
    expect(page.get_by_text("No products yet")).to_be_visible()
    assert not page.js_errors, page.js_errors


def test_account_page_lists_devices_and_signs_them_out(page, browser, server):
    email = sign_up(page)
    with open_page(browser, server[0], results_folder("e2e", "other-device"),
                   viewport={"width": 390, "height": 844}) as phone:
        sign_in(phone, email)
        page.get_by_role("link", name="Account").first.click()
        expect(page.get_by_role("heading", name="Account")).to_be_visible(timeout=SLOW)
        devices = page.get_by_role("list", name="Active sessions").get_by_role("listitem")
        expect(devices).to_have_count(2, timeout=SLOW)
        expect(devices.first).to_contain_text("This device")
        page.shots("account-two-sessions")

        # "Sign out" on the other device: it lands on the sign-in page by itself.
        devices.nth(1).get_by_role("button", name=re.compile("^Sign out")).click()
        expect(page.get_by_text("That device is signed out.")).to_be_visible(timeout=SLOW)
        expect(devices).to_have_count(1, timeout=SLOW)
        expect(phone).to_have_url(re.compile(r"/login/?\?"), timeout=SLOW)
        phone.shots("phone-signed-out")

        # "Sign out everywhere", confirmed.
        sign_in(phone, email)
        page.reload()
        expect(devices).to_have_count(2, timeout=SLOW)
        page.get_by_role("button", name="Sign out everywhere").click()
        page.shots("sign-out-everywhere-confirm")
        page.get_by_role("alertdialog").get_by_role("button", name="Sign out everywhere").click()
        expect(page).to_have_url(re.compile(r"/login/?\?signed_out=1$"), timeout=SLOW)
        expect(phone).to_have_url(re.compile(r"/login/?\?"), timeout=SLOW)
        page.goto("/dashboard")
        expect(page).to_have_url(re.compile(r"/login/?\?next="), timeout=SLOW)
        assert not page.js_errors, page.js_errors
