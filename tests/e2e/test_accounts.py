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


def test_forgotten_password_is_reset_by_the_link_in_the_development_outbox(page, browser, server):
    page.goto("/signup")
    expect(page.locator("#verification-note")).to_contain_text("Email verification is off", timeout=SLOW)
    email = sign_up(page)
    with open_page(browser, server[0], results_folder("e2e", "reset-other-device")) as other:
        sign_in(other, email)

        # Signed out, from the sign-in page's link.
        page.get_by_role("button", name="Account menu").click()
        page.get_by_role("menuitem", name="Sign out").click()
        expect(page).to_have_url(re.compile(r"/login/?\?signed_out=1$"), timeout=SLOW)
        page.get_by_role("link", name="Forgot your password?").click()
        send = page.get_by_role("button", name="Send reset link")
        expect(send).to_be_enabled(timeout=SLOW)  # the page is live (typing earlier may be lost to hydration)
        page.get_by_label("Email").fill(email)
        send.click()
        expect(page.get_by_role("status")).to_contain_text("If an account exists", timeout=SLOW)
        page.shots("reset-requested")

        # The development outbox shows the mail with a clickable link (no mail server here).
        page.goto("/dev/outbox")
        mail = page.locator(".rt-Card .rt-Card").filter(has_text=email).filter(has_text="Reset your Genpire password")
        expect(mail).to_have_count(1, timeout=SLOW)
        page.shots("dev-outbox")
        link = mail.get_by_role("link", name=re.compile(r"reset-password\?token="))
        reset_url = link.get_attribute("href")
        link.click()

        expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible(timeout=SLOW)
        page.get_by_label("New password", exact=True).fill("short")
        page.get_by_label("Confirm new password").fill("short")
        page.get_by_role("button", name="Set new password").click()
        expect(page.get_by_text("at least 8 characters", exact=False).first).to_be_visible(timeout=SLOW)
        expect(page.get_by_label("Confirm new password")).to_have_value("", timeout=SLOW)  # both fields cleared
        page.get_by_label("New password", exact=True).fill("a-new-long-password")
        page.get_by_label("Confirm new password").fill("a-new-long-password")
        page.get_by_role("button", name="Set new password").click()
        expect(page.get_by_text("Your password was changed and every device was signed out.")).to_be_visible(
            timeout=SLOW)
        page.shots("reset-done")
        expect(other).to_have_url(re.compile(r"/login/?\?"), timeout=SLOW)  # the other device was signed out

        # The link works once; the old password no longer signs in, the new one does.
        page.goto(reset_url)
        expect(page.get_by_text("This link has expired or was already used.")).to_be_visible(timeout=SLOW)
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("email or password", timeout=SLOW)
        page.get_by_label("Password").fill("a-new-long-password")
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/dashboard/?$"), timeout=SLOW)
        expect(balance(page)).to_have_text("20 credits", timeout=SLOW)
        assert not page.js_errors, page.js_errors


def test_repeated_wrong_passwords_are_slowed_down_for_that_account_only(page, browser, server):
    email = sign_up(page)
    page.context.clear_cookies()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    alert = page.get_by_role("alert")
    for attempt in range(1, 6):  # five free failures per account
        page.get_by_label("Password").fill(f"wrong-password-{attempt}")
        with page.expect_navigation():  # the form posts and comes back as a new page
            page.get_by_role("button", name="Sign in").click()
        expect(alert).to_contain_text("email or password", timeout=SLOW)
        expect(page.get_by_label("Email")).to_have_value(email)  # the form keeps the address
    # Then each failure locks the account for 1 s, 2 s, 4 s ...: within a few more tries it is refused.
    for attempt in range(6, 12):
        page.get_by_label("Password").fill(f"wrong-password-{attempt}")
        with page.expect_navigation():  # the form posts and comes back as a new page
            page.get_by_role("button", name="Sign in").click()
        expect(alert).to_be_visible(timeout=SLOW)
        if "Too many attempts" in alert.inner_text():
            break
    assert "Too many attempts. Try again in" in alert.inner_text(), (attempt, alert.inner_text())
    page.shots("throttled")
    # Another account from the same browser and IP is not blocked by it.
    with open_page(browser, server[0], results_folder("e2e", "throttle-other-account")) as other:
        other_email = sign_up(other)
        other.context.clear_cookies()
        sign_in(other, other_email)
