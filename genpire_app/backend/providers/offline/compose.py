"""Composing a view: the white studio backdrop, soft shadows, and the product over it.

:func:`render_view` frames and rasterises one orthographic view of a proxy model; the views of an uploaded
design (``design_views.py``) use the same backdrop and shadows. Sizes in pixels (images) and millimetres (models).

Source: DESIGN.md §6 ("shaded on a white studio background, logo placed, five orthographic views consistent
with each other"); seed 000 §3 Phase 2 and Phase 3.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from genpire_app.backend.providers.offline.primitives import Decal, Primitive
from genpire_app.backend.providers.offline.raster import VIEW_MATRIX, View, rasterize
from genpire_app.backend.providers.offline.scenes import build_scene, scene_bounds
from genpire_app.backend.providers.offline.state import ProductState

_FILL_FRACTION = 0.70


_Q = 4  # shadows are computed at a quarter of the resolution


def ground_shadow(n: int, cx: float, y: float, width: float) -> np.ndarray:
    """Soft contact shadow under a product standing on the floor, at quarter resolution: float32
    ``(n // 4, n // 4)`` darkness 0-1. ``cx``, ``y``, ``width`` in full-resolution pixels.

    Source: DESIGN.md §6 ("shaded on a white studio background").
    """
    cx, y, width = float(cx) / _Q, float(y) / _Q, float(width) / _Q
    small = Image.new("L", (n // _Q, n // _Q), 0)
    dr = ImageDraw.Draw(small)
    rx, ry = width * 0.52, max(width * 0.05, 2.0)
    dr.ellipse([cx - rx, y - ry, cx + rx, y + ry], fill=120)
    rx2, ry2 = width * 0.44, max(width * 0.018, 1.0)
    dr.ellipse([cx - rx2, y - ry2, cx + rx2, y + ry2], fill=200)
    small = small.filter(ImageFilter.GaussianBlur(max(width * 0.04, 1.5)))
    return np.asarray(small, dtype=np.float32) / 255.0 * 0.34


def quarter_alpha(n: int, alpha: np.ndarray, x0: int, y0: int) -> Image.Image:
    """The product coverage (region ``alpha`` ``(h, w)`` 0-1 at pixel ``(x0, y0)`` of an ``n`` x ``n`` frame) as
    a quarter-resolution L image. Source: DESIGN.md §6 (soft shadows)."""
    q = Image.new("L", (n // _Q, n // _Q), 0)
    h, w = alpha.shape
    a = Image.fromarray(np.clip(alpha * 255.0 + 0.5, 0, 255).astype(np.uint8))
    a = a.resize((max((w + _Q - 1) // _Q, 1), max((h + _Q - 1) // _Q, 1)), Image.Resampling.BOX)
    q.paste(a, (x0 // _Q, y0 // _Q))
    return q


def drop_shadow(qalpha: Image.Image, dx: float, dy: float, blur: float, strength: float) -> np.ndarray:
    """Blurred, offset product silhouette at quarter resolution (float32 darkness 0-1); offsets and blur in
    full-resolution pixels. Source: DESIGN.md §6 (soft shadows)."""
    dx, dy, blur = float(dx) / _Q, float(dy) / _Q, float(blur) / _Q
    a = qalpha.transform(qalpha.size, Image.Transform.AFFINE, (1, 0, -dx, 0, 1, -dy), resample=Image.Resampling.BILINEAR)
    a = a.filter(ImageFilter.GaussianBlur(max(blur, 1.0)))
    return np.asarray(a, dtype=np.float32) / 255.0 * strength


def studio_backdrop(n: int, darkness_q: np.ndarray) -> np.ndarray:
    """White studio background with the quarter-resolution shadow: uint8 ``(n, n)`` gray levels.
    Source: DESIGN.md §6 ("white studio background")."""
    d = Image.fromarray(np.clip(darkness_q * 255.0 + 0.5, 0, 255).astype(np.uint8))
    d = d.resize((n, n), Image.Resampling.BILINEAR)
    return 255 - np.asarray(d, dtype=np.uint8)


def compose_over(n: int, bg: np.ndarray, color: np.ndarray, alpha: np.ndarray, x0: int, y0: int) -> np.ndarray:
    """Premultiplied product region (``color`` ``(h, w, 3)`` 0-1, ``alpha`` ``(h, w)``) at pixel ``(x0, y0)``
    over the background ``bg`` ``(n, n)`` -> uint8 RGB ``(n, n, 3)``. Source: DESIGN.md §6."""
    out = np.empty((n, n, 3), np.uint8)
    out[...] = bg[..., None]
    h, w = alpha.shape
    bgr = bg[y0 : y0 + h, x0 : x0 + w].astype(np.float32) / 255.0
    region = (bgr * (1.0 - alpha))[..., None] + color
    out[y0 : y0 + h, x0 : x0 + w] = np.clip(region * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out


def encode_png(arr: np.ndarray) -> bytes:
    """``(h, w, 3)`` uint8 RGB -> PNG bytes (fast compression; deterministic). Source: DESIGN.md §6."""
    buf = io.BytesIO()
    Image.fromarray(arr, "RGB").save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def render_view(state: ProductState, view: str, size: int, logo: Image.Image | None = None) -> np.ndarray:
    """Render one orthographic view of the state's proxy model.

    Args:
        state: the product state.
        view: ``front``, ``back``, ``side``, ``top`` or ``bottom``.
        size: image side in pixels.
        logo: prepared RGBA logo (see :func:`prepare_logo`), placed on the front (and smaller on the back).

    Returns:
        ``(size, size, 3)`` uint8 RGB array on a white studio background with soft shadows.

    Raises:
        KeyError: for a view name outside the five views.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """
    scene = build_scene(state)
    lo, hi = scene_bounds(scene)
    m = VIEW_MATRIX[view]
    s = _FILL_FRACTION * size / float(np.max(hi - lo))
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]) @ m.T
    umin, umax = corners[:, 0].min(), corners[:, 0].max()
    vmin, vmax = corners[:, 1].min(), corners[:, 1].max()
    ground = view in ("front", "back", "side")
    s = float(s)
    umin, umax, vmin, vmax = float(umin), float(umax), float(vmin), float(vmax)
    ox = size / 2 - (umin + umax) / 2 * s
    oy = size / 2 + (vmin + vmax) / 2 * s - (0.015 * size if ground else 0.0)
    # Only the product's pixel box is rasterised; the rest of the frame is background and shadow.
    bx0 = max(int(math.floor(ox + umin * s)) - 4, 0)
    bx1 = min(int(math.ceil(ox + umax * s)) + 4, size)
    by0 = max(int(math.floor(oy - vmax * s)) - 4, 0)
    by1 = min(int(math.ceil(oy - vmin * s)) + 4, size)
    vw = View(view, m, s, ox - bx0, oy - by0, bx1 - bx0, by1 - by0)
    prims: list[Primitive] = list(scene.prims)
    if logo is not None and state.show_logo:
        for spot in (scene.logo_front, scene.logo_back):
            if spot is None:
                continue
            center, half, normal = spot
            f = min(state.logo_scale, 1.6)
            prims.append(Decal(normal, center, (half[0] * f, half[1] * f, half[2] * f), "image", image=logo))
    elif scene.back_label is not None:
        prims.append(scene.back_label)
    canvas = rasterize(prims, vw)
    qalpha = quarter_alpha(size, canvas.alpha, bx0, by0)
    if ground:
        width = (umax - umin) * s
        g = ground_shadow(size, ox + (umin + umax) / 2 * s, oy - vmin * s, width)
        darkness = 1 - (1 - g) * (1 - drop_shadow(qalpha, 0.0, 0.006 * size, 0.02 * size, 0.10))
    else:
        darkness = drop_shadow(qalpha, 0.012 * size, 0.02 * size, 0.018 * size, 0.22)
    return compose_over(size, studio_backdrop(size, darkness), canvas.color, canvas.alpha, bx0, by0)
