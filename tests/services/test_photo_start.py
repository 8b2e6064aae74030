"""Start a product from photos (issue 10 item 1): the photos become revision 0's views (front required,
others optional), validated like every upload, free; the rest of the app copes with fewer than five views.
The photos are the real fixtures in shared/fixtures."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image, ImageChops
from sqlmodel import func, select

from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import FrontViewApproval, ProductIdea, ProductMultiviewRevision
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.registry import set_providers
from genpire_app.backend.services import credits, designer, model_generation, photo_start, staging
from genpire_app.backend.services.models3d import Source
from genpire_app.backend.storage import get_storage
from tests.fakes import FakeImage, FakeText, FakeVision, fake_providers


@pytest.fixture
def fakes(app_env):
    set_providers(fake_providers(FakeImage(), FakeVision(), FakeText()))
    yield
    set_providers(None)


async def stage(user: int, path) -> staging.StagedImage:
    return await staging.stage_image(user_id=user, data=path.read_bytes(), filename=path.name,
                                     declared_mime="image/png", max_bytes=5 * 1024 * 1024, label="photo")


def pixels(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGBA")


def same_pixels(a: bytes, b: bytes) -> bool:
    x, y = pixels(a), pixels(b)
    return x.size == y.size and ImageChops.difference(x, y).getbbox() is None


def active(pid: uuid.UUID) -> dict[str, ProductMultiviewRevision]:
    with read_session() as s:
        return {r.view_type: r for r in repo.active_revision(s, product_id=pid)}


def count(model) -> int:
    with read_session() as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


async def test_front_only_becomes_revision_zero_for_free(fakes, make_user, fixtures_dir):
    user = make_user()
    front = await stage(user, fixtures_dir / "coffee-cup-photo.png")
    staged_bytes = await get_storage().get(front.key)
    before = credits.balance(user_id=user)

    product = await photo_start.create_from_photos(user, name="  Coffee   cup ",
                                                   photos={"front": front.key, "back": ""})

    assert credits.balance(user_id=user) == before  # free
    assert (product.name, product.status, product.input_mode) == ("Coffee cup", "images_generated", "photos")
    rows = active(product.id)
    assert list(rows) == ["front"]
    row = rows["front"]
    assert (row.revision_number, row.edit_type, row.is_active) == (0, "manual_upload", True)
    stored = await get_storage().get(row.image_key)
    assert same_pixels(stored, staged_bytes) and pixels(stored).size == (600, 400)  # the photo itself
    thumb = pixels(await get_storage().get(row.thumbnail_key))
    assert max(thumb.size) <= 256
    assert row.image_key.startswith(f"users/{user}/products/{product.id}/views/")
    with read_session() as s:
        approval = s.exec(select(FrontViewApproval).where(FrontViewApproval.product_idea_id == product.id)).one()
        saved = s.get(ProductIdea, product.id)
    assert (approval.status, approval.credits_consumed, approval.front_view_key) == ("completed", 0, row.image_key)
    assert saved.thumbnail_key == row.thumbnail_key
    with pytest.raises(Exception):
        await get_storage().get(front.key)  # the staged file is consumed

    # The AI Designer shows the views, offers the four missing ones, never auto-generates a front view.
    snap = designer.load(user_id=user, product_id=product.id)
    assert snap.phase == "views_ready" and snap.from_photos
    assert snap.missing_views == ["back", "side", "top", "bottom"]
    assert not designer.needs_auto_generation(snap)


async def test_front_and_side(fakes, make_user, fixtures_dir):
    user = make_user()
    front = await stage(user, fixtures_dir / "coffee-cup-photo.png")
    side = await stage(user, fixtures_dir / "brand-logo.png")
    side_bytes = await get_storage().get(side.key)
    product = await photo_start.create_from_photos(user, name="Cup", photos={"side": side.key, "front": front.key})
    rows = active(product.id)
    assert sorted(rows) == ["front", "side"]
    assert {r.revision_number for r in rows.values()} == {0} and len({r.batch_id for r in rows.values()}) == 1
    assert same_pixels(await get_storage().get(rows["side"].image_key), side_bytes)
    assert designer.load(user_id=user, product_id=product.id).missing_views == ["back", "top", "bottom"]


async def test_missing_front_and_unknown_view_are_refused(fakes, make_user, fixtures_dir):
    user = make_user()
    side = await stage(user, fixtures_dir / "coffee-cup-photo.png")
    for photos in ({"side": side.key}, {"front": "", "side": side.key}, {}):
        with pytest.raises(OperationError) as err:
            await photo_start.create_from_photos(user, name="Cup", photos=photos)
        assert err.value.code == "invalid_input" and "front photo" in err.value.message
    with pytest.raises(OperationError) as err:
        await photo_start.create_from_photos(user, name="Cup", photos={"front": side.key, "inside": side.key})
    assert err.value.code == "invalid_input" and "Unknown view" in err.value.message
    with pytest.raises(OperationError) as err:
        await photo_start.create_from_photos(user, name="   ", photos={"front": side.key})
    assert err.value.code == "invalid_input" and "name" in err.value.message
    assert count(ProductIdea) == 0 and count(ProductMultiviewRevision) == 0
    assert await get_storage().get(side.key)  # nothing consumed


async def test_someone_elses_staged_key_is_refused(fakes, make_user, fixtures_dir):
    me, them = make_user("me@example.com"), make_user("them@example.com")
    theirs = await stage(them, fixtures_dir / "coffee-cup-photo.png")
    mine = await stage(me, fixtures_dir / "coffee-cup-photo.png")
    for photos in ({"front": theirs.key}, {"front": mine.key, "back": theirs.key},
                   {"front": f"users/{me}/staging/../../{them}/staging/x.png"},
                   {"front": f"users/{me}/staging/{uuid.uuid4().hex}.png"}):  # gone or never staged
        with pytest.raises(OperationError) as err:
            await photo_start.create_from_photos(me, name="Cup", photos=photos)
        assert err.value.code == "invalid_input" and "Choose it again" in err.value.message
    assert count(ProductIdea) == 0
    assert await get_storage().get(theirs.key)  # untouched


async def test_a_file_that_is_not_an_image_is_refused(fakes, make_user):
    user = make_user()
    key = f"users/{user}/staging/{uuid.uuid4().hex}.png"
    await get_storage().put(key, b"\x89PNG\r\n\x1a\n not really a png", "image/png")
    with pytest.raises(OperationError) as err:
        await photo_start.create_from_photos(user, name="Cup", photos={"front": key})
    assert err.value.code == "invalid_input"
    assert count(ProductIdea) == 0


async def test_the_rest_of_the_app_copes_with_fewer_views(fakes, jobs, make_user, fixtures_dir):
    user = make_user()
    front = await stage(user, fixtures_dir / "coffee-cup-photo.png")
    product = await photo_start.create_from_photos(user, name="Cup", photos={"front": front.key})
    # 3D needs all five views and says which are missing; nothing is held.
    before = credits.balance(user_id=user)
    with pytest.raises(OperationError) as err:
        model_generation.start(user_id=user, source=Source.product(product.id), intent=uuid.uuid4().hex)
    assert "missing: Back, Side, Top, Bottom" in err.value.message
    assert credits.balance(user_id=user) == before
    # A tech pack and a chat edit work on the views that exist.
    assert (await jobs.tech_pack(user, product.id)).ok
    edited = await jobs.edit(user, product.id, "Change the main color to black")
    assert edited.ok, edited.message
    assert sorted(active(product.id)) == ["front"]
    # A missing view can be generated from the front photo.
    back = await jobs.retry_view(user, product.id, "back")
    assert back.ok, back.message
    assert sorted(active(product.id)) == ["back", "front"]
