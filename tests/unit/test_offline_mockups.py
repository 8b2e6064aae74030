"""The offline mockup compositor and its built-in scenes (issue 11 items 1-2; DESIGN.md §6 "mockups").

Measured on the real product photo fixture (shared/fixtures/coffee-cup-photo.png): the design lands inside
the placement and nothing outside it changes except within the drop-shadow margin (compared with the bare
background through the same JPEG encoding, whose 16 px blocks are encoded independently); perspective
corners put each corner of the design where asked; the cut-out removes the white studio backdrop; the
offline failure knob; every built-in scene draws at its size, with the brand palette in its accents.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from genpire_app.backend.config import get_settings
from genpire_app.backend.providers import mockup_art
from genpire_app.backend.providers import offline_mockups as om
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.mockup_art import SYSTEM_SCENES, draw_scene, scene_array, scene_preview
from genpire_app.backend.providers.mockups import MockupRequest, MockupScene, Placement
from genpire_app.backend.providers.offline_mockups import OfflineMockupProvider, cut_out, render_mockup

BY_KEY = {s.key: s for s in SYSTEM_SCENES}
JPEG_BLOCK = 16


@pytest.fixture(autouse=True)
def offline_settings(offline_env):
    """No latency, nothing failing (``offline_env``)."""


@pytest.fixture
def photo(fixtures_dir: Path) -> bytes:
    return (fixtures_dir / "coffee-cup-photo.png").read_bytes()


def png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr.astype(np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def studio_view(photo: bytes) -> bytes:
    """The photo on a white studio backdrop (1000 x 800, the photo at (200, 200)-(800, 600))."""
    canvas = Image.new("RGB", (1000, 800), (255, 255, 255))
    canvas.paste(Image.open(io.BytesIO(photo)).convert("RGB"), (200, 200))
    return png(np.asarray(canvas))


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(np.int16)


def through_jpeg(arr: np.ndarray) -> np.ndarray:
    """``arr`` encoded as the compositor encodes its result, and decoded."""
    buf = io.BytesIO()
    Image.fromarray(arr.astype(np.uint8)).save(buf, "JPEG", quality=om.JPEG_QUALITY)
    return decode(buf.getvalue())


def system_scene(key: str, **kw) -> MockupScene:
    cfg = BY_KEY[key].config
    p = cfg["placement"]
    corners = tuple(tuple(c) for c in cfg["corners"]) if cfg["corners"] else None
    return MockupScene(key=key, width=cfg["width"], height=cfg["height"], art=cfg["art"],
                       placement=Placement(p["x"], p["y"], p["width"], p["height"], corners), **kw)


def outside(shape: tuple[int, int], x0: int, y0: int, x1: int, y1: int, margin: int) -> np.ndarray:
    """Mask of the pixels farther than ``margin`` (rounded out to JPEG blocks) from the box."""
    h, w = shape
    down = lambda v: max((v - margin) // JPEG_BLOCK * JPEG_BLOCK - JPEG_BLOCK, 0)  # noqa: E731
    up = lambda v, limit: min(-(-(v + margin) // JPEG_BLOCK) * JPEG_BLOCK + JPEG_BLOCK, limit)  # noqa: E731
    gx0, gy0, gx1, gy1 = down(x0), down(y0), up(x1, w), up(y1, h)
    mask = np.ones((h, w), bool)
    mask[gy0:gy1, gx0:gx1] = False
    return mask


def shadow_margin(key: str) -> int:
    dx, dy, blur, _ = BY_KEY[key].style.shadow
    return int(abs(dx) + abs(dy) + 3 * blur) + 4


# ------------------------------------------------------------------------------------------ placement


@pytest.mark.parametrize("key", ["studio_tabletop", "bedroom", "lifestyle_hand_held"])
def test_design_lands_inside_the_placement_and_nothing_else_changes(photo: bytes, key: str) -> None:
    scene = system_scene(key)
    result = render_mockup(MockupRequest(design=photo, scene=scene, cutout=False))
    out = decode(result.image)
    bare = through_jpeg(scene_array(scene.art, scene.width, scene.height))
    assert out.shape == bare.shape == (scene.height, scene.width, 3)
    pl = scene.placement
    diff = np.abs(out - bare).max(axis=2)
    inside = diff[pl.y + 8:pl.y + pl.height - 8, pl.x + 8:pl.x + pl.width - 8]
    assert (inside > 12).mean() > 0.4  # the design covers the placement's width (3:2 photo) or is framed
    margin = shadow_margin(key) + (50 if key == "lifestyle_hand_held" else 0)  # the fingers reach past the edge
    far = outside(diff.shape, pl.x, pl.y, pl.x + pl.width, pl.y + pl.height, margin)
    assert far.sum() > 0.5 * diff.size
    assert diff[far].max() == 0


def test_fitted_design_keeps_its_aspect_ratio_and_content(photo: bytes) -> None:
    """The 600 x 400 photo in the 420 x 484 tabletop placement: 420 x 280, standing on the bottom edge."""
    scene = system_scene("studio_tabletop")
    out = decode(render_mockup(MockupRequest(design=photo, scene=scene, cutout=False)).image)
    pl = scene.placement
    x0, y1 = pl.x, pl.y + pl.height
    got = out[y1 - 280 + 6:y1 - 6, x0 + 6:x0 + 420 - 6].mean(axis=2)
    want = np.asarray(Image.open(io.BytesIO(photo)).convert("L").resize((420, 280)), np.float32)[6:-6, 6:-6]
    assert np.corrcoef(got.ravel(), want.ravel())[0, 1] > 0.9
    bare = through_jpeg(scene_array(scene.art, scene.width, scene.height))
    above = np.abs(out - bare).max(axis=2)[pl.y + 4:y1 - 280 - 60, pl.x + 60:pl.x + pl.width - 60]
    assert above.max() <= 3  # above the design (and its shadow) the placement shows the scene


def test_perspective_corners_are_respected(photo: bytes) -> None:
    """A four-colour target warped into a quadrilateral over a real photo background: each colour lands at
    its corner, the quadrilateral is covered, nothing outside it (beyond the shadow) changes."""
    bg = np.asarray(Image.open(io.BytesIO(photo)).convert("RGB").resize((900, 600)))
    target = np.zeros((200, 300, 3), np.uint8)
    target[:100, :150] = (220, 30, 30)   # top left red
    target[:100, 150:] = (30, 200, 30)   # top right green
    target[100:, 150:] = (30, 30, 220)   # bottom right blue
    target[100:, :150] = (230, 210, 20)  # bottom left yellow
    corners = ((300, 150), (640, 190), (620, 420), (280, 380))
    scene = MockupScene(key="user_1", width=900, height=600, background=png(bg),
                        placement=Placement(280, 150, 360, 270, corners))
    out = decode(render_mockup(MockupRequest(design=png(target), scene=scene, cutout=False)).image)
    centre = np.mean(corners, axis=0)
    for (cx, cy), colour in zip(corners, ("red", "green", "blue", "yellow")):
        x, y = (np.array([cx, cy]) * 0.8 + centre * 0.2).round().astype(int)
        r, g, b = out[y - 3:y + 4, x - 3:x + 4].reshape(-1, 3).mean(axis=0)
        assert {"red": r > g + 60 and r > b + 60, "green": g > r + 60 and g > b + 60,
                "blue": b > r + 60 and b > g + 60, "yellow": r > b + 60 and g > b + 60}[colour], (colour, r, g, b)
    quad = Image.new("L", (900, 600), 0)
    ImageDraw.Draw(quad).polygon([tuple(c) for c in corners], fill=255)
    shrunk = np.asarray(quad.filter(ImageFilter.MinFilter(9))) > 0
    diff = np.abs(out - through_jpeg(bg)).max(axis=2)
    assert (diff[shrunk] > 20).mean() > 0.95
    assert diff[outside(diff.shape, 280, 150, 640, 420, shadow_margin("flat_lay"))].max() == 0


# --------------------------------------------------------------------------------------------- cut-out


def test_cut_out_makes_the_white_backdrop_transparent(photo: bytes) -> None:
    cut = cut_out(Image.open(io.BytesIO(studio_view(photo))))
    assert cut.mode == "RGBA"
    assert abs(cut.width - 600) <= 2 and abs(cut.height - 400) <= 2  # trimmed to the photo
    alpha = np.asarray(cut)[..., 3]
    assert alpha[4:-4, 4:-4].min() == 255


def test_cut_out_keeps_real_transparency(fixtures_dir: Path) -> None:
    logo = Image.open(fixtures_dir / "brand-logo.png").convert("RGBA")
    cut = cut_out(logo)
    assert np.asarray(cut)[..., 3].min() == 0 and np.asarray(cut)[..., 3].max() == 255
    assert cut.width <= logo.width and cut.height <= logo.height


def test_render_with_cutout_shows_no_white_backdrop(photo: bytes) -> None:
    """On a user scene (the photo itself as background), the white margins of the studio view appear only
    when the cut-out is off; with it on, the band above the photo is the background, at most shadowed."""
    bg = np.asarray(Image.open(io.BytesIO(photo)).convert("RGB").resize((900, 600)))
    scene = MockupScene(key="user_2", width=900, height=600, background=png(bg),
                        placement=Placement(250, 100, 400, 320))
    design = studio_view(photo)
    # without the cut-out the 1000 x 800 view fills the placement, its top 80 px white backdrop; with it,
    # the 600 x 400 photo alone is fitted (400 x 267, centred: from y = 126)
    band = (slice(100, 112), slice(300, 600))  # one row of JPEG blocks clear of the photo's edge
    plain = decode(render_mockup(MockupRequest(design=design, scene=scene, cutout=False)).image)
    assert plain[band].min(axis=2).mean() > 235
    cut = decode(render_mockup(MockupRequest(design=design, scene=scene, cutout=True)).image)
    bare = through_jpeg(bg)
    lighter = cut[band] - bare[band]
    assert np.percentile(lighter, 99) <= 4 and lighter.mean() < 0.5  # no white added (at most shadow)
    assert cut[band].min(axis=2).mean() < 150


# ------------------------------------------------------------------------------------ provider, knobs


async def test_provider_returns_a_jpeg_with_metadata(photo: bytes) -> None:
    result = await OfflineMockupProvider().render(MockupRequest(design=photo, scene=system_scene("flat_lay")))
    assert result.image.startswith(b"\xff\xd8\xff")
    assert (result.content_type, result.ext, result.render_id) == ("image/jpeg", "jpg", None)
    assert result.metadata == {"engine": "offline", "scene": "flat_lay", "size": [1200, 900]}
    assert Image.open(io.BytesIO(result.image)).size == (1200, 900)


async def test_offline_fail_knob_fails_the_render(photo: bytes, monkeypatch) -> None:
    monkeypatch.setenv("OFFLINE_FAIL", "mockups")
    get_settings.cache_clear()
    with pytest.raises(ProviderError) as info:
        await OfflineMockupProvider().render(MockupRequest(design=photo, scene=system_scene("bedroom")))
    assert info.value.message == "The mockups service is unavailable (offline test mode)."


async def test_unreadable_design_and_invalid_scene_are_not_retryable(photo: bytes) -> None:
    with pytest.raises(ProviderError) as info:
        await OfflineMockupProvider().render(MockupRequest(design=b"GIF89a not really", scene=system_scene("bedroom")))
    assert (info.value.message, info.value.retryable) == (om.MSG_DESIGN, False)
    bad = MockupScene(key="user_3", width=900, height=600, art="bedroom", placement=Placement(950, 10, 100, 100))
    with pytest.raises(ProviderError) as info:
        await OfflineMockupProvider().render(MockupRequest(design=photo, scene=bad))
    assert (info.value.message, info.value.retryable) == (om.MSG_SCENE, False)


async def test_concurrent_renders_do_not_interfere(photo: bytes) -> None:
    scenes = [system_scene(k) for k in ("bedroom", "flat_lay", "studio_tabletop")]
    provider = OfflineMockupProvider()
    together = await asyncio.gather(*(provider.render(MockupRequest(design=photo, scene=s)) for s in scenes))
    alone = [render_mockup(MockupRequest(design=photo, scene=s)) for s in scenes]
    assert [r.image for r in together] == [r.image for r in alone]


# ------------------------------------------------------------------------------------------ the scenes


def test_eight_system_scenes_with_placements_inside_their_backgrounds() -> None:
    assert [s.key for s in SYSTEM_SCENES] == ["bedroom", "therapy_office", "living_room", "reading_nook",
                                              "home_office", "studio_tabletop", "lifestyle_hand_held", "flat_lay"]
    for s in SYSTEM_SCENES:
        c, p = s.config, s.config["placement"]
        assert set(c) == {"width", "height", "placement", "corners", "default_size", "art"}
        assert 0 <= p["x"] and p["x"] + p["width"] <= c["width"] and 0 <= p["y"] and p["y"] + p["height"] <= c["height"]
        assert c["default_size"]["width"] > 0 and c["default_size"]["height"] > 0
        if c["corners"]:
            assert len(c["corners"]) == 4
            for x, y in c["corners"]:
                assert p["x"] <= x <= p["x"] + p["width"] and p["y"] <= y <= p["y"] + p["height"]
    assert BY_KEY["flat_lay"].config["corners"] is not None


@pytest.mark.parametrize("scene", SYSTEM_SCENES, ids=lambda s: s.key)
def test_every_system_scene_draws_at_its_size(scene) -> None:
    cfg = scene.config
    img = Image.open(io.BytesIO(draw_scene(cfg["art"], cfg["width"], cfg["height"])))
    assert img.format == "PNG" and img.size == (cfg["width"], cfg["height"])
    arr = np.asarray(img.convert("RGB"), np.float32)
    assert arr.std() > 8 and 40 < arr.mean() < 235  # drawn, neither blank nor black
    assert Image.open(io.BytesIO(draw_scene(cfg["art"], 600, 450))).size == (600, 450)


def test_scene_art_is_deterministic_and_takes_the_brand_palette() -> None:
    first = np.array(scene_array("bedroom", 400, 300))
    mockup_art._scene_array.cache_clear()
    assert np.array_equal(first, scene_array("bedroom", 400, 300))
    branded = scene_array("bedroom", 1200, 900, ("#1E5AA8",))
    r, g, b = branded[630:660, 560:640].reshape(-1, 3).mean(axis=0)  # the accent cushion
    assert b > r + 40 and b > g + 15
    assert not np.array_equal(branded, scene_array("bedroom", 1200, 900))
    assert np.array_equal(scene_array("bedroom", 1200, 900, ("not a colour",)), scene_array("bedroom", 1200, 900))


def test_scene_preview_is_a_small_jpeg() -> None:
    img = Image.open(io.BytesIO(scene_preview("living_room")))
    assert img.format == "JPEG" and img.size == (480, 360)
    with pytest.raises(ValueError):
        scene_preview("garage")
