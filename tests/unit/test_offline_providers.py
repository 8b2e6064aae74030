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
from genpire_app.backend.providers.offline import OfflineImageProvider, detect_category, split_feedback
from genpire_app.backend.providers.offline_text import OfflineTextProvider
from genpire_app.backend.providers.offline_vision import OfflineVisionProvider

TOTE = "A minimalist canvas tote bag with leather straps and magnetic buttons"
SIZE = 384


@pytest.fixture(autouse=True)
def offline_settings(monkeypatch, offline_env):
    """Small images, no latency, nothing failing; settings re-read for every test."""
    monkeypatch.setenv("IMAGE_SIZE", str(SIZE))
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
    assert any("silhouette of your uploaded design" in n and "mug" in n for n in side.notes)
    r, g, b = dominant_color(pixels(side.data))
    assert r > g + 40 and r > b + 40  # the design's red-brown, on a side derived from its silhouette
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
# AI Designer edits: chat edits with attachments (seed 000 §5.3-§5.4), annotation micro-edits (§5.5)
# --------------------------------------------------------------------------------------------------


def png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr.astype(np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def swatch(rgb: tuple[int, int, int], size: int = 64) -> ImageInput:
    """A plain fabric swatch photo (flat color with a little deterministic noise)."""
    rng = np.random.default_rng(3)
    arr = np.clip(np.array(rgb)[None, None, :] + rng.integers(-6, 7, (size, size, 3)), 0, 255)
    return ImageInput(png(arr), "image/png")


def test_chat_edit_change_the_color_to_red_keeps_the_chain() -> None:
    base = generate(product_prompt=TOTE, view="front", feedback="make the straps brown")
    img = generate(
        product_prompt=TOTE,
        view="front",
        base_image=ImageInput(base.data),
        feedback="make the straps brown\nChange the color to red",
        instruction="Change the color to red",
    )
    arr = pixels(img.data)
    r, g, b = dominant_color(arr)
    assert r > 150 and g < 90 and b < 90
    assert near(arr, (0x6B, 0x42, 0x26), 40).sum() > 300  # the earlier edit is replayed: brown straps
    assert "Changed the bag color to red (#C62828)." in img.notes
    assert any("straps to brown" in n for n in img.notes)
    # the instruction is replayed even when the caller did not append it to the feedback
    alone = generate(product_prompt=TOTE, view="front", feedback="make the straps brown",
                     instruction="Change the color to red")
    assert alone.data == img.data
    # and every other view gets the same body color
    side = generate(product_prompt=TOTE, view="side", feedback="Change the color to red",
                    instruction="Change the color to red")
    r, g, b = dominant_color(pixels(side.data))
    assert r > 150 and g < 90 and b < 90


def test_chat_edit_takes_the_color_of_an_attached_image() -> None:
    teal = (40, 120, 140)
    img = generate(
        product_prompt="A sage water bottle with a black cap",
        view="front",
        feedback="use the colors of the attached image",
        instruction="use the colors of the attached image",
        attachments=(swatch(teal),),
    )
    color = dominant_color(pixels(img.data))
    assert np.abs(color - np.array(teal)).max() < 25
    assert any(n.startswith("Used the main color of the attached image for the bottle:") for n in img.notes)
    assert not any(n.startswith("Could not apply") for n in img.notes)

    # a rendered product photo: its body color, not the white backdrop
    red_tote = generate(product_prompt="A red tote bag", view="front")
    img = generate(
        product_prompt="A sage water bottle",
        view="side",
        instruction="make it like this",
        attachments=(ImageInput(red_tote.data),),
    )
    r, g, b = dominant_color(pixels(img.data))
    assert r > 150 and g < 90 and b < 90

    # a named part takes the color instead of the body
    cap = generate(
        product_prompt="A sage water bottle with a black cap",
        view="front",
        instruction="make the cap this color",
        attachments=(swatch(teal),),
    )
    assert any("for the cap" in n for n in cap.notes)
    body = dominant_color(pixels(cap.data))
    assert body[1] > body[0]  # the body stays sage green


def test_chat_edit_attachment_notes_when_not_usable() -> None:
    bad = generate(product_prompt=TOTE, view="front", instruction="match the attachment",
                   attachments=(ImageInput(b"not an image"),))
    assert any("only uses an attachment's colors" in n for n in bad.notes)
    other = generate(product_prompt=TOTE, view="front", instruction="add a zipper pocket",
                     attachments=(swatch((200, 30, 30)),))
    assert any("only uses an attachment's colors" in n for n in other.notes)
    assert "Could not apply 'add a zipper pocket' with the offline renderer." in other.notes
    # no attachment: a reference to one cannot be applied
    none = generate(product_prompt=TOTE, view="front", instruction="use this color")
    assert "Could not apply 'use this color' with the offline renderer." in none.notes


def micro(base: bytes, region, instruction: str, **kwargs):
    return generate(product_prompt=TOTE, view="front", base_image=ImageInput(base), region=region,
                    instruction=instruction, feedback=instruction, **kwargs)


def outside(arr: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = box
    mask = np.ones(arr.shape[:2], bool)
    mask[y0:y1, x0:x1] = False
    return arr[mask]


def test_micro_edit_recolors_only_the_marked_area() -> None:
    base = generate(product_prompt=TOTE, view="front")
    # a non-square base image of another size than IMAGE_SIZE: the edit keeps its size
    base_arr = pixels(base.data)[:, :352]
    base_png = png(base_arr)
    region = (0.30, 0.45, 0.62, 0.75)
    img = micro(base_png, region, "make this red")
    arr = pixels(img.data)
    assert arr.shape == base_arr.shape and (img.width, img.height) == (352, SIZE)
    box = (int(0.30 * 352), int(0.45 * SIZE), int(np.ceil(0.62 * 352)), int(np.ceil(0.75 * SIZE)))
    assert np.array_equal(outside(arr, box), outside(base_arr, box))
    inside = arr[box[1] : box[3], box[0] : box[2]]
    r, g, b = dominant_color(inside)
    assert r > 150 and g < 90 and b < 90
    assert img.notes == ("Recolored the marked area to red (#C62828).",)
    # shading is kept: the recolored area is not one flat color
    red = inside[(inside[..., 0] > 120) & (inside[..., 1] < 100)]
    assert red.std(axis=0).max() > 1.0
    # the backdrop inside the area stays as it was (only product pixels are recolored)
    x0, y0, x1, y1 = box
    backdrop = base_arr[y0:y1, x0:x1].min(axis=2) >= 250
    assert backdrop.any()
    assert np.array_equal(inside[backdrop], base_arr[y0:y1, x0:x1][backdrop])


def test_micro_edit_on_backdrop_only_is_refused() -> None:
    base = generate(product_prompt=TOTE, view="front")
    with pytest.raises(ProviderError) as info:
        micro(base.data, (0.0, 0.0, 0.1, 0.1), "make this red")
    assert "no part of the product" in info.value.message


def test_micro_edit_is_deterministic() -> None:
    base = generate(product_prompt=TOTE, view="front")
    region = (0.25, 0.10, 0.75, 0.42)
    for instruction in ("make this navy", "remove this", "make this smaller"):
        a = micro(base.data, region, instruction)
        b = micro(base.data, region, instruction)
        assert a.data == b.data and a.notes == b.notes


def test_micro_edit_unparseable_instruction_raises_a_user_safe_error() -> None:
    base = generate(product_prompt=TOTE, view="front")
    with pytest.raises(ProviderError) as info:
        micro(base.data, (0.3, 0.3, 0.6, 0.6), "make it sparkle like the sea")
    assert info.value.message == (
        "The offline renderer could not apply “make it sparkle like the sea” to the marked area. "
        "Try a color change, bigger/smaller, or remove."
    )
    assert info.value.provider == "offline" and not info.value.retryable


def test_micro_edit_needs_a_base_image_and_a_valid_region() -> None:
    with pytest.raises(ProviderError, match="current image"):
        generate(product_prompt=TOTE, view="front", region=(0.1, 0.1, 0.5, 0.5), instruction="make this red")
    base = generate(product_prompt=TOTE, view="front")
    with pytest.raises(ProviderError, match="marked area is not valid"):
        micro(base.data, (0.5, 0.5, 0.4, 0.6), "make this red")
    with pytest.raises(ProviderError, match="could not be read"):
        micro(b"not a png", (0.1, 0.1, 0.5, 0.5), "make this red")


def test_micro_edit_removes_the_marked_strap() -> None:
    base = generate(product_prompt=TOTE, view="front", feedback="make the straps brown")
    base_arr = pixels(base.data)
    region = (0.25, 0.05, 0.75, 0.40)  # the strap loop above the bag
    img = micro(base.data, region, "remove this")
    arr = pixels(img.data)
    box = (int(0.25 * SIZE), int(0.05 * SIZE), int(np.ceil(0.75 * SIZE)), int(np.ceil(0.40 * SIZE)))
    assert np.array_equal(outside(arr, box), outside(base_arr, box))
    brown = (0x6B, 0x42, 0x26)
    before = near(base_arr[box[1] : box[3], box[0] : box[2]], brown, 40).sum()
    after = near(arr[box[1] : box[3], box[0] : box[2]], brown, 40).sum()
    assert before > 500 and after < before * 0.05
    # the loop's inside is backdrop white again
    cx, cy = SIZE // 2, int(0.2 * SIZE)
    assert (arr[cy - 5 : cy + 5, cx - 5 : cx + 5] >= 240).all()
    assert img.notes == ("Removed the marked detail and filled it with the white background.",)


def test_micro_edit_removes_a_detail_on_the_body_with_the_body_color(logo) -> None:
    base = generate(product_prompt=TOTE, view="front", logo=logo)
    base_arr = pixels(base.data)
    green, orange = (150, 201, 75), (252, 150, 70)

    def logo_mask(a: np.ndarray) -> np.ndarray:
        return near(a, green, 45) | near(a, orange, 45)

    ys, xs = np.nonzero(logo_mask(base_arr))
    pad = 8  # the user circles the logo with a little margin
    region = ((xs.min() - pad) / SIZE, (ys.min() - pad) / SIZE, (xs.max() + pad) / SIZE, (ys.max() + pad) / SIZE)
    img = micro(base.data, region, "delete the logo")
    arr = pixels(img.data)
    assert logo_mask(base_arr).sum() > 400 and logo_mask(arr).sum() < 20
    assert img.notes[0].startswith("Removed the marked detail and filled it with the surrounding color")
    # the filled area is canvas-colored (light, warm), not white
    cy, cx = int(ys.mean()), int(xs.mean())
    centre = arr[cy - 10 : cy + 10, cx - 10 : cx + 10].reshape(-1, 3)
    assert (centre[:, 0] > centre[:, 2]).mean() > 0.9 and centre.min() > 150 and centre.max() < 250
    assert np.array_equal(pixels(img.data)[:, : xs.min() - pad - 1], base_arr[:, : xs.min() - pad - 1])


def test_micro_edit_scales_the_marked_detail() -> None:
    base = generate(product_prompt="A sage water bottle with a black cap", view="front")
    base_arr = pixels(base.data)

    def cap_box(a: np.ndarray) -> tuple[int, int]:
        dark = a.max(axis=2) < 70
        ys, xs = np.nonzero(dark)
        return int(xs.max() - xs.min()), int(ys.max() - ys.min())

    region = (0.38, 0.08, 0.62, 0.32)
    bigger = micro(base.data, region, "make the cap bigger")
    smaller = micro(base.data, region, "make the cap a bit smaller")
    w0, _h0 = cap_box(base_arr)
    wb, _hb = cap_box(pixels(bigger.data))
    ws, _hs = cap_box(pixels(smaller.data))
    assert wb >= w0 * 1.15 and ws <= w0 * 0.95
    assert bigger.notes == ("Made the marked detail 25% bigger.",)
    assert smaller.notes == ("Made the marked detail 10% smaller.",)
    box = (int(0.38 * SIZE), int(0.08 * SIZE), int(np.ceil(0.62 * SIZE)), int(np.ceil(0.32 * SIZE)))
    assert np.array_equal(outside(pixels(bigger.data), box), outside(base_arr, box))


def test_micro_edit_keeps_an_alpha_channel() -> None:
    base = generate(product_prompt=TOTE, view="front")
    rgba = np.dstack([pixels(base.data), np.full((SIZE, SIZE), 255)])
    rgba[:10, :10, 3] = 0
    img = micro(png(rgba), (0.30, 0.45, 0.62, 0.75), "make this navy")
    out = np.asarray(Image.open(io.BytesIO(img.data)))
    assert out.shape == (SIZE, SIZE, 4)
    assert np.array_equal(out[..., 3], rgba[..., 3])


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
