"""The close-up plan of a product and the analysis of each close-up (seed 001 "AI: Generate Close-Up Plan /
Identify key details to capture" and "Analyze Each Close-Up: extract technical details"; issue 10 item 4).

:func:`plan_shots` derives 6-10 detail shots from the base-view analyses, without a provider call, in this
order of importance: closures, hardware, stitching, labels, other construction (each where the analysis
located it), then material textures and finishes (at the construction item naming the same part, else at a
point of the product), then edge details at the product's outline, until there are at least
:data:`MIN_SHOTS`. Shots of the same view whose areas mostly overlap, and repeated titles, are left out.

:func:`closeup_stats` is the analysis stored with each close-up: pixel statistics (dominant colors with
nearest names, brightness, contrast, edge density and a texture word), the same with or without AI keys.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image
from skimage.feature import canny

from genpire_app.backend.providers.colors import dominant_colors, nearest_display_name
from genpire_app.backend.providers.offline.masks import downscale
from genpire_app.backend.providers.v2_images import Region
from genpire_app.backend.services.v2_inputs import matching_region, region_of

MIN_SHOTS, MAX_SHOTS = 6, 10
#: Views in the order their details are considered.
VIEW_ORDER = ("front", "back", "side", "top", "bottom")
CLOSURE_WORDS = ("zip", "button", "snap", "buckle", "magnet", "velcro", "clasp", "drawstring", "toggle", "closure",
                 "hook", "lace")
STITCH_WORDS = ("stitch", "seam", "hem", "binding", "overlock", "quilt")
#: Focus kinds in plan order.
FOCUS_ORDER = ("closure", "hardware", "stitching", "label", "construction", "texture", "finish", "edge")
#: Points of the product's box (fractions of it) where a texture or finish without a located part is shot.
_SURFACE_POINTS = ((0.5, 0.62), (0.3, 0.8), (0.7, 0.4), (0.5, 0.3))
#: Points of the product's box for edge details: (name, x, y).
_EDGE_POINTS = (("bottom edge", 0.5, 0.97), ("left edge", 0.03, 0.6), ("top edge", 0.5, 0.05),
                ("right edge", 0.97, 0.6), ("bottom corner", 0.06, 0.94))
_SHOT_SIDE = 0.14  # side of a shot placed at a point, fraction of the image


@dataclass(frozen=True)
class Shot:
    """One planned close-up: ``title`` ("Magnetic button"), ``focus`` (a :data:`FOCUS_ORDER` kind), ``detail``
    (what to show), ``source_view`` and ``region`` (fractions of that view)."""

    title: str
    focus: str
    detail: str
    source_view: str
    region: Region


def _has(text: str, words: tuple[str, ...]) -> bool:
    low = text.lower()
    return any(w in low for w in words)


def _title(text: str) -> str:
    text = " ".join(str(text or "").split())[:60]
    return text[:1].upper() + text[1:] if text else ""


def _at(box: Region, x: float, y: float) -> Region:
    cx, cy = box[0] + (box[2] - box[0]) * x, box[1] + (box[3] - box[1]) * y
    half = _SHOT_SIDE / 2
    return (max(cx - half, 0.0), max(cy - half, 0.0), min(cx + half, 1.0), min(cy + half, 1.0))


def _overlap(a: Region, b: Region) -> float:
    """Intersection over the smaller area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / max(smaller, 1e-9)


def _located(view: str, analysis: dict[str, Any]) -> list[Shot]:
    shots: list[Shot] = []
    for item in analysis.get("construction") or []:
        if isinstance(item, dict) and (region := region_of(item)) is not None:
            text = f"{item.get('feature', '')} {item.get('detail', '')}"
            focus = "closure" if _has(text, CLOSURE_WORDS) else "stitching" if _has(text, STITCH_WORDS) else "construction"
            shots.append(Shot(_title(item.get("feature")) or "Construction detail", focus,
                              str(item.get("detail") or ""), view, region))
    for item in analysis.get("hardware") or []:
        if isinstance(item, dict) and (region := region_of(item)) is not None:
            text = f"{item.get('item', '')} {item.get('finish', '')}"
            finish = str(item.get("finish") or "")
            shots.append(Shot(_title(item.get("item")) or "Hardware", "closure" if _has(text, CLOSURE_WORDS) else "hardware",
                              f"{item.get('item', '')}, {finish} finish" if finish else str(item.get("item") or ""),
                              view, region))
    for item in analysis.get("labels") or []:
        if isinstance(item, dict) and (region := region_of(item)) is not None:
            kind = _title(item.get("type")) or "Brand"
            title = kind if "label" in kind.lower() else f"{kind} label"
            shots.append(Shot(title, "label", str(item.get("placement") or ""), view, region))
    return shots


def _surfaces(view: str, analysis: dict[str, Any], box: Region) -> list[Shot]:
    shots: list[Shot] = []
    points = iter(_SURFACE_POINTS * 3)
    for item in analysis.get("materials") or []:
        if not isinstance(item, dict) or not item.get("name"):
            continue
        component = str(item.get("component") or "")
        region = matching_region(component, analysis) or _at(box, *next(points))
        where = f" ({component})" if component else ""
        shots.append(Shot(f"{_title(item['name'])} texture{where}", "texture",
                          f"the weave, grain or surface of the {item['name']}{where}", view, region))
    for item in analysis.get("finishes") or []:
        if not isinstance(item, dict) or not item.get("finish"):
            continue
        surface = str(item.get("surface") or "")
        region = matching_region(surface, analysis) or _at(box, *next(points))
        shots.append(Shot(f"{_title(item['finish'])} finish" + (f" ({surface})" if surface else ""), "finish",
                          f"the {item['finish']} finish of the {surface or 'surface'}", view, region))
    return shots


def plan_shots(analyses: dict[str, dict[str, Any]], boxes: dict[str, Region]) -> list[Shot]:
    """6-10 close-up shots from the analyses by view and the product's box (fractions) in each view image
    (see the module docstring). Only views with a box (an image) are used."""
    views = [v for v in VIEW_ORDER if v in boxes] + sorted(v for v in boxes if v not in VIEW_ORDER)
    candidates: list[Shot] = []
    for view in views:
        candidates += _located(view, analyses.get(view) or {})
    for view in views:
        if analyses.get(view):
            candidates += _surfaces(view, analyses[view], boxes[view])
    candidates.sort(key=lambda s: FOCUS_ORDER.index(s.focus))  # stable: views stay in order within a kind
    chosen: list[Shot] = []

    def take(shot: Shot) -> None:
        if len(chosen) >= MAX_SHOTS or any(c.title.lower() == shot.title.lower() for c in chosen):
            return
        if any(c.source_view == shot.source_view and _overlap(c.region, shot.region) > 0.6 for c in chosen):
            return
        chosen.append(shot)

    for shot in candidates:
        take(shot)
    fillers = [(f"{_title(name)} ({view})", "edge", f"the finished {name} of the product, seen from the {view}",
                view, _at(boxes[view], x, y)) for name, x, y in _EDGE_POINTS for view in views]
    fillers += [(f"Surface detail {i + 1} ({view})", "texture", "the surface of the product", view,
                 _at(boxes[view], x, y)) for i, (x, y) in enumerate(_SURFACE_POINTS) for view in views]
    for filler in fillers:
        if len(chosen) >= MIN_SHOTS:
            break
        take(Shot(*filler))
    return chosen


def closeup_stats(data: bytes, *, shot: Shot) -> dict[str, Any]:
    """The analysis JSON of one close-up image (PNG/JPEG/WebP bytes): ``colors`` ``[{"hex", "name", "share"}]``
    (up to 4, largest first, from 96 px), ``brightness`` and ``contrast`` (0-1, mean and spread of the luminance),
    ``edge_density`` (share of edge pixels, Canny at 256 px), ``texture`` (smooth | fine texture | coarse
    texture) and the shot's ``title`` / ``focus`` / ``source_view``. Blocking: call it in a thread."""
    with Image.open(io.BytesIO(data)) as img:
        small = downscale(img.convert("RGB"), 256)
    rgb = np.asarray(small, dtype=np.float32)
    gray = rgb @ np.array([0.299, 0.587, 0.114], np.float32) / 255.0
    tiny = np.asarray(downscale(small, 96), dtype=np.float32).reshape(-1, 3)  # colors need few pixels
    colors = [{"hex": c.hex, "name": nearest_display_name(c.hex), "share": round(float(c.fraction), 3)}
              for c in dominant_colors(tiny, k=5, min_fraction=0.05)[:4]]
    edges = float(canny(gray, sigma=1.0).mean())
    texture = "smooth" if edges < 0.02 else "fine texture" if edges < 0.08 else "coarse texture"
    return {
        "schema_version": 1, "method": "pixel-stats", "title": shot.title, "focus": shot.focus,
        "source_view": shot.source_view, "colors": colors, "brightness": round(float(gray.mean()), 3),
        "contrast": round(float(gray.std()), 3), "edge_density": round(edges, 4), "texture": texture,
    }


__all__ = ["CLOSURE_WORDS", "FOCUS_ORDER", "MAX_SHOTS", "MIN_SHOTS", "STITCH_WORDS", "Shot", "closeup_stats",
           "plan_shots"]
