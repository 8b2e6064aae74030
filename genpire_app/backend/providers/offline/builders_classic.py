"""Scene builders of the original ten categories (tote, backpack, bottle, mug, box, shoe, cap, lamp, chair,
phone case) and the neutral generic proxy. World millimetres, floor at y = 0, front towards +Z.

Source: DESIGN.md §6 (offline image renderer: category proxy shapes); seed 000 §3 Phase 2 and Phase 3.
"""

from __future__ import annotations

import math

import numpy as np

from genpire_app.backend.providers.colors import color_distance, hex_to_rgb
from genpire_app.backend.providers.offline.primitives import (
    LEATHER,
    METAL,
    RUBBER,
    WOOD,
    Box,
    Decal,
    Ellipsoid,
    Finish,
    Lathe,
    Loft,
    Primitive,
    Sweep,
)
from genpire_app.backend.providers.offline.scene import (
    Scene,
    arc,
    body_finish,
    dense_path,
    lathe_profile,
    surface_finish,
    tone,
)
from genpire_app.backend.providers.offline.state import ProductState


def build_tote(st: ProductState) -> Scene:
    """A tote bag: a fabric body box, two swept leather straps (front and back) with rivets, stitching, the opening
    seen from the top. Size: ``st.dims`` (default 380 x 420 x 120 mm).

    Source: DESIGN.md §6 (category proxy shapes); seed 000 §3 Phase 2 and Phase 3.
    """
    w, h, d = st.dims
    r = st.roundness
    p, s2, ac = st.colors["primary"][1], st.colors["secondary"][1], st.colors["accent"][1]
    fab = body_finish(st)
    prims: list[Primitive] = [
        Box((0, h / 2, 0), (w / 2, h / 2, d / 2), (min(9 * r, d / 2), min(12 * r, d / 2), min(16 * r, w / 4)), p, fab)
    ]
    drop = 0.55 * h * st.strap_scale
    x0 = 0.25 * w
    y_att = h - 0.17 * h
    a, b = 15.0, 2.5
    for zsign in (1, -1):
        z = zsign * (d / 2 + b)
        pts = [(-x0, y_att, z), (-x0, h, z)]
        pts += [(x, y, z) for x, y in arc(0, h, x0, drop, math.pi, 0, 48)[1:]]
        pts += [(x0, y_att, z)]
        prims.append(Sweep(dense_path(pts), (a, a, b), s2, surface_finish(st, LEATHER), flat=0.35))
        zf = zsign * (d / 2 + 2 * b + 0.2)
        n = (0, 0, zsign)
        for sx in (-1, 1):
            for yy in (y_att + 14, h - 16):
                prims.append(Decal(n, (sx * x0, yy, zf), (5.0, 5.0, 0), "ellipse", tone(ac, 0.62)))
                prims.append(Decal(n, (sx * x0 - 0.6, yy + 0.6, zf + 0.1), (3.4, 3.4, 0), "ellipse", tone(ac, 1.18)))
        prims.append(Decal(n, (0, h - 26, zsign * (d / 2)), (w / 2 - 8, 1.2, 0), "dash_h", tone(p, 0.72), thickness=1.4))
    # the opening seen from the top, and the base seen from below
    prims.append(Decal((0, 1, 0), (0, h, 0), (w / 2 - 14 * r - 8, 0, max(d / 2 - 34, 5)), "rect", tone(p, 0.7), radius=10))
    prims.append(Decal((0, -1, 0), (0, 0, 0), (w / 2 - 16, 0, d / 2 - 14), "rect", tone(p, 0.93), radius=6))
    for zsign in (1, -1):
        prims.append(Decal((0, -1, 0), (0, 0, zsign * (d / 2 - 14)), (w / 2 - 16, 0, 1.2), "dash_h", tone(p, 0.72), thickness=1.4))
    label = Decal((0, 0, -1), (0, h - 62, -d / 2), (18, 9, 0), "rect", s2, radius=1.5)
    return Scene(prims, ((0, h * 0.42, d / 2), (min(x0 - a - 10, w * 0.2), h * 0.2, 0), (0, 0, 1)),
                 ((0, h * 0.5, -d / 2), (w * 0.09, h * 0.09, 0), (0, 0, -1)), label)


def build_backpack(st: ProductState) -> Scene:
    """A backpack: rounded body, front pocket with zip, top handle, two shoulder straps on the back.
    Size: ``st.dims`` (default 300 x 440 x 150 mm).

    Source: DESIGN.md §6 (category proxy shapes); seed 000 §3 Phase 2 and Phase 3.
    """
    w, h, d = st.dims
    r = st.roundness
    p, s2, ac = st.colors["primary"][1], st.colors["secondary"][1], st.colors["accent"][1]
    fab = body_finish(st)
    prims: list[Primitive] = [
        Box((0, h / 2, 0), (w / 2, h / 2, d / 2), (min(40 * r, d / 2), min(30 * r, d / 2), min(70 * r, w / 2)), p, fab)
    ]
    ph, pw, pd = h * 0.2, w * 0.36, 22.0
    pz = d / 2 + pd - 8
    prims.append(Box((0, h * 0.3, pz - pd + pd), (pw, ph, pd), (min(12 * r, pd), min(14 * r, pd), min(34 * r, pw)), p, fab, 0.96))
    front = pz + pd
    prims.append(Decal((0, 0, 1), (0, h * 0.3 + ph - 14, front), (pw - 22, 1.6, 0), "dash_h", ac, thickness=3.0))
    prims.append(Decal((0, 0, 1), (pw - 30, h * 0.3 + ph - 26, front + 0.5), (4, 11, 0), "rect", ac, radius=2))
    prims.append(Decal((0, 0, 1), (0, h * 0.78, d / 2), (w * 0.33, 1.6, 0), "dash_h", ac, thickness=3.0))
    prims.append(Decal((0, 0, 1), (0, h * 0.3 - ph + 10, front), (pw - 14, 1, 0), "dash_h", tone(p, 0.7), thickness=1.2))
    # top handle
    pts = [(x, y, -d * 0.1) for x, y in arc(0, h - 6, 38, 48 * st.strap_scale, math.pi, 0, 40)]
    prims.append(Sweep(dense_path(pts), (9, 9, 4), s2, surface_finish(st, LEATHER), flat=0.4))
    # shoulder straps on the back
    for sx in (-1, 1):
        pts = []
        for k in range(41):
            f = k / 40
            x = sx * (w * 0.24 + w * 0.06 * f)
            y = h * 0.9 - f * h * 0.8
            z = -(d / 2 + 8 + 28 * math.sin(math.pi * f) * st.strap_scale)
            pts.append((x, y, z))
        prims.append(Sweep(dense_path(pts), (27, 27, 8), s2, surface_finish(st, LEATHER), flat=0.45))
    label = Decal((0, 0, -1), (0, h * 0.72, -d / 2), (20, 8, 0), "rect", ac, radius=2)
    return Scene(prims, ((0, h * 0.3, front), (pw * 0.62, ph * 0.62, 0), (0, 0, 1)),
                 ((0, h * 0.74, -d / 2), (w * 0.08, h * 0.05, 0), (0, 0, -1)), label)


def build_bottle(st: ProductState) -> Scene:
    """A water bottle: lathed body with shoulder and neck, screw cap, metal trim ring. Size: ``st.dims``
    (default 75 x 250 x 75 mm, the width is the diameter).

    Source: DESIGN.md §6 (category proxy shapes); seed 000 §3 Phase 2 and Phase 3.
    """
    w, h, d = st.dims
    rr = w / 2
    p, s2, ac = st.colors["primary"][1], st.colors["secondary"][1], st.colors["accent"][1]
    hb, hs, hn = h * 0.72, h * 0.84, h * 0.87
    rn, rc = rr * 0.45, rr * 0.53
    bev = min(5.0 * st.roundness, rr * 0.5)
    body = [(0, 0)] + arc(rr - bev, bev, bev, bev, -math.pi / 2, 0, 8) + [(rr, hb)]
    body += arc(rn, hb, rr - rn, hs - hb, 0, math.pi / 2, 18)[1:] + [(rn, hn), (0, hn)]
    prims: list[Primitive] = [Lathe((0, 0, 0), lathe_profile(body), p, body_finish(st))]
    cb = min(4.0 * st.roundness, rc * 0.5)
    cap = [(0, hn - 2), (rc, hn - 2), (rc, h - cb)] + arc(rc - cb, h - cb, cb, cb, 0, math.pi / 2, 8)[1:] + [(0, h)]
    prims.append(Lathe((0, 0, 0), lathe_profile(cap), s2, surface_finish(st, Finish(0.12, 20.0, 0.0))))
    prims.append(Lathe((0, 0, 0), lathe_profile([(0, hn - 6), (rc + 0.6, hn - 6), (rc + 0.6, hn - 1), (0, hn - 1)]), ac, METAL))
    label = Decal((0, 0, -1), (0, hb * 0.35, -rr), (rr * 0.45, hb * 0.1, 0), "rect", tone(p, 0.85), radius=2)
    return Scene(prims, ((0, hb * 0.5, rr), (rr * 0.6, hb * 0.3, 0), (0, 0, 1)),
                 ((0, hb * 0.55, -rr), (rr * 0.3, hb * 0.12, 0), (0, 0, -1)), label)


def build_mug(st: ProductState) -> Scene:
    """A mug: lathed ceramic body with a rolled rim and glazed interior, C-shaped swept handle. Size:
    ``st.dims`` (default 84 x 95 x 84 mm without the handle).

    Source: DESIGN.md §6 (category proxy shapes); seed 000 §3 Phase 2 and Phase 3.
    """
    w, h, d = st.dims
    rr = w / 2
    p, s2 = st.colors["primary"][1], st.colors["secondary"][1]
    wall = 5.0
    bev = min(6.0 * st.roundness, rr * 0.4)
    fin = body_finish(st)
    outer = [(0, 0)] + arc(rr - bev, bev, bev, bev, -math.pi / 2, 0, 8) + [(rr, h - wall / 2)]
    outer += arc(rr - wall / 2, h - wall / 2, wall / 2, wall / 2, 0, math.pi, 10)[1:]
    prof = lathe_profile(outer) + lathe_profile([(rr - wall, 9), (0, 9)], ao=0.84)
    prof[-3] = (prof[-3][0], prof[-3][1], 0.78)
    prims: list[Primitive] = [Lathe((0, 0, 0), prof, p, fin)]
    yc = h * 0.52
    pts = [(rr - 2.5 + 30 * math.cos(a), yc + h * 0.3 * math.sin(a), 0.0) for a in np.linspace(math.pi / 2, -math.pi / 2, 80)]
    prims.append(Sweep(dense_path(pts), (6.5, 6.5, 5.5), s2, fin, flat=0.9))
    label = None
    return Scene(prims, ((0, h * 0.5, rr), (rr * 0.55, h * 0.28, 0), (0, 0, 1)),
                 ((0, h * 0.5, -rr), (rr * 0.25, h * 0.14, 0), (0, 0, -1)), label)


def build_box(st: ProductState) -> Scene:
    """A two-piece packaging box: base, lid (secondary) and a belly band (accent). Size: ``st.dims``
    (default 200 x 230 x 90 mm).

    Source: DESIGN.md §6 (category proxy shapes); seed 000 §3 Phase 2 and Phase 3.
    """
    w, h, d = st.dims
    r = st.roundness
    p, s2, ac = st.colors["primary"][1], st.colors["secondary"][1], st.colors["accent"][1]
    fin = body_finish(st)
    rad = (min(2.5 * r, d / 4), min(2.5 * r, d / 4), min(2.5 * r, w / 4))
    lid_h = h * 0.16
    prims: list[Primitive] = [
        Box((0, (h - 6) / 2, 0), (w / 2 - 3, (h - 6) / 2, d / 2 - 3), rad, p, fin),
        Box((0, h - lid_h, 0), (w / 2, lid_h, d / 2), rad, s2, fin),
        Box((0, h * 0.42, 0), (w / 2 - 2, h * 0.11, d / 2 - 1.5), rad, ac, fin),
    ]
    label = Decal((0, 0, -1), (0, h * 0.2, -(d / 2 - 3)), (w * 0.18, h * 0.035, 0), "rect", tone(p, 0.8), radius=1)
    return Scene(prims, ((0, h * 0.42, d / 2 - 1.5), (w * 0.3, h * 0.075, 0), (0, 0, 1)),
                 ((0, h * 0.42, -(d / 2 - 1.5)), (w * 0.15, h * 0.05, 0), (0, 0, -1)), label)


def build_shoe(st: ProductState) -> Scene:
    """A sneaker: rubber cupsole box, a lofted upper (a shoe last), heel tab, laces, stitching, tread.
    Size: ``st.dims`` (default 280 x 110 x 100 mm, length along X).

    Source: DESIGN.md §6 (category proxy shapes); seed 000 §3 Phase 2 and Phase 3.
    """
    w, h, d = st.dims
    r = st.roundness
    p, s2, ac = st.colors["primary"][1], st.colors["secondary"][1], st.colors["accent"][1]
    sx, sy, sz = w / 280, h / 110, d / 100
    up = body_finish(st)
    sole_h = 15 * sy
    prims: list[Primitive] = [
        Box((0, sole_h, 0), (140 * sx, sole_h, 50 * sz), (min(8 * r, 14), min(42 * r, 50 * sz), 12), s2, surface_finish(st, RUBBER)),
        Box((-137 * sx, 62 * sy, 0), (5 * sx, 22 * sy, 14 * sz), (4, 5, 4), ac, LEATHER),
    ]
    # The upper: a loft along the length (a shoe last), highest at the collar, rounded at toe and heel.
    xs = np.linspace(-139.0, 139.0, 140)
    ends = np.sqrt(np.clip(1.0 - (np.abs(xs) / 139.0) ** 6, 0.0, 1.0))
    tops = np.interp(xs, [-140, -115, -70, -20, 30, 80, 115, 140], [84, 92, 97, 90, 77, 63, 52, 44])
    halfw = np.interp(xs, [-140, -110, -40, 40, 100, 140], [34, 42, 45, 46, 42, 30])
    prims.append(Loft(xs * sx, 26 * sy, (tops - 26) * sy * np.maximum(ends, 0.35), halfw * sz * ends, p, up))
    top = 97 * sy
    prims.append(Decal((0, 1, 0), (-78 * sx, top, 0), (40 * sx, 0, 27 * sz), "ellipse", tone(p, 0.45)))
    lace = ac if color_distance(ac, p) > 25 else ("#F2F0EB" if sum(hex_to_rgb(p)) < 420 else "#2B2B2B")
    for k in range(5):
        xx = (-8 + k * 15) * sx
        prims.append(Decal((0, 1, 0), (xx, top, 0), (3.2, 0, 22 * sz), "rect", lace, radius=1.5))
    for zsign in (1, -1):
        prims.append(Decal((0, 0, zsign), (-2 * sx, 30 * sy, zsign * 50 * sz), (128 * sx, 1, 0), "dash_h", tone(s2, 0.7), thickness=1.2))
    for k in range(9):
        prims.append(Decal((0, -1, 0), ((-112 + k * 28) * sx, 0, 0), (4, 0, 38 * sz), "rect", tone(s2, 0.82), radius=2))
    return Scene(prims, ((-62 * sx, 54 * sy, 46.5 * sz), (30 * sx, 17 * sy, 0), (0, 0, 1)),
                 ((-62 * sx, 54 * sy, -46.5 * sz), (20 * sx, 11 * sy, 0), (0, 0, -1)), None)


def build_hat(st: ProductState) -> Scene:
    """A baseball cap: clipped-ellipsoid crown, flattened brim to the front, top button, back strap opening.
    Size: ``st.dims`` (default 190 x 120 x 210 mm).

    Source: DESIGN.md §6 (category proxy shapes); seed 000 §3 Phase 2 and Phase 3.
    """
    w, h, d = st.dims
    p, s2, ac = st.colors["primary"][1], st.colors["secondary"][1], st.colors["accent"][1]
    kx, ky, kz = w / 190, h / 120, d / 210
    fab = body_finish(st)
    prims: list[Primitive] = [
        Ellipsoid((0, 0, -12 * kz), (95 * kx, 118 * ky, 100 * kz), p, fab, clip_y=0.0, interior=tone(p, 0.6)),
        Ellipsoid((0, 9 * ky, 70 * kz), (90 * kx, 9 * ky, 86 * kz), s2, fab, clip_y=None, flat=0.55),
        Ellipsoid((0, 117 * ky, -12 * kz), (9 * kx, 6 * ky, 9 * kz), ac, fab),
    ]
    zf = -12 * kz + 100 * kz * math.sqrt(1 - (55 / 118) ** 2) + 1
    prims.append(Decal((0, 0, -1), (0, 22 * ky, -112 * kz), (34 * kx, 20 * ky, 0), "ellipse", tone(p, 0.3)))
    prims.append(Decal((0, 0, -1), (0, 8 * ky, -112.5 * kz), (34 * kx, 5 * ky, 0), "rect", s2, radius=2))
    for k in range(3):
        ang = math.pi / 6 + k * math.pi / 3
        prims.append(Decal((0, 1, 0), (50 * kx * math.cos(ang), 118 * ky, -12 * kz - 40 * kz * math.sin(ang)),
                           (2.5, 0, 2.5), "ellipse", tone(p, 0.55)))
    return Scene(prims, ((0, 55 * ky, zf), (44 * kx, 26 * ky, 0), (0, 0, 1)),
                 ((0, 62 * ky, -104 * kz), (20 * kx, 12 * ky, 0), (0, 0, -1)), None)


def build_lamp(st: ProductState) -> Scene:
    """A table lamp: lathed metal base and stem, drum shade, glowing bulb. Size: ``st.dims`` (default
    260 x 420 x 260 mm).

    Source: DESIGN.md §6 (category proxy shapes); seed 000 §3 Phase 2 and Phase 3.
    """
    w, h, d = st.dims
    p, s2 = st.colors["primary"][1], st.colors["secondary"][1]
    k = w / 260
    ky = h / 420
    base = [(0, 0), (68 * k, 0)] + arc(68 * k, 6, 6, 6, -math.pi / 2, 0, 6)[1:] + [(74 * k, 14 * ky)]
    base += arc(60 * k, 14 * ky, 14 * k, 8, 0, math.pi / 2, 8)[1:] + [(12 * k, 30 * ky), (9 * k, 36 * ky), (9 * k, 250 * ky), (0, 250 * ky)]
    shade_lo, shade_hi = 200 * ky, h
    rb, rt = 130 * k, 96 * k
    shade = [(rb - 3, shade_lo), (rb, shade_lo), (rt, shade_hi), (rt - 3, shade_hi), (rb - 3, shade_lo)]
    prims: list[Primitive] = [
        Lathe((0, 0, 0), lathe_profile(base), s2, surface_finish(st, METAL)),
        Lathe((0, 0, 0), [(r, t, 1.0 if i < 2 else 0.8) for i, (r, t) in enumerate(shade)], p, body_finish(st)),
        Ellipsoid((0, 290 * ky, 0), (26 * k, 36 * ky, 26 * k), "#FFF3D6", emissive=True),
    ]
    return Scene(prims, ((0, (shade_lo + shade_hi) / 2, (rb + rt) / 2 + 1), (rt * 0.42, (shade_hi - shade_lo) * 0.22, 0), (0, 0, 1)),
                 None, None)


def build_chair(st: ProductState) -> Scene:
    """A chair: upholstered seat and backrest, four tapered wooden legs. Size: ``st.dims`` (default
    460 x 800 x 500 mm).

    Source: DESIGN.md §6 (category proxy shapes); seed 000 §3 Phase 2 and Phase 3.
    """
    w, h, d = st.dims
    r = st.roundness
    p, s2 = st.colors["primary"][1], st.colors["secondary"][1]
    ky = h / 800
    up = body_finish(st)
    wood = surface_finish(st, WOOD)
    seat_y = 440 * ky
    prims: list[Primitive] = [
        Box((0, seat_y, 12), (w / 2, 34 * ky, d / 2 - 12), (min(22 * r, 34 * ky), min(30 * r, d / 4), min(24 * r, 34 * ky)), p, up),
        Box((0, 640 * ky, -d / 2 + 30), (w / 2 - 12, 150 * ky, 26), (min(26 * r, 26), min(40 * r, 26), min(40 * r, 140 * ky)), p, up),
    ]
    for xs in (-1, 1):
        for zs in (-1, 1):
            x, z = xs * (w / 2 - 42), zs * (d / 2 - 52)
            top = seat_y - 20 * ky if zs > 0 else 560 * ky
            prof = lathe_profile([(0, 0), (11, 0), (17, top), (0, top)])
            prims.append(Lathe((x, 0, z), prof, s2, wood))
    return Scene(prims, ((0, 660 * ky, -d / 2 + 56.5), (w * 0.16, 50 * ky, 0), (0, 0, 1)),
                 ((0, 660 * ky, -d / 2 + 3.5), (w * 0.08, 28 * ky, 0), (0, 0, -1)), None)


def build_phone_case(st: ProductState) -> Scene:
    """A phone case: thin rounded slab, raised camera surround with lens holes, side buttons, dark
    inside seen from the back. Size: ``st.dims`` (default 78 x 160 x 12 mm).

    Source: DESIGN.md §6 (category proxy shapes); seed 000 §3 Phase 2 and Phase 3.
    """
    w, h, d = st.dims
    r = st.roundness
    p, s2, ac = st.colors["primary"][1], st.colors["secondary"][1], st.colors["accent"][1]
    fin = body_finish(st)
    prims: list[Primitive] = [
        Box((0, h / 2, 0), (w / 2, h / 2, d / 2), (min(5.5, d / 2), min(5.5, d / 2), min(11 * r, w / 2)), p, fin),
    ]
    bump = (-w / 2 + 21, h - 22)
    prims.append(Box((bump[0], bump[1], d / 2 + 1.5), (15, 15, 2), (1.5, 1.5, min(7 * r, 15)), s2, fin))
    zf = d / 2 + 3.8
    for dx, dy, rad in ((-6.5, 6.5, 5.2), (-6.5, -6.5, 5.2), (6.5, 0, 5.2), (7, 10, 1.8)):
        prims.append(Decal((0, 0, 1), (bump[0] + dx, bump[1] + dy, zf), (rad, rad, 0), "ellipse", "#17191C", lit=False))
    prims.append(Decal((0, 0, -1), (0, h / 2, -d / 2), (w / 2 - 3.5, h / 2 - 3.5, 0), "rect", "#15171A", radius=9 * r, lit=False))
    for yy, hh in ((h * 0.7, 12), (h * 0.58, 6)):
        prims.append(Box((w / 2 + 0.4, yy, 0), (1.4, hh, 2.6), (1.2, 1.2, 1.2), ac, fin))
    return Scene(prims, ((0, h * 0.42, d / 2), (w * 0.3, w * 0.3, 0), (0, 0, 1)), None, None)


def build_generic(st: ProductState) -> Scene:
    """The neutral generic proxy for an unknown category (DESIGN.md §12 "offline shapes"): a rounded
    block on a contrast plinth. Size: ``st.dims`` (default 240 x 200 x 160 mm).

    Source: DESIGN.md §6 (category proxy shapes); seed 000 §3 Phase 2 and Phase 3.
    """
    w, h, d = st.dims
    r = st.roundness
    p, s2 = st.colors["primary"][1], st.colors["secondary"][1]
    fin = body_finish(st)
    rad = min(28 * r, w / 2, h / 2, d / 2)
    base_h = 11.0
    prims: list[Primitive] = [
        Box((0, base_h + (h - base_h) / 2, 0), (w / 2, (h - base_h) / 2, d / 2), (rad, rad, rad), p, fin),
        Box((0, base_h / 2 + 1, 0), (w / 2 - 8, base_h / 2 + 1, d / 2 - 8), (4, min(rad, w / 4), 4), s2, fin),
    ]
    label = Decal((0, 0, -1), (0, h * 0.3, -d / 2), (w * 0.12, h * 0.05, 0), "rect", tone(p, 0.82), radius=3)
    return Scene(prims, ((0, base_h + (h - base_h) * 0.52, d / 2), (w * 0.3, h * 0.25, 0), (0, 0, 1)),
                 ((0, base_h + (h - base_h) * 0.55, -d / 2), (w * 0.13, h * 0.11, 0), (0, 0, -1)), label)
