"""Background masks and flood fills shared by the offline renderer, its vision analysis and the SVG export.

One implementation of "which pixels are the white studio backdrop": :func:`studio_background_mask` (the
micro-edits touch only the product) and ``exports/svg.py`` (the traced SVG leaves the backdrop out) both use
:func:`background_mask`. Sizes in pixels, colors 0-255.

Source: DESIGN.md §6 (views on a white studio background); seed 000 §5.5 (micro-edits) and §7.3 (SVG export).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

ANALYSIS_SIDE = 256
"""Pixels: the backdrop flood runs at this size (longest side), then is refined per pixel at full size."""


def border_flood(
    rgb: np.ndarray,
    candidate: np.ndarray,
    step_tol: float,
    max_iter: int | None = None,
    seeds: np.ndarray | None = None,
) -> np.ndarray:
    """Pixels reachable from the image border through ``candidate`` pixels whose neighbours differ by at
    most ``step_tol`` (max channel difference, 0-255). A "magic wand" from every border pixel.

    Args:
        rgb: ``(h, w, 3)`` float array, 0-255.
        candidate: ``(h, w)`` bool mask of pixels that may be background.
        step_tol: largest allowed neighbour-to-neighbour difference.
        max_iter: iteration cap (default ``4 * (h + w)``).
        seeds: optional ``(h, w)`` bool mask of extra starting pixels (the fill also grows from them).

    Returns:
        ``(h, w)`` bool mask of the background region.

    Source: DESIGN.md §6 (offline image renderer, SVG export and micro-edits share it); seed 000 §3 Phase 2.
    """
    h, w = candidate.shape
    diff_v = np.abs(rgb[1:] - rgb[:-1]).max(axis=2) <= step_tol
    diff_h = np.abs(rgb[:, 1:] - rgb[:, :-1]).max(axis=2) <= step_tol
    down = diff_v & candidate[1:]
    up = diff_v & candidate[:-1]
    right = diff_h & candidate[:, 1:]
    left = diff_h & candidate[:, :-1]
    reach = np.zeros((h, w), bool)
    reach[0, :] = candidate[0, :]
    reach[-1, :] = candidate[-1, :]
    reach[:, 0] |= candidate[:, 0]
    reach[:, -1] |= candidate[:, -1]
    if seeds is not None:
        reach |= seeds & candidate
    limit = max_iter or 4 * (h + w)
    for it in range(limit):
        prev = reach
        reach = reach.copy()
        reach[1:] |= prev[:-1] & down
        reach[:-1] |= prev[1:] & up
        reach[:, 1:] |= prev[:, :-1] & right
        reach[:, :-1] |= prev[:, 1:] & left
        if it % 8 == 7 and np.array_equal(reach, prev):
            break
    return reach


def downscale(img: Image.Image, max_side: int) -> Image.Image:
    """``img`` box-filtered down so its longest side is at most ``max_side`` pixels (unchanged if smaller).

    Source: DESIGN.md §6 (analysis at a small size, refined at full size).
    """
    k = max(img.width, img.height) / max_side
    if k <= 1:
        return img
    return img.resize((max(int(round(img.width / k)), 1), max(int(round(img.height / k)), 1)), Image.Resampling.BOX)


def grow_region(seed: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Pixels of ``allowed`` 4-connected to ``seed`` (both ``(h, w)`` bool). Returns ``(h, w)`` bool.

    Source: DESIGN.md §6 (cut-out of an uploaded design: the component holding the centre).
    """
    reach = seed & allowed
    for it in range(4 * sum(allowed.shape)):
        prev = reach
        reach = reach.copy()
        reach[1:] |= prev[:-1]
        reach[:-1] |= prev[1:]
        reach[:, 1:] |= prev[:, :-1]
        reach[:, :-1] |= prev[:, 1:]
        reach &= allowed
        if it % 8 == 7 and np.array_equal(reach, prev):
            break
    return reach


def min_chroma(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel ``(min channel, max - min channel)`` of ``(h, w, 3)`` uint8 RGB, as ``(h, w)`` int16 arrays.

    Source: DESIGN.md §6 (white studio background: light, neutral pixels).
    """
    r, g, b = (rgb[..., i].astype(np.int16) for i in range(3))
    mn = np.minimum(np.minimum(r, g), b)
    return mn, np.maximum(np.maximum(r, g), b) - mn


def background_mask(rgb: np.ndarray, always: np.ndarray | None = None) -> np.ndarray:
    """The white studio backdrop and its soft neutral shadows in a product image.

    Background pixels are neutral (chroma within the border's own noise, at least 2 levels) and light (every
    channel >= 120), and connected through small color steps (<= 10 levels) to the image border or to a
    pure-white pixel (>= 251: the backdrop seen through a handle loop). The flood runs at
    :data:`ANALYSIS_SIDE` px and is refined per pixel at full size. Images whose border is not a near-white
    (median >= 225), even (median spread <= 10) backdrop have no background (all False).

    Args:
        rgb: ``(h, w, 3)`` uint8 RGB.
        always: optional ``(h, w)`` bool mask of pixels that may always be background (the SVG export passes
            the transparent pixels); they join the candidates at full size.

    Returns:
        ``(h, w)`` bool mask, True on the background.

    Source: DESIGN.md §6 (white studio background); seed 000 §5.5 (micro-edits) and §7.3 (SVG export).
    """
    h, w = rgb.shape[:2]
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.float32)
    med = np.median(border, axis=0)
    spread = float(np.median(np.abs(border - med).max(axis=1)))
    if med.min() < 225 or spread > 10:
        return np.zeros((h, w), bool)
    tol = max(2.0, float(np.percentile(border.max(axis=1) - border.min(axis=1), 95)) + 1.5)
    mn, chroma = min_chroma(rgb)
    candidate = (mn >= 120) & (chroma <= tol)
    if always is not None:
        candidate |= always
    small = np.asarray(downscale(Image.fromarray(rgb, "RGB"), ANALYSIS_SIDE))
    if small.shape[:2] == (h, w):
        white = (mn >= 251) & (chroma <= tol)
        return border_flood(rgb.astype(np.float32), candidate, 10.0, seeds=white)
    s_mn, s_chroma = min_chroma(small)
    s_cand = (s_mn >= 120) & (s_chroma <= tol)
    s_white = (s_mn >= 251) & (s_chroma <= tol)
    s_bg = border_flood(small.astype(np.float32), s_cand, 10.0, seeds=s_white)
    # grow by one analysis pixel so the anti-aliased outline is decided per pixel at full size
    grown = Image.fromarray((s_bg * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(3))
    near = np.asarray(grown.resize((w, h), Image.Resampling.NEAREST)) > 127
    return candidate & near


def studio_background_mask(rgb: np.ndarray) -> np.ndarray:
    """The white studio backdrop and its soft neutral shadows in a product view (``(h, w, 3)`` uint8 RGB)
    -> ``(h, w)`` bool, True on the background; see :func:`background_mask`.

    Source: DESIGN.md §6 (white studio background); seed 000 §5.5 (micro-edits touch only the product).
    """
    return background_mask(rgb)
