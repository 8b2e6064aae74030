"""The rounded-box family of proxy models: one parametrised builder for every box-like category.

Wallets, sleeves, pouches, notebooks, keyboards, chargers, rugs, frames, clocks, plates, pillows, lunch boxes,
board games ... are all one rounded box (:func:`build_slab`) in the category's proportions plus a few named
details (``CategorySpec.params["details"]``); perfume bottles and squeeze tubes have small builders of their
own. Flat goods (rugs, plates, keyboards, frames, notebooks, clocks, board games) are modelled face-on: their
face looks at the front camera, as in a flat-lay product photo, so the front view shows it.

Parameters read from ``CategorySpec.params`` (millimetres unless noted):

* ``radius``: corner radius of the front silhouette (edges parallel to Z); ``"round"`` makes it a disc;
* ``edge``: radius of the edges seen in the side and top views;
* ``details``: names from :data:`DETAILS`; ``lid``: lid height as a fraction of the height; ``keys``:
  ``(rows, cols)`` of a key grid.

World millimetres, floor at y = 0, front towards +Z. Source: DESIGN.md §6 (category proxy shapes) and §12
("offline shapes"); seed 000 §3 Phase 2 and Phase 3.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from genpire_app.backend.providers.offline.catalogue import CATEGORIES
from genpire_app.backend.providers.offline.primitives import GLASS, METAL, Box, Decal, Finish, Lathe, Primitive, Sweep
from genpire_app.backend.providers.offline.scene import (
    Scene,
    body_finish,
    dense_path,
    lathe_profile,
    role_colors,
    surface_finish,
    tone,
)
from genpire_app.backend.providers.offline.state import ProductState

_DARK = "#17191C"
_CREAM = "#F4F1EA"


@dataclass
class SlabContext:
    """What a detail of :func:`build_slab` needs: the state, the body size ``w, h, d`` (mm), its corner and edge
    radii (mm), the role colors and the body finish.

    Source: DESIGN.md §6 (category proxy shapes).
    """

    st: ProductState
    w: float
    h: float
    d: float
    corner: float
    edge: float
    p: str
    s2: str
    ac: str
    fin: Finish

    @property
    def line(self) -> float:
        """Stitch / seam thickness in mm, proportional to the product (0.8 mm at least). Source: DESIGN.md §6."""
        return max(0.8, min(self.w, self.h) * 0.008)


def _faces(c: SlabContext) -> tuple[tuple[int, float], ...]:
    return ((1, c.d / 2), (-1, -c.d / 2))


def _stitch(c: SlabContext) -> list[Primitive]:
    m = min(c.w, c.h) * 0.07 + c.corner * 0.3
    out: list[Primitive] = []
    for sign, z in _faces(c):
        n = (0, 0, sign)
        col = tone(c.p, 0.68)
        out += [Decal(n, (0, c.h - m, z), (c.w / 2 - m, c.line, 0), "dash_h", col, thickness=c.line),
                Decal(n, (0, m, z), (c.w / 2 - m, c.line, 0), "dash_h", col, thickness=c.line),
                Decal(n, (-c.w / 2 + m, c.h / 2, z), (c.line, c.h / 2 - m, 0), "dash_v", col, thickness=c.line),
                Decal(n, (c.w / 2 - m, c.h / 2, z), (c.line, c.h / 2 - m, 0), "dash_v", col, thickness=c.line)]
    return out


def _tab(c: SlabContext) -> list[Primitive]:
    tw, th, t = c.w * 0.17, c.h * 0.16, max(c.d * 0.07, 1.0)
    x = c.w / 2 - tw + 1
    return [Box((x, c.h * 0.5, c.d / 2 + t), (tw, th, t), (t * 0.6, t * 0.6, th * 0.8), c.s2, surface_finish(c.st, c.fin)),
            Decal((0, 0, 1), (x - tw * 0.35, c.h * 0.5, c.d / 2 + 2 * t), (th * 0.4, th * 0.4, 0), "ellipse", c.ac)]


def _zip(c: SlabContext) -> list[Primitive]:
    inset = c.corner * 0.6 + 2
    teeth = Box((0, c.h, 0), (c.w / 2 - inset, c.line * 2.5, c.line * 3), (1, 1, 1), c.ac, METAL)
    pull = Box((c.w / 2 - inset - 8, c.h - c.h * 0.08, c.d / 2 + c.line * 2), (c.line * 4, c.h * 0.08, c.line * 1.5),
               (1, 1, c.line * 2), c.ac, METAL)
    tape = Decal((0, 1, 0), (0, c.h, 0), (c.w / 2 - inset, 0, c.line * 5), "rect", tone(c.p, 0.6), radius=2)
    return [teeth, pull, tape]


def _lid(c: SlabContext) -> list[Primitive]:
    lh = c.h * float(CATEGORIES[c.st.category].params.get("lid", 0.25))
    return [Box((0, c.h - lh / 2, 0), (c.w / 2 + 1.5, lh / 2, c.d / 2 + 1.5), (c.edge, c.edge, c.corner), c.s2,
                surface_finish(c.st, c.fin))]


def _lid_front(c: SlabContext) -> list[Primitive]:
    ld = c.d * 0.7
    return [Box((0, c.h / 2, c.d / 2 - ld / 2 + 1.5), (c.w / 2 + 1.5, c.h / 2, ld / 2), (c.edge, c.edge, c.corner), c.s2,
                surface_finish(c.st, c.fin)),
            Decal((0, 0, 1), (0, c.h * 0.78, c.d / 2 + 1.5), (c.w * 0.36, c.h * 0.07, 0), "rect", c.ac, radius=3)]


def _clasp(c: SlabContext) -> list[Primitive]:
    lh = c.h * float(CATEGORIES[c.st.category].params.get("lid", 0.25))
    s = min(c.w, c.h) * 0.06
    return [Box((0, c.h - lh, c.d / 2 + 2), (s, s * 0.8, 2), (1, 1, s * 0.4), c.ac, METAL)]


def _clips(c: SlabContext) -> list[Primitive]:
    lh = c.h * float(CATEGORIES[c.st.category].params.get("lid", 0.25))
    s = c.w * 0.06
    return [Box((sx * c.w * 0.3, c.h - lh, c.d / 2 + 3), (s, lh * 0.7, 3), (1.5, 1.5, 3), c.ac, c.fin) for sx in (-1, 1)]


def _seam(c: SlabContext) -> list[Primitive]:
    y = c.h * 0.68
    col = tone(c.p, 0.7)
    out: list[Primitive] = [Decal((0, 0, s), (0, y, z), (c.w / 2, c.line * 0.6, 0), "rect", col) for s, z in _faces(c)]
    out += [Decal((s, 0, 0), (s * c.w / 2, y, 0), (0, c.line * 0.6, c.d / 2), "rect", col) for s in (-1, 1)]
    return out


def _led(c: SlabContext) -> list[Primitive]:
    r = min(c.w, c.h) * 0.035
    return [Decal((0, 0, 1), (-(k - 1.5) * r * 3.2, c.h * 0.3, c.d / 2), (r, r, 0), "ellipse", c.ac, lit=False)
            for k in range(int(CATEGORIES[c.st.category].params.get("leds", 1)))]


def _keys(c: SlabContext) -> list[Primitive]:
    rows, cols = CATEGORIES[c.st.category].params.get("keys", (5, 14))
    m = c.h * 0.09
    px, py = (c.w - 2 * m) / cols, (c.h - 2 * m) / rows
    kh, kd = min(px, py) * 0.42, max(c.d * 0.12, 2.0)
    fin = surface_finish(c.st, Finish(0.1, 18.0, 0.0))
    out: list[Primitive] = []
    for row in range(rows):
        y = c.h - m - (row + 0.5) * py
        col = 0
        while col < cols:
            span = cols // 2 if row == rows - 1 and col == cols // 4 else 1
            x = -c.w / 2 + m + (col + span / 2) * px
            half = (px * span / 2 - (px / 2 - kh), kh, kd)
            out.append(Box((x, y, c.d / 2 + kd * 0.5), half, (kd * 0.5, kd * 0.5, kh * 0.3), c.s2, fin))
            col += span
    return out


def _inset(c: SlabContext) -> list[Primitive]:
    m = min(c.w, c.h) * 0.12
    z = c.d / 2
    return [Decal((0, 0, 1), (0, c.h / 2, z), (c.w / 2 - m, c.h / 2 - m, 0), "rect", _CREAM, radius=1),
            Decal((0, 0, 1), (0, c.h / 2, z), (c.w / 2 - 1.8 * m, c.h / 2 - 1.8 * m, 0), "rect", c.ac, radius=1),
            Decal((0, 0, 1), (0, c.h * 0.4, z), (c.w * 0.2, c.h * 0.1, 0), "ellipse", tone(c.ac, 0.7))]


def _easel(c: SlabContext) -> list[Primitive]:
    pts = dense_path([(0, c.h * 0.72, -c.d / 2), (0, 2.0, -c.d / 2 - c.h * 0.38)])
    return [Sweep(pts, (c.w * 0.08, 3.0, 3.0), tone(c.p, 0.8), c.fin, flat=0.3)]


def _compartments(c: SlabContext) -> list[Primitive]:
    out: list[Primitive] = []
    for k in (-1, 0, 1):
        out.append(Decal((0, 1, 0), (k * c.w / 3, c.h, 0), (c.w / 6 - 5, 0, c.d / 2 - 6), "rect", tone(c.p, 0.35), radius=3))
    pens = ((-0.42, 1.35, c.ac), (-0.33, 1.55, c.s2), (-0.25, 1.2, tone(c.ac, 1.35)), (0.05, 1.1, c.s2))
    for fx, fh, col in pens:
        top = c.h * fh
        prof = lathe_profile([(0, c.h * 0.3), (4.0, c.h * 0.3), (4.0, top - 10), (1.2, top), (0, top)])
        out.append(Lathe((fx * c.w, 0, (fx + 0.3) * c.d * 0.4), prof, col, surface_finish(c.st, Finish(0.2, 30.0, 0.0))))
    return out


def _prongs(c: SlabContext) -> list[Primitive]:
    out: list[Primitive] = [Box((sx * c.w * 0.14, c.h / 2, -c.d / 2 - 8), (1.0, 3.2, 8.0), (0.5, 0.5, 0.5), "#C0C0C0", METAL)
                            for sx in (-1, 1)]
    out.append(Decal((0, 0, 1), (0, c.h * 0.32, c.d / 2), (c.w * 0.12, c.h * 0.04, 0), "rect", _DARK, radius=1.5, lit=False))
    return out


def _port(c: SlabContext) -> list[Primitive]:
    return [Decal((0, 1, 0), (sx * c.w * 0.2, c.h, 0), (c.w * 0.09, 0, c.d * 0.18), "rect", _DARK, radius=1, lit=False)
            for sx in (-1, 1)]


def _tuft(c: SlabContext) -> list[Primitive]:
    r = min(c.w, c.h) * 0.03
    return [Decal((0, 0, s), (0, c.h / 2, z), (r, r, 0), "ellipse", c.s2) for s, z in _faces(c)]


def _folds(c: SlabContext) -> list[Primitive]:
    n = 4
    out: list[Primitive] = [Decal((0, 0, 1), (0, c.h * k / n, c.d / 2), (c.w / 2 - c.corner, c.line, 0), "rect",
                                  tone(c.p, 0.62)) for k in range(1, n)]
    out.append(Box((c.w * 0.28, c.h / 2, 0), (c.w * 0.035, c.h / 2 + 1, c.d / 2 + 1), (1, 1, 1), c.s2, c.fin))
    return out


def _rug(c: SlabContext) -> list[Primitive]:
    m = min(c.w, c.h) * 0.08
    z = c.d / 2
    out: list[Primitive] = [
        Decal((0, 0, 1), (0, c.h / 2, z), (c.w / 2 - m, c.h / 2 - m, 0), "rect", c.s2),
        Decal((0, 0, 1), (0, c.h / 2, z), (c.w / 2 - 1.6 * m, c.h / 2 - 1.6 * m, 0), "rect", c.p),
        Decal((0, 0, 1), (0, c.h / 2, z), (c.w * 0.16, c.h * 0.2, 0), "ellipse", c.ac),
        Decal((0, 0, 1), (0, c.h / 2, z), (c.w * 0.08, c.h * 0.1, 0), "ellipse", c.s2),
    ]
    strands = 22
    for sx in (-1, 1):
        for k in range(strands):
            y = c.h * (k + 0.5) / strands
            out.append(Box((sx * (c.w / 2 + 14), y, 0), (15, 2.0, 1.5), (1, 1, 1), tone(c.s2, 1.25), c.fin))
    return out


def _rim(c: SlabContext) -> list[Primitive]:
    z = c.d / 2
    return [Decal((0, 0, 1), (0, c.h / 2, z), (c.w * 0.46, c.h * 0.46, 0), "ellipse", c.ac),
            Decal((0, 0, 1), (0, c.h / 2, z), (c.w * 0.44, c.h * 0.44, 0), "ellipse", c.p),
            Decal((0, 0, 1), (0, c.h / 2, z), (c.w * 0.32, c.h * 0.32, 0), "ellipse", tone(c.p, 0.95))]


def _clock(c: SlabContext) -> list[Primitive]:
    z, cy = c.d / 2, c.h / 2
    r = min(c.w, c.h) / 2
    out: list[Primitive] = [Decal((0, 0, 1), (0, cy, z), (r * 0.86, r * 0.86, 0), "ellipse", c.s2)]
    for k in range(12):  # hour marks: bars at 12, 3, 6 and 9, dots elsewhere
        a = k * math.pi / 6
        pos = (r * 0.74 * math.sin(a), cy + r * 0.74 * math.cos(a), z)
        if k % 3:
            out.append(Decal((0, 0, 1), pos, (r * 0.025, r * 0.025, 0), "ellipse", _DARK))
        else:
            half = (r * 0.02, r * 0.07, 0) if k % 6 == 0 else (r * 0.07, r * 0.02, 0)
            out.append(Decal((0, 0, 1), pos, half, "rect", _DARK))
    out.append(Decal((0, 0, 1), (0, cy + r * 0.28, z), (r * 0.02, r * 0.3, 0), "rect", _DARK, radius=1))
    out.append(Decal((0, 0, 1), (r * 0.2, cy, z), (r * 0.22, r * 0.03, 0), "rect", _DARK, radius=1))
    out.append(Decal((0, 0, 1), (0, cy, z), (r * 0.05, r * 0.05, 0), "ellipse", c.ac))
    return out


def _spine(c: SlabContext) -> list[Primitive]:
    sw = c.w * 0.1
    return [Box((-c.w / 2 + sw / 2 - 0.5, c.h / 2, 0), (sw / 2 + 0.5, c.h / 2 + 0.5, c.d / 2 + 0.5),
                (c.edge, c.edge, c.corner), c.s2, surface_finish(c.st, c.fin))]


def _elastic(c: SlabContext) -> list[Primitive]:
    return [Box((c.w * 0.36, c.h / 2, 0), (2.5, c.h / 2 + 0.8, c.d / 2 + 0.8), (0.5, 0.5, 0.5), c.ac, c.fin)]


def _pages(c: SlabContext) -> list[Primitive]:
    t = c.d * 0.36
    return [Decal((1, 0, 0), (c.w / 2, c.h / 2, 0), (0, c.h / 2 - 3, t), "rect", _CREAM),
            Decal((0, 1, 0), (0, c.h, 0), (c.w / 2 - 3, 0, t), "rect", _CREAM)]


DETAILS: dict[str, Callable[[SlabContext], list[Primitive]]] = {
    "stitch": _stitch, "tab": _tab, "zip": _zip, "lid": _lid, "lid_front": _lid_front, "clasp": _clasp,
    "clips": _clips, "seam": _seam, "led": _led, "keys": _keys, "inset": _inset, "easel": _easel,
    "compartments": _compartments, "prongs": _prongs, "port": _port, "tuft": _tuft, "folds": _folds,
    "rug": _rug, "rim": _rim, "clock": _clock, "spine": _spine, "elastic": _elastic, "pages": _pages,
}
"""Named details of :func:`build_slab`, each ``SlabContext -> primitives``. Source: DESIGN.md §12."""


def build_slab(st: ProductState) -> Scene:
    """A rounded box of ``st.dims`` (mm) with the category's details: the shared proxy of the box-like
    categories (wallet, laptop sleeve, pouch, jewelry box, lunch box, board game, notebook, keyboard, charger,
    power bank, earbuds case, pillow, blanket, rug, plate, clock, picture frame, desk organizer). The logo sits
    on the front face (about 56% x 44% of it), smaller on the back.

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes"); seed 000 §3 Phase 2 and Phase 3.
    """
    spec = CATEGORIES[st.category]
    prm = spec.params
    w, h, d = st.dims
    r = st.roundness
    p, s2, ac = role_colors(st)
    fin = body_finish(st)
    radius = prm.get("radius", 4.0)
    corner = min(w, h) / 2 if radius == "round" else min(float(radius) * r, w / 2, h / 2)
    edge = min(float(prm.get("edge", 2.0)) * r, d / 2, w / 2, h / 2)
    prims: list[Primitive] = [Box((0, h / 2, 0), (w / 2, h / 2, d / 2), (edge, edge, corner), p, fin)]
    ctx = SlabContext(st, w, h, d, corner, edge, p, s2, ac, fin)
    for name in prm.get("details", ()):
        prims += DETAILS[name](ctx)
    fx, fy, fw, fh = prm.get("logo", (0.0, 0.5, 0.28, 0.22))
    front_z = d / 2 + (1.5 if "lid_front" in prm.get("details", ()) else 0.0)
    label = Decal((0, 0, -1), (0, h * 0.3, -d / 2), (w * 0.12, h * 0.05, 0), "rect", tone(p, 0.82), radius=2)
    return Scene(prims, ((fx * w, fy * h, front_z), (fw * w, fh * h, 0), (0, 0, 1)),
                 ((0, h * 0.5, -d / 2), (fw * w * 0.5, fh * h * 0.5, 0), (0, 0, -1)), label)


def build_perfume(st: ProductState) -> Scene:
    """A perfume bottle: a thick glass block (the body, 70% of the height), a metal collar and a chunky cap.
    Size: ``st.dims`` (default 80 x 120 x 40 mm).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    w, h, d = st.dims
    p, s2, ac = role_colors(st)
    hb = h * 0.7
    rad = min(8 * st.roundness, w / 2, hb / 2)
    prims: list[Primitive] = [
        Box((0, hb / 2, 0), (w / 2, hb / 2, d / 2), (min(4.0, d / 2), min(4.0, d / 2), rad), p, body_finish(st)),
        Box((0, hb * 0.45, 0), (w / 2 - 6, hb * 0.38, d / 2 - 5), (3, 3, rad * 0.6), tone(p, 0.82), GLASS),
        Lathe((0, 0, 0), lathe_profile([(0, hb - 1), (w * 0.12, hb - 1), (w * 0.12, hb + h * 0.06), (0, hb + h * 0.06)]),
              ac, METAL),
    ]
    cap_y = hb + h * 0.06
    prims.append(Box((0, (cap_y + h) / 2, 0), (w * 0.22, (h - cap_y) / 2, d * 0.4), (3, 3, 4 * st.roundness), s2,
                     surface_finish(st, Finish(0.3, 40.0, 0.0))))
    label = Decal((0, 0, -1), (0, hb * 0.3, -d / 2), (w * 0.2, hb * 0.06, 0), "rect", tone(p, 0.7), radius=1)
    return Scene(prims, ((0, hb * 0.45, d / 2), (w * 0.3, hb * 0.25, 0), (0, 0, 1)),
                 ((0, hb * 0.5, -d / 2), (w * 0.15, hb * 0.12, 0), (0, 0, -1)), label)


def build_tube(st: ProductState) -> Scene:
    """A squeeze tube standing on its cap: round cap (secondary) at the bottom, a soft flattened body, a
    crimped seam at the top. Size: ``st.dims`` (default 55 x 170 x 40 mm; the cap is 60% of the width).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    w, h, d = st.dims
    p, s2, ac = role_colors(st)
    hc = h * 0.14
    rc = min(w * 0.3, d / 2)
    cap = lathe_profile([(0, 0), (rc, 0), (rc, hc), (0, hc)])
    crimp = h * 0.06
    body_h = h - hc - crimp
    prims: list[Primitive] = [
        Lathe((0, 0, 0), cap, s2, surface_finish(st, Finish(0.2, 30.0, 0.0))),
        Box((0, hc + body_h / 2, 0), (w / 2, body_h / 2, d / 2), (d / 2 * 0.9, d / 2 * 0.9, 6), p, body_finish(st)),
        Box((0, h - crimp / 2, 0), (w / 2 + 1, crimp / 2, 2.0), (1, 1, 1), tone(p, 0.9), body_finish(st)),
    ]
    for s in (-1, 1):
        prims.append(Decal((0, 0, s), (0, h - crimp / 2, s * 2.0), (w / 2 - 2, crimp * 0.12, 0), "dash_h", tone(p, 0.7),
                           thickness=0.8))
    prims.append(Decal((0, 0, 1), (0, hc + body_h * 0.25, d / 2), (w * 0.4, body_h * 0.05, 0), "rect", ac, radius=1))
    label = Decal((0, 0, -1), (0, hc + body_h * 0.4, -d / 2), (w * 0.3, body_h * 0.15, 0), "rect", tone(p, 0.9), radius=2)
    return Scene(prims, ((0, hc + body_h * 0.6, d / 2), (w * 0.34, body_h * 0.2, 0), (0, 0, 1)),
                 ((0, hc + body_h * 0.6, -d / 2), (w * 0.17, body_h * 0.1, 0), (0, 0, -1)), label)
