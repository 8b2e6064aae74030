"""Buying credits in the browser (issue 9 items 6-9, "Done means": a user at 0 credits buys a pack from the
product-creation dashboard and continues): Buy Credits -> cart (quantity, remove) -> Proceed to Checkout ->
the local test checkout's Pay (a signed Stripe event to our webhook) -> the order, the balance grown by
the pack, without a reload -> a product made with the new credits."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import pytest
from playwright.sync_api import expect

from tests.journeys import SLOW, balance, sign_up

pytestmark = pytest.mark.e2e


def spend_everything(data_dir, email: str) -> None:
    """Spend the account's whole balance (a captured hold) in the server's database."""
    code = ("import sys; from sqlmodel import select; from genpire_app.backend.db.engine import read_session; "
            "from genpire_app.backend.db.account_models import LocalUser; from genpire_app.backend.services import credits; "
            "s = read_session().__enter__(); uid = s.exec(select(LocalUser.id).where(LocalUser.username == sys.argv[1])).one(); "
            "h = credits.reserve(user_id=uid, amount=credits.balance(user_id=uid), operation='e2e', key=sys.argv[2], ttl_seconds=60); "
            "credits.capture(hold_id=h.id)")
    subprocess.run([sys.executable, "-c", code, email, uuid.uuid4().hex], check=True, timeout=60,
                   env={**os.environ, "DATA_DIR": str(data_dir), "DATABASE_URL": ""})


def test_a_user_at_zero_credits_buys_a_pack_and_continues(page, server):
    email = sign_up(page)
    spend_everything(server[1], email)
    page.reload()
    expect(balance(page)).to_have_text("0 credits", timeout=SLOW)
    page.get_by_role("button", name="Buy more credits").click()  # in the dashboard's low-balance notice
    dialog = page.get_by_role("dialog", name="Buy Credits")
    expect(dialog.get_by_role("listitem")).to_have_count(5)  # 3 packs, 2 plans
    page.shots("buy-credits")
    dialog.get_by_role("button", name=re.compile(r"^Add Creator")).click()
    expect(page).to_have_url(re.compile(r"/cart$"), timeout=SLOW)
    lines = page.get_by_role("list", name="Cart items").get_by_role("listitem")
    expect(lines).to_have_count(1)
    expect(page.locator("#cart-total")).to_have_text("$39.00")
    expect(page.get_by_role("link", name="Cart (1)")).to_be_visible()

    # the header's [+] adds a second pack; quantity 2, then remove it
    page.get_by_role("button", name="Buy Credits").click()
    page.get_by_role("dialog", name="Buy Credits").get_by_role("button", name=re.compile(r"^Add Starter")).click()
    expect(lines).to_have_count(2, timeout=SLOW)
    starter = page.get_by_label(re.compile(r"^Quantity of Starter"))
    starter.fill("2")
    starter.blur()
    expect(page.locator("#cart-total")).to_have_text("$57.00", timeout=SLOW)
    page.shots("cart")
    page.get_by_role("button", name=re.compile(r"^Remove Starter")).click()
    expect(lines).to_have_count(1, timeout=SLOW)
    expect(page.locator("#cart-total")).to_have_text("$39.00")

    page.get_by_role("button", name="Proceed to Checkout").click()
    expect(page).to_have_url(re.compile(r"/checkout/test/cs_test_"), timeout=SLOW)
    expect(page.get_by_role("list", name="Order summary")).to_contain_text("Creator pack")
    page.shots("test-checkout")
    page.get_by_role("button", name="Pay").click()
    expect(page).to_have_url(re.compile(r"/orders\?session_id=cs_test_"), timeout=SLOW)
    order = page.get_by_role("list", name="Orders").get_by_role("listitem").first
    expect(order).to_contain_text("Paid", timeout=SLOW)
    expect(order).to_contain_text("$39.00")
    expect(balance(page)).to_have_text("55 credits", timeout=SLOW)  # 50 + 5 bonus, without a reload
    expect(page.get_by_role("link", name="Cart")).to_be_visible()  # emptied
    page.shots("orders")
    order.click()
    expect(page.get_by_role("list", name="Order items")).to_contain_text("55 credits", timeout=SLOW)
    page.shots("order")

    # ... and continues: a product made with the new credits.
    page.goto("/dashboard")
    page.get_by_label("Product idea").fill("A ceramic coffee mug with a round handle")
    page.get_by_role("button", name="Create product").click()
    expect(page).to_have_url(re.compile(r"/ai-designer\?projectId="), timeout=SLOW)
    expect(page.get_by_role("img", name="Front view", exact=True)).to_be_visible(timeout=SLOW)
    expect(balance(page)).to_have_text("54 credits", timeout=SLOW)
    assert not page.js_errors, page.js_errors


def test_a_monthly_plan_is_bought_shown_and_cancelled_at_period_end(page, server):
    sign_up(page)
    page.get_by_role("button", name="Buy Credits").click()
    page.get_by_role("dialog", name="Buy Credits").get_by_role("button", name=re.compile(r"^Add Pro")).click()
    expect(page).to_have_url(re.compile(r"/cart$"), timeout=SLOW)
    expect(page.locator("#cart-total")).to_have_text("$29.00")
    page.get_by_role("button", name="Proceed to Checkout").click()
    expect(page).to_have_url(re.compile(r"/checkout/test/cs_test_"), timeout=SLOW)
    page.get_by_role("button", name="Pay").click()
    expect(page).to_have_url(re.compile(r"/orders\?session_id="), timeout=SLOW)
    expect(balance(page)).to_have_text("120 credits", timeout=SLOW)  # 20 + the plan's 100 this month

    page.goto("/account")
    expect(page.get_by_text("Pro plan", exact=True)).to_be_visible(timeout=SLOW)
    expect(page.locator("#plan-period")).to_contain_text("Renews on")
    expect(page.get_by_role("list", name="Payment history")).to_contain_text("Pro plan")
    page.shots("account-plan")
    page.get_by_role("button", name="Cancel plan").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Cancel plan").click()
    expect(page.locator("#plan-period")).to_contain_text("Ends on", timeout=SLOW)
    expect(page.get_by_role("button", name="Cancel plan")).to_have_count(0)
    expect(balance(page)).to_have_text("120 credits")  # this month's credits stay until its end
    page.shots("account-plan-cancelled")

    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Help").click()
    expect(page.get_by_role("heading", name="Help", level=1)).to_be_visible(timeout=SLOW)
    guides = page.get_by_role("navigation", name="Guides")
    guides.get_by_role("link", name="Credits, plans and orders").click()
    expect(page.get_by_role("heading", name="Credits, plans and orders")).to_be_in_viewport()
    page.shots("help")
    assert not page.js_errors, page.js_errors
