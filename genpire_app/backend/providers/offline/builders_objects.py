"""Proxy models of toys, sports goods and desk objects: plush toy, figurine, toy car, skateboard, rolled mat,
dumbbell, computer mouse and phone stand. Each is a handful of the shared primitives scaled to ``st.dims``.

World millimetres, floor at y = 0, front towards +Z; long products (car, skateboard, mat, dumbbell) lie along
X, so the front view shows their profile. Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline
shapes"); seed 000 §3 Phase 2 and Phase 3.
"""

from __future__ import annotations

from genpire_app.backend.providers.offline.primitives import (
    METAL,
    RUBBER,
    WOOD,
    Box,
    Decal,
    Ellipsoid,
    Lathe,
    Primitive,
    Sweep,
)
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

_DARK = "#1E1E22"
_TYRE = "#2A2A2D"


def build_plush(st: ProductState) -> Scene:
    """A sitting plush bear: ellipsoid body, head, ears, arms and forward legs (primary), muzzle, inner ears
    and foot pads (secondary), eyes and nose. Size: ``st.dims`` (default 260 x 300 x 220 mm).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    w, h, d = st.dims
    p, s2, _ac = role_colors(st)
    fin = body_finish(st)
    kx, ky, kz = w / 260, h / 300, d / 220
    prims: list[Primitive] = [
        Ellipsoid((0, 95 * ky, -12 * kz), (80 * kx, 95 * ky, 70 * kz), p, fin),
        Ellipsoid((0, 225 * ky, 0), (72 * kx, 68 * ky, 62 * kz), p, fin),
        Ellipsoid((0, 208 * ky, 50 * kz), (30 * kx, 22 * ky, 18 * kz), s2, fin),
    ]
    for sx in (-1, 1):
        prims += [
            Ellipsoid((sx * 55 * kx, 278 * ky, -5 * kz), (24 * kx, 22 * ky, 12 * kz), p, fin),
            Ellipsoid((sx * 78 * kx, 118 * ky, 18 * kz), (26 * kx, 50 * ky, 28 * kz), p, fin),
            Ellipsoid((sx * 45 * kx, 30 * ky, 52 * kz), (32 * kx, 30 * ky, 58 * kz), p, fin),
            Decal((0, 0, 1), (sx * 55 * kx, 278 * ky, 7 * kz), (12 * kx, 11 * ky, 0), "ellipse", s2),
            Decal((0, 0, 1), (sx * 45 * kx, 30 * ky, 110 * kz), (18 * kx, 18 * ky, 0), "ellipse", s2),
            Decal((0, 0, 1), (sx * 26 * kx, 240 * ky, 58 * kz), (6 * kx, 7 * ky, 0), "ellipse", _DARK, lit=False),
        ]
    prims.append(Decal((0, 0, 1), (0, 216 * ky, 68 * kz), (9 * kx, 6 * ky, 0), "ellipse", _DARK))
    return Scene(prims, ((0, 90 * ky, 58 * kz), (34 * kx, 30 * ky, 0), (0, 0, 1)),
                 ((0, 100 * ky, -82 * kz), (30 * kx, 26 * ky, 0), (0, 0, -1)), None)


def build_figure(st: ProductState) -> Scene:
    """A standing figurine on a round plinth (secondary): legs, torso and arms as rounded blocks, a round head
    with a face plate (accent, e.g. a visor). Size: ``st.dims`` (default 120 x 240 x 100 mm).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    w, h, d = st.dims
    p, s2, ac = role_colors(st)
    fin = body_finish(st)
    kx, ky, kz = w / 120, h / 240, d / 100
    base_h = 12 * ky
    prims: list[Primitive] = [
        Lathe((0, 0, 0), lathe_profile([(0, 0), (min(48 * kx, 48 * kz), 0), (min(50 * kx, 50 * kz), base_h), (0, base_h)]),
              s2, surface_finish(st, WOOD)),
        Box((0, base_h + 135 * ky, 0), (30 * kx, 45 * ky, 22 * kz), (14 * kz, 14 * kx, 14 * kx), p, fin),
        Ellipsoid((0, base_h + 205 * ky, 0), (27 * kx, 23 * ky, 26 * kz), p, fin),
        Decal((0, 0, 1), (0, base_h + 205 * ky, 24 * kz), (17 * kx, 11 * ky, 0), "ellipse", ac),
        Decal((0, 0, 1), (0, base_h + 100 * ky, 22 * kz), (29 * kx, 4 * ky, 0), "rect", tone(p, 0.7)),
    ]
    for sx in (-1, 1):
        prims.append(Box((sx * 14 * kx, base_h + 46 * ky, 0), (11 * kx, 46 * ky, 14 * kz), (8 * kz, 6 * kx, 6 * kx), p, fin))
        prims.append(Box((sx * 40 * kx, base_h + 135 * ky, 0), (9 * kx, 40 * ky, 10 * kz), (8 * kz, 7 * kx, 7 * kx), p, fin))
    return Scene(prims, ((0, base_h + 140 * ky, 22 * kz), (16 * kx, 14 * ky, 0), (0, 0, 1)),
                 ((0, base_h + 140 * ky, -22 * kz), (14 * kx, 14 * ky, 0), (0, 0, -1)), None)


def build_car(st: ProductState) -> Scene:
    """A toy car in profile (length along X): rounded body (primary), cabin with windows (secondary), four
    wheels with hubs (accent), head and tail lights. Size: ``st.dims`` (default 160 x 70 x 75 mm).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    w, h, d = st.dims
    p, s2, ac = role_colors(st)
    fin = body_finish(st)
    r, t = h * 0.22, d * 0.1
    hb, hc = h * 0.38, h - r - h * 0.38
    zb = d / 2 - t * 0.6
    prims: list[Primitive] = [
        Box((0, r + hb / 2, 0), (w / 2, hb / 2, zb), (hb * 0.35, hb * 0.4, min(hb * 0.45, 14 * st.roundness)), p, fin),
        Box((-w * 0.06, r + hb + hc / 2 - 2, 0), (w * 0.27, hc / 2 + 2, zb - 4), (hc * 0.3, hc * 0.3, hc * 0.45), p, fin),
    ]
    for sz in (-1, 1):
        prims.append(Decal((0, 0, sz), (-w * 0.06, r + hb + hc * 0.45, sz * (zb - 4)), (w * 0.22, hc * 0.3, 0), "rect", s2,
                           radius=hc * 0.2))
        for sx in (-1, 1):
            c = (sx * w * 0.3, r, sz * (d / 2 - t / 2))
            prims.append(Box(c, (r, r, t / 2), (1.5, 1.5, r), _TYRE, RUBBER))
            prims.append(Decal((0, 0, sz), (c[0], r, sz * d / 2), (r * 0.5, r * 0.5, 0), "ellipse", ac))
    for sx, col in ((1, "#FFF3C4"), (-1, "#C62828")):
        for sz in (-1, 1):
            prims.append(Decal((sx, 0, 0), (sx * w / 2, r + hb * 0.6, sz * zb * 0.65), (0, hb * 0.12, zb * 0.14), "ellipse",
                               col, lit=False))
    for sx in (-1, 1):
        prims.append(Decal((sx, 0, 0), (sx * w * 0.33, r + hb + hc * 0.45, 0), (0, hc * 0.3, zb * 0.75), "rect", s2,
                           radius=3))
    return Scene(prims, ((w * 0.2, r + hb * 0.5, zb), (w * 0.12, hb * 0.3, 0), (0, 0, 1)),
                 ((w * 0.2, r + hb * 0.5, -zb), (w * 0.12, hb * 0.3, 0), (0, 0, -1)), None)


def build_skateboard(st: ProductState) -> Scene:
    """A skateboard in profile (length along X): a rounded wooden deck (primary) with grip tape on top, two
    metal trucks (accent) and four wheels (secondary). Size: ``st.dims`` (default 800 x 110 x 210 mm).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    w, h, d = st.dims
    p, s2, ac = role_colors(st)
    r, t, deck = h * 0.25, d * 0.16, max(h * 0.11, 6.0)
    prims: list[Primitive] = [
        Box((0, h - deck / 2, 0), (w / 2, deck / 2, d / 2), (deck * 0.4, d * 0.48 * st.roundness, deck * 0.45), p,
            surface_finish(st, WOOD)),
        Decal((0, 1, 0), (0, h, 0), (w / 2 - 8, 0, d / 2 - 6), "rect", "#26272B", radius=d * 0.4),
    ]
    for sx in (-1, 1):
        x = sx * w * 0.32
        top, bottom = h - deck, 2 * r - 4
        prims.append(Box((x, (top + bottom) / 2, 0), (w * 0.03, (top - bottom) / 2, d * 0.34), (3, 3, 3), ac, METAL))
        for sz in (-1, 1):
            prims.append(Box((x, r, sz * (d / 2 - t / 2)), (r, r, t / 2), (2, 2, r), s2, surface_finish(st, RUBBER)))
    return Scene(prims, ((0, h - deck / 2, d / 2), (w * 0.2, deck * 0.4, 0), (0, 0, 1)),
                 None, Decal((0, -1, 0), (0, h - deck, 0), (w * 0.18, 0, d * 0.25), "rect", tone(p, 0.75), radius=6))


def build_roll(st: ProductState) -> Scene:
    """A rolled mat lying along X: a cylinder (primary) with the spiral of the roll on both ends and two
    carry straps (accent). Size: ``st.dims`` (length x diameter x diameter, mm).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    w, h, d = st.dims
    p, _s2, ac = role_colors(st)
    fin = body_finish(st)
    rr = min(h, d) / 2
    prims: list[Primitive] = [Box((0, rr, 0), (w / 2, rr, rr), (rr, 2, 2), p, fin)]
    for sx in (-1, 1):
        for k, f in enumerate((0.86, 0.66, 0.46, 0.26)):
            ring = tone(p, 0.78 if k % 2 == 0 else 1.0)
            prims.append(Decal((sx, 0, 0), (sx * w / 2, rr, 0), (0, rr * f, rr * f), "ellipse", ring))
        prims.append(Box((sx * w * 0.3, rr, 0), (w * 0.02, rr + 2, rr + 2), (rr + 2, 1, 1), ac, surface_finish(st, RUBBER)))
    return Scene(prims, ((0, rr * 1.1, rr), (w * 0.18, rr * 0.4, 0), (0, 0, 1)), None, None)


def build_dumbbell(st: ProductState) -> Scene:
    """A dumbbell lying along X: a metal handle (accent) between two pairs of round plates (primary), with
    collars. Size: ``st.dims`` (default 320 x 130 x 130 mm; the plate diameter is the height).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    w, h, _d = st.dims
    p, s2, ac = role_colors(st)
    fin = body_finish(st)
    rr, pt = h / 2, w * 0.08
    prims: list[Primitive] = [Box((0, rr, 0), (w / 2 - pt, rr * 0.18, rr * 0.18), (rr * 0.18, 1, 1), ac, METAL)]
    for sx in (-1, 1):
        prims.append(Box((sx * (w / 2 - 1.5 * pt), rr, 0), (pt / 2, rr, rr), (rr, 2, 2), p, fin))
        prims.append(Box((sx * (w / 2 - pt / 2), rr, 0), (pt / 2, rr * 0.8, rr * 0.8), (rr * 0.8, 2, 2), tone(p, 0.9), fin))
        prims.append(Box((sx * (w / 2 - 2.2 * pt), rr, 0), (pt * 0.2, rr * 0.32, rr * 0.32), (rr * 0.32, 1, 1), s2, METAL))
        prims.append(Decal((sx, 0, 0), (sx * w / 2, rr, 0), (0, rr * 0.3, rr * 0.3), "ellipse", ac))
    return Scene(prims, ((w / 2 - 1.5 * pt, rr, rr), (pt * 0.35, rr * 0.3, 0), (0, 0, 1)), None, None)


def build_mouse(st: ProductState) -> Scene:
    """A computer mouse: a half-ellipsoid dome (primary) with the button split, a scroll wheel (accent) and a
    sensor window underneath. Size: ``st.dims`` (default 64 x 40 x 115 mm).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    w, h, d = st.dims
    p, s2, ac = role_colors(st)
    prims: list[Primitive] = [
        Ellipsoid((0, 0, 0), (w / 2, h, d / 2), p, body_finish(st), clip_y=0.0, interior=tone(s2, 0.8)),
        Box((0, h * 0.9, d * 0.22), (w * 0.045, h * 0.1, d * 0.06), (w * 0.04, w * 0.04, 1.0), ac, RUBBER),
        Decal((0, 1, 0), (0, h, d * 0.27), (0.7, 0, d * 0.2), "rect", tone(p, 0.5)),
        Decal((0, -1, 0), (0, 0, 0), (w * 0.06, 0, w * 0.06), "ellipse", "#C62828", lit=False),
    ]
    return Scene(prims, ((0, h * 0.45, d * 0.42), (w * 0.2, h * 0.12, 0), (0, 0, 1)),
                 ((0, h * 0.55, -d * 0.4), (w * 0.22, h * 0.16, 0), (0, 0, -1)), None)


def build_stand(st: ProductState) -> Scene:
    """A phone or tablet stand: a base plate, a backrest leaning back (swept plate), a front lip with a rubber
    pad (secondary). Size: ``st.dims`` (default 80 x 125 x 100 mm).

    Source: DESIGN.md §6 (category proxy shapes) and §12 ("offline shapes").
    """
    w, h, d = st.dims
    p, s2, _ac = role_colors(st)
    fin = body_finish(st)
    t = max(d * 0.04, 3.0)
    prims: list[Primitive] = [
        Box((0, t, 0), (w / 2, t, d / 2), (t * 0.8, t * 0.8, 6 * st.roundness), p, fin),
        Sweep(dense_path([(0, t, d * 0.2), (0, h - t, -d / 2 + t)]), (w / 2 - 0.5, t, t), p, fin, flat=0.25),
        Box((0, t * 2 + 7, d / 2 - t * 1.2), (w / 2, 7, t), (t * 0.8, t * 0.8, 3), p, fin),
        Box((0, t * 2 + 14.5, d / 2 - t * 1.2), (w / 2 - 4, 1.2, t * 1.1), (1, 1, 1), s2, surface_finish(st, RUBBER)),
    ]
    f = (h * 0.5 - t) / (h - 2 * t)  # where the strut meets the backrest
    meet = (0, h * 0.5, d * 0.2 + f * (-d / 2 + t - d * 0.2) - t)
    prims.append(Sweep(dense_path([(0, t * 2, -d / 2 + t), meet]), (w * 0.2, t * 0.8, t * 0.8), tone(p, 0.92), fin, flat=0.25))
    return Scene(prims, ((0, t * 2 + 7, d / 2), (w * 0.3, 4.5, 0), (0, 0, 1)), None,
                 Decal((0, -1, 0), (0, 0, 0), (w * 0.3, 0, d * 0.3), "rect", tone(p, 0.85), radius=4))
