"""Proxy models of wearables: garments (one parametrised builder), socks, watches, sunglasses, headphones and
loops (rings, bracelets, necklaces, collars).

Garments are shown on an invisible mannequin (ghost mannequin): a rounded torso, swept sleeves, rib trims,
optional hood, zip, pockets, collar or flared skirt. Watches, sunglasses and loops are modelled face-on (the
dial, the lenses, the ring's face look at the front camera). Parameters read from ``CategorySpec.params``
are listed in each builder's docstring.

World millimetres, floor at y = 0, front towards +Z. Source: DESIGN.md §6 (category proxy shapes) and §12
("offline shapes"); seed 000 §3 Phase 2 and Phase 3.
"""

from __future__ import annotations

import math

import numpy as np

from genpire_app.backend.providers.offline.catalogue import CATEGORIES
from genpire_app.backend.providers.offline.primitives import (
    GLASS,
    LEATHER,
    METAL,
    SILICONE,
    Box,
    Decal,
    Ellipsoid,
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

_DARK = "#1B1D21"


def build_garment(st: ProductState) -> Scene:
    """A garment on a ghost mannequin. ``st.dims`` is the overall width (sleeves included) x height x depth in
    mm. Params: ``torso`` (torso width / width), ``torso_d`` (torso depth / depth), ``sleeves`` (``"short"``,
    ``"long"`` or ``"none"``), ``skirt`` (skirt height / height: a flared lathed skirt, the width is its hem),
    ``hood``, ``zip``, ``pocket`` (``"kangaroo"`` or ``"patch"``), ``collar``, ``ribs`` (rib hem and cuffs in the
    secondary color), ``straps`` (shoulder straps instead of sleeves).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    prm = CATEGORIES[st.category].params
    w, h, d = st.dims
    p, s2, ac = role_colors(st)
    fin = body_finish(st)
    r = st.roundness
    wt = w * float(prm.get("torso", 0.62))
    dt = d * float(prm.get("torso_d", 1.0))
    y_bot = h * float(prm.get("skirt", 0.0))
    ht = h - y_bot
    prims: list[Primitive] = [
        Box((0, y_bot + ht / 2, 0), (wt / 2, ht / 2, dt / 2), (dt * 0.45, dt * 0.45, min(45 * r, wt / 4, ht / 4)), p, fin)
    ]
    if y_bot > 0:  # flared skirt, waist seam
        hem, waist = w / 2, wt / 2 * 0.92
        prims.append(Lathe((0, 0, 0), lathe_profile([(0, 0), (hem, 0), (waist, y_bot + 2), (0, y_bot + 2)]), p, fin))
        prims.append(Lathe((0, 0, 0), lathe_profile([(0, y_bot - 8), (waist + 3, y_bot - 8), (waist + 1, y_bot + 10),
                                                     (0, y_bot + 10)]), s2, fin))
    sleeves = prm.get("sleeves", "short")
    a = wt * 0.14 if sleeves == "short" else wt * 0.12
    b = dt * 0.32
    if sleeves in ("short", "long"):
        for sx in (-1, 1):
            sh = (sx * (wt / 2 - a * 0.6), h - a * 0.9, 0.0)
            if sleeves == "short":
                ang = math.radians(35)
                length = max((w / 2 - a - abs(sh[0])) / math.cos(ang), a)
                end = (sh[0] + sx * length * math.cos(ang), sh[1] - length * math.sin(ang), 0.0)
                pts = [sh, end]
            else:
                wrist = (sx * (w / 2 - a), y_bot + ht * 0.12 + a, 0.0)
                elbow = (sx * (w / 2 - a * 1.3), (sh[1] + wrist[1]) / 2 + ht * 0.05, 0.0)
                pts = [sh, elbow, wrist]
            path = dense_path(pts)
            prims.append(Sweep(path, (a, a, b), p, fin, flat=0.7))
            if prm.get("ribs") and sleeves == "long":
                cuff = path[-max(len(path) // 12, 3):]
                prims.append(Sweep(cuff, (a + 1.5, a + 1.5, b + 1.5), s2, fin, flat=0.7))
    if prm.get("straps"):
        for sx in (-1, 1):
            x = sx * wt * 0.3
            strap = dense_path([(x, h - 20, dt / 2 - 4)] + [(x, yy, zz) for zz, yy in
                                                             arc(0, h - 10, dt / 2 - 4, 45, 0, math.pi, 16)[1:]])
            prims.append(Sweep(strap, (7, 7, 7), s2, fin, flat=0.5))
    if prm.get("ribs"):
        band = ht * 0.07
        prims.append(Box((0, y_bot + band / 2, 0), (wt / 2 + 1.5, band / 2, dt / 2 + 1.5),
                         (dt * 0.45, dt * 0.45, min(45 * r, wt / 4, band / 2)), s2, fin))
    prims += _garment_details(st, prm, wt, dt, h, y_bot, ht, p, s2, ac)
    label = Decal((0, 0, -1), (0, h - ht * 0.12, -dt / 2), (wt * 0.06, ht * 0.03, 0), "rect", s2, radius=2)
    return Scene(prims, ((0, y_bot + ht * 0.62, dt / 2), (wt * 0.22, ht * 0.13, 0), (0, 0, 1)),
                 ((0, y_bot + ht * 0.7, -dt / 2), (wt * 0.11, ht * 0.07, 0), (0, 0, -1)), label)


def _garment_details(st: ProductState, prm: dict, wt: float, dt: float, h: float, y_bot: float, ht: float,
                     p: str, s2: str, ac: str) -> list[Primitive]:
    """Neckline, hood and drawstrings, collar, zip and pockets of :func:`build_garment`."""
    fin = body_finish(st)
    out: list[Primitive] = []
    if not prm.get("straps"):
        out.append(Decal((0, 0, 1), (0, h, dt / 2), (wt * 0.17, ht * 0.075, 0), "ellipse", s2))
        out.append(Decal((0, 0, 1), (0, h, dt / 2 + 0.1), (wt * 0.14, ht * 0.06, 0), "ellipse", tone(p, 0.42)))
    out.append(Decal((0, 1, 0), (0, h, 0), (wt * 0.15, 0, dt * 0.3), "ellipse", tone(p, 0.42)))
    if prm.get("hood"):
        out.append(Ellipsoid((0, h - 12, -dt * 0.18), (wt * 0.27, ht * 0.17, dt * 0.42), tone(p, 0.96), fin))
        for sx in (-1, 1):
            pts = dense_path([(sx * wt * 0.07, h - 18, dt / 2 + 3), (sx * wt * 0.08, h - ht * 0.3, dt / 2 + 3)])
            out.append(Sweep(pts, (3.0, 3.0, 3.0), ac, surface_finish(st, LEATHER)))
    if prm.get("collar"):
        out.append(Box((0, h + 18, -dt * 0.05), (wt * 0.19, 26, dt * 0.36), (12, 12, 10), s2, fin))
    if prm.get("zip"):
        out.append(Decal((0, 0, 1), (0, y_bot + ht / 2, dt / 2), (2.2, ht / 2 - 6, 0), "dash_v", ac, thickness=4.0))
        out.append(Box((0, h - ht * 0.1, dt / 2 + 2), (4, 12, 1.5), (1, 1, 2), ac, METAL))
    pocket = prm.get("pocket")
    if pocket == "kangaroo":
        out.append(Decal((0, 0, 1), (0, y_bot + ht * 0.26, dt / 2), (wt * 0.3, ht * 0.12, 0), "rect", tone(p, 0.9),
                         radius=wt * 0.05))
        out.append(Decal((0, 0, 1), (0, y_bot + ht * 0.38, dt / 2 + 0.1), (wt * 0.28, 1.2, 0), "dash_h", tone(p, 0.6),
                         thickness=1.6))
    elif pocket == "patch":
        for sx in (-1, 1):
            cx = sx * wt * 0.24
            out.append(Decal((0, 0, 1), (cx, y_bot + ht * 0.28, dt / 2), (wt * 0.12, ht * 0.1, 0), "rect",
                             tone(p, 0.9), radius=4))
            out.append(Decal((0, 0, 1), (cx, y_bot + ht * 0.37, dt / 2 + 0.1), (wt * 0.13, ht * 0.025, 0), "rect",
                             s2, radius=3))
    return out


def build_socks(st: ProductState) -> Scene:
    """A pair of socks seen from the side: two L-shaped knitted tubes (leg down, foot forward along +X) with
    rib cuffs, heels and toes in the secondary color. Size: ``st.dims`` (default 240 x 420 x 90 mm: foot
    length x leg height x pair depth).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    w, h, d = st.dims
    p, s2, _ac = role_colors(st)
    fin = body_finish(st)
    rr = d / 4
    prims: list[Primitive] = []
    for k, (dx, z) in enumerate(((0.0, d / 4), (w * 0.06, -d / 4))):
        x_leg = -w / 2 + rr + dx
        path = dense_path([(x_leg, h - rr, z), (x_leg, rr * 2.2, z)] +
                          [(x_leg + rr * 1.2 * (1 - math.cos(t)), rr * (1 + 1.2 * (1 - math.sin(t))), z)
                           for t in np.linspace(0.15, math.pi / 2, 8)] + [(w / 2 - rr + dx * 0.3, rr, z)])
        col = p if k == 0 else tone(p, 0.92)
        prims.append(Sweep(path, (rr, rr, rr * 0.9), col, fin, flat=0.8))
        prims.append(Sweep(path[: max(len(path) // 7, 3)], (rr + 1.5, rr + 1.5, rr * 0.9 + 1.5), s2, fin, flat=0.8))
        prims.append(Ellipsoid((x_leg + rr * 0.2, rr * 1.3, z), (rr * 1.05, rr * 1.2, rr * 0.95), s2, fin))
        prims.append(Ellipsoid((w / 2 - rr * 1.2 + dx * 0.3, rr, z), (rr * 1.1, rr * 1.02, rr * 0.95), s2, fin))
    return Scene(prims, ((-w / 2 + rr, h * 0.6, d / 2), (rr * 0.7, h * 0.12, 0), (0, 0, 1)), None, None)


def build_watch(st: ProductState) -> Scene:
    """A wristwatch face-on, standing on its strap: case (primary, metal), dial (accent), hands, crown, two
    straps (secondary) with a buckle. Params: ``square`` (a smartwatch: rounded-square case and a dark
    screen), ``strap`` (strap finish name). Size: ``st.dims`` (case width x strap length x case thickness).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    prm = CATEGORIES[st.category].params
    w, h, d = st.dims
    p, s2, ac = role_colors(st)
    square = bool(prm.get("square"))
    cw = w * 0.88
    ch = cw * 1.2 if square else cw
    sw, t = cw * 0.58, max(d * 0.3, 2.5)
    cy = h / 2
    strap_fin = surface_finish(st, SILICONE if prm.get("strap") == "silicone" else LEATHER)
    prims: list[Primitive] = [
        Box((0, cy, 0), (cw / 2, ch / 2, d / 2), (d * 0.4, d * 0.4, cw * 0.24 if square else cw / 2), p, body_finish(st)),
        Box((cw / 2 + 1.5, cy, 0), (2.2, 2.8 if not square else 4.0, 2.2), (1, 1, 1), p, METAL),
    ]
    for sy in (-1, 1):
        y0, y1 = cy + sy * ch * 0.4, (h if sy > 0 else 0.0)
        prims.append(Box((0, (y0 + y1) / 2, -d / 2 + t / 2), (sw / 2, abs(y1 - y0) / 2, t / 2), (t / 2, t / 2, sw * 0.3),
                         s2, strap_fin))
    prims.append(Box((0, h * 0.14, -d / 2 + t), (sw / 2 + 2, sw * 0.22, 1.4), (0.8, 0.8, 1.5), p, METAL))
    for k in range(4):
        prims.append(Decal((0, 0, -1), (0, h * (0.76 + 0.045 * k), -d / 2 + 0.05), (1.2, 1.2, 0), "ellipse", tone(s2, 0.5)))
    z = d / 2
    if square:
        prims.append(Decal((0, 0, 1), (0, cy, z), (cw * 0.4, ch * 0.41, 0), "rect", _DARK, radius=cw * 0.18, lit=False))
        prims.append(Decal((0, 0, 1), (0, cy + ch * 0.12, z), (cw * 0.24, ch * 0.08, 0), "rect", ac, radius=2, lit=False))
        prims.append(Decal((0, 0, 1), (0, cy - ch * 0.14, z), (cw * 0.11, cw * 0.11, 0), "ellipse", tone(ac, 1.3), lit=False))
    else:
        prims.append(Decal((0, 0, 1), (0, cy, z), (cw * 0.41, cw * 0.41, 0), "ellipse", ac))
        for k in range(12):
            ang = k * math.pi / 6
            pos = (cw * 0.34 * math.sin(ang), cy + cw * 0.34 * math.cos(ang), z)
            prims.append(Decal((0, 0, 1), pos, (cw * 0.018, cw * 0.018, 0), "ellipse", _DARK))
        prims.append(Decal((0, 0, 1), (0, cy + cw * 0.13, z), (cw * 0.014, cw * 0.15, 0), "rect", _DARK))
        prims.append(Decal((0, 0, 1), (-cw * 0.1, cy, z), (cw * 0.11, cw * 0.016, 0), "rect", _DARK))
    return Scene(prims, ((0, cy - ch * 0.18, z), (cw * 0.14, ch * 0.06, 0), (0, 0, 1)),
                 ((0, cy, -d / 2), (cw * 0.2, ch * 0.2, 0), (0, 0, -1)), None)


def build_sunglasses(st: ProductState) -> Scene:
    """Sunglasses face-on: two lenses (secondary, glass) in swept rims (primary), a bridge, hinges (accent) and
    temples running back along -Z. Size: ``st.dims`` (frame width x lens height x temple length, mm).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    w, h, d = st.dims
    p, s2, ac = role_colors(st)
    fin = body_finish(st)
    lw, lh, rim = w * 0.4, h * 0.86, max(w * 0.018, 2.0)
    zf = d / 2
    prims: list[Primitive] = []
    for sx in (-1, 1):
        cx = sx * w * 0.26
        ring = [(cx + lw / 2 * math.cos(a), h / 2 + lh / 2 * math.sin(a), zf) for a in np.linspace(0, 2 * math.pi, 64)]
        prims.append(Sweep(dense_path(ring), (rim, rim, rim * 1.3), p, fin, flat=0.6))
        prims.append(Ellipsoid((cx, h / 2, zf - 1), (lw / 2, lh / 2, 2.5), s2, GLASS, flat=0.5))
        hinge = (sx * (w / 2 - 3), h * 0.72, zf - 2)
        prims.append(Box(hinge, (3.0, 3.5, 4.0), (1, 1, 1), ac, METAL))
        temple = [(hinge[0], hinge[1], zf - 4), (hinge[0], h * 0.68, -d / 2 + 16), (hinge[0], h * 0.3, -d / 2)]
        prims.append(Sweep(dense_path(temple), (rim * 0.8, rim * 1.2, rim * 0.8), p, fin, flat=0.6))
    bridge = [(x, h * 0.68 + h * 0.1 * math.sin(a), zf) for x, a in zip(np.linspace(-w * 0.06, w * 0.06, 12),
                                                                         np.linspace(0, math.pi, 12))]
    prims.append(Sweep(dense_path(bridge), (rim, rim, rim), p, fin, flat=0.6))
    return Scene(prims, ((-w * 0.26, h * 0.5, zf + 1.5), (lw * 0.22, lh * 0.18, 0), (0, 0, 1)), None, None)


def build_headphones(st: ProductState) -> Scene:
    """Over-ear headphones face-on: two rounded ear cups (primary) with cushions (secondary) facing each other,
    joined by a swept headband with an inner pad. Size: ``st.dims`` (default 180 x 200 x 90 mm).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    w, h, d = st.dims
    p, s2, ac = role_colors(st)
    fin = body_finish(st)
    ct, chh, cd = w * 0.16, h * 0.42, d * 0.9
    cush = w * 0.07
    cy = chh / 2 + 2
    prims: list[Primitive] = []
    for sx in (-1, 1):
        x = sx * (w / 2 - ct / 2)
        prims.append(Box((x, cy, 0), (ct / 2, chh / 2, cd / 2), (cd * 0.45, ct * 0.35, ct * 0.45), p, fin))
        xc = sx * (w / 2 - ct - cush / 2 + 2)
        prims.append(Box((xc, cy, 0), (cush / 2, chh / 2 * 0.9, cd / 2 * 0.9), (cd * 0.4, cush * 0.45, cush * 0.45), s2,
                         surface_finish(st, LEATHER)))
        prims.append(Decal((sx, 0, 0), (sx * w / 2, cy, 0), (0, chh * 0.18, cd * 0.18), "ellipse", ac))
    xb = w / 2 - ct / 2
    band = [(xb * math.cos(a), chh + (h - chh - 8) * math.sin(a), 0.0) for a in np.linspace(math.pi, 0, 90)]
    prims.append(Sweep(dense_path(band), (8.0, 8.0, d * 0.2), p, fin, flat=0.5))
    pad = [(xb * math.cos(a), chh + (h - chh - 8) * math.sin(a) - 10, 0.0)
           for a in np.linspace(math.pi * 0.72, math.pi * 0.28, 50)]
    prims.append(Sweep(dense_path(pad), (7.0, 7.0, d * 0.17), s2, surface_finish(st, LEATHER), flat=0.5))
    return Scene(prims, ((-(w / 2 - ct / 2), cy, cd / 2), (ct * 0.3, chh * 0.2, 0), (0, 0, 1)), None, None)


def build_loop(st: ProductState) -> Scene:
    """A loop worn on the body, face-on: ``kind`` ``"ring"`` (a band with a gem), ``"bracelet"`` (a circle of
    beads), ``"necklace"`` (a hanging chain with a pendant) or ``"collar"`` (a strap loop with a buckle and a
    tag). Size: ``st.dims`` (width x height x band width, mm).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    kind = CATEGORIES[st.category].params.get("kind", "ring")
    w, h, d = st.dims
    p, s2, ac = role_colors(st)
    fin = body_finish(st)
    prims: list[Primitive] = []
    if kind == "necklace":
        pr = w * 0.07
        ph = pr * 2.4
        chain = [((w / 2 - 2) * math.sin(t), ph + (h - ph - 2) * (1 - math.cos(t)), 0.0) for t in np.linspace(-1.5, 1.5, 120)]
        prims.append(Sweep(dense_path(chain), (1.6, 1.6, 1.6), p, fin))
        prims.append(Ellipsoid((0, ph - pr * 1.2, 0), (pr, pr * 1.2, min(pr * 0.5, d / 2)), s2, GLASS))
        prims.append(Sweep(dense_path([(0, ph + 1, 0), (0, ph - pr * 0.2, 0)]), (2.2, 2.2, 2.2), ac, METAL))
        return Scene(prims, ((0, ph - pr * 1.2, pr * 0.5), (pr * 0.5, pr * 0.6, 0), (0, 0, 1)), None, None)
    t = max(min(w, h) * (0.075 if kind == "ring" else 0.05), 1.2)
    rad = w / 2 - t
    cy = rad + t
    if kind == "bracelet":
        bead = w * 0.09
        rad = w / 2 - bead
        for k in range(18):
            a = k * 2 * math.pi / 18
            col = s2 if k % 3 == 0 else p
            prims.append(Ellipsoid((rad * math.cos(a), rad + bead + rad * math.sin(a), 0), (bead,) * 3, col, fin))
        prims.append(Ellipsoid((0, bead * 0.9, bead), (bead * 0.8, bead * 0.9, bead * 0.5), ac, METAL))
        return Scene(prims, ((0, bead, bead * 1.6), (bead * 0.5, bead * 0.5, 0), (0, 0, 1)), None, None)
    circle = [(rad * math.cos(a), cy + rad * math.sin(a), 0.0) for a in np.linspace(0, 2 * math.pi, 120)]
    prims.append(Sweep(dense_path(circle, step=0.5 if kind == "ring" else 1.0), (t, t, d / 2), p, fin, flat=0.5))
    if kind == "ring":
        g = w * 0.32
        prims.append(Lathe((0, cy + rad, 0), lathe_profile([(0, 0), (g * 0.5, 0), (g * 0.62, g * 0.45), (0, g * 0.45)]),
                           ac, METAL))
        prims.append(Ellipsoid((0, cy + rad + g * 0.75, 0), (g * 0.55, g * 0.5, g * 0.55), s2, GLASS))
        return Scene(prims, None, None, None)
    buckle = Box((0, t, 0), (w * 0.14, t * 2.2, d / 2 + 2), (1, 1, 2), ac, METAL)
    tag = Ellipsoid((0, -w * 0.07, 0), (w * 0.08, w * 0.08, 1.5), ac, METAL)
    ring = [(w * 0.04 * math.cos(a), t * 0.4 + w * 0.04 * math.sin(a), 0.0) for a in np.linspace(0, 2 * math.pi, 24)]
    prims += [buckle, tag, Sweep(dense_path(ring), (1.5, 1.5, 1.5), ac, METAL)]
    return Scene(prims, ((0, cy + rad, d / 2 + 0.5), (w * 0.12, t * 0.5, 0), (0, 0, 1)), None, None)
