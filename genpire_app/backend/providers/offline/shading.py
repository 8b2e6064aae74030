"""Shading and the pixel buffers of the offline renderer: view projection, canvas, lights, surface response.

Three lights (key from the upper left, fill from the right, bounce from below) plus ambient, normalised so a
face looking straight at the camera shows exactly its color; Blinn highlights per finish; a fixed weave
texture for fabrics. Sizes in pixels (buffers) and millimetres (camera coordinates).

Source: DESIGN.md §6 ("shaded on a white studio background"); seed 000 §3 Phase 2 and Phase 3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from genpire_app.backend.providers.colors import hex_to_rgb
from genpire_app.backend.providers.offline.primitives import Finish

VIEW_MATRIX: dict[str, np.ndarray] = {
    # rows: camera u (right), v (up), w (towards the camera), in world coordinates
    "front": np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float64),
    "back": np.array([[-1, 0, 0], [0, 1, 0], [0, 0, -1]], dtype=np.float64),
    "side": np.array([[0, 0, -1], [0, 1, 0], [1, 0, 0]], dtype=np.float64),
    "top": np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], dtype=np.float64),
    "bottom": np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]], dtype=np.float64),
}
"""World -> camera rotation of each view (rows: camera right, up, towards the camera). The side view looks
at the product's right side (the front faces left), the top view has the front at the bottom of the image.
Source: DESIGN.md §6 (five orthographic views)."""

_KEY = np.array([-0.45, 0.62, 0.64])
_KEY = _KEY / np.linalg.norm(_KEY)
_FILL = np.array([0.7, 0.05, 0.71])
_FILL = _FILL / np.linalg.norm(_FILL)
_BOUNCE = np.array([0.0, -0.8, 0.6])
_AMBIENT, _K_KEY, _K_FILL, _K_BOUNCE = 0.34, 0.56, 0.16, 0.14
_FRONT_LIGHT = _AMBIENT + _K_KEY * _KEY[2] + _K_FILL * _FILL[2] + _K_BOUNCE * _BOUNCE[2]
_HALF = _KEY + np.array([0.0, 0.0, 1.0])
_HALF = _HALF / np.linalg.norm(_HALF)
_KEY, _FILL, _BOUNCE, _HALF = (tuple(float(c) for c in vec) for vec in (_KEY, _FILL, _BOUNCE, _HALF))
_FRONT_LIGHT = float(_FRONT_LIGHT)


@lru_cache(maxsize=1)
def _weave_tile() -> np.ndarray:
    """A 64x64 multiplicative fabric texture (mean 0, std ~1), fixed seed -> deterministic."""
    rng = np.random.default_rng(1_234_567)
    noise = rng.standard_normal((64, 64)).astype(np.float32)
    noise = (noise + np.roll(noise, 1, 0) + np.roll(noise, 1, 1)) / 3.0
    yy, xx = np.mgrid[0:64, 0:64]
    weave = (np.sin(xx * 2 * np.pi / 4) * np.sin(yy * 2 * np.pi / 4)).astype(np.float32)
    tile = 0.6 * noise + 0.8 * weave
    return (tile / tile.std()).astype(np.float32)


class Canvas:
    """Premultiplied color, coverage, depth and light buffers of the product's region of one view
    (float32, ``h`` x ``w`` pixels; depth in camera millimetres, larger = nearer).

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    def __init__(self, h: int, w: int) -> None:
        self.h, self.w = h, w
        self.color = np.zeros((h, w, 3), np.float32)
        self.alpha = np.zeros((h, w), np.float32)
        self.depth = np.full((h, w), -1e9, np.float32)
        self.light = np.ones((h, w), np.float32)

    def blend(
        self,
        ys: slice,
        xs: slice,
        cov: np.ndarray,
        depth: np.ndarray,
        rgb: np.ndarray,
        light: np.ndarray | None,
        write_depth: bool = True,
    ) -> None:
        """Blend a shaded patch (coverage ``cov`` 0-1, camera ``depth`` mm, ``rgb`` 0-1, ``light`` factor, all
        ``(h, w)`` over the ``ys``/``xs`` slices) over the buffers where it is not hidden (depth test).

        Source: DESIGN.md §6 (offline image renderer).
        """
        zbuf = self.depth[ys, xs]
        w = cov * (depth >= zbuf - 0.05)
        if w.dtype != np.float32:
            w = w.astype(np.float32)
        inv = 1.0 - w
        col = self.color[ys, xs]
        col *= inv[..., None]
        col += rgb * w[..., None]
        a = self.alpha[ys, xs]
        a *= inv
        a += w
        if light is not None:
            lt = self.light[ys, xs]
            lt *= inv
            lt += light * w
        if write_depth:
            nearer = (cov >= 0.5) & (depth > zbuf)
            zbuf[nearer] = depth[nearer]


@dataclass
class View:
    """Projection of one view: ``matrix`` world -> camera, ``s`` pixels per mm, origin ``(ox, oy)`` in pixels
    of the ``w`` x ``h`` pixel region being rasterised.

    Source: DESIGN.md §6 (orthographic views, one pixels-per-millimetre scale for all five).
    """

    name: str
    matrix: np.ndarray
    s: float
    ox: float
    oy: float
    w: int
    h: int

    def region(self, umin: float, umax: float, vmin: float, vmax: float) -> tuple[slice, slice, np.ndarray, np.ndarray] | None:
        """Pixel slices covering the camera box ``[umin, umax] x [vmin, vmax]`` (mm) plus the camera
        coordinates (mm) of their pixel centres, ``u (1, w)`` and ``v (h, 1)``; ``None`` when off the region.

        Source: DESIGN.md §6 (offline image renderer).
        """
        x0 = max(int(math.floor(self.ox + umin * self.s)) - 1, 0)
        x1 = min(int(math.ceil(self.ox + umax * self.s)) + 2, self.w)
        y0 = max(int(math.floor(self.oy - vmax * self.s)) - 1, 0)
        y1 = min(int(math.ceil(self.oy - vmin * self.s)) + 2, self.h)
        if x1 <= x0 or y1 <= y0:
            return None
        u = ((np.arange(x0, x1, dtype=np.float32) + 0.5 - self.ox) / self.s)[None, :]
        v = ((self.oy - (np.arange(y0, y1, dtype=np.float32) + 0.5)) / self.s)[:, None]
        return slice(y0, y1), slice(x0, x1), u, v


def shade(
    nu: np.ndarray, nv: np.ndarray, nw: np.ndarray, color: str, finish: Finish, ys: slice, xs: slice, tone: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Lambert key + fill light with a Blinn highlight, normalised so a face looking at the camera shows
    exactly ``color``. Normals ``nu``/``nv``/``nw`` are camera-space ``(h, w)`` arrays; ``ys``/``xs`` place the
    fabric texture. Returns ``(rgb (h, w, 3) in 0-1, light factor (h, w))``.

    Source: DESIGN.md §6 ("shaded on a white studio background").
    """
    ndl = np.maximum(nu * _KEY[0] + nv * _KEY[1] + nw * _KEY[2], 0.0)
    ndf = np.maximum(nu * _FILL[0] + nv * _FILL[1] + nw * _FILL[2], 0.0)
    ndb = np.maximum(nv * _BOUNCE[1] + nw * _BOUNCE[2], 0.0)
    light = (_AMBIENT + _K_KEY * ndl + _K_FILL * ndf + _K_BOUNCE * ndb) / _FRONT_LIGHT * tone
    light = light.astype(np.float32)
    if finish.texture > 0:
        tile = _weave_tile()
        ny, nx = light.shape
        iy = (np.arange(ys.start, ys.start + ny) % 64)[:, None]
        ix = (np.arange(xs.start, xs.start + nx) % 64)[None, :]
        light = light * (1.0 + finish.texture * tile[iy, ix])
    base = np.array(hex_to_rgb(color), dtype=np.float32) / 255.0
    rgb = light[..., None] * base
    if finish.spec > 0:
        ndh = np.maximum(nu * _HALF[0] + nv * _HALF[1] + nw * _HALF[2], 0.0)
        flat = float(_HALF[2]) ** finish.shininess
        spec = np.maximum(ndh**finish.shininess - flat, 0.0) * finish.spec
        rgb = rgb + spec[..., None].astype(np.float32)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32), light


def to_camera(m: np.ndarray, vec: tuple[float, float, float] | np.ndarray) -> tuple[float, float, float]:
    """``m @ vec`` as Python floats (keeps the float32 pixel arithmetic in float32): world mm -> camera mm.

    Source: DESIGN.md §6 (orthographic views).
    """
    r = m @ np.asarray(vec, dtype=np.float64)
    return float(r[0]), float(r[1]), float(r[2])


def normalise(nu: np.ndarray, nv: np.ndarray, nw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit normals from ``(h, w)`` component arrays. Source: DESIGN.md §6 (shading)."""
    norm = np.sqrt(nu * nu + nv * nv + nw * nw) + 1e-9
    return nu / norm, nv / norm, nw / norm
