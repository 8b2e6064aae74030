"""The built-in mockup scenes: their placements and their procedural background art.

Source: issue 11 item 1 (the seed's five system scenes plus product-fitting ones), seed 004 Step 9.1 (scene
keys, names, descriptions, recommended collections, ``default_size``) and DESIGN.md §6 ("mockups", offline
column: a Pillow composite into built-in scene templates).

Every scene is drawn at any size from a reference layout of 1200 x 900 px (coordinates below are reference
pixels; the placement in ``config`` is in pixels of ``config["width"] x config["height"]``). The art is
deterministic (fixed seeds), painted with Pillow shape masks (3x supersampled, so edges are anti-aliased)
onto a float NumPy canvas: gradients, plaster and wood textures, furniture silhouettes with shading, window
and lamp light, soft contact shadows, a vignette and a little grain. A brand ``palette`` (``#RRGGBB``)
replaces the default accent colors (cushions, throws, books, plinth, napkin, bokeh).

Pure and CPU-bound: callers run it in ``asyncio.to_thread``. Results are cached per (art, size, palette).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from . import mockup_art_scenes as _scenes
from .colors import hex_to_rgb
from .mockup_art_scenes import RGB, leaf_points, mix as _mix

REF_W, REF_H = 1200, 900
_SS = 3  # shape masks are drawn at 3x and box-reduced


@dataclass(frozen=True)
class SceneStyle:
    """How the offline compositor places a design in a built-in scene.

    Attributes:
        frame: frame color of a wall print (the design is matted and framed), or None (placed as it is).
        mat: white mat width as a fraction of the artwork's shorter side; without a frame, the white border
            of a design that was not cut out (a photo print), 0 for none.
        shadow: drop shadow ``(dx, dy, blur, opacity)``; offsets and blur in reference pixels.
        anchor: ``"center"`` or ``"bottom"`` (the design stands on the placement's bottom edge).
        contact: whether a contact shadow is drawn under the design's bottom edge (objects on a surface).
        hand: whether a thumb and fingertips are drawn over the design (``lifestyle_hand_held``).
    """

    frame: RGB | None = None
    mat: float = 0.0
    shadow: tuple[float, float, float, float] = (6.0, 10.0, 12.0, 0.35)
    anchor: str = "center"
    contact: bool = False
    hand: bool = False


#: The style of user scenes (an uploaded background): centered, a soft drop shadow, no frame.
DEFAULT_STYLE = SceneStyle()


@dataclass(frozen=True)
class SystemScene:
    """A built-in scene (a ``mockup_scene_templates`` row with ``is_system`` true).

    Attributes:
        key: scene key, e.g. ``bedroom``.
        name, description: shown on the scene picker.
        recommended: collections the scene suits (seed 004's values for its five scenes).
        config: ``{"width", "height" (px), "placement": {"x", "y", "width", "height"} (px), "corners":
            [[x, y] x4 clockwise from top left] | None, "default_size": {"width", "height"} (px of the design
            before fitting), "art": built-in background name}``.
        style: how the design is placed (:class:`SceneStyle`).
    """

    key: str
    name: str
    description: str
    recommended: tuple[str, ...]
    config: dict[str, Any]
    style: SceneStyle = DEFAULT_STYLE


def _config(art: str, box: tuple[int, int, int, int], size: tuple[int, int], corners=None) -> dict[str, Any]:
    x, y, w, h = box
    return {"width": REF_W, "height": REF_H, "placement": {"x": x, "y": y, "width": w, "height": h},
            "corners": [list(c) for c in corners] if corners else None,
            "default_size": {"width": size[0], "height": size[1]}, "art": art}


def _flat_lay_corners() -> list[tuple[int, int]]:
    """A 360 x 480 print lying on the table, turned 5 degrees, its far edge 4% narrower (perspective)."""
    cx, cy, hw, hh, a = 600.0, 445.0, 180.0, 240.0, math.radians(-5.0)
    local = [(-hw * 0.96, -hh), (hw * 0.96, -hh), (hw, hh), (-hw, hh)]
    return [(round(cx + x * math.cos(a) - y * math.sin(a)), round(cy + x * math.sin(a) + y * math.cos(a)))
            for x, y in local]


def _bbox(points: list[tuple[int, int]]) -> tuple[int, int, int, int]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


_FLAT = _flat_lay_corners()
_WALL_SHADOW = (5.0, 9.0, 9.0, 0.32)

#: The eight built-in scenes, in picker order (issue 11 item 1; seed 004 Step 9.1 for the first five).
SYSTEM_SCENES: tuple[SystemScene, ...] = (
    SystemScene("bedroom", "Bedroom", "Cozy bedroom setting with natural light", ("grounding", "wholeness"),
                _config("bedroom", (480, 105, 240, 300), (800, 1000)), SceneStyle((196, 160, 118), 0.10, _WALL_SHADOW)),
    SystemScene("therapy_office", "Therapy Office", "Professional office with warm tones", ("wholeness", "growth"),
                _config("therapy_office", (315, 150, 210, 280), (600, 800)),
                SceneStyle((40, 36, 33), 0.09, _WALL_SHADOW)),
    SystemScene("living_room", "Living Room", "Modern living space with natural elements", ("grounding", "growth"),
                _config("living_room", (480, 95, 240, 320), (900, 1200)), SceneStyle((34, 34, 34), 0.11, _WALL_SHADOW)),
    SystemScene("reading_nook", "Reading Nook", "Intimate corner with soft lighting", ("grounding", "wholeness"),
                _config("reading_nook", (655, 225, 170, 238), (500, 700)),
                SceneStyle((176, 141, 87), 0.10, (-6.0, 8.0, 10.0, 0.45))),
    SystemScene("home_office", "Home Office", "Productive workspace with inspiring decor", ("growth",),
                _config("home_office", (690, 125, 195, 260), (600, 800)), SceneStyle((38, 38, 38), 0.09, _WALL_SHADOW)),
    SystemScene("studio_tabletop", "Studio Tabletop", "Product on a plinth in front of a seamless backdrop", (),
                _config("studio_tabletop", (390, 150, 420, 484), (1024, 1024)),
                SceneStyle(shadow=(14.0, 6.0, 16.0, 0.22), anchor="bottom", contact=True)),
    SystemScene("lifestyle_hand_held", "Lifestyle Hand-held", "A hand holding the product in a warm, blurred room",
                (), _config("lifestyle_hand_held", (440, 190, 320, 400), (1024, 1024)),
                SceneStyle(shadow=(8.0, 10.0, 14.0, 0.25), anchor="bottom", hand=True)),
    SystemScene("flat_lay", "Flat Lay", "Top-down flat lay on a light oak table with props", (),
                _config("flat_lay", _bbox(_FLAT), (900, 1200), _FLAT),
                SceneStyle(mat=0.04, shadow=(7.0, 9.0, 9.0, 0.30))),
)
_BY_ART = {s.config["art"]: s for s in SYSTEM_SCENES}


def scene_style(art: str | None) -> SceneStyle:
    """The :class:`SceneStyle` of built-in art ``art``; :data:`DEFAULT_STYLE` for None or unknown art."""
    scene = _BY_ART.get(art or "")
    return scene.style if scene else DEFAULT_STYLE


def _palette(palette: tuple[str, ...] | list[str]) -> tuple[RGB, ...]:
    out: list[RGB] = []
    for value in palette or ():
        try:
            out.append(hex_to_rgb(str(value)))
        except ValueError:
            continue
    return tuple(out[:3])


class _Painter:
    """Paints in reference coordinates onto a float RGB canvas (0-1) of ``width`` x ``height`` px; with
    ``alpha`` it also keeps coverage (an overlay layer)."""

    def __init__(self, width: int, height: int, seed: int, alpha: bool = False) -> None:
        self.w, self.h = width, height
        self.sx, self.sy = width / REF_W, height / REF_H
        self.s = (self.sx + self.sy) / 2
        self.img = np.zeros((height, width, 3), np.float32)
        self.alpha = np.zeros((height, width), np.float32) if alpha else None
        self.rng = np.random.default_rng(seed)

    # ---- masks and shapes
    def _mask(self, kind: str, geom, blur: float, radius: float, width: float):
        if kind in ("rect", "ellipse"):
            x0, y0, x1, y1 = geom
            pts = [(x0 * self.sx, y0 * self.sy), (x1 * self.sx, y1 * self.sy)]
        else:
            pts = [(x * self.sx, y * self.sy) for x, y in geom]
        pad = int(3 * blur * self.s + width * self.s) + 2
        bx0 = max(int(min(p[0] for p in pts)) - pad, 0)
        by0 = max(int(min(p[1] for p in pts)) - pad, 0)
        bx1 = min(int(max(p[0] for p in pts)) + pad + 1, self.w)
        by1 = min(int(max(p[1] for p in pts)) + pad + 1, self.h)
        if bx1 <= bx0 or by1 <= by0:
            return None
        im = Image.new("L", ((bx1 - bx0) * _SS, (by1 - by0) * _SS), 0)
        draw = ImageDraw.Draw(im)
        local = [((x - bx0) * _SS, (y - by0) * _SS) for x, y in pts]
        if kind == "rect":
            draw.rounded_rectangle(local, radius=radius * self.s * _SS, fill=255)
        elif kind == "ellipse":
            draw.ellipse(local, fill=255)
        elif kind == "poly":
            draw.polygon(local, fill=255)
        else:
            draw.line(local, fill=255, width=max(1, round(width * self.s * _SS)), joint="curve")
        im = im.reduce(_SS)
        if blur > 0:
            im = im.filter(ImageFilter.GaussianBlur(blur * self.s))
        return (bx0, by0, np.asarray(im, np.float32) / 255.0, (min(p[1] for p in pts), max(p[1] for p in pts)),
                (min(p[0] for p in pts), max(p[0] for p in pts)))

    def shape(self, kind: str, geom, color: RGB, *, opacity: float = 1.0, blur: float = 0.0, radius: float = 0.0,
              width: float = 0.0, shade: tuple[float, ...] | None = None, mode: str = "normal") -> None:
        """Paint a ``rect`` (box, optional ``radius``), ``ellipse`` (box), ``poly`` or ``line`` (points, ``width``)
        in ``color``: ``normal`` blending, ``multiply`` (shadows) or ``screen`` (light); ``shade`` multiplies the
        color from the shape's top to its bottom, or with three values from its left over its middle to its
        right (a cylinder)."""
        found = self._mask(kind, geom, blur, radius, width)
        if found is None:
            return
        x0, y0, a, (gy0, gy1), gx = found
        a = a * opacity
        h, w = a.shape
        reg = self.img[y0:y0 + h, x0:x0 + w]
        col = np.asarray(color, np.float32).reshape(1, 1, 3) / 255.0
        if shade is not None and len(shade) == 3:
            gx0, gx1 = gx
            t = np.clip((np.arange(x0, x0 + w, dtype=np.float32) - gx0) / max(gx1 - gx0, 1.0), 0, 1)
            col = col * np.interp(t, (0.0, 0.35, 1.0), shade).astype(np.float32).reshape(1, -1, 1)
        elif shade is not None:
            t = np.clip((np.arange(y0, y0 + h, dtype=np.float32) - gy0) / max(gy1 - gy0, 1.0), 0, 1)
            col = col * (shade[0] + (shade[1] - shade[0]) * t).reshape(-1, 1, 1)
        a3 = a[..., None]
        if mode == "multiply":
            reg *= 1.0 - a3 * (1.0 - col)
        elif mode == "screen":
            reg += (1.0 - reg) * col * a3
        else:
            reg += (col - reg) * a3
            if self.alpha is not None:
                areg = self.alpha[y0:y0 + h, x0:x0 + w]
                areg += (1.0 - areg) * a

    def shadow(self, kind: str, geom, opacity: float, blur: float, **kw) -> None:
        """A soft shadow: ``kind``/``geom`` darkened by ``opacity`` with a ``blur`` (reference px)."""
        self.shape(kind, geom, (40, 30, 25), opacity=opacity, blur=blur, mode="multiply", **kw)

    def leaf(self, cx: float, cy: float, length: float, width: float, angle: float, color: RGB) -> None:
        """A leaf with a lighter midrib."""
        self.shape("poly", leaf_points(cx, cy, length, width, angle), color, shade=(1.08, 0.86))
        a = math.radians(angle)
        dx, dy = math.cos(a) * length * 0.42, math.sin(a) * length * 0.42
        self.shape("line", [(cx - dx, cy - dy), (cx + dx, cy + dy)], _mix(color, (235, 240, 215), 0.35),
                   width=max(1.2, width * 0.05), opacity=0.6)

    # ---- whole-canvas effects
    def vgrad(self, y0: float, y1: float, top: RGB, bottom: RGB, x0: float = 0, x1: float = REF_W) -> None:
        """Fill the box with a vertical gradient."""
        a, b = int(y0 * self.sy), int(math.ceil(y1 * self.sy))
        c, d = int(x0 * self.sx), int(math.ceil(x1 * self.sx))
        t = np.linspace(0, 1, max(b - a, 1), dtype=np.float32)[:, None, None]
        grad = (np.asarray(top, np.float32) + (np.asarray(bottom, np.float32) - np.asarray(top, np.float32)) * t) / 255
        self.img[a:b, c:d] = grad

    def glow(self, cx: float, cy: float, r: float, color: RGB, amount: float) -> None:
        """A radial light (screen blend) of radius ``r`` reference px."""
        cx, cy, r = cx * self.sx, cy * self.sy, r * self.s
        x0, x1 = max(int(cx - 2 * r), 0), min(int(cx + 2 * r), self.w)
        y0, y1 = max(int(cy - 2 * r), 0), min(int(cy + 2 * r), self.h)
        if x1 <= x0 or y1 <= y0:
            return
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        g = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (r * r)))[..., None] * amount
        reg = self.img[y0:y1, x0:x1]
        reg += (1.0 - reg) * (np.asarray(color, np.float32) / 255.0) * g

    def texture(self, box: tuple[float, float, float, float], amount: float, cells: tuple[int, int]) -> None:
        """Low-frequency multiplicative texture (plaster, linen, wood grain) of ``cells`` random values."""
        x0, y0 = int(box[0] * self.sx), int(box[1] * self.sy)
        x1, y1 = min(int(math.ceil(box[2] * self.sx)), self.w), min(int(math.ceil(box[3] * self.sy)), self.h)
        small = self.rng.normal(0.0, 1.0, (cells[1], cells[0])).astype(np.float32)
        field = np.asarray(Image.fromarray(small, "F").resize((x1 - x0, y1 - y0), Image.Resampling.BICUBIC))
        self.img[y0:y1, x0:x1] *= (1.0 + amount * np.clip(field, -2.5, 2.5))[..., None]

    def planks(self, y0: float, y1: float, base: RGB, rows: int, vertical: bool = False) -> None:
        """A wooden floor (or table top seen from above with ``vertical``): planks with tone variation, seams
        and grain; rows grow toward the viewer (perspective) unless ``vertical``."""
        if vertical:
            edges = np.linspace(0, REF_W, rows + 1)
        else:
            weights = 1.18 ** np.arange(rows)
            edges = y0 + np.concatenate([[0], np.cumsum(weights)]) / weights.sum() * (y1 - y0)
        seam = _mix(base, (40, 25, 15), 0.55)
        for i in range(rows):
            tone = _mix(base, (255, 240, 220) if self.rng.random() < 0.5 else (60, 40, 25), self.rng.uniform(0, 0.12))
            if vertical:
                box = (edges[i], y0, edges[i + 1], y1)
            else:
                box = (0, edges[i], REF_W, edges[i + 1])
            self.shape("rect", box, tone)
            length = (edges[i + 1] - edges[i]) * 3.5 if vertical else 260 + 90 * i
            start = self.rng.uniform(0, length)
            for k in range(12):
                pos = start + k * length
                if vertical and pos < y1:
                    self.shape("line", [(box[0], pos), (box[2], pos)], seam, width=1.2, opacity=0.5)
                elif not vertical and pos < REF_W:
                    self.shape("line", [(pos, box[1]), (pos, box[3])], seam, width=1.2, opacity=0.45)
            self.shape("line", [(box[0], box[1]), (box[2], box[1])] if not vertical else [(box[0], y0), (box[0], y1)],
                       seam, width=1.5, opacity=0.6)
        # grain runs along the planks: fast variation across them, slow along them
        self.texture((0, y0, REF_W, y1), 0.022, (260, 24) if vertical else (10, rows * 16))

    def finish(self, vignette: float, grain: float) -> None:
        """Vignette (darker corners) and film grain."""
        yy, xx = np.mgrid[0:self.h, 0:self.w].astype(np.float32)
        d = ((xx / self.w - 0.5) ** 2 + (yy / self.h - 0.5) ** 2) * 2.0
        self.img *= (1.0 - vignette * d ** 1.5)[..., None]
        self.img += self.rng.normal(0.0, grain, self.img.shape[:2]).astype(np.float32)[..., None]

    def result(self) -> np.ndarray:
        """The canvas as ``(h, w, 3)`` uint8."""
        return (np.clip(self.img, 0, 1) * 255 + 0.5).astype(np.uint8)


def _accents(palette: tuple[RGB, ...], defaults: tuple[RGB, ...]) -> tuple[RGB, ...]:
    """The brand palette (muted 15% toward a warm grey so it sits in the room) padded with the defaults."""
    brand = tuple(_mix(c, (200, 190, 178), 0.15) for c in palette)
    return (brand + defaults)[: max(len(defaults), len(brand))]


def _check(art: str, width: int, height: int) -> None:
    if art not in _BY_ART:
        raise ValueError(f"unknown scene art: {art!r}")
    if not (64 <= width <= 4096 and 64 <= height <= 4096):
        raise ValueError("scene size must be 64-4096 px")


@lru_cache(maxsize=16)  # at most ~16 x 3.2 MB at 1200 x 900
def _scene_array(art: str, width: int, height: int, palette: tuple[str, ...]) -> np.ndarray:
    painter = _Painter(width, height, seed=sum(map(ord, art)) * 7919)
    getattr(_scenes, art)(painter, lambda defaults: _accents(_palette(palette), defaults))
    out = painter.result()
    out.setflags(write=False)
    return out


def scene_array(art: str, width: int, height: int, palette: tuple[str, ...] | list[str] = ()) -> np.ndarray:
    """The scene ``art`` drawn at ``width`` x ``height`` px as a read-only ``(height, width, 3)`` uint8 array
    (cached; the offline compositor renders onto a copy).

    Raises:
        ValueError: unknown ``art`` or a size outside 64-4096 px.
    """
    _check(art, int(width), int(height))
    return _scene_array(art, int(width), int(height), tuple(palette))


@lru_cache(maxsize=8)
def _scene_png(art: str, width: int, height: int, palette: tuple[str, ...]) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(_scene_array(art, width, height, palette)).save(buf, "PNG", compress_level=3)
    return buf.getvalue()


def draw_scene(art: str, width: int, height: int, palette: tuple[str, ...] | list[str] = ()) -> bytes:
    """PNG bytes of the built-in scene ``art`` at ``width`` x ``height`` px, accents in ``palette`` (``#RRGGBB``;
    up to three used, invalid entries ignored). Deterministic and cached.

    Raises:
        ValueError: unknown ``art`` or a size outside 64-4096 px.
    """
    _check(art, int(width), int(height))
    return _scene_png(art, int(width), int(height), tuple(palette))


@lru_cache(maxsize=32)
def _preview(art: str, palette: tuple[str, ...], max_side: int) -> bytes:
    scene = _BY_ART[art]
    k = max_side / max(REF_W, REF_H)
    w, h = round(REF_W * k), round(REF_H * k)
    img = Image.fromarray(_scene_array(art, w, h, palette)).convert("RGB")
    cfg = scene.config
    pl = cfg["placement"]
    corners = cfg["corners"] or [(pl["x"], pl["y"]), (pl["x"] + pl["width"], pl["y"]),
                                 (pl["x"] + pl["width"], pl["y"] + pl["height"]), (pl["x"], pl["y"] + pl["height"])]
    pts = [(x * k, y * k) for x, y in corners]
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.polygon(pts, fill=(255, 255, 255, 70))
    for i in range(4):
        (x0, y0), (x1, y1) = pts[i], pts[(i + 1) % 4]
        n = max(int(math.hypot(x1 - x0, y1 - y0) / 6), 1)
        for j in range(0, n, 2):
            a, b = j / n, (j + 1) / n
            draw.line([(x0 + (x1 - x0) * a, y0 + (y1 - y0) * a), (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)],
                      fill=(255, 255, 255, 230), width=2)
    img = Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def scene_preview(art: str, palette: tuple[str, ...] | list[str] = (), max_side: int = 480) -> bytes:
    """A small JPEG of the scene ``art`` (its longer side ``max_side`` px) with the placement outlined by a
    dashed light rectangle (or quadrilateral), for the scene picker. Cached.

    Raises:
        ValueError: unknown ``art`` or ``max_side`` outside 64-1200.
    """
    if not 64 <= int(max_side) <= 1200:
        raise ValueError("max_side must be 64-1200 px")
    if art not in _BY_ART:
        raise ValueError(f"unknown scene art: {art!r}")
    return _preview(art, tuple(palette), int(max_side))


def hand_overlay(width: int, height: int, box: tuple[int, int, int, int]) -> tuple[int, int, np.ndarray] | None:
    """The thumb and fingertips of ``lifestyle_hand_held`` gripping a design whose visible pixels span ``box``
    (``x0, y0, x1, y1`` px of a ``width`` x ``height`` scene): ``(x, y, rgba)`` with ``rgba`` a
    ``(h, w, 4)`` float32 premultiplied layer (0-1) to composite at ``(x, y)``, or None."""
    painter = _Painter(width, height, seed=17, alpha=True)
    _scenes.hand_front(painter, tuple(v / painter.sx if i % 2 == 0 else v / painter.sy for i, v in enumerate(box)))
    assert painter.alpha is not None
    ys, xs = np.nonzero(painter.alpha > 0.002)
    if len(xs) == 0:
        return None
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    # normal blending onto a zero canvas keeps the colors premultiplied by the coverage
    rgba = np.concatenate([painter.img[y0:y1, x0:x1], painter.alpha[y0:y1, x0:x1, None]], axis=2)
    return int(x0), int(y0), np.clip(rgba, 0, 1)


__all__ = ["DEFAULT_STYLE", "SYSTEM_SCENES", "SceneStyle", "SystemScene", "draw_scene", "hand_overlay",
           "scene_array", "scene_preview", "scene_style"]
