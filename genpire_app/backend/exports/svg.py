"""SVG / vector export of a product view (seed 000 §7.3, "converts to SVG using potrace or similar").

One public function, :func:`trace_view_to_svg`, turns a product view (a PNG or JPEG on the white studio
background the image providers produce, DESIGN.md §6) into a color SVG made of filled Bézier paths, traced
with vtracer (visioncortex, Rust, via its Python binding):

1. decode the image with Pillow and downscale it so its longest side is at most ``max_side`` pixels (the
   tracing time grows with the pixel count; 768 px keeps a 1024 px view under a second);
2. make the white studio background and its soft gray shadows transparent: near-white, near-neutral pixels
   connected to the image border (a flood fill from the border at a small analysis size, refined at full
   size). vtracer leaves transparent pixels out, so the SVG holds only the product;
3. clean the product's outline (its anti-aliased edge pixels take the colors of the pixels inside, so no
   pale rim is traced) and reduce the product's colors to a 64-color palette (shading becomes a few flat
   bands, as in a vector illustration; without it vtracer merges a smooth gradient into one flat shape);
4. trace in color mode, stacked (every shape drawn whole, later shapes on top: no hairline gaps between
   neighbouring colors), spline curves, small speckles filtered out (scaled with the image size);
5. rewrite the ``<svg>`` root with ``width``/``height`` (the original image size in pixels) and a
   ``viewBox`` (the traced size), so the vector shows at the original size; any full-canvas near-white
   rectangle is dropped.

CPU-bound and synchronous: callers run it in ``asyncio.to_thread``. Sizes are pixels.
"""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
import vtracer
from PIL import Image, ImageFilter

from genpire_app.backend.providers.offline.masks import background_mask

__all__ = ["trace_view_to_svg"]

_MIN_SIDE = 16  # pixels: smaller inputs are upscaled to this before tracing (vtracer needs some room)
_PALETTE_COLORS = 64  # the product's colors are reduced to this many before tracing

_PATH_RE = re.compile(r"<path\b[^>]*/>", re.IGNORECASE)
_FILL_RE = re.compile(r'fill="#([0-9A-Fa-f]{6})"')
_TRANSLATE_RE = re.compile(r'transform="translate\(([-\d.]+),\s*([-\d.]+)\)"')
_NUM_RE = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _decode(png_bytes: bytes) -> Image.Image:
    """Decode image bytes (PNG, JPEG, WebP ...) into an RGBA image.

    Raises:
        ValueError: when the bytes are empty, not an image Pillow can decode, or a decompression bomb.
    """
    if not isinstance(png_bytes, (bytes, bytearray, memoryview)) or len(png_bytes) == 0:
        raise ValueError("Cannot trace the view to SVG: no image data was given.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(bytes(png_bytes)))
            img.load()
    except Exception as exc:  # noqa: BLE001 - every decoding failure is the same caller-facing error
        raise ValueError(f"Cannot trace the view to SVG: the image could not be decoded ({exc}).") from exc
    if img.width < 1 or img.height < 1:
        raise ValueError("Cannot trace the view to SVG: the image is empty.")
    if img.mode == "RGBA":
        return img
    if img.mode in ("LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        return img.convert("RGBA")
    return img.convert("RGB").convert("RGBA")


def _background_mask(rgba: Image.Image) -> np.ndarray:
    """``(h, w)`` bool mask of the studio background (white and its neutral shadows) of ``rgba``.

    The shared backdrop mask of the offline renderer (``providers/offline/masks.py``, one implementation for
    the micro-edits and this export), computed on the colors as seen on white, with the already-transparent
    pixels allowed as background. When the border is not a near-white, even studio backdrop (a photo), only
    the transparent pixels are background and the whole picture is traced.
    """
    arr = np.asarray(rgba)
    alpha = arr[..., 3]
    transparent = alpha < 128
    if transparent.any() or alpha.min() < 255:
        # analyse the colors as seen on white
        a = alpha[..., None].astype(np.float32) / 255.0
        rgb = np.clip(arr[..., :3] * a + 255.0 * (1.0 - a) + 0.5, 0, 255).astype(np.uint8)
    else:
        rgb = np.ascontiguousarray(arr[..., :3])
    return background_mask(rgb, always=transparent) | transparent


def _box_sum(a: np.ndarray, r: int) -> np.ndarray:
    """Sum of ``a`` (``(h, w)`` or ``(h, w, c)`` float) over the ``(2r+1)`` square around each pixel (zeros
    outside), via an integral image."""
    pad = [(r + 1, r), (r + 1, r)] + [(0, 0)] * (a.ndim - 2)
    c = np.pad(a, pad).cumsum(axis=0).cumsum(axis=1)
    n = 2 * r + 1
    return c[n:, n:] - c[:-n, n:] - c[n:, :-n] + c[:-n, :-n]


def _decontaminate(rgb: np.ndarray, fg: np.ndarray, band: int = 2) -> np.ndarray:
    """Replace the colors of the outermost ``band`` pixels of the product (anti-aliased with the white
    backdrop) by the mean color of the inner product pixels around them, so the tracer does not see a
    pale outline and merge it into pale blobs. ``rgb`` ``(h, w, 3)`` uint8, ``fg`` ``(h, w)`` bool; returns
    a new uint8 array. Parts thinner than ``2 * band + 1`` pixels keep their colors."""
    fg_img = Image.fromarray((fg * 255).astype(np.uint8))
    inner = np.asarray(fg_img.filter(ImageFilter.MinFilter(2 * band + 1))) > 127
    edge = fg & ~inner
    ys, xs = np.nonzero(edge)
    out = rgb.copy()
    if len(ys) == 0:
        return out
    r = band + 1
    h, w = fg.shape
    y0, y1 = max(int(ys.min()) - r, 0), min(int(ys.max()) + r + 1, h)
    x0, x1 = max(int(xs.min()) - r, 0), min(int(xs.max()) + r + 1, w)
    win_inner = inner[y0:y1, x0:x1].astype(np.float32)
    win_rgb = rgb[y0:y1, x0:x1].astype(np.float32)
    sums = _box_sum(win_rgb * win_inner[..., None], r)
    counts = _box_sum(win_inner, r)
    sel = edge[y0:y1, x0:x1] & (counts > 0.5)
    win_out = out[y0:y1, x0:x1]
    win_out[sel] = np.clip(sums[sel] / counts[sel][:, None] + 0.5, 0, 255).astype(np.uint8)
    return out


def _posterize(rgb: np.ndarray, fg: np.ndarray, colors: int = _PALETTE_COLORS) -> np.ndarray:
    """Map ``rgb`` (``(h, w, 3)`` uint8) to a palette of at most ``colors`` colors chosen (fast octree) from the
    product pixels ``fg`` (``(h, w)`` bool), no dithering. Smooth shading becomes a few distinct bands the
    tracer keeps apart (unquantised, a gradient merges into one flat shape), and small accent colors (a logo,
    rivets) keep palette entries of their own. Returns a new uint8 array."""
    product = np.ascontiguousarray(rgb[fg]).reshape(-1, 1, 3)
    palette = Image.fromarray(product, "RGB").quantize(
        colors=colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    mapped = Image.fromarray(np.ascontiguousarray(rgb), "RGB").quantize(palette=palette, dither=Image.Dither.NONE)
    return np.asarray(mapped.convert("RGB")).copy()


def _path_bbox(tag: str) -> tuple[float, float, float, float] | None:
    """Bounding box ``(x0, y0, x1, y1)`` of the control points of a vtracer ``<path>`` (pixels)."""
    d = re.search(r'\bd="([^"]*)"', tag)
    if d is None:
        return None
    nums = [float(v) for v in _NUM_RE.findall(d.group(1))]
    if len(nums) < 4:
        return None
    xs, ys = np.array(nums[0::2]), np.array(nums[1::2])
    tx = ty = 0.0
    t = _TRANSLATE_RE.search(tag)
    if t:
        tx, ty = float(t.group(1)), float(t.group(2))
    return float(xs.min() + tx), float(ys.min() + ty), float(xs.max() + tx), float(ys.max() + ty)


def _is_canvas_backdrop(tag: str, w: int, h: int) -> bool:
    """Whether a path is a near-white rectangle covering (almost) the whole canvas."""
    fill = _FILL_RE.search(tag)
    if fill is None:
        return False
    r, g, b = (int(fill.group(1)[i : i + 2], 16) for i in (0, 2, 4))
    if min(r, g, b) < 235:
        return False
    box = _path_bbox(tag)
    if box is None:
        return False
    x0, y0, x1, y1 = box
    return x0 <= 1 and y0 <= 1 and x1 >= w - 1 and y1 >= h - 1


def trace_view_to_svg(png_bytes: bytes, *, max_side: int = 768) -> str:
    """Trace a product view image into a color SVG holding only the product (no white backdrop).

    Args:
        png_bytes: the encoded view (PNG, JPEG or WebP bytes), typically a square render on the white studio
            background (DESIGN.md §6), any size.
        max_side: longest side, in pixels, the image is downscaled to before tracing (bounds the time: about
            0.2-0.6 s for a 1024 px view traced at 768 px). Smaller images are traced at their own size.

    Returns:
        SVG text: an XML declaration and an ``<svg>`` root with ``width``/``height`` equal to the input's
        size in pixels and ``viewBox="0 0 w h"`` in traced pixels, containing filled ``<path>`` elements
        (cubic Bézier splines, colors ``#RRGGBB``), stacked back to front. The white studio background and
        its neutral shadows are left out (transparent in the SVG).

    Raises:
        ValueError: when ``png_bytes`` is empty or cannot be decoded as an image, or ``max_side`` < 16.

    Synchronous and CPU-bound: call it through ``asyncio.to_thread`` from async code.

    Source: seed 000 §7.3 (SVG/vector export of product views); DESIGN.md §6 (studio-white product views).
    """
    if int(max_side) < _MIN_SIDE:
        raise ValueError(f"max_side must be at least {_MIN_SIDE} pixels, got {max_side}.")
    img = _decode(png_bytes)
    orig_w, orig_h = img.size
    k = max(orig_w, orig_h) / float(max_side)
    if k > 1:
        size = (max(int(round(orig_w / k)), 1), max(int(round(orig_h / k)), 1))
        img = img.resize(size, Image.Resampling.LANCZOS)
    elif max(orig_w, orig_h) < _MIN_SIDE:
        f = _MIN_SIDE / max(orig_w, orig_h)
        img = img.resize((max(int(round(orig_w * f)), 1), max(int(round(orig_h * f)), 1)), Image.Resampling.NEAREST)
    w, h = img.size

    bg = _background_mask(img)
    arr = np.array(img, dtype=np.uint8)
    if bg.any():
        arr[..., :3] = _decontaminate(arr[..., :3], ~bg)
    if not bg.all():
        arr[..., :3] = _posterize(arr[..., :3], ~bg)
    arr[..., 3] = np.where(bg, 0, 255).astype(np.uint8)
    arr[bg, :3] = 255  # transparent pixels carry no color (vtracer keys them out)
    buf = io.BytesIO()
    Image.fromarray(arr, "RGBA").save(buf, "PNG", compress_level=1)

    speckle = max(4, int(round(max(w, h) / 160)))  # ~5 px at 768: drops noise, keeps stitching and rivets
    svg = vtracer.convert_raw_image_to_svg(
        buf.getvalue(),
        img_format="png",
        colormode="color",
        hierarchical="stacked",
        mode="spline",
        filter_speckle=speckle,
        color_precision=6,
        layer_difference=12,
        corner_threshold=60,
        length_threshold=4.0,
        max_iterations=10,
        splice_threshold=45,
        path_precision=2,
    )

    paths = [p for p in _PATH_RE.findall(svg) if not _is_canvas_backdrop(p, w, h)]
    root = (
        f'<svg version="1.1" xmlns="http://www.w3.org/2000/svg" width="{orig_w}" height="{orig_h}" '
        f'viewBox="0 0 {w} {h}">'
    )
    body = "".join(p + "\n" for p in paths)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + root + "\n" + body + "</svg>\n"
