"""The lathe-turned family of proxy models: one parametrised builder for every round container or round soft
good (vase, candle, planter, jar, tumbler, bowl, teapot, speaker, pet bed, beanie, bucket hat).

:func:`build_vessel` turns the category's profile around a vertical axis and adds the named extras.
Parameters read from ``CategorySpec.params``:

* ``profile``: outer profile points ``(radius, height)`` as fractions of the body radius ``R`` and body
  height, from the bottom outwards and up; the body radius ``R`` is ``body`` (default 1) times half the width,
  the body height ``body_h`` (default 1) times the height;
* ``open``: the top is open (rim, interior wall and floor; ``wall`` mm thick);
* extras (each optional): ``lid`` (``(start, radius, dome)`` fractions), ``handle`` (``(centre, half height,
  reach)`` fractions), ``spout``, ``straw``, ``fill`` (``(level, color)``: wax, soil, cushion inside an open
  body), ``flame``, ``plant``, ``saucer``, ``band`` (``(height, size)`` fractions), ``cuff``, ``pompom``,
  ``brim`` (``(height, drop)`` fractions), ``buttons``.

World millimetres, floor at y = 0, front towards +Z. Source: DESIGN.md §6 (category proxy shapes) and §12
("offline shapes"); seed 000 §3 Phase 2 and Phase 3.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from genpire_app.backend.providers.offline.catalogue import CATEGORIES
from genpire_app.backend.providers.offline.primitives import (
    FABRIC,
    Decal,
    Ellipsoid,
    Finish,
    Lathe,
    Primitive,
    Sweep,
)
from genpire_app.backend.providers.offline.scene import (
    Scene,
    arc,
    body_finish,
    dense_path,
    lathe_profile,
    role_colors,
    surface_finish,
    tone,
)
from genpire_app.backend.providers.offline.state import ProductState

_SOIL = "#4A3728"
_FLAME = "#FFC46B"
_LEAF = Finish(0.12, 20.0, 0.0)


def _role(value: Any, colors: dict[str, str]) -> str:
    """A color given as a role name (``"secondary"``) or a literal ``#RRGGBB``."""
    return colors.get(str(value), str(value))


def _body_profile(prm: dict[str, Any], radius: float, height: float, y0: float) -> list[tuple[float, float, float]]:
    """The body's lathe profile in mm: the outer curve, then (open bodies) the rim and the interior wall (the
    outer curve offset ``wall`` mm inwards, darkened) down to the interior floor."""
    outer = [(0.0, y0)] + [(rf * radius, y0 + hf * height) for rf, hf in prm["profile"]]
    if not prm.get("open"):
        return lathe_profile(outer + [(0.0, outer[-1][1])])
    wall = float(prm.get("wall", 4.0))
    rt, ht = outer[-1]
    rim = arc(rt - wall / 2, ht, wall / 2, wall / 2, 0, math.pi, 8)[1:]
    floor = y0 + max(height * 0.08, wall * 1.5)
    inner = [(max(r - wall, 0.0), y, 0.78) for r, y in reversed(outer[1:-1]) if y > floor]
    r_floor = float(np.interp(floor, [y for _, y in outer[1:]], [r for r, _ in outer[1:]]))
    prof = lathe_profile(outer + rim[:-1]) + [(max(rt - wall, 0.0), ht, 0.78)] + inner
    return prof + lathe_profile([(max(r_floor - wall, 0.0), floor), (0.0, floor)], ao=0.84)


def _max_radius(prm: dict[str, Any], lo: float, hi: float) -> float:
    inside = [rf for rf, hf in prm["profile"] if lo <= hf <= hi]
    return max(inside) if inside else max(rf for rf, _ in prm["profile"])


def build_vessel(st: ProductState) -> Scene:
    """A lathe-turned body in the category's profile with its extras (see the module docstring): the shared
    proxy of the round categories. Size: ``st.dims`` in mm (the width is the diameter of the widest part
    including a handle or spout; the body is ``params["body"]`` of it). The logo sits on the front of the
    body at mid-height, smaller on the back.

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes"); seed 000 §3 Phase 2 and Phase 3.
    """
    prm = CATEGORIES[st.category].params
    w, h, _d = st.dims
    p, s2, ac = role_colors(st)
    colors = {"primary": p, "secondary": s2, "accent": ac}
    fin = body_finish(st)
    radius = w / 2 * float(prm.get("body", 1.0))
    body_h = h * float(prm.get("body_h", 1.0))
    y0 = 0.0
    prims: list[Primitive] = []
    if "saucer" in prm:
        hs = h * 0.05
        rs = radius * float(prm["saucer"])
        prims.append(Lathe((0, 0, 0), lathe_profile([(0, 0), (rs - 3, 0), (rs, hs), (0, hs)]), s2, fin))
        y0 = hs
        body_h -= hs
    prims.append(Lathe((0, 0, 0), _body_profile(prm, radius, body_h, y0), p, fin))
    top = y0 + body_h * prm["profile"][-1][1]
    r_top = radius * prm["profile"][-1][0]
    if "cuff" in prm:
        hc = body_h * float(prm["cuff"])
        prims.append(Lathe((0, 0, 0), lathe_profile([(0, y0), (radius * 1.04, y0), (radius * 1.04, y0 + hc), (0, y0 + hc)]),
                           s2, fin))
    if "band" in prm:
        yb, size = prm["band"]
        rb = radius * _max_radius(prm, yb - size, yb + size) + 1.5
        y_lo, y_hi = y0 + body_h * (yb - size), y0 + body_h * (yb + size)
        prims.append(Lathe((0, 0, 0), lathe_profile([(0, y_lo), (rb, y_lo), (rb, y_hi), (0, y_hi)]), ac,
                           surface_finish(st, Finish(0.2, 30.0, 0.0))))
    if "fill" in prm:
        level, color = prm["fill"]
        rf = max(r_top - float(prm.get("wall", 4.0)) - 0.5, 1.0)
        yf = y0 + body_h * float(level)
        prims.append(Lathe((0, 0, 0), lathe_profile([(0, y0 + 2), (rf, y0 + 2), (rf, yf), (0, yf)]),
                           _SOIL if color == "soil" else _role(color, colors), surface_finish(st, FABRIC)))
    if "lid" in prm:
        start, rl, dome = prm["lid"]
        ys, rl = y0 + body_h * float(start), radius * float(rl)
        top = max(top, h)
        lid = [(0, ys), (rl, ys), (rl, top - (h - ys) * 0.35 if dome else top)]
        if dome:
            lid += arc(0, top - (h - ys) * 0.35, rl, (h - ys) * 0.35, 0, math.pi / 2, 10)[1:]
        prims.append(Lathe((0, 0, 0), lathe_profile(lid + [(0, top)]), s2, surface_finish(st, Finish(0.2, 26.0, 0.0))))
    prims += _extras(st, prm, radius, body_h, y0, top, colors)
    mid = _max_radius(prm, 0.3, 0.7) * radius
    label = Decal((0, 0, -1), (0, y0 + body_h * 0.35, -mid), (mid * 0.35, body_h * 0.07, 0), "rect", tone(p, 0.82), radius=2)
    return Scene(prims, ((0, y0 + body_h * 0.5, mid), (mid * 0.55, body_h * 0.22, 0), (0, 0, 1)),
                 ((0, y0 + body_h * 0.5, -mid), (mid * 0.28, body_h * 0.11, 0), (0, 0, -1)), label)


def _extras(st: ProductState, prm: dict[str, Any], radius: float, body_h: float, y0: float, top: float,
            colors: dict[str, str]) -> list[Primitive]:
    """Handles, spouts, straws, flames, plants, pompoms, brims and buttons of :func:`build_vessel`."""
    p, s2, ac = colors["primary"], colors["secondary"], colors["accent"]
    out: list[Primitive] = []
    fin = body_finish(st)
    if "handle" in prm:
        yc, half, reach = prm["handle"]
        cy, hh = y0 + body_h * yc, body_h * half
        rx = radius * _max_radius(prm, yc - half, yc + half) - 3
        angles = np.linspace(math.pi / 2, -math.pi / 2, 60)
        pts = [(rx + radius * reach * math.cos(a), cy + hh * math.sin(a), 0.0) for a in angles]
        t = max(radius * 0.08, 4.0)
        out.append(Sweep(dense_path(pts), (t, t, t * 0.85), _role(prm.get("handle_color", "secondary"), colors), fin, flat=0.9))
    if prm.get("spout"):
        base = (-radius * 0.8, y0 + body_h * 0.3, 0.0)
        mid = (-radius * 1.25, y0 + body_h * 0.55, 0.0)
        tip = (-radius * 1.55, y0 + body_h * 0.82, 0.0)
        out.append(Sweep(dense_path([base, mid]), (radius * 0.16,) * 3, p, fin, flat=0.9))
        out.append(Sweep(dense_path([mid, tip]), (radius * 0.1,) * 3, p, fin, flat=0.9))
    if prm.get("straw"):
        pts = dense_path([(radius * 0.25, top - 5, 0.0), (radius * 0.4, top + body_h * 0.28, 0.0)])
        out.append(Sweep(pts, (3.5, 3.5, 3.5), ac, surface_finish(st, Finish(0.2, 30.0, 0.0))))
    if prm.get("flame"):
        wax = y0 + body_h * float(prm.get("fill", (0.8, ""))[0])
        out.append(Sweep(dense_path([(0, wax, 0), (0, wax + 9, 0)]), (1.2, 1.2, 1.2), "#2B2B2B", FABRIC))
        out.append(Ellipsoid((0, wax + 20, 0), (5.5, 13.0, 5.5), _FLAME, emissive=True))
    if prm.get("plant"):
        leaf = ac
        rp = radius * 0.85
        out.append(Ellipsoid((0, top + rp * 0.55, 0), (rp, rp * 0.75, rp), leaf, _LEAF))
        for k in range(5):
            a = k * 2 * math.pi / 5 + 0.3
            c = (rp * 0.75 * math.cos(a), top + rp * (0.45 + 0.25 * (k % 2)), rp * 0.75 * math.sin(a))
            out.append(Ellipsoid(c, (rp * 0.45, rp * 0.55, rp * 0.45), tone(leaf, 0.85 + 0.08 * (k % 3)), _LEAF))
        out.append(Ellipsoid((0, top + rp * 1.25, 0), (rp * 0.45, rp * 0.5, rp * 0.45), tone(leaf, 1.1), _LEAF))
    if prm.get("pompom"):
        r = radius * 0.32
        out.append(Ellipsoid((0, top + r * 0.8, 0), (r, r, r), ac, fin))
    if "brim" in prm:
        yb, drop = prm["brim"]
        yb_mm, drop_mm = y0 + body_h * yb, body_h * drop
        rb = st.dims[0] / 2
        brim = [(0, yb_mm), (rb, yb_mm - drop_mm), (rb, yb_mm - drop_mm + 3), (0, yb_mm + 3)]
        out.append(Lathe((0, 0, 0), lathe_profile(brim), s2, fin))
    if prm.get("buttons"):
        for k, dx in enumerate((-0.35, 0.0, 0.35)):
            out.append(Decal((0, 1, 0), (dx * radius, top, 0), (radius * 0.1, 0, radius * 0.1),
                             "ellipse", ac if k != 1 else tone(s2, 0.6)))
        out.append(Decal((0, 0, 1), (0, y0 + body_h * 0.08, radius), (radius * 0.06, radius * 0.06, 0), "ellipse",
                         "#7CFC9A", lit=False))
    return out
