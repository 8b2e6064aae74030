"""The five views of an uploaded design, all derived from the design's own silhouette.

The front view is the design itself, cut out onto the white studio background. The other four views are
derived from that cut-out so that every view agrees geometrically with it (a later shape-from-silhouette
reconstruction - voxel carving of the front, side and top views - then finds one consistent solid):

* **scale**: every view uses the front's pixels-per-design-pixel scale ``k`` (the cut-out fits 80% of the
  frame, times the size edits);
* **back**: the front silhouette mirrored left-right, pixel for pixel (the whole back image is the mirror
  image of a front-style composition), in the design's dominant colors: fine front graphics are smoothed
  away (at a small analysis size every blurred pixel takes its nearest dominant color, shadows counting
  as the color they darken, and the broad shading is kept), 6% darker, with the logo (if any) at half size,
  readable; the dominant colors are read from the design after the feedback's recoloring;
* **side**: the front's profile compressed to the depth: it covers exactly the front's rows (height = the
  front's height in pixels), and each row becomes a centred segment as wide as that row of the front times
  depth / the front's widest row, so the widest row spans the depth; depth = round(front width x f),
  where ``f`` = the category's default depth / width (``CategorySpec.dims_mm``, clamped 0.25-1.0) times
  the depth / width size edits; colored like the back (each row's colors resampled), shaded as a rounded
  body;
* **top** and **bottom**: the footprint, front width x side depth: an ellipse, or a rounded rectangle when
  the front silhouette fills more than 88% of its bounding box, shaded by the renderer's lighting (a dome
  seen from above / below) in the design's main color, with a foot ring underneath.

Framing rule (pixels, ``size`` x ``size`` images): every silhouette box is centred with
``start = (size - extent) // 2`` on both axes. So the front's columns equal the top's and bottom's columns
(same width), the front's rows equal the side's rows (same height), and the side's columns equal the top's
rows (same depth).

Source: DESIGN.md §6 ("with an uploaded design, the front view is the design itself cut out onto the studio
background and the other views take its dominant colors") and §12 ("offline shapes": the other views derive
from the design's own silhouette); seed 000 §3 Phase 2 and Phase 3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from genpire_app.backend.providers.colors import dominant_colors, hex_to_rgb
from genpire_app.backend.providers.offline.catalogue import CATEGORIES
from genpire_app.backend.providers.offline.compose import (
    compose_over,
    drop_shadow,
    ground_shadow,
    quarter_alpha,
    studio_backdrop,
)
from genpire_app.backend.providers.offline.cutout import Cutout, recolor_design
from genpire_app.backend.providers.offline.masks import downscale
from genpire_app.backend.providers.offline.primitives import Box, Decal, Ellipsoid, Finish, Primitive
from genpire_app.backend.providers.offline.raster import VIEW_MATRIX, View, rasterize
from genpire_app.backend.providers.offline.scene import body_finish, surface_finish, tone
from genpire_app.backend.providers.offline.state import ProductState

DEPTH_RANGE = (0.25, 1.0)
"""Clamp of the side depth as a fraction of the front width."""

BOXY_FILL = 0.88
"""Front silhouettes filling more of their bounding box than this get a rounded-rectangle footprint."""


@dataclass(frozen=True)
class DesignFrame:
    """Where the silhouette boxes of a design's five views sit, in pixels of a ``size`` x ``size`` image.

    Attributes:
        size: image side.
        width: front (and back, top, bottom) silhouette width.
        height: front (and back, side) silhouette height.
        depth: side silhouette width = top and bottom silhouette height.
        x0: first column of the front, back, top and bottom boxes, ``(size - width) // 2``.
        y0: first row of the front, back and side boxes, ``(size - height) // 2``.
        z0: first column of the side box and first row of the top and bottom boxes, ``(size - depth) // 2``.

    Source: DESIGN.md §12 ("offline shapes": views derived from the design's silhouette).
    """

    size: int
    width: int
    height: int
    depth: int
    x0: int
    y0: int
    z0: int


def depth_fraction(state: ProductState) -> float:
    """Side depth / front width for a design of ``state``'s category: default depth / width of the category
    (``dims_mm``) times the depth / width size edits, clamped to :data:`DEPTH_RANGE`.

    Source: DESIGN.md §12 ("offline shapes").
    """
    w, _h, d = CATEGORIES[state.category].dims_mm
    f = (d / w) * (state.scale[2] / max(state.scale[0], 1e-6))
    return float(min(max(f, DEPTH_RANGE[0]), DEPTH_RANGE[1]))


def design_frame(cut: Cutout, state: ProductState, size: int) -> DesignFrame:
    """The pixel framing of ``cut``'s views at ``size`` px: the cut-out fits ``0.80 * size`` (``0.78`` for a
    card) times the size edits (clamped 0.6-1.25), aspect kept; depth per :func:`depth_fraction`.

    Source: DESIGN.md §6 (front view = the design cut out) and §12 ("offline shapes").
    """
    w, h = cut.image.size
    scale = min(max(math.sqrt(state.scale[0] * state.scale[1]), 0.6), 1.25)
    box = size * (0.78 if cut.as_card else 0.80) * scale
    k = min(box / w, box / h)
    tw, th = max(int(round(w * k)), 1), max(int(round(h * k)), 1)
    depth = max(int(round(tw * depth_fraction(state))), 1)
    return DesignFrame(size, tw, th, depth, (size - tw) // 2, (size - th) // 2, (size - depth) // 2)


def design_layer(cut: Cutout, state: ProductState, base_colors: list[str], changed: list[str] | None) -> Image.Image:
    """The design as an RGBA image at its own resolution: the cut-out (or the whole picture with rounded
    corners when it is shown as a card), with the design colors the feedback changed recolored
    (``base_colors[i]`` -> the state's color of role ``primary`` / ``secondary``).

    Source: DESIGN.md §6 (color edits of an uploaded design); seed 000 §3 Phase 2 step 4.
    """
    img = cut.image
    arr = np.asarray(img, dtype=np.float32)
    if cut.as_card:
        radius = int(min(img.size) * 0.05)
        mask = Image.new("L", img.size, 0)
        ImageDraw.Draw(mask).rounded_rectangle([0, 0, img.width - 1, img.height - 1], radius=radius, fill=255)
        arr = arr.copy()
        arr[..., 3] = np.asarray(mask, dtype=np.float32)
    for idx, role in enumerate(("primary", "secondary")):
        if changed and role in changed and idx < len(base_colors):
            arr = recolor_design(arr, base_colors[idx], state.colors[role][1])
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGBA")


def _with_logo(img: Image.Image, state: ProductState, logo: Image.Image | None, fraction: float,
               mirrored: bool = False) -> Image.Image:
    if logo is None or not state.show_logo:
        return img
    tw, th = img.size
    lw = int(min(tw, th) * fraction * min(state.logo_scale, 1.6))
    lg = logo.copy()
    lg.thumbnail((max(lw, 8), max(lw, 8)), Image.Resampling.LANCZOS)
    if mirrored:
        lg = ImageOps.mirror(lg)
    img.alpha_composite(lg, ((tw - lg.width) // 2, (th - lg.height) // 2))
    return img


def _studio(size: int, rgba: Image.Image, x0: int, y0: int, floor_width: float) -> np.ndarray:
    """An RGBA layer standing on the floor at ``(x0, y0)`` over the backdrop, with the front view's shadows."""
    ia = np.asarray(rgba, dtype=np.float32) / 255.0
    alpha = np.ascontiguousarray(ia[..., 3])
    color = ia[..., :3] * ia[..., 3:4]
    qalpha = quarter_alpha(size, alpha, x0, y0)
    g = ground_shadow(size, size / 2, y0 + rgba.height - 0.01 * size, floor_width)
    darkness = 1 - (1 - g) * (1 - drop_shadow(qalpha, 0.0, 0.008 * size, 0.02 * size, 0.12))
    return compose_over(size, studio_backdrop(size, darkness), color, alpha, x0, y0)


def render_design_front(cut: Cutout, state: ProductState, base_colors: list[str], size: int,
                        logo: Image.Image | None = None, changed: list[str] | None = None) -> np.ndarray:
    """The uploaded design on the white studio background: the cut-out (or a rounded card when the
    background could not be separated), scaled to fit with a margin (:func:`design_frame`), soft shadow
    below; color edits recolor the design's dominant colors; size edits scale it; the logo goes on its centre.

    Returns:
        ``(size, size, 3)`` uint8 RGB array.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """
    fr = design_frame(cut, state, size)
    img = design_layer(cut, state, base_colors, changed).resize((fr.width, fr.height), Image.Resampling.LANCZOS)
    img = _with_logo(img, state, logo, 0.22)
    if not cut.as_card:
        return _studio(size, img, fr.x0, fr.y0, fr.width * 0.9)
    ia = np.asarray(img, dtype=np.float32) / 255.0
    alpha = np.ascontiguousarray(ia[..., 3])
    darkness = drop_shadow(quarter_alpha(size, alpha, fr.x0, fr.y0), 0.0, 0.014 * size, 0.022 * size, 0.26)
    return compose_over(size, studio_backdrop(size, darkness), ia[..., :3] * ia[..., 3:4], alpha, fr.x0, fr.y0)


def design_palette(layer: Image.Image) -> list[str]:
    """The dominant colors (``#RRGGBB``, most common first, at most 4) of a design layer (RGBA, after the
    feedback's recoloring), read from its opaque pixels at 160 px: the colors the derived views use (without
    a recoloring they are the cut-out's own ``Cutout.colors``).

    Source: DESIGN.md §6 ("the other views take its dominant colors").
    """
    arr = np.asarray(downscale(layer, 160), dtype=np.uint8)
    px = arr[..., :3][arr[..., 3] >= 128]
    if len(px) == 0:
        return ["#8796A8"]
    return [c.hex for c in dominant_colors(px, k=4)] or ["#8796A8"]


def _merge_shades(palette: list[str]) -> list[str]:
    """Palette with each color that is a darker or lighter shade of a more dominant one (hue within 15
    degrees, both saturated, or both near-neutral) replaced by that one: shadows are not product colors."""
    hsv = [np.asarray(Image.new("RGB", (1, 1), hex_to_rgb(c)).convert("HSV"), np.float32)[0, 0] for c in palette]
    out = list(palette)
    for j in range(1, len(palette)):
        for i in range(j):
            dh = abs(float(hsv[i][0]) - float(hsv[j][0])) * 360.0 / 256.0
            dh = min(dh, 360.0 - dh)
            chroma = hsv[i][1] > 64 and hsv[j][1] > 64 and dh <= 15.0
            neutral = hsv[i][1] < 40 and hsv[j][1] < 40
            if chroma or neutral:
                out[j] = out[i]
                break
    return out


def _flatten(img: Image.Image, palette: list[str], darken: float) -> Image.Image:
    """The layer in the palette's colors without its fine graphics: at a small analysis size (160 px) every
    blurred pixel takes its nearest palette color (shades of a color count as that color), and the broad
    shading (blurred luminance relative to that color, clamped 0.8-1.12) is kept; both are scaled back up
    smoothly. Alpha unchanged. RGBA in and out."""
    k = max(max(img.width, img.height) / 160.0, 1.0)
    small_size = (max(int(round(img.width / k)), 1), max(int(round(img.height / k)), 1))
    small = np.asarray(img.convert("RGBa").resize(small_size, Image.Resampling.BOX), dtype=np.float32)
    a = small[..., 3:4] / 255.0
    rgb = small[..., :3] / np.maximum(a, 1e-3)
    inside = a[..., 0] > 0.03
    if inside.any():
        rgb[~inside] = rgb[inside].mean(axis=0)
    small_rgb = Image.fromarray(np.clip(rgb + 0.5, 0, 255).astype(np.uint8), "RGB")
    region = np.asarray(small_rgb.filter(ImageFilter.GaussianBlur(4.0)), np.float32)
    shading = np.asarray(small_rgb.filter(ImageFilter.GaussianBlur(2.5)), np.float32)
    pal = np.array([hex_to_rgb(c) for c in palette], dtype=np.float32)
    merged = np.array([hex_to_rgb(c) for c in _merge_shades(palette)], dtype=np.float32)
    base = merged[np.argmin(((region[..., None, :] - pal) ** 2).sum(axis=-1), axis=-1)]
    weights = np.array([0.299, 0.587, 0.114], np.float32)
    ratio = np.clip((shading @ weights) / np.maximum(base @ weights, 1.0), 0.8, 1.12) * darken
    small_out = Image.fromarray(np.clip(base * ratio[..., None], 0, 255).astype(np.uint8), "RGB")
    out = small_out.filter(ImageFilter.GaussianBlur(1.0)).resize(img.size, Image.Resampling.BILINEAR)
    return Image.merge("RGBA", (*out.split(), img.getchannel("A")))


def _side_layer(front: Image.Image, depth: int) -> Image.Image:
    """The side view's layer (``depth`` x front height pixels): each row of the front cut-out (``front``,
    RGBA) becomes a centred segment whose width is the row's extent (alpha >= 64) scaled so the widest row
    spans ``depth``; its colors are the row resampled, its alpha the segment's coverage (anti-aliased ends)
    times the row's peak alpha (the soft top and bottom edges of the front)."""
    arr = np.asarray(front, dtype=np.float32)
    h, w = arr.shape[:2]
    solid = arr[..., 3] >= 64
    has = solid.any(axis=1)
    out = np.zeros((h, depth, 4), np.float32)
    if not has.any():
        return Image.fromarray(out.astype(np.uint8), "RGBA")
    left = np.argmax(solid, axis=1)
    widths = np.where(has, w - np.argmax(solid[:, ::-1], axis=1) - left, 0).astype(np.float32)
    scale = depth / float(widths.max())
    cols = np.arange(depth, dtype=np.float32) + 0.5 - depth / 2.0
    peak = arr[..., 3].max(axis=1)
    src_x = np.arange(w, dtype=np.float32)
    for y in np.nonzero(has)[0]:
        half = widths[y] * scale / 2.0
        src = left[y] + (cols / max(half, 1e-6) + 1.0) / 2.0 * (widths[y] - 1)
        for c in range(3):
            out[y, :, c] = np.interp(src, src_x, arr[y, :, c])
        out[y, :, 3] = np.clip(half - np.abs(cols) + 0.5, 0.0, 1.0) * peak[y]
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGBA")


def _footprint(fr: DesignFrame, boxy: bool, color: str, view: str, state: ProductState) -> np.ndarray:
    """Top or bottom view: the ``width`` x ``depth`` footprint rasterised with the renderer's lighting."""
    size = fr.size
    half = (fr.width / 2, fr.height / 2, fr.depth / 2)
    corner = min(fr.width, fr.depth) * 0.12 if boxy else 0.0
    prims: list[Primitive]
    fin = surface_finish(state, Finish(0.06, 20.0, body_finish(state).texture))
    if boxy:
        prims = [Box((0, 0, 0), half, (corner, corner, corner), color, fin)]
    else:
        prims = [Ellipsoid((0, 0, 0), half, color, fin, flat=0.45)]
    if view == "bottom":
        for f, amount in ((0.72, 0.8), (0.66, 0.93)):
            prims.append(Decal((0, -1, 0), (0, -half[1], 0), (half[0] * f, 0, half[2] * f),
                               "rect" if boxy else "ellipse", tone(color, amount), radius=corner * f))
    bx0, by0 = max(fr.x0 - 3, 0), max(fr.z0 - 3, 0)
    bx1, by1 = min(fr.x0 + fr.width + 3, size), min(fr.z0 + fr.depth + 3, size)
    ox, oy = fr.x0 + fr.width / 2 - bx0, fr.z0 + fr.depth / 2 - by0
    canvas = rasterize(prims, View(view, VIEW_MATRIX[view], 1.0, ox, oy, bx1 - bx0, by1 - by0))
    qalpha = quarter_alpha(size, canvas.alpha, bx0, by0)
    darkness = drop_shadow(qalpha, 0.012 * size, 0.02 * size, 0.018 * size, 0.22)
    return compose_over(size, studio_backdrop(size, darkness), canvas.color, canvas.alpha, bx0, by0)


def _cylinder_shade(img: Image.Image) -> Image.Image:
    """Shade an RGBA layer as a rounded body lit from the left: 1.0 in the middle, 0.87 left, 0.62 right."""
    arr = np.asarray(img, dtype=np.float32)
    w = arr.shape[1]
    nu = (np.arange(w, dtype=np.float32) + 0.5) / w * 2.0 - 1.0
    light = 0.62 + 0.38 * np.maximum(-0.55 * nu + 0.83 * np.sqrt(np.clip(1.0 - nu * nu, 0.0, 1.0)), 0.0) / 0.83
    arr = arr.copy()
    arr[..., :3] = np.clip(arr[..., :3] * light[None, :, None], 0, 255)
    return Image.fromarray((arr + 0.5).astype(np.uint8), "RGBA")


def render_design_view(cut: Cutout, state: ProductState, base_colors: list[str], size: int, view: str,
                       logo: Image.Image | None = None, changed: list[str] | None = None) -> np.ndarray:
    """One of the five views of an uploaded design, derived from its silhouette (rules in the module
    docstring). ``base_colors`` are the design's dominant colors before any feedback, ``changed`` the roles
    the feedback recolored.

    Returns:
        ``(size, size, 3)`` uint8 RGB array on the white studio background.

    Raises:
        KeyError: for a view name outside the five views.

    Source: DESIGN.md §6 and §12 ("offline shapes": the other views derive from the design's own
    silhouette); seed 000 §3 Phase 3 (remaining views consistent with the approved front).
    """
    if view == "front":
        return render_design_front(cut, state, base_colors, size, logo, changed)
    if view not in VIEW_MATRIX:
        raise KeyError(view)
    fr = design_frame(cut, state, size)
    source = design_layer(cut, state, base_colors, changed)
    palette = design_palette(source) if changed else (list(cut.colors) or design_palette(source))
    if view in ("top", "bottom"):
        fill = float((np.asarray(source)[..., 3] > 127).mean())
        color = palette[0] if view == "top" else tone(palette[0], 0.9)
        return _footprint(fr, fill > BOXY_FILL, color, view, state)
    layer = source.resize((fr.width, fr.height), Image.Resampling.LANCZOS)
    flat = _flatten(layer, palette, 0.94 if view == "back" else 1.0)
    if view == "back":
        flat = _with_logo(flat, state, logo, 0.11, mirrored=True)
        return np.ascontiguousarray(_studio(size, flat, fr.x0, fr.y0, fr.width * 0.9)[:, ::-1])
    return _studio(size, _cylinder_shade(_side_layer(flat, fr.depth)), fr.z0, fr.y0, fr.depth * 0.9)
