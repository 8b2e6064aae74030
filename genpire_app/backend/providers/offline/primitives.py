"""The geometry primitives of the offline renderer's proxy models, in world millimetres, and surface finishes.

World axes: X = width (left-right in the front view), Y = height (up, the floor at y = 0), Z = depth
(towards the front-view camera). Rasterised by ``raster.py``.

Source: DESIGN.md §6 (offline image renderer: category proxy shapes); seed 000 §3 Phase 2 and Phase 3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Finish:
    """Surface response: ``spec`` highlight strength (0-1), ``shininess`` exponent, ``texture`` weave amplitude.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    spec: float = 0.05
    shininess: float = 12.0
    texture: float = 0.0


FABRIC = Finish(0.0, 8.0, 0.035)
LEATHER = Finish(0.10, 18.0, 0.008)
CERAMIC = Finish(0.35, 60.0, 0.0)
METAL = Finish(0.45, 40.0, 0.0)
PLASTIC = Finish(0.18, 30.0, 0.0)
PAPER = Finish(0.0, 8.0, 0.012)
RUBBER = Finish(0.04, 10.0, 0.01)
WOOD = Finish(0.08, 16.0, 0.015)
NYLON = Finish(0.06, 14.0, 0.02)
COATED = Finish(0.22, 28.0, 0.0)
SILICONE = Finish(0.12, 22.0, 0.0)
GLASS = Finish(0.55, 80.0, 0.0)
KNIT = Finish(0.0, 8.0, 0.06)
PLUSH = Finish(0.0, 6.0, 0.08)

FINISHES: dict[str, Finish] = {
    "fabric": FABRIC,
    "leather": LEATHER,
    "ceramic": CERAMIC,
    "metal": METAL,
    "plastic": PLASTIC,
    "paper": PAPER,
    "rubber": RUBBER,
    "wood": WOOD,
    "nylon": NYLON,
    "coated": COATED,
    "silicone": SILICONE,
    "glass": GLASS,
    "knit": KNIT,
    "plush": PLUSH,
}
"""Named surface finishes a category's ``finish`` can name (``spec.py``). Source: DESIGN.md §6."""


@dataclass
class Box:
    """Axis-aligned box centred at ``center`` with half sizes ``half``; ``radii[k]`` rounds the edges parallel to axis k.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    center: tuple[float, float, float]
    half: tuple[float, float, float]
    radii: tuple[float, float, float]
    color: str
    finish: Finish = PLASTIC
    tone: float = 1.0


@dataclass
class Lathe:
    """Surface of revolution about a vertical axis through ``center``.

    ``profile`` runs from the bottom of the axis outwards, up and back in: ``(radius, height, ao)`` points,
    ``ao`` darkening the segment that starts there (1 = none, < 1 for interiors).

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    center: tuple[float, float, float]
    profile: list[tuple[float, float, float]]
    color: str
    finish: Finish = PLASTIC


@dataclass
class Ellipsoid:
    """Ellipsoid with semi-axes ``radii``; ``clip_y`` keeps only the part above that world height.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    center: tuple[float, float, float]
    radii: tuple[float, float, float]
    color: str
    finish: Finish = PLASTIC
    clip_y: float | None = None
    interior: str | None = None
    flat: float = 1.0
    emissive: bool = False


@dataclass
class Sweep:
    """A strap or handle: ellipsoids of semi-axes ``radii`` swept along a dense 3D polyline ``points`` (N, 3).

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    points: np.ndarray
    radii: tuple[float, float, float]
    color: str
    finish: Finish = LEATHER
    flat: float = 1.0


@dataclass
class Loft:
    """A shoe-last-like solid along the world X axis: at each ``xs[k]`` (mm, ascending) the cross-section is
    the upper half of an ellipse centred at height ``yc`` with semi-axes ``ry[k]`` (up) and ``rz[k]``
    (sideways).

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    xs: np.ndarray
    yc: float
    ry: np.ndarray
    rz: np.ndarray
    color: str
    finish: Finish = LEATHER


@dataclass
class Decal:
    """A flat mark on the face whose outward normal is ``normal`` (a unit world axis), drawn only in the
    view looking at that face: ``shape`` is ``rect``, ``ellipse``, ``dash_h`` (stitching along the view's
    horizontal), ``dash_v`` or ``image`` (RGBA logo). ``half`` are world half sizes (0 along the normal).

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    normal: tuple[int, int, int]
    center: tuple[float, float, float]
    half: tuple[float, float, float]
    shape: str
    color: str = "#000000"
    radius: float = 0.0
    image: Image.Image | None = None
    thickness: float = 1.0
    lit: bool = True


Primitive = Box | Lathe | Ellipsoid | Sweep | Loft | Decal


def prim_bounds(p: Primitive) -> tuple[np.ndarray, np.ndarray] | None:
    """World bounding box ``(lo (3,), hi (3,))`` of a primitive in millimetres; ``None`` for a decal.

    Source: DESIGN.md §6 (offline image renderer: every view uses the same pixels-per-millimetre scale).
    """
    if isinstance(p, Box):
        c, h = np.array(p.center), np.array(p.half)
        return c - h, c + h
    if isinstance(p, Ellipsoid):
        c, r = np.array(p.center), np.array(p.radii)
        lo, hi = c - r, c + r
        if p.clip_y is not None:
            lo[1] = max(lo[1], p.clip_y)
        return lo, hi
    if isinstance(p, Lathe):
        rmax = max(r for r, _, _ in p.profile)
        ts = [t for _, t, _ in p.profile]
        c = np.array(p.center)
        return c + np.array([-rmax, min(ts), -rmax]), c + np.array([rmax, max(ts), rmax])
    if isinstance(p, Sweep):
        r = np.array(p.radii)
        return p.points.min(axis=0) - r, p.points.max(axis=0) + r
    if isinstance(p, Loft):
        zmax = float(p.rz.max())
        return (np.array([p.xs[0], p.yc, -zmax]), np.array([p.xs[-1], p.yc + float(p.ry.max()), zmax]))
    return None
