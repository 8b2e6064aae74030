"""Quick 3D backbone (seed 003 §2 Dashboard / Asset page / Workspace, §4 Generation; DESIGN.md §5, §7.1, §12):
concepts as a held operation (services/concepts.py), assets with owner checks, the workspace and the public
feed with keyset paging (services/assets.py), the styles table and its migration.

Concepts run through the real runner with the real offline renderer (at 256 px, for speed); provider failures
use a wrapper around it that fails chosen concepts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import uuid
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import create_engine, text
from sqlmodel import select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import CreditHold, Job, Notification
from genpire_app.backend.db.quick3d_models import Asset, AssetStatus, Style
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import GeneratedImage, ImageRequest, ProviderError
from genpire_app.backend.providers.registry import get_providers, set_providers
from genpire_app.backend.services import assets, concepts, credits
from genpire_app.backend.storage import get_storage
from tests.ledger_cases import assert_invariant
from tests.unit.test_migrations import alembic_config, load_migration

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "A ceramic coffee mug with a wide handle"
FAIL_MESSAGE = "The image service is unavailable."




STYLES = load_migration("quick_3d_styles_and_assets").STYLES


@pytest.fixture
def quick(app_env, monkeypatch):
    """Small offline renders; the migration's styles in the test database (tables come from create_all)."""
    monkeypatch.setenv("IMAGE_SIZE", "256")
    get_settings.cache_clear()
    with write_session() as s:
        for i, (id_, slug, name, hint) in enumerate(STYLES):
            s.add(Style(id=uuid.UUID(id_), slug=slug, name=name, prompt_hint=hint, preview_path=f"/styles/{slug}.png",
                        sort_order=i))
    yield app_env
    get_settings.cache_clear()


@dataclasses.dataclass
class FailingImage:
    """The real image provider, except for requests whose prompt names a failing concept label."""

    inner: object
    fail: tuple[str, ...] = ("A", "B")
    name: str = "offline"
    model: str = "offline-renderer-1"

    async def generate(self, request: ImageRequest) -> GeneratedImage:
        if any(f"CONCEPT {label}:" in request.prompt for label in self.fail):
            raise ProviderError(FAIL_MESSAGE, provider="offline", retryable=True)
        return await self.inner.generate(request)  # type: ignore[attr-defined]


def failing(*labels: str) -> None:
    providers = get_providers()
    set_providers(dataclasses.replace(providers, image=FailingImage(providers.image, fail=labels or ("A", "B"))))


def style_id(slug: str) -> uuid.UUID:
    return uuid.UUID(next(id_ for id_, s, *_ in STYLES if s == slug))


async def start(jobs, user: int, *, drain: bool = True, **kw) -> concepts.Started:
    kw.setdefault("mode", "text")
    kw.setdefault("prompt", PROMPT)
    kw.setdefault("intent", uuid.uuid4().hex)
    started = await asyncio.to_thread(concepts.start_concepts, user, **kw)
    if drain:
        await jobs.drain()
    return started


async def regenerate(jobs, user: int, asset_id: uuid.UUID, intent: str | None = None) -> concepts.Started:
    started = await asyncio.to_thread(concepts.regenerate_concepts, user, asset_id, intent or uuid.uuid4().hex)
    await jobs.drain()
    return started


def row(asset_id: uuid.UUID) -> Asset:
    with read_session() as s:
        asset = s.get(Asset, asset_id)
        assert asset is not None
        return asset


def set_status(asset_id: uuid.UUID, status: AssetStatus) -> None:
    with write_session() as s:
        asset = s.get(Asset, asset_id)
        asset.status = status.value
        s.add(asset)


def job_of(job_id: uuid.UUID) -> Job:
    with read_session() as s:
        return s.get(Job, job_id)


def holds(user: int) -> list[CreditHold]:
    with read_session() as s:
        return list(s.exec(select(CreditHold).where(CreditHold.user_id == user)).all())


def stored_files(data_dir: Path, user: int) -> list[Path]:
    folder = data_dir / "storage" / "users" / str(user) / "assets"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


async def blob(key: str) -> bytes:
    return await get_storage().get(key)


# ------------------------------------------------------------------------------------------- concepts


async def test_text_mode_makes_two_concepts_for_one_credit(quick, jobs, make_user):
    user = make_user()
    before = credits.balance(user_id=user)
    started = await start(jobs, user, style_id=style_id("low-poly"))
    assert started.job_id is not None and not started.reused
    done = jobs.done(started.job_id)
    assert done.ok and done.charged == 100 and done.message == concepts.READY

    asset = row(started.asset_id)
    assert asset.status == AssetStatus.CONCEPTS_GENERATED.value and asset.concept_attempts == 1
    assert len(asset.concept_keys) == 2 and len(asset.concept_thumb_keys) == 2
    assert asset.concept_keys[0] != asset.concept_keys[1]  # content keys: the two concepts differ
    assert asset.thumbnail_key == asset.concept_thumb_keys[0] and asset.selected_concept is None and asset.error is None
    prefix = f"users/{user}/assets/{asset.id}/concepts/"
    for key in asset.concept_keys:
        assert key.startswith(prefix) and key.endswith(".png")
        assert Image.open(io.BytesIO(await blob(key))).size == (256, 256)
    for key in asset.concept_thumb_keys:
        assert key.endswith(".webp") and Image.open(io.BytesIO(await blob(key))).format == "WEBP"

    assert credits.balance(user_id=user) == before - 100  # exactly 1 credit
    [hold] = holds(user)
    assert (hold.status, hold.amount, hold.captured) == ("captured", 100, 100)
    assert_invariant(user)
    assert assets.get_owned(user, asset.id).next_step == "Select Concept"


async def test_regenerate_costs_one_more_and_replaces_the_concepts(quick, jobs, make_user):
    user = make_user()
    before = credits.balance(user_id=user)
    first = await start(jobs, user)
    old = row(first.asset_id).concept_keys
    assets.select_concept(user, first.asset_id, 1)
    again = await regenerate(jobs, user, first.asset_id)
    assert again.asset_id == first.asset_id and jobs.done(again.job_id).charged == 100

    asset = row(first.asset_id)
    assert asset.status == AssetStatus.CONCEPTS_GENERATED.value and asset.concept_attempts == 2
    assert len(asset.concept_keys) == 2 and not set(asset.concept_keys) & set(old)  # new variations
    assert asset.selected_concept is None
    assert credits.balance(user_id=user) == before - 200
    assert assets.get_owned(user, asset.id).retries_left == get_settings().concept_retries - 1
    assert_invariant(user)


async def test_regenerations_run_out_and_then_nothing_is_held(quick, jobs, make_user, monkeypatch):
    monkeypatch.setenv("CONCEPT_RETRIES", "1")
    get_settings.cache_clear()
    user = make_user()
    first = await start(jobs, user)
    await regenerate(jobs, user, first.asset_id)
    left = credits.balance(user_id=user)
    assert assets.get_owned(user, first.asset_id).retries_left == 0
    with pytest.raises(OperationError) as refused:
        await regenerate(jobs, user, first.asset_id)
    assert refused.value.code == "invalid_state" and "used all 1 concept regenerations" in refused.value.message
    assert credits.balance(user_id=user) == left
    assert [h.status for h in holds(user)] == ["captured", "captured"]  # no third hold
    asset = row(first.asset_id)
    assert asset.status == AssetStatus.CONCEPTS_GENERATED.value and asset.concept_attempts == 2
    assert_invariant(user)


async def test_failed_first_concepts_release_the_hold_and_fail_the_asset(quick, jobs, make_user):
    user = make_user()
    before = credits.balance(user_id=user)
    failing("B")  # one of the two fails: nothing is kept
    started = await start(jobs, user)
    done = jobs.done(started.job_id)
    assert done.status == "failed" and FAIL_MESSAGE in done.message and "Your 1 credit was returned." in done.message

    asset = row(started.asset_id)
    assert asset.status == AssetStatus.FAILED.value and asset.concept_keys == [] and asset.concept_attempts == 0
    assert asset.error == done.message
    assert assets.get_owned(user, asset.id).next_step == "Error"
    [hold] = holds(user)
    assert hold.status == "released"
    assert credits.balance(user_id=user) == before
    assert stored_files(quick, user) == []  # concept A's render was never stored
    with read_session() as s:
        note = s.exec(select(Notification).where(Notification.user_id == user)).one()
    assert note.type == "generation_failed" and note.link == f"/assets/{asset.id}"
    assert_invariant(user)

    # A failed asset can try again (its first concepts: the concepts price).
    set_providers(None)
    again = await regenerate(jobs, user, asset.id)
    assert jobs.done(again.job_id).charged == get_settings().prices.concepts
    assert row(asset.id).status == AssetStatus.CONCEPTS_GENERATED.value


async def test_failed_regeneration_keeps_the_old_concepts(quick, jobs, make_user):
    user = make_user()
    before = credits.balance(user_id=user)
    first = await start(jobs, user)
    old = row(first.asset_id)
    failing()
    again = await regenerate(jobs, user, first.asset_id)
    assert jobs.done(again.job_id).status == "failed"

    asset = row(first.asset_id)
    assert asset.status == AssetStatus.CONCEPTS_GENERATED.value
    assert asset.concept_keys == old.concept_keys and asset.thumbnail_key == old.thumbnail_key
    assert asset.concept_attempts == 1 and FAIL_MESSAGE in (asset.error or "")
    assert [h.status for h in sorted(holds(user), key=lambda h: h.created_at)] == ["captured", "released"]
    assert credits.balance(user_id=user) == before - 100
    for key in old.concept_keys:
        assert await blob(key)
    assert_invariant(user)


async def test_a_dead_job_failed_by_the_sweep_restores_the_asset(quick, jobs, make_user):
    user = make_user()
    started = await start(jobs, user, drain=False)
    assert row(started.asset_id).status == AssetStatus.PENDING_CONCEPTS.value
    assert assets.get_owned(user, started.asset_id).next_step == "Generating concepts…"
    with write_session() as s:
        assert runner.fail_job(s, s.get(Job, started.job_id), runner.INTERRUPTED, plan=None)
    jobs.pending.clear()
    asset = row(started.asset_id)
    assert asset.status == AssetStatus.FAILED.value and runner.INTERRUPTED in (asset.error or "")
    assert [h.status for h in holds(user)] == ["released"]
    assert_invariant(user)


async def test_image_mode_uses_the_upload_and_keeps_a_copy(quick, jobs, make_user):
    user = make_user()
    upload = Image.new("RGB", (300, 300), (255, 255, 255))
    ImageDraw.Draw(upload).ellipse([60, 40, 240, 260], fill=(30, 90, 200))  # a blue object on white
    out = io.BytesIO()
    upload.save(out, "PNG")
    staged = f"users/{user}/staging/{uuid.uuid4().hex}.png"
    await get_storage().put(staged, out.getvalue(), "image/png")

    started = await start(jobs, user, mode="image", prompt="", input_image_key=staged)
    assert jobs.done(started.job_id).ok
    asset = row(started.asset_id)
    assert asset.mode == "image" and asset.status == AssetStatus.CONCEPTS_GENERATED.value
    assert asset.concept_keys[0] != asset.concept_keys[1]
    assert asset.input_image_key != staged and asset.input_image_key.startswith(f"users/{user}/assets/{asset.id}/")
    assert await blob(asset.input_image_key) == out.getvalue()
    # the offline renderer drew the upload (its blue) in the concept, not a proxy shape
    concept = Image.open(io.BytesIO(await blob(asset.concept_keys[0]))).convert("RGB")
    assert concept.getpixel((128, 128))[2] > 150

    again = await regenerate(jobs, user, asset.id)  # works from the asset's own copy
    assert jobs.done(again.job_id).ok and row(asset.id).input_image_key == asset.input_image_key


async def test_inputs_are_checked_before_anything_is_created_or_held(quick, jobs, make_user):
    user = make_user()
    other = make_user("other@example.com")
    with write_session() as s:
        retired = s.get(Style, style_id("cartoon"))
        retired.active = False
        s.add(retired)
    cases = [
        dict(mode="text", prompt="   "),
        dict(mode="text", prompt="x" * 1001),
        dict(mode="image", prompt="a vase"),
        dict(mode="image", prompt="", input_image_key=f"users/{other}/staging/a.png"),
        dict(mode="image", prompt="", input_image_key=f"users/{user}/../{other}/staging/a.png"),
        dict(mode="sketch", prompt="a vase"),
        dict(mode="text", prompt="a vase", style_id=style_id("cartoon")),
        dict(mode="text", prompt="a vase", style_id=uuid.uuid4()),
    ]
    for case in cases:
        with pytest.raises(OperationError) as refused:
            await start(jobs, user, **case)
        assert refused.value.code == "invalid_input", case
    broke = make_user("broke@example.com", credits=None)
    with pytest.raises(OperationError) as short:
        await start(jobs, broke)
    assert short.value.code == "insufficient_credits"
    with read_session() as s:
        assert s.exec(select(Asset)).all() == [] and s.exec(select(Job)).all() == []
    assert holds(user) == [] and holds(broke) == []
    assert [s.slug for s in assets.list_styles()] == [s for _, s, *_ in STYLES if s != "cartoon"]


async def test_same_intent_is_one_asset_and_one_charge(quick, jobs, make_user):
    user = make_user()
    before = credits.balance(user_id=user)
    one = await start(jobs, user, intent="intent-dashboard-1", drain=False)
    two = await start(jobs, user, intent="intent-dashboard-1")
    assert (two.asset_id, two.job_id, two.reused) == (one.asset_id, one.job_id, True)
    assert credits.balance(user_id=user) == before - 100
    assert len(assets.workspace(user).items) == 1


async def test_skip_concept_creates_the_asset_for_the_model_step(quick, jobs, make_user):
    user = make_user()
    before = credits.balance(user_id=user)
    started = await start(jobs, user, skip_concept=True)
    assert started.job_id is None and jobs.pending == []
    asset = assets.get_owned(user, started.asset_id)
    assert asset.status == AssetStatus.GENERATING_MODEL.value and asset.skip_concept
    assert asset.next_step == "Generating model…" and not asset.actionable
    assert credits.balance(user_id=user) == before


# ------------------------------------------------------------------------------------------- owners


async def test_another_users_asset_is_not_found(quick, jobs, make_user):
    owner = make_user()
    other = make_user("other@example.com")
    started = await start(jobs, owner)
    set_status(started.asset_id, AssetStatus.COMPLETED)
    calls = [
        lambda: assets.get_owned(other, started.asset_id),
        lambda: assets.select_concept(other, started.asset_id, 0),
        lambda: assets.set_public(other, started.asset_id, True),
        lambda: concepts.regenerate_concepts(other, started.asset_id, uuid.uuid4().hex),
    ]
    for call in calls:
        with pytest.raises(OperationError) as refused:
            await asyncio.to_thread(call)
        assert refused.value.code == "not_found" and refused.value.message == assets.NOT_FOUND
    with pytest.raises(OperationError):
        assets.get_owned(owner, uuid.uuid4())
    assert holds(other) == [] and not row(started.asset_id).is_public
    assert assets.workspace(other).items == []


async def test_select_concept(quick, jobs, make_user):
    user = make_user()
    started = await start(jobs, user, drain=False)
    with pytest.raises(OperationError) as early:
        assets.select_concept(user, started.asset_id, 0)
    assert early.value.code == "invalid_state"
    await jobs.drain()
    for bad in (-1, 2):
        with pytest.raises(OperationError) as refused:
            assets.select_concept(user, started.asset_id, bad)
        assert refused.value.code == "invalid_input"
    chosen = assets.select_concept(user, started.asset_id, 1)
    assert chosen.selected_concept == 1 and chosen.thumbnail_key == chosen.concept_thumb_keys[1]


async def test_publishing_needs_a_completed_model(quick, jobs, make_user):
    user = make_user()
    started = await start(jobs, user)
    with pytest.raises(OperationError) as refused:
        assets.set_public(user, started.asset_id, True)
    assert refused.value.code == "invalid_state" and not row(started.asset_id).is_public
    assert assets.set_public(user, started.asset_id, False).is_public is False  # unpublishing is always fine

    set_status(started.asset_id, AssetStatus.COMPLETED)
    published = assets.set_public(user, started.asset_id, True)
    assert published.is_public and published.published_at is not None
    assert assets.get_public(started.asset_id).concept_key == published.concept_keys[0]
    assert [a.id for a in assets.public_feed().items] == [started.asset_id]

    assets.set_public(user, started.asset_id, False)
    assert assets.public_feed().items == []
    with pytest.raises(OperationError) as hidden:
        assets.get_public(started.asset_id)
    assert hidden.value.code == "not_found"
    again = assets.set_public(user, started.asset_id, True)
    assert again.published_at == published.published_at  # set once, at the first publication


# ------------------------------------------------------------------------------------------- lists


def completed_asset(user: int, n: int) -> uuid.UUID:
    created = assets.create(user, mode="text", prompt=f"object {n}")
    set_status(created.id, AssetStatus.COMPLETED)
    return created.id


async def test_public_feed_pages_stay_stable_while_assets_are_published(quick, make_user):
    alice = make_user()
    bob = make_user("bob@example.com")
    published = []
    for n in range(25):
        asset_id = completed_asset(alice if n % 2 else bob, n)
        assets.set_public(alice if n % 2 else bob, asset_id, True)
        published.append(asset_id)
    private = [completed_asset(alice, 100 + n) for n in range(3)]
    with read_session() as s:
        rows = s.exec(select(Asset).where(Asset.id.in_(published))).all()
    newest_first = [r.id for r in sorted(rows, key=lambda r: (r.published_at, r.id.hex), reverse=True)]

    page1 = assets.public_feed(limit=10)
    assert [a.id for a in page1.items] == newest_first[:10] and page1.next_cursor
    fresh = []
    for n in range(5):  # published between page 1 and page 2
        asset_id = completed_asset(bob, 200 + n)
        assets.set_public(bob, asset_id, True)
        fresh.append(asset_id)
    page2 = assets.public_feed(limit=10, cursor=page1.next_cursor)
    assert [a.id for a in page2.items] == newest_first[10:20]
    page3 = assets.public_feed(limit=10, cursor=page2.next_cursor)
    assert [a.id for a in page3.items] == newest_first[20:] and page3.next_cursor is None
    seen = [a.id for p in (page1, page2, page3) for a in p.items]
    assert len(seen) == len(set(seen)) == 25 and not set(seen) & set(private)

    top = assets.public_feed(limit=10)
    assert {a.id for a in top.items[:5]} == set(fresh) and not set(a.id for a in top.items) & set(private)
    for asset_id in private:
        with pytest.raises(OperationError):
            assets.get_public(asset_id)
    assert assets.get_public(published[0]).id == published[0]  # anyone may open a public asset
    with pytest.raises(OperationError) as bad:
        assets.public_feed(cursor="not-a-cursor")
    assert bad.value.code == "invalid_input"


async def test_workspace_lists_the_users_assets_newest_first_with_next_steps(quick, make_user):
    user = make_user()
    other = make_user("other@example.com")
    completed_asset(other, 0)
    made = [assets.create(user, mode="text", prompt=f"thing {n}").id for n in range(7)]
    statuses = list(AssetStatus)
    for n, asset_id in enumerate(made):
        set_status(asset_id, statuses[n % len(statuses)])

    page = assets.workspace(user, limit=4)
    rest = assets.workspace(user, limit=4, cursor=page.next_cursor)
    assert rest.next_cursor is None
    listed = page.items + rest.items
    assert [a.id for a in listed] == list(reversed(made))
    for a in listed:
        assert a.next_step == assets.NEXT_STEPS[a.status]
        assert a.actionable == (a.status in ("CONCEPTS_GENERATED", "COMPLETED", "FAILED"))
    assert {a.status: a.next_step for a in listed} == {
        "PENDING_CONCEPTS": "Generating concepts…", "CONCEPTS_GENERATED": "Select Concept",
        "GENERATING_MODEL": "Generating model…", "COMPLETED": "View Model", "FAILED": "Error",
    }
    assert [a.id for a in assets.list_assets(user, limit=3)] == list(reversed(made))[:3]


# ------------------------------------------------------------------------------------------- migration


def test_migration_seeds_the_styles_and_their_previews_exist(tmp_path):
    from alembic import command

    url = f"sqlite:///{tmp_path / 'm.db'}"
    command.upgrade(alembic_config(url), "head")
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT slug, name, preview_path, active FROM styles ORDER BY sort_order")).all()
    engine.dispose()
    assert [r.slug for r in rows] == ["realistic", "stylized", "low-poly", "cartoon", "sculpted-clay", "miniature"]
    for slug, _name, preview, active in rows:
        assert active and preview == f"/styles/{slug}.png"
        path = ROOT / "assets" / preview.lstrip("/")
        assert path.stat().st_size < 30_000
        with Image.open(path) as im:
            assert im.format == "PNG" and im.size == (256, 256)
    command.downgrade(alembic_config(url), "f90d183398b3")
