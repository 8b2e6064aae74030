"""The offline (embedded default) image, vision and text providers: what callers rely on.

Source: DESIGN.md §6 (offline providers); seed 000 §3 Phase 2 (front view + feedback iterations), Phase 3
(remaining views consistent with the approved front), Phase 6 (tech pack structure).
"""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genpire_app.backend.config import get_settings
from genpire_app.backend.providers.base import (
    VIEWS,
    ImageInput,
    ImageProvider,
    ImageRequest,
    PromptContext,
    ProviderError,
    TechPack,
    TechPackContext,
    TextProvider,
    VisionProvider,
)
from genpire_app.backend.providers.colors import (
    CSS_COLORS,
    nearest_color_name,
    parse_colors,
    resolve_color,
)
from genpire_app.backend.providers.offline_image import OfflineImageProvider, detect_category, split_feedback
from genpire_app.backend.providers.offline_text import OfflineTextProvider
from genpire_app.backend.providers.offline_vision import OfflineVisionProvider

TOTE = "A minimalist canvas tote bag with leather straps and magnetic buttons"
SIZE = 384


@pytest.fixture(autouse=True)
def offline_settings(monkeypatch):
    """Small images, no latency, nothing failing; settings re-read for every test."""
    monkeypatch.setenv("IMAGE_SIZE", str(SIZE))
    monkeypatch.delenv("OFFLINE_FAIL", raising=False)
    monkeypatch.delenv("OFFLINE_LATENCY_MS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def logo(fixtures_dir: Path) -> ImageInput:
    return ImageInput((fixtures_dir / "brand-logo.png").read_bytes(), "image/png")


@pytest.fixture
def cup_photo(fixtures_dir: Path) -> ImageInput:
    return ImageInput((fixtures_dir / "coffee-cup-photo.png").read_bytes(), "image/png")


def generate(**kwargs):
    kwargs.setdefault("prompt", kwargs.get("product_prompt", ""))
    return asyncio.run(OfflineImageProvider().generate(ImageRequest(**kwargs)))


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(np.int32)


def dominant_color(arr: np.ndarray) -> np.ndarray:
    """Most common clearly colored (non-white, non-gray-shadow) shade, as RGB."""
    flat = arr.reshape(-1, 3)
    chroma = flat.max(axis=1) - flat.min(axis=1)
    colored = flat[chroma > 25]
    assert len(colored) > 0
    keys = (colored >> 4) @ np.array([256, 16, 1])
    values, counts = np.unique(keys, return_counts=True)
    return colored[keys == values[np.argmax(counts)]].mean(axis=0)


def near(arr: np.ndarray, rgb: tuple[int, int, int], tol: float) -> np.ndarray:
    return np.sqrt(((arr - np.array(rgb)) ** 2).sum(axis=-1)) <= tol


# --------------------------------------------------------------------------------------------------
# Image provider
# --------------------------------------------------------------------------------------------------


def test_providers_satisfy_the_protocols() -> None:
    assert isinstance(OfflineImageProvider(), ImageProvider)
    assert isinstance(OfflineVisionProvider(), VisionProvider)
    assert isinstance(OfflineTextProvider(), TextProvider)
    assert OfflineImageProvider.model == "offline-renderer-1"


def test_output_is_a_png_of_the_configured_size(monkeypatch) -> None:
    monkeypatch.setenv("IMAGE_SIZE", "256")
    get_settings.cache_clear()
    img = generate(product_prompt=TOTE, view="front")
    decoded = Image.open(io.BytesIO(img.data))
    assert decoded.format == "PNG"
    assert decoded.size == (256, 256)
    assert (img.width, img.height, img.mime_type, img.model) == (256, 256, "image/png", "offline-renderer-1")


def test_default_size_is_1024_on_a_white_studio_background(monkeypatch) -> None:
    monkeypatch.delenv("IMAGE_SIZE", raising=False)
    get_settings.cache_clear()
    img = generate(product_prompt=TOTE, view="front")
    arr = pixels(img.data)
    assert arr.shape == (1024, 1024, 3)
    for y, x in ((0, 0), (0, -1), (-1, 0), (-1, -1)):
        assert (arr[y, x] >= 250).all()


def test_same_request_gives_identical_bytes(logo) -> None:
    a = generate(product_prompt=TOTE, view="back", logo=logo, feedback="make the straps brown")
    b = generate(product_prompt=TOTE, view="back", logo=logo, feedback="make the straps brown")
    assert a.data == b.data
    assert a.notes == b.notes


def test_five_views_differ_and_share_the_body_color() -> None:
    images = {v: pixels(generate(product_prompt=TOTE, view=v).data) for v in VIEWS}
    for i, a in enumerate(VIEWS):
        for b in VIEWS[i + 1 :]:
            assert not np.array_equal(images[a], images[b]), (a, b)
    body = [dominant_color(images[v]) for v in VIEWS]
    for color in body:
        assert np.abs(color - body[0]).max() < 20
    # natural canvas by default (light, warm)
    assert body[0].min() > 180 and body[0][0] > body[0][2]


def test_views_have_consistent_proportions() -> None:
    """Front shows width x height, side depth x height, top width x depth: same scale in every view."""

    def extent(arr: np.ndarray) -> tuple[int, int]:
        mask = (arr.max(axis=2) - arr.min(axis=2)) > 25
        ys, xs = np.nonzero(mask)
        return int(xs.max() - xs.min()), int(ys.max() - ys.min())

    prompt = "A sage water bottle with a black cap"
    front = extent(pixels(generate(product_prompt=prompt, view="front").data))
    side = extent(pixels(generate(product_prompt=prompt, view="side").data))
    top = extent(pixels(generate(product_prompt=prompt, view="top").data))
    assert abs(front[1] - side[1]) <= 3  # same height
    assert abs(front[0] - top[0]) <= 3  # same width
    assert front[1] > 2.5 * front[0]  # a bottle is tall and slim


def test_make_the_straps_brown_changes_the_straps() -> None:
    before = generate(product_prompt=TOTE, view="front")
    after = generate(product_prompt=TOTE, view="front", feedback="make the straps brown")
    a, b = pixels(before.data), pixels(after.data)
    assert (np.abs(a - b).sum(axis=2) > 30).mean() > 0.01
    brown = (0x6B, 0x42, 0x26)
    assert near(b, brown, 40).sum() > 300
    assert near(a, brown, 40).sum() < 20
    assert "Changed the straps to brown (#6B4226)." in after.notes
    # the body keeps its color
    assert np.abs(dominant_color(a) - dominant_color(b)).max() < 10


def test_change_the_color_to_red_makes_the_front_red() -> None:
    img = generate(product_prompt=TOTE, view="front", feedback="change the color to red")
    r, g, b = dominant_color(pixels(img.data))
    assert r > 150 and g < 90 and b < 90
    assert any("red" in n for n in img.notes)


def test_feedback_history_accumulates_and_body_with_straps_parses() -> None:
    img = generate(product_prompt=TOTE, view="front", feedback="make the straps brown\nchange the color to red")
    assert any("straps to brown" in n for n in img.notes)
    assert any("color to red" in n for n in img.notes)
    arr = pixels(img.data)
    r, g, b = dominant_color(arr)
    assert r > 150 and g < 90 and b < 90
    assert near(arr, (165, 42, 42), 40).sum() > 300

    both = generate(product_prompt="A tote bag", view="front", feedback="red body with black straps")
    arr = pixels(both.data)
    r, g, b = dominant_color(arr)
    assert r > 150 and g < 90 and b < 90
    assert near(arr, (31, 31, 31), 30).sum() > 300


def test_size_edits_change_the_silhouette() -> None:
    def height(data: bytes) -> int:
        mask = (pixels(data).max(axis=2) - pixels(data).min(axis=2)) > 25
        ys = np.nonzero(mask.any(axis=1))[0]
        return int(ys.max() - ys.min())

    base = generate(product_prompt="A sage water bottle", view="top")
    wider = generate(product_prompt="A sage water bottle", view="top", feedback="make it wider")
    assert height(wider.data) > height(base.data) + 3  # top view: depth is vertical, width grows both ways
    assert any("wider" in n for n in wider.notes)


def test_notes_mention_an_instruction_it_cannot_apply() -> None:
    img = generate(product_prompt=TOTE, view="front", feedback="make the straps brown and add a zipper pocket")
    assert "Could not apply 'add a zipper pocket' with the offline renderer." in img.notes
    assert any("straps to brown" in n for n in img.notes)
    assert split_feedback("make the straps brown and add a zipper pocket") == [
        "make the straps brown",
        "add a zipper pocket",
    ]


def test_logo_is_on_the_front_and_not_on_the_top(logo) -> None:
    green, orange = (150, 201, 75), (252, 150, 70)

    def logo_pixels(arr: np.ndarray) -> int:
        return int((near(arr, green, 45) | near(arr, orange, 45)).sum())

    front = pixels(generate(product_prompt=TOTE, view="front", logo=logo).data)
    top = pixels(generate(product_prompt=TOTE, view="top", logo=logo).data)
    back = pixels(generate(product_prompt=TOTE, view="back", logo=logo).data)
    c = SIZE // 2
    centre = front[c - SIZE // 5 : c + SIZE // 5, c - SIZE // 5 : c + SIZE // 5]
    assert logo_pixels(centre) > 400
    assert logo_pixels(top) == 0
    assert 0 < logo_pixels(back) < logo_pixels(front)  # smaller on the back
    no_logo = pixels(generate(product_prompt=TOTE, view="front", logo=logo, feedback="remove the logo").data)
    assert logo_pixels(no_logo) == 0


def test_add_logo_without_an_upload_says_so() -> None:
    img = generate(product_prompt=TOTE, view="front", feedback="add my logo")
    assert "Could not add a logo: no logo was uploaded." in img.notes


def test_design_upload_front_is_the_cut_out_photo(cup_photo) -> None:
    prompt = "A glossy red ceramic coffee cup on a saucer"
    img = generate(product_prompt=prompt, view="front", design=cup_photo)
    arr = pixels(img.data)
    for y, x in ((0, 0), (0, -1), (-1, 0), (-1, -1)):
        assert (arr[y, x] >= 245).all()
    c = SIZE // 2
    centre = arr[c - SIZE // 8 : c + SIZE // 8, c - SIZE // 8 : c + SIZE // 8].reshape(-1, 3)
    # the photo's warm browns and reds (crema, cup, saucer) fill the centre
    warm = (centre[:, 0] > centre[:, 2] + 40).mean()
    assert warm > 0.6
    assert any("uploaded design" in n for n in img.notes)

    side = generate(product_prompt=prompt, view="side", design=cup_photo)
    assert any("mug" in n for n in side.notes)
    r, g, b = dominant_color(pixels(side.data))
    assert r > g + 40 and r > b + 40  # the design's red-brown on the mug proxy
    assert detect_category(prompt) == "mug"


def test_pixel_work_runs_off_the_event_loop() -> None:
    async def main() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        task = asyncio.create_task(ticker())
        await OfflineImageProvider().generate(ImageRequest(prompt=TOTE, view="front", product_prompt=TOTE))
        task.cancel()
        return ticks

    assert asyncio.run(main()) > 3


# --------------------------------------------------------------------------------------------------
# Vision provider
# --------------------------------------------------------------------------------------------------


def test_vision_reads_a_rendered_red_tote() -> None:
    prompt = "A red canvas tote bag with black leather straps"
    front = generate(product_prompt=prompt, view="front")
    features = asyncio.run(
        OfflineVisionProvider().extract_features(ImageInput(front.data), product_prompt=prompt)
    ).value
    primary = next(c for c in features.colors if c.usage == "primary")
    r, g, b = (int(primary.hex[i : i + 2], 16) for i in (1, 3, 5))
    assert r > 150 and g < 90 and b < 90
    assert features.category == "tote bag"
    assert features.product_name == "Red Canvas Tote Bag"
    secondary = next(c for c in features.colors if c.usage == "secondary")
    assert max(int(secondary.hex[i : i + 2], 16) for i in (1, 3, 5)) < 70  # black straps
    dims = features.estimated_dimensions
    assert dims.width_mm == 380 and 380 <= dims.height_mm <= 460 and dims.depth_mm == 120
    assert "Cotton canvas" in features.materials and "Leather" in features.materials
    assert features.key_elements and features.description


def test_remaining_views_from_features_match_the_front() -> None:
    prompt = "A navy backpack with tan leather straps"
    front = generate(product_prompt=prompt, view="front", feedback="make it red")
    features = asyncio.run(
        OfflineVisionProvider().extract_features(ImageInput(front.data), product_prompt=prompt)
    ).value
    # the service passes the approved front, the features and (here) no feedback
    back = generate(product_prompt=prompt, view="back", features=features, references=(ImageInput(front.data),))
    assert np.abs(dominant_color(pixels(back.data)) - dominant_color(pixels(front.data))).max() < 20


def test_vision_describes_an_uploaded_design(cup_photo) -> None:
    text = asyncio.run(OfflineVisionProvider().describe_design(cup_photo)).value
    assert text.startswith("A product design in mostly ")
    assert "background" in text
    assert len(text) > 80


# --------------------------------------------------------------------------------------------------
# Text provider
# --------------------------------------------------------------------------------------------------


def _features():
    front = generate(product_prompt=TOTE, view="front")
    return asyncio.run(OfflineVisionProvider().extract_features(ImageInput(front.data), product_prompt=TOTE)).value


def _assert_filled(value, path: str = "pack") -> None:
    if isinstance(value, str):
        assert value.strip(), path
    elif isinstance(value, list):
        assert value, path
        for i, item in enumerate(value):
            _assert_filled(item, f"{path}[{i}]")
    elif hasattr(value, "model_fields"):
        for name in type(value).model_fields:
            _assert_filled(getattr(value, name), f"{path}.{name}")


def test_tech_pack_has_every_section_and_integer_money() -> None:
    context = TechPackContext(
        product_prompt=TOTE, revision_number=2, edit_prompt="Changed the straps to brown", features=_features(),
        views={}, category="Bags",
    )
    pack = asyncio.run(OfflineTextProvider().generate_tech_pack(context)).value
    assert isinstance(pack, TechPack)
    _assert_filled(pack)
    assert type(pack.price_cents) is int and pack.price_cents > 0
    assert all(type(line.unit_cost_cents) is int and line.unit_cost_cents > 0 for line in pack.materials)
    assert {c.type for c in pack.color_palette} >= {"primary"}
    assert all(c.pantone for c in pack.color_palette)
    assert any("ISO 105" in q.test_method for q in pack.quality_standards)
    assert all(m.value_mm > 0 and m.tolerance_mm > 0 for s in pack.dimensions for m in s.measurements)
    assert "revision #2" in pack.product_overview
    # deterministic
    again = asyncio.run(OfflineTextProvider().generate_tech_pack(context)).value
    assert again == pack


def test_improve_prompt_is_richer_and_deterministic() -> None:
    ctx = PromptContext(idea="a canvas tote bag with leather straps", category="Bags", intended_use="daily errands",
                        style_keywords=("minimalist",), colors=("natural", "tan"), product_goal="sell in design shops")
    a = asyncio.run(OfflineTextProvider().improve_prompt(ctx)).value
    b = asyncio.run(OfflineTextProvider().improve_prompt(ctx)).value
    assert a == b
    assert a.startswith("A canvas tote bag with leather straps.")
    for word in ("daily errands", "minimalist", "natural", "tan", "white background"):
        assert word in a


# --------------------------------------------------------------------------------------------------
# Knobs
# --------------------------------------------------------------------------------------------------


def test_failure_knob_raises_provider_error(monkeypatch, cup_photo) -> None:
    monkeypatch.setenv("OFFLINE_FAIL", "image,vision,text")
    get_settings.cache_clear()
    with pytest.raises(ProviderError) as err:
        generate(product_prompt=TOTE, view="front")
    assert err.value.provider == "offline"
    assert err.value.message == "The image service is unavailable (offline test mode)."
    with pytest.raises(ProviderError):
        asyncio.run(OfflineVisionProvider().describe_design(cup_photo))
    with pytest.raises(ProviderError):
        asyncio.run(OfflineTextProvider().improve_prompt(PromptContext(idea="a mug")))


def test_failure_knob_is_per_capability(monkeypatch) -> None:
    monkeypatch.setenv("OFFLINE_FAIL", "vision")
    get_settings.cache_clear()
    assert generate(product_prompt=TOTE, view="top").data
    assert asyncio.run(OfflineTextProvider().improve_prompt(PromptContext(idea="a mug"))).value


def test_latency_knob_delays_the_answer(monkeypatch) -> None:
    monkeypatch.setenv("OFFLINE_LATENCY_MS", "120")
    get_settings.cache_clear()
    start = time.perf_counter()
    asyncio.run(OfflineTextProvider().improve_prompt(PromptContext(idea="a mug")))
    assert time.perf_counter() - start >= 0.12


def test_unreadable_design_is_a_provider_error() -> None:
    with pytest.raises(ProviderError):
        generate(product_prompt="a mug", view="front", design=ImageInput(b"not an image"))


# --------------------------------------------------------------------------------------------------
# Colors
# --------------------------------------------------------------------------------------------------


def test_css_table_and_parsing() -> None:
    assert len(CSS_COLORS) == 148
    assert CSS_COLORS["rebeccapurple"] == "#663399" and CSS_COLORS["saddlebrown"] == "#8B4513"
    assert parse_colors("navy blue body with light grey straps, an off-white lid and #a0522d trim") == [
        ("navy blue", "#1D2B5C"),
        ("light grey", "#D3D3D3"),
        ("off white", "#F4F1EA"),
        ("#a0522d", "#A0522D"),
    ]
    assert [n for n, _ in parse_colors("cognac leather on natural canvas, charcoal and sage")] == [
        "cognac", "natural canvas", "charcoal", "sage",
    ]
    assert parse_colors("a minimalist tote bag") == []
    assert nearest_color_name("#8A4614") == "saddlebrown"
    assert nearest_color_name("#FE0101") == "red"
    assert resolve_color("Saddle Brown") == "#8B4513"
    assert resolve_color("not a color") is None
