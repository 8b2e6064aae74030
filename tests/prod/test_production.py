"""The production topology in the browser (issue 6 "Done means"): PostgreSQL, Redis, S3, 2 web workers,
1 queue worker. The main, designer and 3D models journeys pass through it (the 3D reconstruction runs on
the queue worker and finishes through the webhook route of a web worker); a second tab of the same account follows
by push (views, balance) and the push latency is measured; a web restart mid-approval and a job worker
killed with SIGKILL mid-approval lose nothing and charge once.
"""

from __future__ import annotations

import re
import signal
import time
from contextlib import contextmanager

import psycopg
import pytest
from playwright.sync_api import expect

from tests.browser import open_page, results_folder
from tests.journeys import SLOW, balance, designer_journey, expect_five_views, main_journey, sign_up
from tests.journeys_3d import models3d_journey
from tests.prod.conftest import PUSH_LATENCIES_MS

pytestmark = pytest.mark.prod

#: Records when each chat message appears in the watching tab: every job commit adds one (the reply).
OBSERVE_CHAT = """() => {
  window.__chat = [];
  const log = document.querySelector('[role=log]');
  const count = () => log.querySelectorAll('[role=article]').length;
  let last = count();
  new MutationObserver(() => { const n = count(); if (n > last) { window.__chat.push([Date.now(), n]); } last = n; })
    .observe(log, {subtree: true, childList: true});
}"""


def db(prod):
    return psycopg.connect(prod.env["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def user_id(prod, email: str) -> int:
    with db(prod) as conn:
        return conn.execute("SELECT id FROM localuser WHERE username = %s", (email.lower(),)).fetchone()[0]


def commits_ms(prod, uid: int) -> list[float]:
    """When each finished job of the user committed, milliseconds since the epoch, oldest first."""
    with db(prod) as conn:
        rows = conn.execute("SELECT extract(epoch FROM finished_at) * 1000 FROM jobs WHERE user_id = %s AND "
                            "finished_at IS NOT NULL AND hold_id IS NOT NULL ORDER BY finished_at", (uid,)).fetchall()
    return [float(r[0]) for r in rows]


def wait_for_db(prod, sql: str, args: tuple, timeout: float = 60.0) -> None:
    """Wait until ``sql`` returns a row (another process reaching a state), bounded by ``timeout``."""
    deadline = time.monotonic() + timeout
    with db(prod) as conn:
        while conn.execute(sql, args).fetchone() is None:
            assert time.monotonic() < deadline, f"timed out waiting for: {sql}"
            time.sleep(0.05)  # polling another process's progress


def ledger_ok(prod, uid: int) -> tuple[int, int]:
    """(ledger sum, balance) of the user, hundredths of a credit."""
    with db(prod) as conn:
        ledger = conn.execute("SELECT coalesce(sum(delta), 0) FROM credit_ledger WHERE user_id = %s", (uid,)).fetchone()[0]
        grants = conn.execute("SELECT coalesce(sum(remaining), 0) FROM credit_grants WHERE user_id = %s AND "
                              "status = 'active'", (uid,)).fetchone()[0]
    return int(ledger), int(grants)


def record_latencies(prod, watcher, uid: int, since_ms: float) -> list[float]:
    """For each job the user's jobs committed after ``since_ms``, the time until the watching tab showed
    its chat reply (the first new chat message after the commit), milliseconds."""
    appeared = [at for at, _count in watcher.evaluate("() => window.__chat")]
    seen: list[float] = []
    for commit in (c for c in commits_ms(prod, uid) if c >= since_ms):
        later = [at for at in appeared if at >= commit]
        if later:
            seen.append(later[0] - commit)
            appeared = [at for at in appeared if at > later[0]]
    PUSH_LATENCIES_MS.extend(seen)
    return seen


@contextmanager
def second_tab(browser, prod, page, name: str, url: str = "/dashboard"):
    """Another browser context signed in to the same account."""
    with open_page(browser, prod.base_url, results_folder("prod", name), storage_state=page.context.storage_state()) as other:
        other.goto(url)
        expect(balance(other)).to_be_visible(timeout=SLOW)
        yield other


def test_main_journey_with_a_second_tab_following(prod_page, prod, browser, fixtures, tmp_path):
    tabs = {}

    def watch(page) -> None:
        tabs["other"] = second_tab(browser, prod, page, "main-journey-second-tab")
        tabs["page"] = tabs["other"].__enter__()

    try:
        email = main_journey(prod_page, fixtures, tmp_path, on_signed_up=watch)
        other = tabs["page"]
        expect(balance(other)).to_have_text("15 credits", timeout=SLOW)  # without a reload
        expect(other.get_by_text("Views ready")).to_be_visible(timeout=SLOW)
        other.shots("second-tab-dashboard")
        assert ledger_ok(prod, user_id(prod, email)) == (1500, 1500)
    finally:
        if "other" in tabs:
            tabs["other"].__exit__(None, None, None)


def test_designer_journey(prod_page, prod, browser, tmp_path):
    tabs = {}

    def watch(page) -> None:
        tabs["other"] = second_tab(browser, prod, page, "designer-second-tab")
        tabs["page"] = tabs["other"].__enter__()

    try:
        email = designer_journey(prod_page, tmp_path, on_signed_up=watch)
        expect(balance(tabs["page"])).to_have_text("13 credits", timeout=SLOW)  # the other tab, without a reload
        assert ledger_ok(prod, user_id(prod, email)) == (1300, 1300)
    finally:
        if "other" in tabs:
            tabs["other"].__exit__(None, None, None)


def test_3d_models_journey(prod_page, prod, tmp_path):
    email = models3d_journey(prod_page, tmp_path, {"DATABASE_URL": prod.env["DATABASE_URL"],
                                                   "DATA_DIR": prod.env["DATA_DIR"]})
    assert ledger_ok(prod, user_id(prod, email)) == (100, 100)  # 20 + 5 + 10 granted; 3 views, 1 tech pack, 3 models of 10


def _product_with_front_view(page) -> str:
    email = sign_up(page)
    page.get_by_label("Product idea").fill("A stainless steel water bottle with a bamboo cap")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("img", name="Front view", exact=True)).to_be_visible(timeout=SLOW)
    expect(balance(page)).to_have_text("19 credits", timeout=SLOW)
    return email


EDITS = ("Change the color to red", "Make the straps brown", "Make it bigger", "Make it more minimal",
         "Use a warmer color palette", "Change the main color to black", "Make it smaller", "Change the color to blue",
         "Make the cap green", "Change the color to white", "Make it taller", "Change the main color to navy")


def test_a_second_tab_sees_views_appear_live(prod_page, prod, browser):
    """The other tab shows each step as its job commits; the time from commit to DOM is measured."""
    email = _product_with_front_view(prod_page)
    uid = user_id(prod, email)
    with second_tab(browser, prod, prod_page, "live-views-second-tab", url=prod_page.url) as other:
        expect(other.get_by_role("img", name="Front view", exact=True)).to_be_visible(timeout=SLOW)
        for n, feedback in enumerate(("Make the straps brown", "Make it bigger"), start=2):
            prod_page.get_by_role("button", name="Request Changes").click()
            prod_page.get_by_label("Feedback").fill(feedback)
            prod_page.get_by_role("button", name="Regenerate", exact=True).click()
            expect(other.get_by_role("button", name=f"V{n}", exact=True)).to_be_visible(timeout=SLOW)
        prod_page.get_by_role("button", name="Approve & Generate All Views").click()
        expect(other.get_by_text("Generating all views")).to_be_visible(timeout=SLOW)
        other.shots("progress")
        expect_five_views(other)
        other.evaluate(OBSERVE_CHAT)  # the chat shows once the views exist; each later commit adds a reply
        since = other.evaluate("() => Date.now()")
        other.shots("views")
        for name in ("Back", "Side", "Top", "Bottom"):  # edits of the front view only: 0.5 credit each
            prod_page.get_by_role("checkbox", name=name, exact=True).click()
        for n, text in enumerate(EDITS, start=1):
            prod_page.get_by_label("Message").fill(text)
            prod_page.get_by_role("button", name="Send").click()
            expect(other.get_by_text(f"Revision {n}", exact=True).first).to_be_visible(timeout=SLOW)
        prod_page.get_by_role("button", name="Generate Tech Pack").click()
        expect(other.get_by_role("link", name=re.compile("Tech pack · Revision"))).to_be_visible(timeout=SLOW)
        expect(balance(other)).to_have_text(f"{20 - 1 - 2 - 2 - len(EDITS) // 2 - 1} credits", timeout=SLOW)
        other.shots("edits-and-tech-pack")
        assert len(record_latencies(prod, other, uid, since)) >= len(EDITS) + 1


def test_web_restart_mid_approval_loses_nothing(prod_page, prod):
    email = _product_with_front_view(prod_page)
    prod_page.get_by_role("button", name="Approve & Generate All Views").click()
    expect(prod_page.get_by_text("Generating all views")).to_be_visible(timeout=SLOW)
    prod.stop_web()
    prod.start_web()
    expect_five_views(prod_page)  # the tab reconnects and catches up from the database
    expect(balance(prod_page)).to_have_text("17 credits", timeout=SLOW)
    prod_page.shots("after-web-restart")
    uid = user_id(prod, email)
    with db(prod) as conn:
        holds = conn.execute("SELECT status, captured FROM credit_holds WHERE user_id = %s AND operation = 'approval'",
                             (uid,)).fetchall()
    assert holds == [("captured", 200)]
    assert ledger_ok(prod, uid) == (1700, 1700)


def test_job_worker_killed_mid_approval_is_retried_once(prod_page, prod):
    email = _product_with_front_view(prod_page)
    prod_page.get_by_role("button", name="Approve & Generate All Views").click()
    uid = user_id(prod, email)
    wait_for_db(prod, "SELECT 1 FROM jobs WHERE user_id = %s AND kind = 'approval' AND progress->>'features' = 'done'",
                (uid,))  # the worker is generating the views now
    victim = prod.workers[-1]
    prod.kill_worker(victim, signal.SIGKILL)
    prod.start_worker()  # a fresh worker: its boot sweep finds the dead worker's job and retries it
    expect_five_views(prod_page)
    expect(balance(prod_page)).to_have_text("17 credits", timeout=SLOW)
    prod_page.shots("after-worker-kill")
    with db(prod) as conn:
        job = conn.execute("SELECT status, attempts FROM jobs WHERE user_id = %s AND kind = 'approval'", (uid,)).fetchone()
        holds = conn.execute("SELECT status, captured FROM credit_holds WHERE user_id = %s AND operation = 'approval'",
                             (uid,)).fetchall()
    assert job == ("succeeded", 2), "retried once on the fresh worker"
    assert holds == [("captured", 200)]
    assert ledger_ok(prod, uid) == (1700, 1700)
