"""Annotation micro-edits: pixel edits of the current view inside the marked area only.

"make this red" recolors the product pixels of the area (shading kept); "bigger" / "smaller" scales the
marked detail about the area's centre; "remove" fills it from its surroundings. Pixels outside the area keep
their values. Sizes in pixels; regions as fractions of the image.

Source: seed 000 §5.5 (annotation micro-edits); DESIGN.md §6 (offline renderer applies the edits it can
parse and says which it could not).
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from genpire_app.backend.providers.base import ImageRequest, ProviderError
from genpire_app.backend.providers.color_names import product_shade
from genpire_app.backend.providers.colors import (
    cluster_colors,
    find_colors,
    hex_to_rgb,
    nearest_display_name,
    rgb_to_hex,
    rgb_to_lab,
)
from genpire_app.backend.providers.offline.cutout import decode_image
from genpire_app.backend.providers.offline.masks import border_flood, studio_background_mask
from genpire_app.backend.providers.offline.spec import NamedColor

_REMOVE_RE = re.compile(
    r"\b(?:remove|delete|erase|eliminate|get\s+rid\s+of|take\s+(?:(?:it|this|that|them)\s+)?(?:off|out|away)|"
    r"drop|without|no\s+more)\b",
    re.IGNORECASE,
)
_BIGGER_RE = re.compile(
    r"\b(?:bigger|larger|enlarge[ds]?|increase|grow|scale\s+(?:it\s+|this\s+)?up|more\s+prominent|wider|taller|"
    r"twice\s+as\s+(?:big|large)|double\s+(?:the\s+)?size)\b",
    re.IGNORECASE,
)
_SMALLER_RE = re.compile(
    r"\b(?:smaller|shrink|reduce|decrease|tinier|scale\s+(?:it\s+|this\s+)?down|less\s+prominent|subtler|"
    r"narrower|shorter|half\s+(?:the\s+)?size)\b",
    re.IGNORECASE,
)
_PERCENT_RE = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*(?:%|percent)", re.IGNORECASE)
_STRONG_RE = re.compile(r"\b(?:much|lot|way|significantly|considerably|very)\b", re.IGNORECASE)
_SLIGHT_RE = re.compile(r"\b(?:slightly|bit|little|touch|tad|somewhat)\b", re.IGNORECASE)
_TWICE_RE = re.compile(r"\b(?:twice|double)\b", re.IGNORECASE)
_HALF_RE = re.compile(r"\bhalf\b", re.IGNORECASE)


@dataclass(frozen=True)
class MicroEdit:
    """What an annotation instruction asks the offline renderer to do to the marked area.

    Attributes:
        remove: erase the marked detail (fill it from its surroundings).
        color: ``(name, "#RRGGBB")`` to recolor to, or None.
        scale: size factor about the area's centre (> 1 bigger, < 1 smaller), or None.

    Source: seed 000 §5.5 (annotation micro-edits); DESIGN.md §6 (offline renderer applies the edits it
    can parse and says which it could not).
    """

    remove: bool = False
    color: NamedColor | None = None
    scale: float | None = None


def parse_micro_edit(instruction: str | None) -> MicroEdit | None:
    """Parse an annotation instruction: "remove this" / "delete" -> remove; a color ("make this red",
    "change this to navy") -> recolor; "bigger" / "larger" / "smaller" (with "slightly", "much", "20%",
    "twice", "half") -> scale. A color and a size can be combined ("make this bigger and red"). Returns
    None when nothing can be parsed.

    Scale factors: 1.25 / 0.8 by default, 1.1 / 0.9 with "slightly", 1.5 / 0.65 with "much", ``1 ± p/100``
    for "p%", 2.0 / 0.5 for "twice" / "half"; clipped to 0.2-3.0.

    Source: seed 000 §5.5 (annotation micro-edits).
    """
    text = (instruction or "").strip()
    if not text:
        return None
    if _REMOVE_RE.search(text):
        return MicroEdit(remove=True)
    found = find_colors(text)
    color = (found[0].name, product_shade(found[0].name, found[0].hex)) if found else None
    scale: float | None = None
    bigger, smaller = _BIGGER_RE.search(text), _SMALLER_RE.search(text)
    if bigger or smaller:
        grow = bool(bigger) and (not smaller or bigger.start() < smaller.start())
        pct = _PERCENT_RE.search(text)
        if pct:
            p = float(pct.group(1)) / 100.0
            scale = 1.0 + p if grow else 1.0 - p
        elif grow and _TWICE_RE.search(text):
            scale = 2.0
        elif not grow and _HALF_RE.search(text):
            scale = 0.5
        elif _STRONG_RE.search(text):
            scale = 1.5 if grow else 0.65
        elif _SLIGHT_RE.search(text):
            scale = 1.1 if grow else 0.9
        else:
            scale = 1.25 if grow else 0.8
        scale = min(max(scale, 0.2), 3.0)
        if abs(scale - 1.0) < 0.01:
            scale = None
    if color is None and scale is None:
        return None
    return MicroEdit(color=color, scale=scale)


def region_box(region: tuple[float, float, float, float], width: int, height: int) -> tuple[int, int, int, int]:
    """Pixel box ``(x0, y0, x1, y1)`` (end-exclusive) of a region given as fractions ``(x0, y0, x1, y1)`` of
    a ``width`` x ``height`` image. Values are clipped to 0-1; the box is at least one pixel.

    Raises:
        ValueError: when the region does not have four finite numbers with ``x0 < x1`` and ``y0 < y1``.

    Source: seed 000 §5.5 (``annotationArea: annotation.bounds``); base.py ``ImageRequest.region``.
    """
    try:
        vals = [float(v) for v in region]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"region must be four numbers, got {region!r}") from exc
    if len(vals) != 4 or not all(math.isfinite(v) for v in vals):
        raise ValueError(f"region must be four finite numbers, got {region!r}")
    fx0, fy0, fx1, fy1 = (min(max(v, 0.0), 1.0) for v in vals)
    if not (fx1 > fx0 and fy1 > fy0):
        raise ValueError(f"region must have x0 < x1 and y0 < y1 inside the image, got {region!r}")
    x0 = min(int(math.floor(fx0 * width + 1e-6)), width - 1)
    y0 = min(int(math.floor(fy0 * height + 1e-6)), height - 1)
    x1 = min(max(int(math.ceil(fx1 * width - 1e-6)), x0 + 1), width)
    y1 = min(max(int(math.ceil(fy1 * height - 1e-6)), y0 + 1), height)
    return x0, y0, x1, y1


def _weighted_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB with lightness half-weighted (shading of one material stays close), float64 ``(..., 3)``."""
    return rgb_to_lab(rgb) * np.array([0.5, 1.0, 1.0])


def _distinct_from_surround(region_rgb: np.ndarray, ring_rgb: np.ndarray, tol: float = 14.0) -> np.ndarray:
    """Pixels of ``region_rgb`` (``(h, w, 3)`` uint8, the area or the window around it) whose color is unlike
    every main color of the ring around the area (``(N, 3)`` uint8): the detail the user marked. Colors
    covering less than 10% of the ring (a strap crossing it) do not count as surroundings. One-pixel lines
    (anti-aliased outlines) are dropped. Returns an ``(h, w)`` bool mask."""
    _colors, labels = cluster_colors(ring_rgb, k=5, min_fraction=0.10)
    keep = ring_rgb[labels >= 0] if (labels >= 0).any() else ring_rgb

    def packed(px: np.ndarray) -> np.ndarray:  # 5 bits per channel -> one int per color
        q = (px.reshape(-1, 3) >> 3).astype(np.int32)
        return (q[:, 0] << 10) | (q[:, 1] << 5) | q[:, 2]

    def centres(keys: np.ndarray) -> np.ndarray:
        q = np.stack([(keys >> 10) & 31, (keys >> 5) & 31, keys & 31], axis=1)
        return q.astype(np.float64) * 8 + 4

    ring_keys = np.unique(packed(keep))
    reg_keys, inverse = np.unique(packed(region_rgb), return_inverse=True)
    ring_lab = _weighted_lab(centres(ring_keys))
    reg_lab = _weighted_lab(centres(reg_keys))
    dist = np.empty(len(reg_lab))
    for start in range(0, len(reg_lab), 2048):
        chunk = reg_lab[start : start + 2048]
        d2 = ((chunk[:, None, :] - ring_lab[None, :, :]) ** 2).sum(axis=2)
        dist[start : start + 2048] = np.sqrt(d2.min(axis=1))
    far = (dist > tol)[inverse.reshape(-1)].reshape(region_rgb.shape[:2])
    img = Image.fromarray((far * 255).astype(np.uint8))
    opened = img.filter(ImageFilter.MinFilter(3)).filter(ImageFilter.MaxFilter(3))
    return np.asarray(opened) > 127


def _fill_enclosed(mask: np.ndarray) -> np.ndarray:
    """``mask`` (``(h, w)`` bool) with the holes it encloses filled (rivets on a strap, a logo's counters):
    pixels not reachable from the border through unmasked pixels. The flood runs at 256 px at most, so gaps
    thinner than ``max(h, w) / 256`` pixels may count as closed."""
    h, w = mask.shape
    free_img = Image.fromarray(((~mask) * 255).astype(np.uint8))
    k = max(h, w) / 256.0
    if k > 1:
        small = free_img.resize((max(int(w / k), 1), max(int(h / k), 1)), Image.Resampling.BOX)
        free = np.asarray(small) >= 250
    else:
        free = ~mask
    reach = border_flood(np.zeros(free.shape + (3,), np.float32), free, 1.0)
    if k > 1:
        grown = Image.fromarray((reach * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(3))
        reach = np.asarray(grown.resize((w, h), Image.Resampling.NEAREST)) > 127
    return mask | ~reach


def _enclosed_by(known: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Pixels whose nearest ``known`` pixels (``(h, w)`` bool) to the left and right, or above and below,
    are both ``inside`` (``(h, w)`` bool, e.g. product): where a removed detail lay across the product rather
    than sticking out of it."""

    def nearest(axis: int, reverse: bool) -> np.ndarray:
        k = np.flip(known, axis) if reverse else known
        c = np.flip(inside, axis) if reverse else inside
        n = k.shape[axis]
        shape = [1, 1]
        shape[axis] = n
        idx = np.where(k, np.arange(n).reshape(shape), -1)
        idx = np.maximum.accumulate(idx, axis=axis)
        got = np.take_along_axis(c, np.maximum(idx, 0), axis=axis) & (idx >= 0)
        return np.flip(got, axis) if reverse else got

    horizontal = nearest(1, False) & nearest(1, True)
    vertical = nearest(0, False) & nearest(0, True)
    return horizontal | vertical


def _push_pull_fill(rgb: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Fill the unknown pixels of ``rgb`` (``(h, w, 3)`` float) smoothly from the known ones (``(h, w)``
    bool) by push-pull: average the known colors down an image pyramid, then blend back up, so a hole
    takes the colors around it. Known pixels keep their values. Returns a new float array."""
    levels: list[tuple[np.ndarray, np.ndarray]] = []
    c = rgb * known[..., None]
    wt = known.astype(np.float64)
    while True:
        levels.append((c, wt))
        if (wt > 0).all() or max(wt.shape) <= 1:
            break
        hh, ww = wt.shape
        ph, pw = hh % 2, ww % 2
        c = np.pad(c, ((0, ph), (0, pw), (0, 0)))
        wt = np.pad(wt, ((0, ph), (0, pw)))
        c = c[0::2, 0::2] + c[1::2, 0::2] + c[0::2, 1::2] + c[1::2, 1::2]
        wt = wt[0::2, 0::2] + wt[1::2, 0::2] + wt[0::2, 1::2] + wt[1::2, 1::2]
        big = wt > 1.0
        c[big] /= wt[big][:, None]
        wt = np.minimum(wt, 1.0)
    c, wt = levels[-1]
    if not (wt > 0).any():
        return rgb.copy()
    est = np.where(wt[..., None] > 0, c / np.maximum(wt, 1e-9)[..., None], 0.0)
    for c, wt in reversed(levels[:-1]):
        hh, ww = wt.shape
        up = np.stack(
            [
                np.asarray(
                    Image.fromarray(est[..., k].astype(np.float32), "F").resize(
                        (ww + ww % 2, hh + hh % 2), Image.Resampling.BILINEAR
                    ),
                    dtype=np.float64,
                )[:hh, :ww]
                for k in range(3)
            ],
            axis=-1,
        )
        a = np.minimum(wt, 1.0)[..., None]
        own = c / np.maximum(wt, 1e-9)[..., None]
        est = np.where(a > 0, a * own + (1.0 - a) * up, up)
    out = rgb.astype(np.float64).copy()
    out[~known] = est[~known]
    return out


def _recolor_pixels(rgb: np.ndarray, mask: np.ndarray, target: str) -> np.ndarray:
    """Give the ``mask`` pixels of ``rgb`` (``(h, w, 3)`` uint8) the hue of ``target`` keeping their shading:
    hue replaced; saturation set to the target's (scaled by each pixel's saturation relative to the area's
    median when the area is colored, so highlights stay pale); value moved so the median pixel gets the
    target's value, shading differences kept (compressed for darker targets). Returns a new uint8 array."""
    out = rgb.copy()
    if not mask.any():
        return out
    hsv = np.asarray(Image.fromarray(rgb, "RGB").convert("HSV"), dtype=np.float32)
    t_hsv = np.asarray(Image.new("RGB", (1, 1), hex_to_rgb(target)).convert("HSV"), dtype=np.float32)[0, 0]
    sel = hsv[mask]
    s_ref = float(np.median(sel[:, 1]))
    v_ref = max(float(np.median(sel[:, 2])), 1.0)
    k = min(t_hsv[2] / v_ref, 1.6)
    new = np.empty_like(sel)
    new[:, 0] = t_hsv[0]
    if s_ref >= 40.0:
        new[:, 1] = np.clip(t_hsv[1] * np.minimum(sel[:, 1] / s_ref, 1.5), 0, 255)
    else:
        new[:, 1] = t_hsv[1]
    new[:, 2] = np.clip(t_hsv[2] + (sel[:, 2] - v_ref) * k, 0, 255)
    px = np.clip(new + 0.5, 0, 255).astype(np.uint8).reshape(-1, 1, 3)
    out[mask] = np.asarray(Image.fromarray(px, "HSV").convert("RGB")).reshape(-1, 3)
    return out


def _scale_layer(rgb: np.ndarray, alpha: np.ndarray, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Scale an RGB + alpha layer (``(h, w, 3)`` uint8, ``(h, w)`` float 0-1) by ``factor`` about its centre,
    clipped to its own ``(h, w)`` box (premultiplied resampling). Returns ``(rgb float, alpha float)``."""
    h, w = alpha.shape
    layer = np.dstack([rgb, np.clip(alpha * 255.0 + 0.5, 0, 255).astype(np.uint8)])
    img = Image.fromarray(layer, "RGBA").convert("RGBa")
    sw, sh = max(int(round(w * factor)), 1), max(int(round(h * factor)), 1)
    img = img.resize((sw, sh), Image.Resampling.LANCZOS if factor < 1 else Image.Resampling.BICUBIC)
    canvas = Image.new("RGBa", (w, h), (0, 0, 0, 0))
    canvas.paste(img, ((w - sw) // 2, (h - sh) // 2))
    arr = np.asarray(canvas.convert("RGBA"), dtype=np.float64)
    return arr[..., :3], arr[..., 3] / 255.0


def _unparsed_message(instruction: str | None) -> str:
    text = " ".join((instruction or "").split())
    if not text:
        return "Describe the change for the marked area: a color change, bigger/smaller, or remove."
    if len(text) > 80:
        text = text[:79].rstrip() + "…"
    return (f"The offline renderer could not apply “{text}” to the marked area. "
            "Try a color change, bigger/smaller, or remove.")


def apply_micro_edit(
    rgb: np.ndarray, region: tuple[float, float, float, float], instruction: str | None
) -> tuple[np.ndarray, list[str]]:
    """Edit the pixels of a product view inside the marked area only (annotation micro-edit).

    * a color ("make this red"): the product (non-background) pixels of the area take that color, shading
      kept (see :func:`_recolor_pixels`);
    * "bigger" / "smaller": the marked detail (the pixels unlike the area's surroundings, or the product
      pixels when the area sits on the backdrop) is scaled about the area's centre, clipped to the area; what
      it covered before is filled from the surroundings;
    * "remove" / "delete": the marked detail is filled from its surroundings (push-pull fill from the ring
      around the area and the area's other pixels): the surrounding product color, or the white backdrop
      where the area touches it.

    Pixels outside the area are returned unchanged (same values).

    Args:
        rgb: ``(h, w, 3)`` uint8 RGB of the current view.
        region: the marked area as fractions ``(x0, y0, x1, y1)`` of the image (left/top origin).
        instruction: the user's text for the mark.

    Returns:
        ``(edited (h, w, 3) uint8 array, notes)``.

    Raises:
        ProviderError: the instruction cannot be parsed, the region is invalid, or there is nothing in the
            area to change; ``message`` is user-safe ("... Try a color change, bigger/smaller, or remove.").

    Source: seed 000 §5.5 (annotation micro-edits); DESIGN.md §6 (offline image provider).
    """
    edit = parse_micro_edit(instruction)
    if edit is None:
        raise ProviderError(_unparsed_message(instruction), provider="offline", detail=f"instruction={instruction!r}")
    h, w = rgb.shape[:2]
    try:
        x0, y0, x1, y1 = region_box(region, w, h)
    except ValueError as exc:
        raise ProviderError("The marked area is not valid. Mark the area again.", provider="offline",
                            detail=str(exc)) from exc
    bg = studio_background_mask(rgb)
    ring_w = max(4, int(round(0.03 * max(w, h))))
    wx0, wy0, wx1, wy1 = max(x0 - ring_w, 0), max(y0 - ring_w, 0), min(x1 + ring_w, w), min(y1 + ring_w, h)
    win = rgb[wy0:wy1, wx0:wx1]
    win_bg = bg[wy0:wy1, wx0:wx1]
    inside = np.zeros(win.shape[:2], bool)
    rx0, ry0, rx1, ry1 = x0 - wx0, y0 - wy0, x1 - wx0, y1 - wy0
    inside[ry0:ry1, rx0:rx1] = True
    ring = ~inside
    if ring.sum() < 32:  # the area is (almost) the whole image: its own outer band is the surroundings
        inner = np.zeros_like(inside)
        b = max(1, min(ring_w, (ry1 - ry0) // 4, (rx1 - rx0) // 4))
        inner[ry0 + b : ry1 - b, rx0 + b : rx1 - b] = True
        ring = inside & ~inner
    region_rgb = win[ry0:ry1, rx0:rx1]
    region_bg = win_bg[ry0:ry1, rx0:rx1]
    min_px = max(12, int(0.002 * region_rgb.shape[0] * region_rgb.shape[1]))
    # a removed detail is grown by its anti-aliased outline and soft shadow: 3 px at 384 px, 4 px at 1024 px
    grow = 2 * max(3, int(round(0.004 * max(w, h)))) + 1
    notes: list[str] = []

    # pixels of the window unlike the area's surroundings (the marked detail, and its continuation outside)
    distinct = np.zeros(win.shape[:2], bool)

    def marked_detail() -> np.ndarray:
        distinct[...] = _distinct_from_surround(win, win[ring])
        obj = distinct[ry0:ry1, rx0:rx1]
        if int(obj.sum()) >= min_px:
            return _fill_enclosed(obj)
        if float(win_bg[ring].mean()) >= 0.3 and int((~region_bg).sum()) >= min_px:
            return ~region_bg
        raise ProviderError(
            "The offline renderer could not find a distinct detail in the marked area. Mark it more tightly, "
            "or try a color change.",
            provider="offline",
            detail=f"instruction={instruction!r} region={region!r}",
        )

    def fill_without(obj: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The area with ``obj`` (grown by its outline, ``grow``) filled from its surroundings. A filled pixel
        becomes product where the product lies on both sides of it (left and right, or above and below: the
        detail lay across the product), else backdrop; product pixels are filled from the known product pixels, backdrop
        pixels from the known backdrop (push-pull). The backdrop inside the area is refilled too, so the
        detail's soft shadow goes with it.

        Returns ``(filled area float (rh, rw, 3), grown obj, which grown pixels became backdrop)``."""
        grown = np.asarray(Image.fromarray((obj * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(grow))) > 127
        hole = np.zeros(win.shape[:2], bool)
        hole[ry0:ry1, rx0:rx1] = grown | region_bg
        known = ~hole
        win_f = win.astype(np.float64)
        # the product that stays: not backdrop, and not the detail (nor its outline) continuing outside the area
        detail = np.asarray(Image.fromarray((distinct * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(grow)))
        body = ~win_bg & (detail <= 127)
        known_fg, known_bg = known & body, known & win_bg
        to_fg = hole & _enclosed_by(known, body)
        to_fg[ry0:ry1, rx0:rx1] &= grown  # backdrop that the detail did not cover stays backdrop
        if not known_fg.any():
            to_fg[:] = False
        if not known_bg.any():
            to_fg = hole.copy()
        out_f = win_f.copy()
        if to_fg.any():
            out_f[to_fg] = _push_pull_fill(win_f, known_fg)[to_fg]
        to_bg = hole & ~to_fg
        if to_bg.any():
            out_f[to_bg] = _push_pull_fill(win_f, known_bg)[to_bg]
        return out_f[ry0:ry1, rx0:rx1], grown, to_bg[ry0:ry1, rx0:rx1] & grown

    out = rgb.copy()
    if edit.remove:
        obj = marked_detail()
        filled, grown, became_bg = fill_without(obj)
        new_region = np.clip(filled + 0.5, 0, 255).astype(np.uint8)
        if float(became_bg.sum()) >= 0.5 * float(grown.sum()):
            notes.append("Removed the marked detail and filled it with the white background.")
        else:
            med = rgb_to_hex(np.median(new_region[grown & ~became_bg], axis=0))
            notes.append(f"Removed the marked detail and filled it with the surrounding color, "
                         f"{nearest_display_name(med)} ({med}).")
    elif edit.scale is not None:
        obj = marked_detail()
        base, _grown, _bg = fill_without(obj)
        layer = region_rgb
        if edit.color is not None:
            layer = _recolor_pixels(region_rgb, obj, edit.color[1])
        soft = Image.fromarray((obj * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.6))
        alpha = np.asarray(soft, dtype=np.float64) / 255.0
        s_rgb, s_alpha = _scale_layer(layer, alpha, edit.scale)
        # premultiplied layer over the filled base
        comp = base * (1.0 - s_alpha[..., None]) + s_rgb
        new_region = np.clip(comp + 0.5, 0, 255).astype(np.uint8)
        pct = round(abs(edit.scale - 1.0) * 100)
        notes.append(f"Made the marked detail {pct}% {'bigger' if edit.scale > 1 else 'smaller'}.")
        if edit.color is not None:
            notes.append(f"Recolored the marked detail to {edit.color[0]} ({edit.color[1]}).")
    else:
        assert edit.color is not None
        product = ~region_bg
        if not product.any():
            raise ProviderError("The marked area holds no part of the product to recolor. Mark the product itself.",
                                provider="offline", detail=f"region={region!r}")
        new_region = _recolor_pixels(region_rgb, product, edit.color[1])
        notes.append(f"Recolored the marked area to {edit.color[0]} ({edit.color[1]}).")
    out[y0:y1, x0:x1] = new_region
    return out, notes


def micro_edit_request(request: ImageRequest) -> tuple[bytes, int, int, tuple[str, ...]]:
    """CPU part of an annotation micro-edit: decode ``base_image``, edit the marked area, encode a PNG of the
    same size (and the same alpha channel, if it has one). Returns ``(png, width px, height px, notes)``.

    Source: seed 000 §5.5 (annotation micro-edits); DESIGN.md §6.
    """
    assert request.base_image is not None and request.region is not None
    img = decode_image(request.base_image, "current image")
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    alpha: np.ndarray | None = None
    if has_alpha:
        rgba = np.asarray(img.convert("RGBA"))
        rgb = np.ascontiguousarray(rgba[..., :3])
        alpha = rgba[..., 3]
        a = alpha[..., None].astype(np.float32) / 255.0
        seen = np.clip(rgb * a + 255.0 * (1.0 - a) + 0.5, 0, 255).astype(np.uint8)
        edited, notes = apply_micro_edit(seen, request.region, request.instruction)
        x0, y0, x1, y1 = region_box(request.region, img.width, img.height)
        rgb = rgb.copy()
        rgb[y0:y1, x0:x1] = edited[y0:y1, x0:x1]
        out = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    else:
        rgb = np.asarray(img.convert("RGB"))
        edited, notes = apply_micro_edit(rgb, request.region, request.instruction)
        out = Image.fromarray(edited, "RGB")
    buf = io.BytesIO()
    out.save(buf, "PNG", compress_level=1)
    return buf.getvalue(), img.width, img.height, tuple(notes)
