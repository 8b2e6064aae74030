"""Tech Pack V2 Category and Base views steps through the real runner (issue 10 items 2, 3, 9; seed 001).

The product and its five views come from the offline pipeline (real renderer), the analyses from the offline
pixel analysis behind a counting wrapper; database, ledger, storage and runner are real.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlmodel import func, select

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import AIOperationLog, CreditHold, Job
from genpire_app.backend.db.techpack_v2_models import ProductTechPackV2, RevisionVisionAnalysis
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import Completion, ImageInput, ProviderError, TokenUsage
from genpire_app.backend.providers.offline import OfflineImageProvider
from genpire_app.backend.providers.offline_text import OfflineTextProvider
from genpire_app.backend.providers.offline_v2_vision import OfflineV2VisionProvider
from genpire_app.backend.providers.offline_vision import OfflineVisionProvider
from genpire_app.backend.providers.registry import Providers, set_providers
from genpire_app.backend.providers.v2_vision import ViewAnalysis
from genpire_app.backend.services import ai_log, credits, products, v2_analysis, v2_document
from genpire_app.backend.storage import get_storage

IDEA = "A minimalist canvas tote bag with leather straps"
KEYS = ["schema_version", "view", "category", "materials", "construction", "dimensions_mm", "colors", "hardware",
        "finishes", "labels", "notes"]


@dataclass
class Counting:
    """A V2 vision provider that counts calls, optionally waits ``latency`` seconds and fails."""

    inner: Any = field(default_factory=OfflineV2VisionProvider)
    latency: float = 0.0
    fail: bool = False
    calls: list[str] = field(default_factory=list)
    name: str = "counting"
    model: str = "counting-v2-1"

    async def _call(self, what: str, make):
        self.calls.append(what)
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.fail:
            raise ProviderError("The vision service is unavailable.", provider=self.name, retryable=True)
        done = await make()
        return Completion(done.value, self.model, TokenUsage(700, 300))

    async def detect_category(self, image: ImageInput, *, hint_text: str):
        return await self._call("category", lambda: self.inner.detect_category(image, hint_text=hint_text))

    async def analyze_view(self, image: ImageInput, *, view: str, category: str):
        return await self._call(view, lambda: self.inner.analyze_view(image, view=view, category=category))


@pytest.fixture
def v2(app_env):
    vision = Counting()
    set_providers(Providers(image=OfflineImageProvider(), vision=OfflineVisionProvider(), text=OfflineTextProvider(),
                            v2_vision=vision))
    yield vision
    set_providers(None)


async def product(jobs, user: int, idea: str = IDEA) -> uuid.UUID:
    pid = await products.create_product(user_id=user, data=products.ProductInput(mode="text", idea=idea))
    await jobs.approved(user, pid)
    return pid


async def run(jobs, start, user: int, pid: uuid.UUID):
    submitted = await asyncio.to_thread(start, user, pid, runner.new_intent())
    await jobs.drain()
    return jobs.done(submitted.job_id)


async def distinct_hashes(user: int, pid: uuid.UUID) -> set[str]:
    doc = v2_document.document_of(user, pid)
    return {v2_analysis.image_hash(await get_storage().get(key)) for key in doc.view_keys.values()}


def logs(**where: Any) -> list[AIOperationLog]:
    with read_session() as s:
        rows = s.exec(select(AIOperationLog)).all()
    return [r for r in rows if all(getattr(r, k) == v for k, v in where.items())]


def count(model) -> int:
    with read_session() as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


async def test_category_is_detected_free_and_a_user_choice_overrides_it(v2, jobs, make_user):
    user = make_user()
    pid = await product(jobs, user)
    before = credits.balance(user_id=user)
    done = await run(jobs, v2_analysis.start_category, user, pid)
    assert done.ok and done.charged == 0 and credits.balance(user_id=user) == before
    doc = v2_document.document_of(user, pid)
    assert (doc.category, doc.subcategory, doc.category_source) == ("Bags", "Tote bag", "detected")
    assert 0.6 <= doc.category_confidence <= 1 and doc.step_done("category")
    assert v2.calls == ["category"]
    (row,) = logs(operation="v2_category")
    assert (row.status, row.operation_type, row.provider) == ("completed", "vision", "counting")
    assert row.completed_at is not None and row.total_tokens == 1000 == row.input_tokens + row.output_tokens
    assert row.context["step"] == "category" and row.output_data["fields"]["category"] == "Bags"

    mine = v2_document.set_category(user, pid, "Accessories", "Carryall")
    assert (mine.category, mine.subcategory, mine.category_source, mine.category_confidence) == \
        ("Accessories", "Carryall", "user", 1.0)
    assert credits.balance(user_id=user) == before


async def test_base_views_are_analysed_cached_and_charged_three_credits(v2, jobs, make_user):
    user = make_user()
    pid = await product(jobs, user)
    await run(jobs, v2_analysis.start_category, user, pid)
    before, v2.calls[:] = credits.balance(user_id=user), []
    done = await run(jobs, v2_analysis.start_base_views, user, pid)
    assert done.ok, done.message
    assert done.charged == 300 and credits.balance(user_id=user) == before - 300

    hashes = await distinct_hashes(user, pid)
    assert len(v2.calls) == len(hashes) and sorted(v2.calls) == sorted(set(v2.calls))
    with read_session() as s:
        cached = s.exec(select(RevisionVisionAnalysis)).all()
    assert {r.image_hash for r in cached} == hashes and len(cached) == len(hashes)
    assert all(r.tokens_used == 1000 and r.schema_version == 1 and r.model_used == "counting-v2-1" for r in cached)

    doc = v2_document.document_of(user, pid)
    assert sorted(doc.views) == ["back", "bottom", "front", "side", "top"]
    for view, entry in doc.views.items():
        analysis = entry["fields"]
        assert list(analysis) == KEYS and analysis["view"] == view and analysis["schema_version"] == 1
        assert 0 < entry["confidence"] <= 1 and entry["confidence"] == v2_analysis.confidence(analysis)
        assert entry["analysis_id"] in {str(r.id) for r in cached}
        regions = [i["region"] for k in ("construction", "hardware", "labels") for i in analysis[k]]
        assert regions and all(0 <= x <= 1 for r in regions for x in r)
    front = doc.views["front"]["fields"]
    assert front["category"] == "Bags" and front["colors"][0]["hex"].startswith("#")
    assert any(c["feature"] == "straps" for c in front["construction"])  # the straps rise above the body
    assert any(r != [0.0, 0.0, 1.0, 1.0] for r in (c["region"] for c in front["construction"]))
    assert set(doc.fields) == set(v2_document.SECTIONS)
    assert doc.fields["materials"]["bag"] == "Cotton canvas" and doc.fields["dimensions"]["width_mm"] > 0
    assert doc.fields["colors"]["primary"].endswith(")") and doc.step_done("base_views")
    with read_session() as s:
        job = s.get(Job, done.job_id)
    assert job.progress == {v: "done" for v in ("front", "back", "side", "top", "bottom")}
    calls = logs(operation="v2_base_view")
    assert len(calls) == len(hashes) and {r.status for r in calls} == {"completed"}
    assert all(r.context["cache"] == "miss" and r.total_tokens == 1000 for r in calls)


async def test_the_same_images_again_cost_no_provider_call_but_still_three_credits(v2, jobs, make_user):
    user = make_user()
    pid = await product(jobs, user)
    first = await run(jobs, v2_analysis.start_base_views, user, pid)
    assert first.ok
    ids = {v: e["analysis_id"] for v, e in v2_document.document_of(user, pid).views.items()}
    calls, before, rows = len(v2.calls), credits.balance(user_id=user), count(RevisionVisionAnalysis)

    again = await run(jobs, v2_analysis.start_base_views, user, pid)
    assert again.ok and again.result["cached"] == 5
    assert len(v2.calls) == calls, "cached images cost no provider call"
    assert credits.balance(user_id=user) == before - 300, v2_analysis.CACHE_RULE
    assert count(RevisionVisionAnalysis) == rows
    assert {v: e["analysis_id"] for v, e in v2_document.document_of(user, pid).views.items()} == ids
    hits = [r for r in logs(operation="v2_base_view") if r.context.get("cache") == "hit"]
    assert sorted(r.context["view"] for r in hits) == ["back", "bottom", "front", "side", "top"]
    assert all(r.status == "completed" and r.operation_type == "vision" and r.total_tokens == 0 for r in hits)
    assert all(r.provider == "cache" and r.processing_ms < 1000 and r.completed_at is not None for r in hits)


async def test_another_product_with_the_same_images_reuses_the_cache_even_when_racing(v2, jobs, make_user):
    user = make_user()
    a, b = await product(jobs, user), await product(jobs, user)
    assert await distinct_hashes(user, a) == await distinct_hashes(user, b)  # the renderer is deterministic
    first = await asyncio.to_thread(v2_analysis.start_base_views, user, a, runner.new_intent())
    second = await asyncio.to_thread(v2_analysis.start_base_views, user, b, runner.new_intent())
    jobs.pending.clear()
    await asyncio.gather(runner.run(first.job_id), runner.run(second.job_id))  # both miss, both insert
    assert jobs.done(first.job_id).ok and jobs.done(second.job_id).ok
    assert count(RevisionVisionAnalysis) == len(await distinct_hashes(user, a))  # insert-or-ignore
    views_a = v2_document.document_of(user, a).views
    views_b = v2_document.document_of(user, b).views
    assert {v: e["analysis_id"] for v, e in views_a.items()} == {v: e["analysis_id"] for v, e in views_b.items()}


async def test_views_are_analysed_concurrently(app_env, jobs, make_user):
    class Slow:
        name, model = "slow", "slow-1"
        in_flight = most = 0

        async def analyze_view(self, image, *, view, category):
            Slow.in_flight += 1
            Slow.most = max(Slow.most, Slow.in_flight)
            await asyncio.sleep(0.3)
            Slow.in_flight -= 1
            return Completion(ViewAnalysis(view=view, category="Bags", materials=[], construction=[],
                                           dimensions_mm={"width": 1, "height": 2, "depth": 3}, colors=[],
                                           hardware=[], finishes=[], labels=[], notes=""), self.model)

    set_providers(Providers(image=OfflineImageProvider(), vision=OfflineVisionProvider(), text=OfflineTextProvider(),
                            v2_vision=Slow()))
    user = make_user()
    pid = await product(jobs, user)
    done = await run(jobs, v2_analysis.start_base_views, user, pid)
    assert done.ok and Slow.most == 5, f"at most {Slow.most} of the five analyses ran at once: not concurrent"
    entry = v2_document.document_of(user, pid).views["front"]
    assert entry["confidence"] == round(0.2 * v2_analysis.DEFAULT_CERTAINTY, 3)  # dimensions only, no materials


async def test_a_provider_failure_releases_the_hold(v2, jobs, make_user):
    user = make_user()
    pid = await product(jobs, user)
    before = credits.balance(user_id=user)
    v2.fail = True
    done = await run(jobs, v2_analysis.start_base_views, user, pid)
    assert done.status == "failed" and "unavailable" in done.message and "returned" in done.message
    assert credits.balance(user_id=user) == before
    with read_session() as s:
        job = s.get(Job, done.job_id)
        assert s.get(CreditHold, job.hold_id).status == "released"
        assert s.exec(select(ProductTechPackV2)).one().views == {}
    assert count(RevisionVisionAnalysis) == 0
    failed = logs(operation="v2_base_view")
    assert failed and {r.status for r in failed} == {"failed"} and all(r.completed_at for r in failed)
    assert "failed" in job.progress.values()


async def test_another_users_product_is_not_found_and_nothing_is_held(v2, jobs, make_user):
    owner = make_user()
    pid = await product(jobs, owner)
    other = make_user("other@example.com")
    for start in (v2_analysis.start_base_views, v2_analysis.start_category):
        with pytest.raises(OperationError) as refused:
            await asyncio.to_thread(start, other, pid, runner.new_intent())
        assert refused.value.code == "not_found"
    for call in (lambda: v2_document.document_of(other, pid), lambda: v2_document.set_category(other, pid, "Bags", "")):
        with pytest.raises(OperationError) as refused:
            call()
        assert refused.value.code == "not_found"
    with read_session() as s:
        assert s.exec(select(CreditHold).where(CreditHold.user_id == other)).all() == []
        assert s.exec(select(Job).where(Job.user_id == other)).all() == []
        assert s.exec(select(ProductTechPackV2)).all() == []
    assert credits.balance(user_id=other) == 2000 and v2.calls == []


async def test_a_logged_call_is_pending_while_it_runs(app_env, make_user):
    user = make_user()
    gate = asyncio.Event()

    async def slow() -> Completion[str]:
        await gate.wait()
        return Completion("done", "m-1", TokenUsage(5, 7))

    task = asyncio.ensure_future(ai_log.logged_call(slow, operation="probe", provider="p", model="m", user_id=user,
                                                    product_id=None, input_summary="probe", context={"x": 1}))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if logs(operation="probe"):
            break
    (row,) = logs(operation="probe")
    assert row.status == "pending" and row.completed_at is None and row.context == {"x": 1}
    gate.set()
    await task
    await ai_log.flush()
    (row,) = logs(operation="probe")
    assert (row.status, row.model, row.total_tokens, row.output_data) == ("completed", "m-1", 12,
                                                                          {"kind": "text", "text": "done"})
    assert row.completed_at is not None
