"""Mockup scenes: the eight system scenes seeded once, users' own scenes from an uploaded background with a
drawn placement, previews and owner checks (issue 11 item 1; seed 004 Step 9.1 ``mockup_scene_templates``),
and the preview route ``GET /api/mockup-scenes/{id}/preview`` (FastAPI TestClient on ``create_api()``).
"""

from __future__ import annotations

import asyncio
import io
import uuid

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from sqlmodel import func, select

from genpire_app.backend.api.app import create_api
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.marketing_models import MockupSceneTemplate
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.mockup_art import SYSTEM_SCENES
from genpire_app.backend.services import brand, mockup_scenes, sessions
from genpire_app.backend.services.mockups import submit_batch
from genpire_app.backend.storage import get_storage
from tests.mockup_cases import FakeMockups, designed_product, install, mockups_of


def background(width: int = 400, height: int = 300, *, note: str = "") -> bytes:
    buf = io.BytesIO()
    info = PngInfo()
    if note:
        info.add_text("Comment", note)
    Image.new("RGB", (width, height), (210, 190, 170)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def system_rows() -> int:
    with read_session() as s:
        return s.exec(select(func.count()).select_from(MockupSceneTemplate)
                      .where(MockupSceneTemplate.user_id.is_(None))).one()


def test_system_scenes_are_seeded_once_in_picker_order(make_user):
    user = make_user()
    assert mockup_scenes.ensure_system_scenes() == 8
    assert mockup_scenes.ensure_system_scenes() == 0 and system_rows() == 8

    listed = mockup_scenes.list_scenes(user)

    assert [s.key for s in listed] == [s.key for s in SYSTEM_SCENES]
    assert {"bedroom", "therapy_office", "living_room", "reading_nook", "home_office", "studio_tabletop",
            "lifestyle_hand_held", "flat_lay"} == {s.key for s in listed}
    bedroom = listed[0]
    cfg = SYSTEM_SCENES[0].config
    assert bedroom.is_system and bedroom.name == "Bedroom" and (bedroom.width, bedroom.height) == (cfg["width"], cfg["height"])
    assert bedroom.placement == tuple(cfg["placement"][k] for k in ("x", "y", "width", "height"))
    assert next(s for s in listed if s.key == "flat_lay").corners is not None


def test_listing_seeds_the_system_scenes_on_first_use(make_user):
    assert [s.key for s in mockup_scenes.list_scenes(make_user())][:2] == ["bedroom", "therapy_office"]
    assert system_rows() == 8


async def test_user_scene_from_an_upload_is_listed_only_for_its_owner(make_user):
    owner, other = make_user("owner@example.com"), make_user("other@example.com")
    raw = background(note="camera serial 1234")

    scene = await mockup_scenes.create_user_scene(owner, "  My  shelf ", raw, (40, 30, 200, 150),
                                                  [(40, 30), (240, 40), (240, 170), (40, 180)])

    assert (scene.name, scene.is_system, scene.width, scene.height) == ("My shelf", False, 400, 300)
    assert scene.placement == (40, 30, 200, 150) and scene.corners == ((40, 30), (240, 40), (240, 170), (40, 180))
    assert [s.id for s in mockup_scenes.list_scenes(owner)][-1] == scene.id
    assert scene.id not in {s.id for s in mockup_scenes.list_scenes(other)}
    with read_session() as s:
        row = s.get(MockupSceneTemplate, scene.id)
    stored = await get_storage().get(row.background_key)
    assert row.background_key.startswith(f"users/{owner}/scenes/") and stored != raw  # re-encoded
    with Image.open(io.BytesIO(stored)) as im:
        assert im.size == (400, 300) and "Comment" not in im.info


async def test_a_large_background_is_reduced_and_the_placement_scaled_with_it(make_user):
    user = make_user()
    scene = await mockup_scenes.create_user_scene(user, "Big wall", background(3072, 2048), (300, 400, 600, 900))
    assert (scene.width, scene.height) == (1536, 1024) and scene.placement == (150, 200, 300, 450)


@pytest.mark.parametrize("rect, corners, expected", [
    ((0, 0, 31, 100), None, "at least 32 × 32"),
    ((380, 0, 40, 40), None, "inside the 400 × 300"),
    ((-1, 0, 40, 40), None, "inside the 400 × 300"),
    ((0, 0, 40, 40), [(0, 0), (40, 0), (40, 40)], "exactly four"),
    ((0, 0, 40, 40), [(0, 0), (401, 0), (40, 40), (0, 40)], "inside the image"),
    ((0, 0, 40, 40), [(0, 0), (10, 0), (10, 10), (0, 10)], "too small"),
])
async def test_placement_must_lie_inside_and_be_large_enough(make_user, rect, corners, expected):
    user = make_user()
    with pytest.raises(OperationError) as refused:
        await mockup_scenes.create_user_scene(user, "Wall", background(), rect, corners)
    assert refused.value.code == "invalid_input" and expected in refused.value.message
    with read_session() as s:
        assert s.exec(select(MockupSceneTemplate).where(MockupSceneTemplate.user_id == user)).all() == []


@pytest.mark.parametrize("data, filename, name, expected", [
    (b"hello, not an image", "wall.png", "Wall", "not a valid PNG"),
    (background(), "wall.svg", "Wall", "must be a PNG or JPG"),
    (b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 10), "wall.png", "Wall", "the limit is 5 MB"),
    (background(), "wall.png", "   ", "name of 1 to 80"),
])
async def test_background_upload_is_validated_like_every_upload(make_user, data, filename, name, expected):
    user = make_user()
    with pytest.raises(OperationError) as refused:
        await mockup_scenes.create_user_scene(user, name, data, (0, 0, 64, 64), filename=filename)
    assert refused.value.code == "invalid_input" and expected in refused.value.message


async def test_deleting_a_scene_hides_it_and_only_its_owner_may(make_user):
    owner, other = make_user("owner@example.com"), make_user("other@example.com")
    scene = await mockup_scenes.create_user_scene(owner, "Shelf", background(), (10, 10, 64, 64))
    system = mockup_scenes.list_scenes(owner)[0]

    for user, scene_id in ((other, scene.id), (owner, system.id)):
        with pytest.raises(OperationError) as refused:
            mockup_scenes.delete_user_scene(user, scene_id)
        assert refused.value.code == "not_found"
    mockup_scenes.delete_user_scene(owner, scene.id)

    assert scene.id not in {s.id for s in mockup_scenes.list_scenes(owner)}
    with pytest.raises(OperationError):
        mockup_scenes.delete_user_scene(owner, scene.id)


async def test_previews_of_system_and_user_scenes_with_owner_check(make_user):
    owner, other = make_user("owner@example.com"), make_user("other@example.com")
    scene = await mockup_scenes.create_user_scene(owner, "Shelf", background(900, 600), (10, 10, 64, 64))
    system = mockup_scenes.list_scenes(owner)[0]

    jpeg = await mockup_scenes.scene_preview(owner, system.id)
    webp = await mockup_scenes.scene_preview(owner, scene.id)

    assert mockup_scenes.preview_content_type(jpeg) == "image/jpeg"
    assert mockup_scenes.preview_content_type(webp) == "image/webp"
    for data in (jpeg, webp):
        with Image.open(io.BytesIO(data)) as im:
            assert max(im.size) == mockup_scenes.PREVIEW_SIDE
    with pytest.raises(OperationError) as refused:
        await mockup_scenes.scene_preview(other, scene.id)
    assert refused.value.code == "not_found"


async def test_a_render_uses_the_user_scene_even_if_deleted_after_submitting(app_env, make_user, jobs):
    fake = install(FakeMockups())
    user = make_user()
    pid = await designed_product(user)
    scene = await mockup_scenes.create_user_scene(user, "Shelf", background(), (40, 30, 200, 150),
                                                  [(40, 30), (240, 40), (240, 170), (40, 180)])
    submit_batch(user, [("product", pid, "front")], [scene.id], "scene-intent-0001")
    mockup_scenes.delete_user_scene(user, scene.id)
    await jobs.drain()

    (row,) = mockups_of(user)
    (call,) = fake.calls
    with read_session() as s:
        key = s.get(MockupSceneTemplate, scene.id).background_key
    assert row.status == "completed" and call.scene.background == await get_storage().get(key)
    assert call.scene.placement.corners == ((40, 30), (240, 40), (240, 170), (40, 180))
    assert (call.scene.width, call.scene.height, call.scene.art) == (400, 300, None)


# ------------------------------------------------- GET /api/mockup-scenes/{id}/preview (api/mockup_scenes.py)


@pytest.fixture
def http(app_env):
    with TestClient(create_api(), follow_redirects=False) as client:
        yield client


def cookie(user_id: int) -> dict[str, str]:
    return {"Cookie": f"{sessions.COOKIE_NAME}={sessions.start(user_id)}"}


def preview(http: TestClient, scene_id, user_id: int | None = None, v: str = "0"):
    return http.get(f"/api/mockup-scenes/{scene_id}/preview?v={v}", headers=cookie(user_id) if user_id else {})


def test_preview_route_needs_a_session(make_user, http):
    system = mockup_scenes.list_scenes(make_user())[0]

    for headers in ({}, {"Cookie": f"{sessions.COOKIE_NAME}=forged"}):
        answer = http.get(f"/api/mockup-scenes/{system.id}/preview", headers=headers)
        assert answer.status_code == 401 and answer.headers["content-type"].startswith("application/json")


def test_preview_route_serves_a_system_scene_as_a_private_jpeg(make_user, http):
    user = make_user()
    system = mockup_scenes.list_scenes(user)[0]

    answer = preview(http, system.id, user)

    assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
    assert answer.headers["cache-control"] == "private, max-age=3600"
    assert answer.headers["x-content-type-options"] == "nosniff"
    with Image.open(io.BytesIO(answer.content)) as im:
        assert im.format == "JPEG" and max(im.size) == mockup_scenes.PREVIEW_SIDE


def test_preview_route_answers_404_for_another_users_deleted_or_unknown_scene(make_user, http):
    owner, other = make_user("owner@example.com"), make_user("other@example.com")
    mine = asyncio.run(mockup_scenes.create_user_scene(owner, "Shelf", background(), (10, 10, 64, 64)))
    gone = asyncio.run(mockup_scenes.create_user_scene(owner, "Old wall", background(), (10, 10, 64, 64)))
    mockup_scenes.delete_user_scene(owner, gone.id)
    unknown = preview(http, uuid.uuid4(), owner)

    assert preview(http, mine.id, owner).status_code == 200  # the owner sees it
    assert unknown.status_code == 404
    for user, scene_id in ((other, mine.id), (owner, gone.id), (owner, "not-a-uuid")):
        answer = preview(http, scene_id, user)
        assert answer.status_code == 404 and answer.json() == unknown.json()  # exactly like a missing scene


def test_preview_url_version_follows_the_brand_palette(make_user, http):
    from genpire_app.state.mockup_rows import load_scenes

    user = make_user()
    asyncio.run(mockup_scenes.create_user_scene(user, "Shelf", background(), (10, 10, 64, 64)))

    def urls() -> dict[str, str]:
        return {card.name: card.preview for card in load_scenes(user)}

    def image(url: str) -> bytes:
        answer = http.get(url, headers=cookie(user))
        assert answer.status_code == 200
        return answer.content

    plain = urls()
    asyncio.run(brand.save_brand(user, name="Acme", palette=["#1E90FF", "#FFD700"]))
    blue = urls()
    blue_image = image(blue["Bedroom"])
    asyncio.run(brand.save_brand(user, name="Acme", palette=["#B22222", "#2E8B57"]))
    red = urls()
    red_image = image(red["Bedroom"])

    assert plain["Bedroom"].endswith("?v=0")  # no brand yet
    assert len({plain["Bedroom"], blue["Bedroom"], red["Bedroom"]}) == 3  # a changed palette is a new URL
    assert blue_image != red_image  # ... because the drawn preview changed with it
    assert plain["Shelf"] == blue["Shelf"] == red["Shelf"]  # a user scene is not drawn in the palette
    asyncio.run(brand.save_brand(user, name="Acme", palette=["#1e90ff", "#ffd700"]))
    assert urls()["Bedroom"] == blue["Bedroom"]  # the same palette gives the same URL (cache hits again)
