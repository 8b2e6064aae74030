"""A proxy model (:class:`Scene`) and the small geometry helpers the category builders share.

Source: DESIGN.md §6 (offline image renderer: category proxy shapes); seed 000 §3 Phase 2 and Phase 3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from genpire_app.backend.providers.colors import mix_hex
from genpire_app.backend.providers.offline.catalogue import CATEGORIES
from genpire_app.backend.providers.offline.primitives import FINISHES, Decal, Finish, Primitive
from genpire_app.backend.providers.offline.state import ProductState


@dataclass
class Scene:
    """A category model: primitives plus where the logo goes.

    ``logo_front`` / ``logo_back``: ``(center, half sizes, normal)`` of the logo boxes in world mm, or None.
    ``back_label``: a small label drawn on the back when there is no logo (keeps front and back distinct).

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    prims: list[Primitive]
    logo_front: tuple[tuple[float, float, float], tuple[float, float, float], tuple[int, int, int]] | None
    logo_back: tuple[tuple[float, float, float], tuple[float, float, float], tuple[int, int, int]] | None
    back_label: Decal | None = None


def arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 12) -> list[tuple[float, float]]:
    """``n`` points of an elliptic arc (centre ``cx, cy``, radii ``rx, ry`` mm) from angle ``a0`` to ``a1``
    (radians). Source: DESIGN.md §6 (proxy models)."""
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in np.linspace(a0, a1, n)]


def lathe_profile(points: list[tuple[float, float]], ao: float = 1.0) -> list[tuple[float, float, float]]:
    """``(radius, height)`` points (mm) -> a :class:`Lathe` profile with ambient occlusion ``ao`` (1 = none).
    Source: DESIGN.md §6 (proxy models)."""
    return [(max(r, 0.0), t, ao) for r, t in points]


def dense_path(points: list[tuple[float, float, float]], step: float = 1.0) -> np.ndarray:
    """A polyline of world points (mm) resampled every ``step`` mm, ``(N, 3)`` - the path of a :class:`Sweep`.
    Source: DESIGN.md §6 (proxy models)."""
    pts = np.array(points, dtype=np.float64)
    out = [pts[:1]]
    for a, b in zip(pts[:-1], pts[1:]):
        k = max(int(math.ceil(np.linalg.norm(b - a) / step)), 1)
        f = (np.arange(1, k + 1) / k)[:, None]
        out.append(a + (b - a) * f)
    return np.concatenate(out)


def tone(color: str, amount: float) -> str:
    """Darken (amount < 1) or lighten (amount > 1) a ``#RRGGBB`` color for seams and interiors.
    Source: DESIGN.md §6 (proxy models)."""
    if amount < 1:
        return mix_hex(color, "#000000", 1 - amount)
    return mix_hex(color, "#FFFFFF", amount - 1)


def surface_finish(state: ProductState, default: Finish) -> Finish:
    """``default`` adjusted by the state's finish edit ("matte" drops the highlight, "glossy" sharpens it).
    Source: DESIGN.md §6 (offline renderer applies the edits it can parse)."""
    if state.finish == "matte":
        return Finish(0.0, default.shininess, default.texture)
    if state.finish == "glossy":
        return Finish(max(default.spec, 0.4), max(default.shininess, 50.0), 0.0)
    return default


def body_finish(state: ProductState) -> Finish:
    """The category's default body finish (``CategorySpec.finish``) after the state's finish edit.
    Source: DESIGN.md §6 (proxy models, default finish per category)."""
    return surface_finish(state, FINISHES[CATEGORIES[state.category].finish])


def role_colors(state: ProductState) -> tuple[str, str, str]:
    """``(primary, secondary, accent)`` ``#RRGGBB`` of the state. Source: DESIGN.md §6 (prompt's colors)."""
    return state.colors["primary"][1], state.colors["secondary"][1], state.colors["accent"][1]
