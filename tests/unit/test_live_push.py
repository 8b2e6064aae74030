"""Delivering push events to tabs (genpire_app/live.py): each tab runs at most one progress reload and one
full reload at a time; events meanwhile are folded into one, and a result never waits behind progress."""

from __future__ import annotations

import asyncio

import pytest

from genpire_app import live
from genpire_app.backend.jobs.push import LocalChannel, PushEvent


class FakeManager:
    instance_id = "me"

    def __init__(self, tokens):
        self.token_to_socket = {t: type("Rec", (), {"instance_id": owner})() for t, owner in tokens.items()}


class FakeNamespace:
    def __init__(self, tokens):
        self._token_manager = FakeManager(tokens)
        self.sent: list[tuple[str, dict]] = []

    async def emit_update(self, update, token):
        self.sent.append((token, update.events[0].payload["event"]))


class FakeApp:
    def __init__(self, tokens):
        self.event_namespace = FakeNamespace(tokens)


def event(*topics: str, status: str = "running", product: str | None = "p1", job: str = "j1") -> PushEvent:
    return PushEvent(user_id=7, topics=topics, product_id=product, job_id=job, status=status, published_at=1.0)


@pytest.fixture
def app():
    live._tabs.clear(), live._busy.clear(), live._folded.clear()
    app = FakeApp({"tab-a": "me", "tab-b": "other-worker"})
    live._app = app
    live.register(7, "tab-a", "state.designer.on_push")
    live.register(7, "tab-b", "state.designer.on_push")
    yield app
    live._tabs.clear(), live._busy.clear(), live._folded.clear()
    live._app = None


async def test_only_tabs_held_by_this_worker_are_told_and_others_forgotten(app):
    assert await live.deliver(app, event("job")) == 1
    assert [t for t, _ in app.event_namespace.sent] == ["tab-a"]
    assert "tab-b" not in live._tabs[7]  # it registered on the worker that holds it


async def test_progress_bursts_fold_and_a_result_does_not_wait(app):
    await live.deliver(app, event("job"))  # a progress reload starts
    await live.deliver(app, event("job", job="j2"))
    await live.deliver(app, event("job", product="p2"))
    assert len(app.event_namespace.sent) == 1  # folded while the first runs
    await live.deliver(app, event("job", "product", "balance", status="succeeded"))
    assert len(app.event_namespace.sent) == 2  # a result goes at once, beside the progress reload
    await live.finished("tab-a", full=False)
    assert len(app.event_namespace.sent) == 2  # the full reload still runs: the folded one waits
    await live.finished("tab-a", full=True)
    token, folded = app.event_namespace.sent[-1]
    assert len(app.event_namespace.sent) == 3 and folded["product_id"] is None and folded["job_id"] == "j1"
    await live.finished("tab-a", full=False)
    assert "tab-a" not in live._busy


async def test_a_reload_clears_what_was_in_flight(app):
    await live.deliver(app, event("job"))
    await live.deliver(app, event("job"))
    live.register(7, "tab-a", "state.designer.on_push")  # the tab reconnected and loads everything anew
    assert await live.deliver(app, event("job")) == 1


def test_fold_keeps_every_topic_and_the_newest_news():
    merged = live.fold(event("job", product="p1"), event("balance", status="failed", product="p1", job="j9"))
    assert merged.topics == ("job", "balance") and merged.status == "failed" and merged.job_id == "j9"
    assert merged.product_id == "p1"


async def test_local_channel_hands_events_to_subscribers_on_their_loop():
    channel = LocalChannel()
    received = []

    async def consume():
        async for item in channel.subscribe():
            received.append(item)
            return

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)  # let the subscriber register
    await asyncio.to_thread(channel.publish, event("job"))  # published from another thread (a worker)
    await asyncio.wait_for(task, 5)
    assert received[0].job_id == "j1"


async def test_loop_lag_reports_a_blocked_loop():
    import time

    from genpire_app.backend.loop_lag import LoopLag

    monitor = LoopLag(interval=0.001)
    task = asyncio.create_task(monitor.run())
    await asyncio.sleep(0.01)
    time.sleep(0.08)  # block the loop on purpose: the thing being measured
    await asyncio.sleep(0.01)
    task.cancel()
    report = monitor.report(5)
    assert report["worst_ms"] >= 70


def test_the_start_up_heap_is_frozen_out_of_full_collections_and_the_worker_shares_the_gil_finely():
    """issue 11 (loop lag < 20 ms while a batch runs in the web process): after start-up the live objects are
    in the permanent generation, so a full collection no longer walks them; with the queue worker in the
    process, threads hand the GIL over every millisecond."""
    import gc
    import sys

    from genpire_app.backend.loop_lag import SHARED_SWITCH_S, freeze_startup_heap, share_with_worker

    before = sys.getswitchinterval()
    try:
        assert freeze_startup_heap() > 1000 and gc.get_freeze_count() > 1000
        share_with_worker()
        assert sys.getswitchinterval() == SHARED_SWITCH_S
    finally:
        gc.unfreeze()
        sys.setswitchinterval(before)
