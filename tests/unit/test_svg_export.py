"""SVG export of product views (seed 000 §7.3): vtracer color tracing of a studio render.

Source: seed 000 §7.3 (SVG/vector export); DESIGN.md §6 (views on a white studio background).
"""

from __future__ import annotations

import asyncio
import io
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genpire_app.backend.config import get_settings
from genpire_app.backend.exports.svg import trace_view_to_svg
from genpire_app.backend.providers.base import ImageRequest
from genpire_app.backend.providers.offline import OfflineImageProvider

SVG_NS = "{http://www.w3.org/2000/svg}"
PROMPT = "A red canvas tote bag with black leather straps"


@pytest.fixture(scope="module")
def red_tote_1024() -> bytes:
    """A 1024 px front view of a red tote rendered by the offline provider."""
    mp = pytest.MonkeyPatch()
    mp.setenv("IMAGE_SIZE", "1024")
    mp.delenv("OFFLINE_FAIL", raising=False)
    mp.delenv("OFFLINE_LATENCY_MS", raising=False)
    get_settings.cache_clear()
    try:
        image = asyncio.run(
            OfflineImageProvider().generate(ImageRequest(prompt=PROMPT, product_prompt=PROMPT, view="front"))
        )
    finally:
        mp.undo()
        get_settings.cache_clear()
    assert image.width == 1024
    return image.data


def fills(root: ET.Element) -> list[tuple[int, int, int]]:
    out = []
    for path in root.iter(f"{SVG_NS}path"):
        value = path.get("fill", "")
        m = re.fullmatch(r"#([0-9A-Fa-f]{6})", value)
        assert m, value
        out.append(tuple(int(m.group(1)[i : i + 2], 16) for i in (0, 2, 4)))
    return out


def test_traces_a_product_view_into_many_colored_paths(red_tote_1024: bytes) -> None:
    started = time.perf_counter()
    svg = trace_view_to_svg(red_tote_1024)
    elapsed = time.perf_counter() - started
    print(f"\ntrace_view_to_svg: 1024 px view traced at 768 px in {elapsed:.3f} s, {len(svg)} characters")

    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(svg.encode())
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("width") == "1024" and root.get("height") == "1024"
    assert root.get("viewBox") == "0 0 768 768"
    paths = list(root.iter(f"{SVG_NS}path"))
    assert len(paths) > 20
    colors = fills(root)
    # the body's red family is there ...
    reds = [c for c in colors if c[0] > 150 and c[1] < 90 and c[2] < 90]
    assert len(reds) >= 3
    # ... and the black straps
    assert any(max(c) < 60 for c in colors)
    # the white backdrop is left out: no near-white shape covering the canvas
    for path in paths:
        d = path.get("d", "")
        if path.get("fill", "").upper() in ("#FFFFFF", "#FEFEFE", "#FDFDFD"):
            assert not d.startswith("M0 0 C") or "768 768" not in d
    assert elapsed < 10.0  # generous bound for slow CI machines; ~0.5 s on a developer machine


def test_background_is_transparent_not_traced(red_tote_1024: bytes) -> None:
    """No path color is the neutral white or light-gray shadow of the studio backdrop dominating the SVG."""
    root = ET.fromstring(trace_view_to_svg(red_tote_1024, max_side=384).encode())
    colors = fills(root)
    neutral_light = [c for c in colors if min(c) >= 200 and max(c) - min(c) <= 6]
    assert len(neutral_light) <= max(2, len(colors) // 10)
    assert root.get("viewBox") == "0 0 384 384"
    assert root.get("width") == "1024"


def test_photo_fixture_is_traced_whole(fixtures_dir: Path) -> None:
    """A real photo (not on white) is traced with its background; the cup's red-browns are there."""
    data = (fixtures_dir / "coffee-cup-photo.png").read_bytes()
    svg = trace_view_to_svg(data, max_side=300)
    root = ET.fromstring(svg.encode())
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") == "0 0 300 200"
    assert (root.get("width"), root.get("height")) == ("600", "400")
    colors = fills(root)
    assert len(colors) > 20
    assert any(r > g + 40 and r > b + 40 for r, g, b in colors)


def test_small_and_transparent_inputs() -> None:
    img = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    for x in range(10, 30):
        for y in range(8, 22):
            img.putpixel((x, y), (30, 60, 200, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    svg = trace_view_to_svg(buf.getvalue())
    root = ET.fromstring(svg.encode())
    assert root.get("viewBox") == "0 0 40 30"
    colors = fills(root)
    assert colors and all(b > r for r, _g, b in colors)


def test_blank_white_image_gives_an_empty_but_valid_svg() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (255, 255, 255)).save(buf, "PNG")
    root = ET.fromstring(trace_view_to_svg(buf.getvalue()).encode())
    assert root.tag == f"{SVG_NS}svg"
    assert list(root.iter(f"{SVG_NS}path")) == []


def test_deterministic(red_tote_1024: bytes) -> None:
    assert trace_view_to_svg(red_tote_1024, max_side=256) == trace_view_to_svg(red_tote_1024, max_side=256)


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_undecodable_input_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="Cannot trace the view to SVG"):
        trace_view_to_svg(data)


def test_max_side_must_be_reasonable(red_tote_1024: bytes) -> None:
    with pytest.raises(ValueError):
        trace_view_to_svg(red_tote_1024, max_side=4)


def test_rendered_svg_matches_the_view_silhouette(red_tote_1024: bytes) -> None:
    """The traced paths cover the product: their union of bounding boxes is close to the product's box."""
    svg = trace_view_to_svg(red_tote_1024, max_side=512)
    root = ET.fromstring(svg.encode())
    xs: list[float] = []
    ys: list[float] = []
    for path in root.iter(f"{SVG_NS}path"):
        nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
        t = re.search(r"translate\(([-\d.]+),\s*([-\d.]+)\)", path.get("transform", "") or "")
        tx, ty = (float(t.group(1)), float(t.group(2))) if t else (0.0, 0.0)
        xs += [v + tx for v in nums[0::2]]
        ys += [v + ty for v in nums[1::2]]
    arr = np.asarray(Image.open(io.BytesIO(red_tote_1024)).convert("RGB")).astype(np.int32)
    product = ((arr.max(axis=2) - arr.min(axis=2)) > 40) | (arr.min(axis=2) < 120)  # red body, black straps
    py, px = np.nonzero(product)
    k = 512 / 1024
    assert abs(min(xs) - px.min() * k) < 12 and abs(max(xs) - px.max() * k) < 12
    assert abs(min(ys) - py.min() * k) < 12 and abs(max(ys) - py.max() * k) < 12


def test_full_canvas_white_backdrop_path_is_dropped() -> None:
    """A noisy near-white backdrop is not flooded away (it is not an even studio white), so vtracer traces
    it as a full-canvas shape: that shape is dropped and the product stays."""
    rng = np.random.default_rng(1)
    arr = np.clip(245 + rng.integers(-15, 16, (200, 200, 3)), 0, 255).astype(np.uint8)
    arr[60:140, 60:140] = (30, 60, 200)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    root = ET.fromstring(trace_view_to_svg(buf.getvalue()).encode())
    for path in root.iter(f"{SVG_NS}path"):
        assert not path.get("d", "").startswith("M0 0 C66 0 132 0 200 0"), path.get("fill")
    assert any(b > 150 and r < 80 for r, _g, b in fills(root))


def test_backdrop_mask_is_the_renderers_shared_one(red_tote_1024: bytes) -> None:
    """One implementation of the studio backdrop mask: the SVG export and the micro-edits agree pixel for
    pixel on an opaque view, and transparent pixels are background too (DESIGN.md §6)."""
    from genpire_app.backend.exports import svg as svg_module
    from genpire_app.backend.providers.offline import masks

    assert svg_module.background_mask is masks.background_mask
    img = Image.open(io.BytesIO(red_tote_1024)).convert("RGBA")
    rgb = np.asarray(img.convert("RGB"))
    assert np.array_equal(svg_module._background_mask(img), masks.studio_background_mask(rgb))
    clear = img.copy()
    alpha = np.full(rgb.shape[:2], 255, np.uint8)
    alpha[:40, :40] = 0
    clear.putalpha(Image.fromarray(alpha))
    assert svg_module._background_mask(clear)[:40, :40].all()
