"""The drawings of the built-in mockup scenes (one function per art name), painted by ``mockup_art._Painter``
in reference pixels of a 1200 x 900 canvas; the placements they leave room for are in
``mockup_art.SYSTEM_SCENES``.

Source: issue 11 item 1; seed 004 Step 9.1 (scene descriptions); DESIGN.md §6 ("mockups", offline column).
Each function takes the painter ``p`` and ``acc(defaults) -> accents`` (the brand palette padded with the
scene's default accent colors).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

RGB = tuple[int, int, int]
Accents = Callable[[tuple[RGB, ...]], tuple[RGB, ...]]


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """``a`` blended toward ``b`` by ``t`` (0-1), sRGB 0-255."""
    return tuple(int(round(a[i] + (b[i] - a[i]) * t)) for i in range(3))  # type: ignore[return-value]


# ------------------------------------------------------------------------------------------ shared pieces


def leaf_points(cx: float, cy: float, length: float, width: float, angle: float) -> list[tuple[float, float]]:
    """Polygon of a pointed leaf centred on ``(cx, cy)`` (reference px), ``angle`` in degrees (0 = right)."""
    a, pts = math.radians(angle), []
    steps = [i / 13 - 0.5 for i in range(14)]
    for sign in (1, -1):
        for x in (steps if sign == 1 else steps[::-1]):
            half = width / 2 * max(0.0, 1 - (2 * x) ** 2) ** 0.8
            lx, ly = x * length, sign * half
            pts.append((cx + lx * math.cos(a) - ly * math.sin(a), cy + lx * math.sin(a) + ly * math.cos(a)))
    return pts


def _room(p: Any, fy: float, top: RGB, bottom: RGB, wood: RGB, rows: int = 7, board: RGB = (238, 234, 226)) -> None:
    """Wall (gradient, plaster texture), skirting board, wooden floor and the shadow where they meet."""
    p.vgrad(0, fy, top, bottom)
    p.texture((0, 0, 1200, fy), 0.006, (14, 10))
    p.planks(fy, 900, wood, rows)
    p.shape("rect", (0, fy - 18, 1200, fy), board, shade=(1.03, 0.9))
    p.shadow("rect", (0, fy - 2, 1200, fy + 8), 0.35, 5)


def _window_light(p: Any, poly: list[tuple[float, float]], amount: float, color: RGB = (255, 244, 226)) -> None:
    p.shape("poly", poly, color, opacity=amount, blur=45, mode="screen")


def _lamp(p: Any, cx: float, top: float, bottom: float, body: RGB, shade: RGB = (244, 236, 222)) -> None:
    """A table lamp: ceramic body from ``bottom`` up, a linen shade, warm light on the wall."""
    p.glow(cx, top + 30, 170, (255, 206, 150), 0.35)
    p.shape("poly", [(cx - 70, top + 75), (cx + 70, top + 75), (cx + 150, bottom + 40), (cx - 150, bottom + 40)],
            (255, 226, 180), opacity=0.10, blur=30, mode="screen")
    p.shape("ellipse", (cx - 36, bottom - 92, cx + 36, bottom), body, shade=(1.08, 0.72))
    p.shape("rect", (cx - 5, top + 60, cx + 5, bottom - 86), (120, 104, 84))
    p.shape("poly", [(cx - 58, top), (cx + 58, top), (cx + 78, top + 78), (cx - 78, top + 78)], shade,
            shade=(1.02, 0.9))
    p.shape("ellipse", (cx - 78, top + 70, cx + 78, top + 86), (255, 235, 200), opacity=0.7)


def _plant(p: Any, cx: float, base: float, scale: float, pot: RGB, greens: tuple[RGB, ...], seed: int) -> None:
    """A potted plant: tapered pot, a fan of leaves."""
    w, h = 70 * scale, 95 * scale
    p.shadow("ellipse", (cx - w * 0.8, base - 10, cx + w * 0.9, base + 12), 0.45, 9)
    top = base - h
    for i in range(11):
        ang = -160 + i * 14 + ((seed * 37 + i * 53) % 11) - 5
        length = (120 + ((seed + i * 29) % 5) * 18) * scale
        a = math.radians(ang)
        lx, ly = cx + math.cos(a) * length * 0.55, top - 10 * scale + math.sin(a) * length * 0.55
        p.shape("line", [(cx, top + 5), (lx, ly)], (92, 110, 72), width=2.5 * scale, opacity=0.9)
        p.leaf(lx, ly, length * 0.75, length * 0.32, ang, greens[i % len(greens)])
    p.shape("poly", [(cx - w, top), (cx + w, top), (cx + w * 0.78, base), (cx - w * 0.78, base)], pot,
            shade=(1.06, 0.8))
    p.shape("rect", (cx - w - 4, top - 6, cx + w + 4, top + 10), mix(pot, (255, 255, 255), 0.12), radius=4)


def _books(p: Any, x0: float, x1: float, base: float, colors: tuple[RGB, ...], seed: int, lean: bool = True) -> None:
    """Standing books on a shelf from ``x0`` to ``x1`` with their bottoms on ``base``."""
    x, i = x0, 0
    while x < x1 - 14:
        w = 16 + (seed * 13 + i * 7) % 14
        h = 82 + (seed * 17 + i * 11) % 40
        col = colors[(i + seed) % len(colors)]
        p.shape("rect", (x, base - h, x + w, base), col, shade=(1.05, 0.85), radius=1.5)
        p.shape("line", [(x + 3, base - h + 12), (x + w - 3, base - h + 12)], mix(col, (240, 225, 190), 0.6),
                width=2, opacity=0.7)
        x += w + 1.5
        i += 1


# ------------------------------------------------------------------------------------------ wall scenes


def bedroom(p: Any, acc: Accents) -> None:
    """Cozy bedroom, natural light from the left: headboard, bed, pillows, nightstands and lamps."""
    a = acc(((150, 166, 146), (206, 170, 132), (126, 140, 160)))
    fy = 780
    _room(p, fy, (238, 231, 221), (223, 213, 199), (196, 160, 122))
    _window_light(p, [(30, 30), (330, 0), (430, 620), (110, 680)], 0.24)
    for x0, cx in ((95, 170), (955, 1030)):
        p.shadow("rect", (x0 + 8, 604, x0 + 160, fy + 4), 0.35, 12)
        _lamp(p, cx, 382, 600, mix(a[2], (235, 230, 222), 0.45))
        p.shape("rect", (x0, 598, x0 + 150, fy - 6), (176, 136, 98), radius=5, shade=(1.06, 0.82))
        p.shape("line", [(x0 + 10, 676), (x0 + 140, 676)], (118, 86, 58), width=2, opacity=0.7)
        p.shape("ellipse", (x0 + 67, 632, x0 + 83, 642), (214, 190, 150))
        p.shadow("ellipse", (x0 - 12, fy - 14, x0 + 162, fy + 16), 0.4, 8)
    p.shadow("rect", (300, 442, 912, 730), 0.28, 20)
    p.shape("rect", (300, 430, 900, 720), (208, 194, 175), radius=58, shade=(1.06, 0.86))
    for x in range(375, 900, 75):
        p.shape("line", [(x, 445), (x, 700)], (150, 135, 115), width=3, opacity=0.25, blur=2)
    p.shadow("poly", [(262, 652), (938, 652), (1080, 900), (120, 900)], 0.45, 16)
    p.shape("poly", [(272, 640), (928, 640), (1062, 900), (138, 900)], (245, 241, 234), shade=(1.0, 0.86))
    for box in ((335, 556, 588, 668), (612, 556, 865, 668)):
        p.shadow("ellipse", (box[0] + 8, box[3] - 26, box[2] - 8, box[3] + 10), 0.3, 10)
        p.shape("rect", box, (250, 248, 244), radius=42, shade=(1.03, 0.88))
    p.shadow("ellipse", (505, 668, 700, 700), 0.3, 8)
    p.shape("rect", (500, 598, 700, 692), a[0], radius=30, shade=(1.08, 0.82))
    p.shape("poly", [(206, 760), (994, 760), (1030, 852), (170, 852)], a[1], shade=(1.06, 0.84))
    p.shape("line", [(206, 768), (994, 768)], mix(a[1], (255, 255, 255), 0.3), width=3, opacity=0.6)
    p.finish(0.18, 0.006)


def therapy_office(p: Any, acc: Accents) -> None:
    """Professional office in warm tones: walnut credenza, vase and books, leather armchair, plant."""
    a = acc(((176, 112, 82), (120, 136, 112), (214, 186, 140)))
    fy = 790
    _room(p, fy, (222, 199, 171), (206, 182, 152), (120, 86, 62), board=(226, 214, 196))
    p.glow(1050, 120, 420, (255, 220, 170), 0.25)
    p.shape("poly", [(140, 790), (1060, 790), (1180, 900), (20, 900)], a[0], opacity=0.85, shade=(1.0, 0.8))
    p.shape("poly", [(170, 800), (1030, 800), (1135, 892), (65, 892)], mix(a[0], (240, 220, 190), 0.25),
            opacity=0.35)
    p.shadow("rect", (160, 600, 700, fy + 4), 0.4, 14)
    p.shape("rect", (150, 588, 690, 770), (110, 74, 50), radius=4, shade=(1.1, 0.8))
    for x in (285, 420, 555):
        p.shape("line", [(x, 600), (x, 760)], (70, 45, 30), width=2, opacity=0.8)
    for x in (275, 295, 410, 430, 545, 565):
        p.shape("line", [(x, 665), (x, 700)], (200, 170, 120), width=3)
    for x in (170, 665):
        p.shape("rect", (x, 768, x + 10, fy + 2), (60, 40, 28))
    _books(p, 560, 660, 588, (a[1], a[2], (90, 80, 70), (200, 190, 170)), 3)
    p.shape("ellipse", (205, 500, 265, 590), mix(a[2], (245, 240, 230), 0.5), shade=(1.08, 0.75))
    for k, ang in enumerate((-100, -70, -125, -55, -140)):
        r = math.radians(ang)
        p.shape("line", [(235, 505), (235 + math.cos(r) * 120, 505 + math.sin(r) * (150 + 15 * k))], (96, 74, 52),
                width=2.2)
        p.leaf(235 + math.cos(r) * 110, 505 + math.sin(r) * (140 + 15 * k), 40, 16, ang + 30, (128, 146, 104))
    p.shadow("ellipse", (760, 800, 1140, 850), 0.5, 14)
    p.shape("rect", (800, 470, 1080, 700), (140, 86, 56), radius=60, shade=(1.12, 0.78))
    p.shape("rect", (770, 600, 850, 800), (128, 78, 50), radius=34, shade=(1.1, 0.75))
    p.shape("rect", (1030, 600, 1110, 800), (128, 78, 50), radius=34, shade=(1.1, 0.75))
    p.shape("rect", (835, 650, 1045, 760), (150, 94, 62), radius=22, shade=(1.12, 0.82))
    for x in (800, 1080):
        p.shape("rect", (x - 6, 795, x + 6, 830), (50, 34, 24))
    _plant(p, 70, fy + 10, 1.1, (232, 226, 214), ((96, 126, 82), (74, 104, 66), (120, 146, 96)), 5)
    p.finish(0.22, 0.006)


def living_room(p: Any, acc: Accents) -> None:
    """Modern living room: long sofa with cushions, round coffee table, rug, monstera."""
    a = acc(((186, 120, 84), (110, 130, 120), (224, 200, 150)))
    fy = 800
    _room(p, fy, (240, 237, 232), (226, 222, 215), (206, 172, 134), rows=6)
    _window_light(p, [(880, 0), (1200, 0), (1200, 700), (760, 640)], 0.3)
    p.shape("poly", [(110, 812), (1090, 812), (1190, 900), (10, 900)], (226, 214, 196), shade=(1.0, 0.9))
    p.texture((0, 812, 1200, 900), 0.01, (60, 6))
    p.shadow("rect", (170, 540, 1040, 780), 0.3, 26)
    p.shape("rect", (190, 520, 1010, 700), (168, 165, 158), radius=36, shade=(1.1, 0.86))
    p.shape("rect", (190, 655, 1010, 768), (156, 153, 146), radius=18, shade=(1.08, 0.8))
    p.shape("line", [(600, 660), (600, 760)], (120, 118, 112), width=2, opacity=0.6)
    for x0 in (150, 970):
        p.shape("rect", (x0, 600, x0 + 80, 772), (160, 157, 150), radius=30, shade=(1.12, 0.78))
    for x in (200, 1000):
        p.shape("rect", (x - 5, 768, x + 5, 792), (70, 58, 46))
    for box, col, ang in (((250, 560, 400, 680), a[0], 0), ((800, 560, 950, 680), a[1], 0),
                          ((395, 585, 505, 685), a[2], 0)):
        p.shadow("ellipse", (box[0] + 6, box[3] - 20, box[2] - 6, box[3] + 8), 0.35, 8)
        p.shape("rect", box, col, radius=24, shade=(1.1, 0.8))
    p.shadow("ellipse", (420, 850, 800, 885), 0.45, 10)
    for x in (470, 730):
        p.shape("rect", (x - 5, 830, x + 5, 872), (60, 46, 34))
    p.shape("ellipse", (410, 806, 790, 846), (146, 108, 74), shade=(1.1, 0.85))
    p.shape("ellipse", (470, 790, 530, 820), (236, 232, 224), shade=(1.05, 0.8))
    _plant(p, 1125, fy + 20, 1.2, (236, 230, 220), ((64, 104, 72), (84, 124, 84), (52, 88, 62)), 9)
    p.finish(0.16, 0.005)


def reading_nook(p: Any, acc: Accents) -> None:
    """Intimate corner at night: deep green wall, velvet armchair, floor lamp glow, bookshelf."""
    a = acc(((184, 136, 62), (142, 76, 68), (88, 110, 140)))
    fy = 790
    _room(p, fy, (80, 96, 84), (62, 76, 66), (104, 74, 52), rows=6, board=(70, 84, 74))
    p.glow(560, 300, 420, (255, 196, 130), 0.38)
    p.glow(560, 300, 160, (255, 214, 160), 0.35)
    p.shadow("rect", (880, 160, 1190, fy + 6), 0.45, 16)
    p.shape("rect", (860, 140, 1170, fy), (96, 66, 44), shade=(1.1, 0.8))
    p.shape("rect", (878, 158, 1152, fy - 12), (58, 40, 28))
    for y in (300, 470, 640):
        p.shape("rect", (878, y, 1152, y + 14), (110, 76, 50), shade=(1.1, 0.85))
    shelf_cols = (a[0], a[1], a[2], (200, 184, 150), (70, 64, 58), (160, 150, 120))
    for i, y in enumerate((300, 470, 640, fy - 12)):
        _books(p, 884, 1146 - 40 * (i % 2), y, shelf_cols, 2 + i)
    p.shape("poly", [(498, 250), (622, 250), (648, 338), (472, 338)], (246, 226, 190), shade=(1.05, 0.92))
    p.shape("rect", (556, 336, 564, fy - 6), (60, 50, 40))
    p.shadow("ellipse", (500, fy - 12, 620, fy + 10), 0.5, 6)
    p.shape("ellipse", (514, fy - 16, 606, fy + 2), (52, 44, 36))
    p.shadow("ellipse", (80, 790, 520, 850), 0.55, 16)
    p.shape("rect", (150, 430, 450, 690), a[0], radius=80, shade=(1.15, 0.72))
    p.shape("rect", (110, 580, 200, 810), mix(a[0], (0, 0, 0), 0.12), radius=40, shade=(1.12, 0.7))
    p.shape("rect", (400, 580, 490, 810), mix(a[0], (0, 0, 0), 0.12), radius=40, shade=(1.12, 0.7))
    p.shape("rect", (180, 640, 420, 760), mix(a[0], (255, 240, 220), 0.08), radius=26, shade=(1.15, 0.8))
    p.shape("rect", (230, 600, 330, 690), (226, 214, 190), radius=10, shade=(1.05, 0.85))
    for x in (150, 450):
        p.shape("rect", (x - 6, 805, x + 6, 838), (40, 30, 22))
    p.finish(0.34, 0.007)


def home_office(p: Any, acc: Accents) -> None:
    """Bright workspace: oak desk, monitor, mug and plant, a wall shelf, the chair back in front."""
    a = acc(((92, 120, 150), (214, 150, 96), (150, 170, 140)))
    fy = 820
    _room(p, fy, (229, 233, 230), (214, 219, 215), (186, 154, 120), rows=5)
    _window_light(p, [(0, 0), (260, 0), (360, 560), (0, 640)], 0.25)
    p.shadow("rect", (130, 612, 1085, 640), 0.35, 12)
    p.shape("rect", (120, 596, 1080, 620), (198, 160, 118), shade=(1.12, 0.85))
    for x in (150, 1050):
        p.shape("rect", (x - 5, 620, x + 5, fy + 4), (40, 40, 42))
    p.shadow("rect", (212, 380, 572, 600), 0.25, 14)
    p.shape("rect", (200, 360, 560, 580), (36, 36, 40), radius=8)
    p.shape("rect", (212, 372, 548, 560), (60, 78, 100), shade=(1.25, 0.7))
    p.shape("poly", [(212, 372), (400, 372), (300, 560), (212, 560)], (255, 255, 255), opacity=0.05)
    p.shape("rect", (368, 578, 392, 598), (50, 50, 54))
    p.shape("ellipse", (320, 590, 440, 602), (44, 44, 48))
    p.shape("rect", (420, 582, 540, 596), (230, 230, 228), radius=3)
    p.shadow("ellipse", (600, 588, 670, 604), 0.4, 5)
    p.shape("rect", (608, 530, 658, 596), a[1], radius=6, shade=(1.1, 0.8))
    p.shape("line", [(660, 545), (672, 555), (660, 580)], a[1], width=6)
    p.shape("rect", (700, 584, 850, 596), a[0], radius=2, shade=(1.1, 0.9))
    _plant(p, 990, 596, 0.75, (236, 232, 224), ((86, 120, 84), (70, 104, 70), (110, 140, 96)), 2)
    p.shadow("rect", (905, 306, 1145, 322), 0.35, 8)
    p.shape("rect", (900, 296, 1140, 310), (198, 160, 118), shade=(1.1, 0.85))
    _books(p, 915, 1010, 296, (a[0], a[2], (230, 225, 215), (70, 70, 74)), 4)
    p.shape("ellipse", (1050, 240, 1110, 296), a[2], shade=(1.1, 0.75))
    p.shadow("rect", (320, 700, 600, 900), 0.35, 20)
    p.shape("rect", (340, 690, 580, 930), (46, 48, 52), radius=48, shade=(1.2, 0.7))
    p.finish(0.15, 0.005)


# ------------------------------------------------------------------------------------------ product scenes


def studio_tabletop(p: Any, acc: Accents) -> None:
    """Seamless paper sweep with a soft spotlight and leaf shadows; a round plinth the product stands on."""
    a = acc(((206, 190, 170), (170, 186, 176), (220, 206, 188)))
    base = mix((226, 222, 216), a[0], 0.18)
    p.vgrad(0, 560, mix(base, (0, 0, 0), 0.10), base)
    p.vgrad(560, 660, base, mix(base, (255, 255, 255), 0.25))
    p.vgrad(660, 900, mix(base, (255, 255, 255), 0.25), mix(base, (0, 0, 0), 0.06))
    p.texture((0, 0, 1200, 900), 0.005, (12, 9))
    p.glow(600, 380, 430, (255, 252, 246), 0.45)
    p.shape("line", [(-20, 40), (300, 260)], (60, 50, 40), width=6, opacity=0.07, blur=5, mode="multiply")
    for i in range(10):
        t = i / 9
        cx, cy = -10 + 300 * t, 35 + 220 * t
        for side in (-1, 1):
            p.shape("poly", leaf_points(cx + side * 30, cy - side * 26, 90, 34, 35 - side * 55), (60, 50, 40),
                    opacity=0.08, blur=7, mode="multiply")
    p.shadow("ellipse", (320, 700, 920, 790), 0.4, 22)
    top = mix(a[0], (255, 255, 255), 0.55)
    side = mix(a[0], (120, 110, 100), 0.15)
    p.shape("ellipse", (370, 706, 830, 754), side, shade=(0.86, 1.04, 0.7))
    p.shape("rect", (370, 620, 830, 730), side, shade=(0.86, 1.04, 0.7))
    p.shape("ellipse", (370, 596, 830, 644), top, shade=(1.1, 1.0))
    p.finish(0.14, 0.004)


def lifestyle_hand_held(p: Any, acc: Accents) -> None:
    """A warm room out of focus (window, shelves, bokeh) and a hand rising from the bottom to hold the design."""
    a = acc(((214, 160, 110), (150, 170, 160), (236, 208, 160)))
    p.vgrad(0, 900, (196, 180, 162), (126, 108, 94))
    p.shape("rect", (60, 40, 420, 520), (250, 240, 222), opacity=0.9, blur=30)
    p.shape("rect", (760, 180, 1200, 210), (110, 84, 62), blur=12)
    p.shape("rect", (760, 420, 1200, 450), (110, 84, 62), blur=12)
    for i in range(26):
        cx, cy = (i * 197) % 1200, 40 + (i * 131) % 700
        col = a[i % 3] if i % 2 else (255, 236, 200)
        p.shape("ellipse", (cx - 30 - i % 5 * 6, cy - 30 - i % 5 * 6, cx + 30 + i % 5 * 6, cy + 30 + i % 5 * 6), col,
                opacity=0.22 + (i % 4) * 0.05, blur=6, mode="screen")
    _blur(p, 14)
    skin, dark = SKIN
    p.shape("poly", [(640, 900), (880, 900), (770, 580), (600, 580)], skin, shade=(0.95, 0.78))
    p.shape("line", [(664, 900), (616, 610)], dark, width=16, opacity=0.22, blur=9)
    p.shape("rect", (520, 400, 800, 650), skin, radius=90, shade=(1.04, 0.86, 0.74))
    p.finish(0.2, 0.005)


#: Skin tone and its shade of ``lifestyle_hand_held``.
SKIN: tuple[RGB, RGB] = ((226, 174, 142), (170, 118, 92))


def _capsule(p: Any, a: tuple[float, float], b: tuple[float, float], width: float, color: RGB) -> None:
    r = width / 2
    p.shape("line", [a, b], color, width=width)
    for x, y in (a, b):
        p.shape("ellipse", (x - r, y - r, x + r, y + r), color)


def hand_front(p: Any, box: tuple[float, float, float, float]) -> None:
    """The parts of the hand in front of the design (``box``: its visible pixels, reference px): four fingers
    wrapped around the design from its right edge (with their shadows) and the thumb over its left edge."""
    x0, y0, x1, y1 = box
    w, h = max(x1 - x0, 40.0), max(y1 - y0, 40.0)
    skin, dark = SKIN
    fh = min(max(0.085 * h, 20.0), 38.0)
    reach = min(max(0.62 * w, 60.0), 210.0)
    bottom = y1 - max(0.05 * h, 8.0)
    centers = []
    for i, k in enumerate((0.78, 0.94, 1.0, 0.92)):  # little finger lowest
        yc = bottom - fh / 2 - i * fh * 0.94
        centers.append(yc)
        tip = x1 - reach * k
        p.shape("rect", (tip + 2, yc - fh * 0.3, x1, yc + fh * 0.7), (0, 0, 0), radius=fh / 2, opacity=0.28, blur=4)
        p.shape("rect", (tip, yc - fh / 2, x1 + fh * 0.3, yc + fh / 2), skin, radius=fh / 2, shade=(1.1, 0.84))
        p.shape("ellipse", (tip + 3, yc - fh * 0.32, tip + fh * 0.62, yc + fh * 0.22), (238, 204, 184), opacity=0.85)
        p.shape("line", [(tip + fh * 1.7, yc - fh * 0.3), (tip + fh * 1.75, yc + fh * 0.3)], dark, width=1.6,
                opacity=0.35)
        p.shape("line", [(tip + fh * 0.4, yc + fh / 2), (x1 + fh * 0.3, yc + fh / 2)], dark, width=2.2, opacity=0.45,
                blur=1.2)
    ty = centers[-1] - fh * 0.1
    tx = x0 + min(0.28 * w, 80.0)
    p.shape("line", [(x0 + 6, ty + fh * 1.3), (tx, ty + fh * 0.5)], (0, 0, 0), width=fh, opacity=0.25, blur=4)
    _capsule(p, (x0 + 4, ty + fh * 0.9), (tx, ty), fh * 1.08, skin)
    p.shape("ellipse", (tx - fh * 0.1, ty - fh * 0.32, tx + fh * 0.42, ty + fh * 0.25), (238, 204, 184), opacity=0.85)
    p.shape("line", [(x0 + 4, ty + fh * 1.45), (tx, ty + fh * 0.55)], dark, width=2.4, opacity=0.35, blur=1.5)


def flat_lay(p: Any, acc: Accents) -> None:
    """Top-down light oak table with a eucalyptus sprig, a coffee cup, a notebook and a linen napkin."""
    a = acc(((196, 150, 120), (120, 140, 126), (230, 214, 186)))
    p.planks(0, 900, (214, 184, 146), 6, vertical=True)
    p.glow(300, 120, 700, (255, 248, 236), 0.25)
    p.shape("line", [(40, 140), (330, 20)], (110, 124, 104), width=3)
    for i in range(9):
        t = i / 8
        cx, cy = 40 + 290 * t, 140 - 120 * t
        for side in (-1, 1):
            p.shadow("poly", leaf_points(cx + 6, cy + 26 * side + 8, 58, 40, 90 + side * 60 - 20), 0.18, 5)
            p.leaf(cx, cy + 26 * side, 58, 40, 90 + side * 60 - 20, (138, 160, 140) if i % 2 else (120, 146, 128))
    p.shadow("ellipse", (958, 78, 1168, 288), 0.4, 12)
    p.shape("ellipse", (950, 70, 1160, 280), (246, 244, 240), shade=(1.02, 0.92))
    p.shape("ellipse", (995, 115, 1115, 235), (238, 236, 232))
    p.shape("ellipse", (1010, 130, 1100, 220), (96, 60, 36), shade=(1.1, 0.8))
    p.shape("ellipse", (1030, 150, 1060, 172), (190, 150, 110), opacity=0.6, blur=4)
    p.shape("rect", (1100, 160, 1176, 184), (240, 238, 234), radius=12, shade=(1.04, 0.9))
    p.shadow("poly", [(70, 640), (330, 600), (372, 880), (110, 920)], 0.4, 12)
    p.shape("poly", [(60, 626), (320, 588), (360, 866), (100, 904)], a[0], shade=(1.05, 0.88))
    p.shape("line", [(80, 640), (118, 902)], mix(a[0], (0, 0, 0), 0.25), width=4, opacity=0.6)
    p.shape("line", [(350, 620), (420, 880)], (46, 46, 50), width=9)
    p.shape("line", [(415, 862), (420, 880)], (200, 170, 110), width=9)
    p.shadow("poly", [(910, 600), (1180, 640), (1150, 905), (880, 880)], 0.3, 14)
    p.shape("poly", [(900, 590), (1170, 630), (1140, 900), (870, 870)], a[2], shade=(1.04, 0.9))
    p.shape("line", [(1020, 610), (990, 885)], mix(a[2], (0, 0, 0), 0.15), width=3, opacity=0.5)
    p.finish(0.16, 0.005)


def _blur(p: Any, radius: float) -> None:
    """Gaussian blur of the whole canvas (out-of-focus background), ``radius`` in reference px."""
    import numpy as np
    from PIL import Image, ImageFilter

    img = Image.fromarray((np.clip(p.img, 0, 1) * 255 + 0.5).astype(np.uint8))
    img = img.filter(ImageFilter.GaussianBlur(radius * p.s))
    p.img = np.array(img, np.float32) / 255.0
