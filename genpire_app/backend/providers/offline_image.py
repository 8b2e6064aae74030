"""Offline image provider: a deterministic product renderer (no network, no model).

Source: DESIGN.md §6 ("deterministic renderer: a category proxy shape (tote, bottle, mug, box, shoe ...)
in the prompt's colors, shaded on a white studio background, logo placed, five orthographic views
consistent with each other; with an uploaded design, the front view is the design itself cut out onto the
studio background and the other views take its dominant colors; applies the color and logo edits it can
parse and says which it could not"); seed 000 §3 Phase 2 (front view, iterations with feedback) and
Phase 3 (the four remaining views, consistent with the approved front).

How it works:

* Every category is a small 3D proxy model built from a few primitives in millimetres (rounded boxes,
  lathed profiles, ellipsoids, swept straps, flat decals). The world axes are X = width (left-right in the
  front view), Y = height (up, the floor is at the lowest point), Z = depth (towards the front-view camera).
* A view is an orthographic projection of that one model (front, back, side = seen from the product's
  right, top, bottom), so the five views agree: the side view shows depth x height, the top view
  width x depth, and every view uses the same pixels-per-millimetre scale.
* The product state (category, colors, size, logo, corner roundness, finish) is derived from the request
  fields only - category, features, user colors, prompt, uploaded design, and the whole feedback history -
  so the same request always gives byte-identical PNG bytes, and an iteration keeps everything the
  feedback did not change.

Units: sizes in millimetres (model) and pixels (image); colors ``#RRGGBB``.
"""

from __future__ import annotations

import asyncio
import io
import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from genpire_app.backend.config import get_settings
from genpire_app.backend.providers.base import (
    GeneratedImage,
    ImageInput,
    ImageRequest,
    ProductFeatures,
    ProviderError,
)
from genpire_app.backend.providers.colors import (
    cluster_colors,
    color_distance,
    dominant_colors,
    find_colors,
    hex_to_rgb,
    mix_hex,
    nearest_display_name,
    product_shade,
    resolve_color,
    rgb_to_hex,
    rgb_to_lab,
)

NamedColor = tuple[str, str]
"""A color as ``(display name, "#RRGGBB")``, e.g. ``("tan leather", "#B5835A")``."""

ROLES = ("primary", "secondary", "accent")

# --------------------------------------------------------------------------------------------------
# Categories
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategorySpec:
    """One product category the offline renderer knows.

    Attributes:
        key: identifier (``"tote"``, ``"bottle"`` ...).
        label: human name ("tote bag").
        keywords: regular expressions (matched on word boundaries, case-insensitive) that select it.
        dims_mm: default body size ``(width, height, depth)`` in millimetres.
        colors: default ``(primary, secondary, accent)`` colors.
        part_labels: what each role is called in notes, e.g. ``{"secondary": "straps"}``.
        part_words: words naming a part, mapped to its role (``"strap" -> "secondary"``).
        materials: default materials, most important first.
        key_elements: default key design elements.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    key: str
    label: str
    keywords: tuple[str, ...]
    dims_mm: tuple[int, int, int]
    colors: tuple[NamedColor, NamedColor, NamedColor]
    part_labels: dict[str, str]
    part_words: dict[str, str]
    materials: tuple[str, ...]
    key_elements: tuple[str, ...]


_COMMON_PART_WORDS: dict[str, str] = {
    "body": "primary",
    "main": "primary",
    "main body": "primary",
    "color": "primary",
    "colour": "primary",
    "it": "primary",
    "everything": "primary",
    "whole": "primary",
    "product": "primary",
    "exterior": "primary",
    "outside": "primary",
    "strap": "secondary",
    "straps": "secondary",
    "handle": "secondary",
    "handles": "secondary",
    "trim": "secondary",
    "trims": "secondary",
    "piping": "secondary",
    "edging": "secondary",
    "accents": "accent",
    "accent": "accent",
    "hardware": "accent",
    "rivet": "accent",
    "rivets": "accent",
    "buttons": "accent",
    "button": "accent",
    "snaps": "accent",
    "buckle": "accent",
    "buckles": "accent",
    "zipper": "accent",
    "zippers": "accent",
    "zip": "accent",
    "stitching": "accent",
    "details": "accent",
}

CATEGORIES: dict[str, CategorySpec] = {
    spec.key: spec
    for spec in (
        CategorySpec(
            "phone_case",
            "phone case",
            (r"phone\s*cases?", r"phone\s*covers?", r"(?:iphone|smartphone|pixel|galaxy)(?:\s+\w+)?\s+cases?"),
            (78, 160, 12),
            (("sand", "#D6C4A3"), ("charcoal", "#36454F"), ("graphite", "#3B3D40")),
            {"primary": "case", "secondary": "camera surround", "accent": "buttons"},
            {"case": "primary", "cover": "primary", "camera": "secondary", "bump": "secondary", "ring": "secondary"},
            ("Silicone", "Polycarbonate"),
            ("Raised camera surround", "Tactile side buttons", "Microfiber lining"),
        ),
        CategorySpec(
            "backpack",
            "backpack",
            (r"backpacks?", r"rucksacks?", r"knapsacks?", r"daypacks?", r"school\s*bags?"),
            (300, 440, 150),
            (("navy blue", "#1D2B5C"), ("tan leather", "#B5835A"), ("silver", "#C0C0C0")),
            {"primary": "backpack", "secondary": "straps", "accent": "zippers"},
            {"backpack": "primary", "pack": "primary", "pocket": "primary", "shoulder": "secondary"},
            ("Recycled nylon", "Leather", "Polyester lining"),
            ("Front zip pocket", "Padded shoulder straps", "Top carry handle"),
        ),
        CategorySpec(
            "tote",
            "tote bag",
            (
                r"tote(?:\s*bags?)?s?",
                r"shopping\s*bags?",
                r"shoppers?",
                r"handbags?",
                r"purses?",
                r"satchels?",
                r"messenger\s*bags?",
                r"duffel(?:\s*bags?)?",
                r"bags?",
            ),
            (380, 420, 120),
            (("natural canvas", "#E9DFCB"), ("tan leather", "#B5835A"), ("brass", "#B08D57")),
            {"primary": "bag", "secondary": "straps", "accent": "rivets"},
            {"bag": "primary", "tote": "primary", "canvas": "primary", "base": "primary", "bottom": "primary"},
            ("Cotton canvas", "Leather"),
            ("Two carry straps", "Open top", "Reinforced stitching"),
        ),
        CategorySpec(
            "bottle",
            "water bottle",
            (r"bottles?", r"tumblers?", r"flasks?", r"thermos(?:es)?", r"canteens?"),
            (75, 250, 75),
            (("sage green", "#9CAF88"), ("charcoal", "#36454F"), ("silver", "#C0C0C0")),
            {"primary": "bottle", "secondary": "cap", "accent": "trim"},
            {"bottle": "primary", "cap": "secondary", "lid": "secondary", "top": "secondary", "stopper": "secondary"},
            ("Stainless steel", "Polypropylene"),
            ("Screw cap", "Double-wall insulation", "Powder-coated finish"),
        ),
        CategorySpec(
            "mug",
            "mug",
            (r"mugs?", r"(?:tea|coffee|espresso)?\s*cups?", r"teacups?", r"drinkware", r"beakers?"),
            (84, 95, 84),
            (("off white", "#F4F1EA"), ("off white", "#F4F1EA"), ("charcoal", "#36454F")),
            {"primary": "mug", "secondary": "handle", "accent": "rim"},
            {"mug": "primary", "cup": "primary", "rim": "accent", "inside": "accent", "interior": "accent"},
            ("Stoneware ceramic", "Food-safe glaze"),
            ("C-shaped handle", "Glazed interior", "Rolled rim"),
        ),
        CategorySpec(
            "box",
            "packaging box",
            (r"gift\s*box(?:es)?", r"boxes", r"box", r"packaging", r"packages?", r"cartons?"),
            (200, 230, 90),
            (("kraft brown", "#C9A47E"), ("kraft brown", "#C9A47E"), ("charcoal", "#36454F")),
            {"primary": "box", "secondary": "lid", "accent": "band"},
            {"box": "primary", "lid": "secondary", "cover": "secondary", "top": "secondary", "band": "accent",
             "sleeve": "accent", "ribbon": "accent", "label": "accent"},
            ("Rigid chipboard", "Kraft paper wrap"),
            ("Two-piece lid and base", "Printed belly band"),
        ),
        CategorySpec(
            "shoe",
            "sneaker",
            (r"shoes?", r"sneakers?", r"trainers?", r"boots?", r"loafers?", r"footwear", r"slippers?"),
            (280, 110, 100),
            (("off white", "#F2F0EB"), ("gum", "#B9854A"), ("navy blue", "#1D2B5C")),
            {"primary": "upper", "secondary": "sole", "accent": "heel tab"},
            {"upper": "primary", "shoe": "primary", "sneaker": "primary", "sole": "secondary", "soles": "secondary",
             "outsole": "secondary", "midsole": "secondary", "heel": "accent", "laces": "accent", "lace": "accent"},
            ("Full-grain leather", "Rubber"),
            ("Lace-up closure", "Cupsole", "Padded collar"),
        ),
        CategorySpec(
            "hat",
            "cap",
            (r"baseball\s*caps?", r"snapbacks?", r"hats?", r"caps?", r"headwear", r"beanies?"),
            (190, 120, 210),
            (("navy blue", "#1D2B5C"), ("navy blue", "#1D2B5C"), ("off white", "#F2F0EB")),
            {"primary": "crown", "secondary": "brim", "accent": "button"},
            {"hat": "primary", "cap": "primary", "crown": "primary", "brim": "secondary", "visor": "secondary",
             "bill": "secondary", "peak": "secondary"},
            ("Cotton twill", "Polyester sweatband"),
            ("Six-panel crown", "Curved brim", "Adjustable back strap"),
        ),
        CategorySpec(
            "lamp",
            "table lamp",
            (r"lamps?", r"lampshades?", r"lighting", r"light\s*fixtures?", r"lanterns?"),
            (260, 420, 260),
            (("linen", "#EFE6D8"), ("brass", "#B08D57"), ("charcoal", "#36454F")),
            {"primary": "shade", "secondary": "base", "accent": "details"},
            {"lamp": "primary", "shade": "primary", "lampshade": "primary", "base": "secondary", "stem": "secondary",
             "stand": "secondary"},
            ("Linen", "Brass", "Steel"),
            ("Drum shade", "Weighted base", "Inline switch"),
        ),
        CategorySpec(
            "chair",
            "chair",
            (r"armchairs?", r"chairs?", r"stools?", r"seating", r"furniture"),
            (460, 800, 500),
            (("sage green", "#9CAF88"), ("oak", "#B58A5A"), ("brass", "#B08D57")),
            {"primary": "upholstery", "secondary": "legs", "accent": "details"},
            {"chair": "primary", "seat": "primary", "cushion": "primary", "backrest": "primary",
             "upholstery": "primary", "fabric": "primary", "legs": "secondary", "leg": "secondary",
             "frame": "secondary", "wood": "secondary"},
            ("Upholstery fabric", "Solid oak", "Foam"),
            ("Upholstered seat", "Tapered legs", "Padded backrest"),
        ),
        CategorySpec(
            "generic",
            "product",
            (),
            (240, 200, 160),
            (("light slate gray", "#8796A8"), ("charcoal", "#36454F"), ("silver", "#C0C0C0")),
            {"primary": "body", "secondary": "base", "accent": "details"},
            {"base": "secondary", "plinth": "secondary", "bottom": "secondary"},
            ("ABS plastic",),
            ("Rounded body", "Contrast base"),
        ),
    )
}

_CATEGORY_RES: dict[str, re.Pattern[str]] = {
    key: re.compile(r"\b(?:" + "|".join(spec.keywords) + r")\b", re.IGNORECASE)
    for key, spec in CATEGORIES.items()
    if spec.keywords
}


def detect_category(*texts: str | None) -> str | None:
    """The category named in the first text that names one (earliest keyword in that text wins).

    ``detect_category("A water bottle with a bamboo cap")`` -> ``"bottle"``. Returns ``None`` when no
    text names a known category. Source: DESIGN.md §6 (category proxy shapes).
    """
    for text in texts:
        if not text:
            continue
        best: tuple[int, int, str] | None = None
        for key, pattern in _CATEGORY_RES.items():
            m = pattern.search(text)
            if m is None:
                continue
            cand = (m.start(), -(m.end() - m.start()), key)
            if best is None or cand < best:
                best = cand
        if best is not None:
            return best[2]
    return None


def category_spec(category: str | None) -> CategorySpec:
    """The spec of ``category`` (a key such as ``"tote"`` or free text such as ``"Bags"``); generic fallback.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """
    if category and category in CATEGORIES:
        return CATEGORIES[category]
    key = detect_category(category) if category else None
    return CATEGORIES[key or "generic"]


# --------------------------------------------------------------------------------------------------
# Product state: everything the renderer draws, derived from the request fields
# --------------------------------------------------------------------------------------------------


@dataclass
class ProductState:
    """What the renderer draws. Derived deterministically from an :class:`ImageRequest`.

    Attributes:
        category: category key.
        colors: role -> color (``primary`` body, ``secondary`` straps/handle/cap/sole, ``accent`` hardware).
        scale: multipliers of the default ``(width, height, depth)``.
        dims_override: body size in millimetres taken from extracted features, when they differ materially.
        strap_scale: multiplier of strap / handle length.
        roundness: multiplier of corner radii.
        finish: ``"default"``, ``"matte"`` or ``"glossy"``.
        show_logo: whether the logo (if any) is drawn.
        logo_scale: multiplier of the logo size.
        notes: user-facing notes on what was applied and what could not be.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    category: str
    colors: dict[str, NamedColor]
    scale: list[float] = field(default_factory=lambda: [1.0, 1.0, 1.0])
    dims_override: tuple[float, float, float] | None = None
    strap_scale: float = 1.0
    roundness: float = 1.0
    finish: str = "default"
    show_logo: bool = True
    logo_scale: float = 1.0
    notes: list[str] = field(default_factory=list)

    @property
    def dims(self) -> tuple[float, float, float]:
        """Body size ``(width, height, depth)`` in millimetres after features and size edits.

        Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
        """
        base = self.dims_override or tuple(float(v) for v in CATEGORIES[self.category].dims_mm)
        return (base[0] * self.scale[0], base[1] * self.scale[1], base[2] * self.scale[2])


_WORD_RE = re.compile(r"[a-z]+")
_VERBS = (
    "add|remove|make|change|use|turn|give|put|replace|swap|switch|paint|colou?r|set|increase|decrease|drop|"
    "delete|include|take|enlarge|shrink|scale|resize|place|move|get"
)
_CLAUSE_SPLIT = re.compile(
    r"[\n;!?]+|\.(?:\s+|$)|,\s*(?:and\s+|then\s+)?|\s+(?:and\s+)?then\s+|\s+and\s+(?=(?:" + _VERBS + r")\b)|\s+but\s+",
    re.IGNORECASE,
)


def _part_mentions(text: str, category: str) -> list[tuple[int, int, str, str]]:
    """Part words in ``text``: ``(start, end, word, role)``, in order."""
    words = {**_COMMON_PART_WORDS, **CATEGORIES[category].part_words}
    found: list[tuple[int, int, str, str]] = []
    lower = text.lower()
    for m in _WORD_RE.finditer(lower):
        word = m.group(0)
        if word in words:
            found.append((m.start(), m.end(), word, words[word]))
    return found


def assign_colors(text: str, category: str) -> list[tuple[str, NamedColor, str | None]]:
    """Colors in ``text`` with the role each one colors: ``[(role, (name, hex), part_word)]``.

    A color names the part right after it ("black straps", "brown leather straps"), else the part named
    before it in the same clause ("make the straps brown"), else the body ("make it red").

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """
    out: list[tuple[str, NamedColor, str | None]] = []
    colors = find_colors(text)
    parts = _part_mentions(text, category)
    prev_end = 0
    for cm in colors:
        role: str | None = None
        word: str | None = None
        # 1. a part noun within the next two words ("black straps", "brown leather straps")
        for m in list(_WORD_RE.finditer(text[cm.end :].lower()))[:2]:
            pm = [p for p in parts if p[0] == cm.end + m.start() and p[2] not in ("it", "color", "colour")]
            if pm:
                role, word = pm[0][3], pm[0][2]
                break
            if m.group(0) in ("and", "with", "or", "to", "for", "on", "in", "but"):
                break
        # 2. a part noun before it, since the previous color
        if role is None:
            before = [p for p in parts if prev_end <= p[0] < cm.start]
            if before:
                role, word = before[-1][3], before[-1][2]
        if role is None:
            role = "primary"
        if word in ("it", "color", "colour", "everything", "whole", "product", "main"):
            word = None
        out.append((role, (cm.name, product_shade(cm.name, cm.hex)), word))
        prev_end = cm.end
    return out


def _usage_role(usage: str) -> str | None:
    text = usage.lower()
    if any(w in text for w in ("primary", "body", "main", "base color", "dominant", "upper", "crown", "shade")):
        return "primary"
    if any(w in text for w in ("secondary", "strap", "handle", "cap", "lid", "sole", "trim", "brim", "leg", "base")):
        return "secondary"
    if any(w in text for w in ("accent", "hardware", "zip", "button", "rivet", "detail")):
        return "accent"
    return None


def _feature_colors(features: ProductFeatures, spec: CategorySpec) -> list[tuple[str, NamedColor, bool]]:
    """Primary and secondary colors from extracted features as ``(role, color, named)``; ``named`` is True
    when the usage names the part ("handle", "straps"). Accents stay with the text-derived state."""
    out: dict[str, tuple[NamedColor, bool]] = {}
    unlabelled: list[NamedColor] = []
    part_words = [w for w, r in spec.part_words.items() if r == "secondary"] + [spec.part_labels["secondary"]]
    for ci in features.colors:
        color = (ci.name.lower() or nearest_display_name(ci.hex), ci.hex.upper())
        role = _usage_role(ci.usage)
        usage = ci.usage.lower()
        named = role == "secondary" and any(w in usage for w in part_words + ["strap", "handle"])
        if role in ("primary", "secondary") and role not in out:
            out[role] = (color, named)
        elif role is None:
            unlabelled.append(color)
    for role in ("primary", "secondary"):
        if role not in out and unlabelled:
            out[role] = (unlabelled.pop(0), False)
    return [(role, c, named) for role, (c, named) in out.items()]


def _label(state: ProductState, role: str, word: str | None) -> str:
    if word:
        return word
    return CATEGORIES[state.category].part_labels[role]


_SIZE_WORDS: dict[str, tuple[tuple[int, ...], float]] = {
    "bigger": ((0, 1, 2), 1.15),
    "larger": ((0, 1, 2), 1.15),
    "enlarge": ((0, 1, 2), 1.15),
    "smaller": ((0, 1, 2), 0.87),
    "shrink": ((0, 1, 2), 0.87),
    "taller": ((1,), 1.15),
    "higher": ((1,), 1.15),
    "shorter": ((1,), 0.87),
    "lower": ((1,), 0.87),
    "wider": ((0,), 1.15),
    "broader": ((0,), 1.15),
    "narrower": ((0,), 0.87),
    "slimmer": ((0, 2), 0.87),
    "thinner": ((0, 2), 0.87),
    "skinnier": ((0, 2), 0.87),
    "deeper": ((2,), 1.15),
    "thicker": ((2,), 1.15),
    "chunkier": ((0, 2), 1.12),
    "shallower": ((2,), 0.87),
}
_AXIS_NAMES = ("width", "height", "depth")


def _apply_clause(state: ProductState, clause: str, has_logo: bool, handled: bool = False) -> None:
    """Apply one feedback clause to ``state`` and add notes (what was applied / could not be).
    ``handled``: the caller already dealt with the clause (an attached image's color), so no "could not
    apply" note is added when nothing else in it parses."""
    text = clause.strip().strip(".").strip()
    if not text:
        return
    lower = text.lower()
    words = set(_WORD_RE.findall(lower))
    applied = handled
    spec = CATEGORIES[state.category]

    # Logo instructions.
    if "logo" in words or "logos" in words:
        applied = True
        if re.search(r"\b(remove|delete|drop|hide|without|no|take\s+(?:off|away)|get\s+rid)\b", lower):
            state.show_logo = False
            state.notes.append("Removed the logo." if has_logo else "There is no logo to remove.")
        elif words & {"bigger", "larger", "increase", "enlarge"}:
            state.logo_scale = min(state.logo_scale * 1.3, 2.0)
            state.notes.append("Made the logo bigger." if has_logo else "Could not resize the logo: no logo was uploaded.")
        elif words & {"smaller", "decrease", "shrink", "subtle"}:
            state.logo_scale = max(state.logo_scale * 0.75, 0.4)
            state.notes.append("Made the logo smaller." if has_logo else "Could not resize the logo: no logo was uploaded.")
        elif find_colors(text):
            state.notes.append(f"Could not apply '{text}' with the offline renderer: it cannot recolor the logo.")
        else:
            state.show_logo = True
            state.notes.append("Placed the logo on the product." if has_logo else "Could not add a logo: no logo was uploaded.")
        return

    # Color instructions.
    for role, color, word in assign_colors(text, state.category):
        state.colors[role] = color
        label = _label(state, role, word)
        if role == "primary" and word is None:
            state.notes.append(f"Changed the {spec.part_labels['primary']} color to {color[0]} ({color[1]}).")
        else:
            state.notes.append(f"Changed the {label} to {color[0]} ({color[1]}).")
        applied = True

    # Strap / handle length.
    if words & {"straps", "strap", "handle", "handles"} and words & {"longer", "shorter"}:
        factor = 1.2 if "longer" in words else 0.83
        state.strap_scale = min(max(state.strap_scale * factor, 0.5), 2.0)
        which = "straps" if words & {"straps", "strap"} else "handle"
        state.notes.append(f"Made the {which} {'longer' if factor > 1 else 'shorter'}.")
        applied = True
    else:
        # Size instructions.
        intensity = 1.0
        if re.search(r"\b(much|lot|way|significantly|considerably|very)\b", lower):
            intensity = 2.0
        elif re.search(r"\b(slightly|bit|little|touch|tad)\b", lower):
            intensity = 0.5
        for word in sorted(words & set(_SIZE_WORDS), key=lower.index):
            axes, factor = _SIZE_WORDS[word]
            f = factor ** intensity
            for axis in axes:
                state.scale[axis] = min(max(state.scale[axis] * f, 0.4), 2.5)
            dims = state.dims
            pct = round(abs(f - 1) * 100)
            if len(axes) == 3:
                what = "bigger" if f > 1 else "smaller"
                state.notes.append(
                    f"Made the product {pct}% {what} (now about {dims[0]:.0f} x {dims[1]:.0f} x {dims[2]:.0f} mm)."
                )
            else:
                desc = ", ".join(f"{_AXIS_NAMES[a]} {dims[a]:.0f} mm" for a in axes)
                state.notes.append(f"Made the product {pct}% {word} (now {desc}).")
            applied = True

    # Shape instructions (ignoring words that belong to a color name, like "soft pink").
    shape_text = lower
    for cm in find_colors(text):
        shape_text = shape_text[: cm.start] + " " * (cm.end - cm.start) + shape_text[cm.end :]
    if re.search(r"\b(rounded|rounder|round|curved|curvier|softer|soft)\b", shape_text):
        state.roundness = min(state.roundness * 1.8, 3.0)
        state.notes.append("Rounded the corners.")
        applied = True
    elif re.search(r"\b(square|squarer|squared|boxy|boxier|sharp|sharper|angular|crisp)\b", shape_text):
        state.roundness = max(state.roundness * 0.35, 0.15)
        state.notes.append("Squared off the corners.")
        applied = True

    # Finish.
    if re.search(r"\bmatte?\b", lower):
        state.finish = "matte"
        state.notes.append("Switched to a matte finish.")
        applied = True
    elif re.search(r"\b(glossy|gloss|shiny|shinier|polished|lacquered)\b", lower):
        state.finish = "glossy"
        state.notes.append("Switched to a glossy finish.")
        applied = True

    if not applied:
        state.notes.append(f"Could not apply '{text}' with the offline renderer.")


_ATTACHMENT_RE = re.compile(
    r"\b(?:attach(?:ed|ment|ments)?"
    r"|(?:the|this|that|my|these|those)\s+(?:reference|image|images|photo|photos|picture|pictures|pic|swatch|"
    r"sample|screenshot)s?"
    r"|(?:like|as\s+in|same\s+as|match(?:ing)?)\s+(?:this|that|these|those|it)\b"
    r"|(?:this|that|these|those)\s+(?:colou?rs?|shades?|tones?|palette|hues?|look|style|finish)"
    r"|reference\s+(?:image|photo|picture)s?)",
    re.IGNORECASE,
)
_NON_COLOR_VERBS_RE = re.compile(
    r"^\s*(?:please\s+)?(?:add|put|place|include|insert|attach|remove|delete|drop)\b", re.IGNORECASE
)
_COLOR_WORDS_RE = re.compile(r"\b(?:colou?rs?|shades?|tones?|palette|hues?|paint|dye)\b", re.I)
_GENERIC_PART_WORDS = ("it", "color", "colour", "everything", "whole", "product", "main", "exterior", "outside")


def refers_to_attachment(text: str) -> bool:
    """Whether an edit instruction asks for the colors of an attached image: "use the colors of the attached
    image", "match the attachment", "make it like this", "this color". Instructions that add or remove
    something ("add a pocket like this one") only count when they also talk about color.

    Source: seed 000 §5.3 (chat editing with attachments); DESIGN.md §6 (offline renderer applies the color
    edits it can parse).
    """
    if not text or not _ATTACHMENT_RE.search(text):
        return False
    if _NON_COLOR_VERBS_RE.search(text) and not _COLOR_WORDS_RE.search(text):
        return False
    return True


def _attachment_role(clause: str, category: str) -> tuple[str, str | None]:
    """The role an attachment's color goes to: the first part named in ``clause`` ("make the straps this
    color" -> secondary), else the body."""
    for _start, _end, word, role in _part_mentions(clause, category):
        if word not in _GENERIC_PART_WORDS:
            return role, word
    return "primary", None


def edit_chain(request: ImageRequest) -> str | None:
    """The instructions to replay, oldest first: ``request.feedback``, plus ``request.instruction`` when the
    caller did not already put it on the last line. ``None`` when there is none.

    Source: seed 000 §3 Phase 2 step 4 (feedback iterations) and §5.3-§5.4 (chat edits).
    """
    feedback = (request.feedback or "").strip()
    instruction = (request.instruction or "").strip()
    if instruction and not feedback.endswith(instruction):
        feedback = f"{feedback}\n{instruction}" if feedback else instruction
    return feedback or None


def split_feedback(feedback: str | None) -> list[str]:
    """Feedback text -> instruction clauses, in order. Lines, sentences, commas and "and <verb>" split.

    ``"make the straps brown and add a zipper pocket"`` -> ``["make the straps brown", "add a zipper pocket"]``.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """
    if not feedback:
        return []
    return [c.strip() for c in _CLAUSE_SPLIT.split(feedback) if c and c.strip(" .,")]


def resolve_state(
    request: ImageRequest,
    *,
    design_colors: list[str] | None = None,
    attachment_colors: list[str] | None = None,
) -> ProductState:
    """Derive the product state of ``request``. Pure and deterministic.

    Category: ``request.category``, else the product prompt, else ``features.category``, else the full
    prompt, else generic. Colors, lowest priority first: category defaults, colors named in the product
    prompt, the uploaded design's dominant colors, the user's chosen colors, the extracted features (keep
    views consistent with the approved front); then every feedback clause in order (seed 000 §3 Phase 2),
    the current chat ``instruction`` last (seed 000 §5.3). ``attachment_colors`` (``#RRGGBB``, most common
    first) are the colors read from the message's attached images: a current instruction that refers to
    them ("use the colors of the attached image", "make the straps this color") takes the first one.
    """
    category = (
        (detect_category(request.category) if request.category else None)
        or detect_category(request.product_prompt)
        or (detect_category(request.features.category, request.features.product_name) if request.features else None)
        or detect_category(request.prompt)
        or "generic"
    )
    spec = CATEGORIES[category]
    colors = dict(zip(ROLES, spec.colors))
    state = ProductState(category=category, colors=colors)
    # Mugs and caps: the handle / brim is the body's color unless something names it.
    tracks = spec.colors[1] == spec.colors[0]
    explicit: set[str] = set()

    # Colors named in the product prompt.
    for role, color, _word in assign_colors(request.product_prompt or "", category):
        state.colors[role] = color
        explicit.add(role)
    # The uploaded design's dominant colors.
    if design_colors and not request.features:
        state.colors["primary"] = (nearest_display_name(design_colors[0]), design_colors[0])
        if len(design_colors) > 1 and not tracks:
            state.colors["secondary"] = (nearest_display_name(design_colors[1]), design_colors[1])
    # The user's chosen colors.
    chosen = [(c, resolve_color(c)) for c in request.colors]
    chosen = [(c, product_shade(c, h) if h else None) for c, h in chosen]
    chosen_ok = [(c.strip().lower(), h) for c, h in chosen if h]
    for role, (name, hexcode) in zip(ROLES, chosen_ok):
        state.colors[role] = (name if not name.startswith("#") else nearest_display_name(hexcode), hexcode)
        explicit.add(role)
    for c, h in chosen:
        if not h:
            state.notes.append(f"Could not understand the color '{c}'.")
    # Features of the approved front view.
    if request.features is not None:
        for role, color, named in _feature_colors(request.features, spec):
            if role == "secondary" and tracks and not named:
                continue
            state.colors[role] = color
            if named:
                explicit.add(role)
    # Roundness / finish words in the product prompt.
    prompt_lower = (request.product_prompt or "").lower()
    if re.search(r"\b(glossy|shiny|polished|lacquered)\b", prompt_lower):
        state.finish = "glossy"
    elif re.search(r"\bmatte\b", prompt_lower):
        state.finish = "matte"

    clauses = split_feedback(edit_chain(request))
    n_current = len(split_feedback(request.instruction)) if request.instruction else 0
    first_current = len(clauses) - n_current
    has_size_edit = any(
        set(_WORD_RE.findall(c.lower())) & (set(_SIZE_WORDS) | {"longer"}) for c in clauses
    )
    # Dimensions from features only when they differ materially and no size edit is replayed.
    if request.features is not None and not has_size_edit:
        est = request.features.estimated_dimensions
        base = spec.dims_mm
        vals = (est.width_mm, est.height_mm, est.depth_mm)
        if all(v > 0 for v in vals):
            picked = []
            for v, b in zip(vals, base):
                v = min(max(float(v), b * 0.5), b * 2.0)
                picked.append(v if abs(v - b) / b > 0.08 else float(b))
            if tuple(picked) != tuple(float(b) for b in base):
                state.dims_override = (picked[0], picked[1], picked[2])

    has_logo = request.logo is not None
    asked_attachment = False
    for index, clause in enumerate(clauses):
        before = dict(state.colors)
        handled = False
        refers = refers_to_attachment(clause)
        if refers and index >= first_current:
            asked_attachment = True
        if refers and not find_colors(clause):
            handled = True
            if index < first_current:
                state.notes.append(
                    f"An earlier edit used an attached image ('{clause.strip().strip('.')}'); the offline renderer "
                    f"cannot replay it without that image."
                )
            elif request.attachments:
                if attachment_colors:
                    role, word = _attachment_role(clause, category)
                    hexcode = attachment_colors[0].upper()
                    state.colors[role] = (nearest_display_name(hexcode), hexcode)
                    state.notes.append(
                        f"Used the main color of the attached image for the {_label(state, role, word)}: "
                        f"{state.colors[role][0]} ({hexcode})."
                    )
                else:
                    state.notes.append(
                        "Could not use the attached image: the offline renderer only uses an attachment's colors, "
                        "and it could not read any from it."
                    )
            else:
                handled = False  # nothing attached: the generic "could not apply" note says so
        _apply_clause(state, clause, has_logo, handled)
        explicit.update(r for r in ROLES if state.colors[r] != before[r])
    if request.attachments and request.instruction and not asked_attachment:
        state.notes.append(
            "The offline renderer only uses an attachment's colors: ask, for example, "
            "“use the colors of the attached image”."
        )
    if tracks and "secondary" not in explicit:
        state.colors["secondary"] = state.colors["primary"]
    # De-duplicate notes, keep order.
    seen: set[str] = set()
    state.notes = [n for n in state.notes if not (n in seen or seen.add(n))]
    return state


# --------------------------------------------------------------------------------------------------
# Geometry primitives (world millimetres) and the rasteriser
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finish:
    """Surface response: ``spec`` highlight strength (0-1), ``shininess`` exponent, ``texture`` weave amplitude.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    spec: float = 0.05
    shininess: float = 12.0
    texture: float = 0.0


FABRIC = Finish(0.0, 8.0, 0.035)
LEATHER = Finish(0.10, 18.0, 0.008)
CERAMIC = Finish(0.35, 60.0, 0.0)
METAL = Finish(0.45, 40.0, 0.0)
PLASTIC = Finish(0.18, 30.0, 0.0)
PAPER = Finish(0.0, 8.0, 0.012)
RUBBER = Finish(0.04, 10.0, 0.01)
WOOD = Finish(0.08, 16.0, 0.015)


@dataclass
class Box:
    """Axis-aligned box centred at ``center`` with half sizes ``half``; ``radii[k]`` rounds the edges parallel to axis k.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    center: tuple[float, float, float]
    half: tuple[float, float, float]
    radii: tuple[float, float, float]
    color: str
    finish: Finish = PLASTIC
    tone: float = 1.0


@dataclass
class Lathe:
    """Surface of revolution about a vertical axis through ``center``.

    ``profile`` runs from the bottom of the axis outwards, up and back in: ``(radius, height, ao)`` points,
    ``ao`` darkening the segment that starts there (1 = none, < 1 for interiors).

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    center: tuple[float, float, float]
    profile: list[tuple[float, float, float]]
    color: str
    finish: Finish = PLASTIC


@dataclass
class Ellipsoid:
    """Ellipsoid with semi-axes ``radii``; ``clip_y`` keeps only the part above that world height.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    center: tuple[float, float, float]
    radii: tuple[float, float, float]
    color: str
    finish: Finish = PLASTIC
    clip_y: float | None = None
    interior: str | None = None
    flat: float = 1.0
    emissive: bool = False


@dataclass
class Sweep:
    """A strap or handle: ellipsoids of semi-axes ``radii`` swept along a dense 3D polyline ``points`` (N, 3).

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    points: np.ndarray
    radii: tuple[float, float, float]
    color: str
    finish: Finish = LEATHER
    flat: float = 1.0


@dataclass
class Loft:
    """A shoe-last-like solid along the world X axis: at each ``xs[k]`` (mm, ascending) the cross-section is
    the upper half of an ellipse centred at height ``yc`` with semi-axes ``ry[k]`` (up) and ``rz[k]``
    (sideways).

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    xs: np.ndarray
    yc: float
    ry: np.ndarray
    rz: np.ndarray
    color: str
    finish: Finish = LEATHER


@dataclass
class Decal:
    """A flat mark on the face whose outward normal is ``normal`` (a unit world axis), drawn only in the
    view looking at that face: ``shape`` is ``rect``, ``ellipse``, ``dash_h`` (stitching along the view's
    horizontal), ``dash_v`` or ``image`` (RGBA logo). ``half`` are world half sizes (0 along the normal).

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    normal: tuple[int, int, int]
    center: tuple[float, float, float]
    half: tuple[float, float, float]
    shape: str
    color: str = "#000000"
    radius: float = 0.0
    image: Image.Image | None = None
    thickness: float = 1.0
    lit: bool = True


Primitive = Box | Lathe | Ellipsoid | Sweep | Loft | Decal

_VIEW_MATRIX: dict[str, np.ndarray] = {
    # rows: camera u (right), v (up), w (towards the camera), in world coordinates
    "front": np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float64),
    "back": np.array([[-1, 0, 0], [0, 1, 0], [0, 0, -1]], dtype=np.float64),
    "side": np.array([[0, 0, -1], [0, 1, 0], [1, 0, 0]], dtype=np.float64),
    "top": np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], dtype=np.float64),
    "bottom": np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]], dtype=np.float64),
}

_KEY = np.array([-0.45, 0.62, 0.64])
_KEY = _KEY / np.linalg.norm(_KEY)
_FILL = np.array([0.7, 0.05, 0.71])
_FILL = _FILL / np.linalg.norm(_FILL)
_BOUNCE = np.array([0.0, -0.8, 0.6])
_AMBIENT, _K_KEY, _K_FILL, _K_BOUNCE = 0.34, 0.56, 0.16, 0.14
_FRONT_LIGHT = _AMBIENT + _K_KEY * _KEY[2] + _K_FILL * _FILL[2] + _K_BOUNCE * _BOUNCE[2]
_HALF = _KEY + np.array([0.0, 0.0, 1.0])
_HALF = _HALF / np.linalg.norm(_HALF)
_KEY, _FILL, _BOUNCE, _HALF = (tuple(float(c) for c in vec) for vec in (_KEY, _FILL, _BOUNCE, _HALF))
_FRONT_LIGHT = float(_FRONT_LIGHT)


@lru_cache(maxsize=1)
def _weave_tile() -> np.ndarray:
    """A 64x64 multiplicative fabric texture (mean 0, std ~1), fixed seed -> deterministic."""
    rng = np.random.default_rng(1_234_567)
    noise = rng.standard_normal((64, 64)).astype(np.float32)
    noise = (noise + np.roll(noise, 1, 0) + np.roll(noise, 1, 1)) / 3.0
    yy, xx = np.mgrid[0:64, 0:64]
    weave = (np.sin(xx * 2 * np.pi / 4) * np.sin(yy * 2 * np.pi / 4)).astype(np.float32)
    tile = 0.6 * noise + 0.8 * weave
    return (tile / tile.std()).astype(np.float32)


class _Canvas:
    """Premultiplied color, coverage, depth and light buffers of the product's region of one view
    (float32, ``h`` x ``w`` pixels)."""

    def __init__(self, h: int, w: int) -> None:
        self.h, self.w = h, w
        self.color = np.zeros((h, w, 3), np.float32)
        self.alpha = np.zeros((h, w), np.float32)
        self.depth = np.full((h, w), -1e9, np.float32)
        self.light = np.ones((h, w), np.float32)

    def blend(
        self,
        ys: slice,
        xs: slice,
        cov: np.ndarray,
        depth: np.ndarray,
        rgb: np.ndarray,
        light: np.ndarray | None,
        write_depth: bool = True,
    ) -> None:
        zbuf = self.depth[ys, xs]
        w = cov * (depth >= zbuf - 0.05)
        if w.dtype != np.float32:
            w = w.astype(np.float32)
        inv = 1.0 - w
        col = self.color[ys, xs]
        col *= inv[..., None]
        col += rgb * w[..., None]
        a = self.alpha[ys, xs]
        a *= inv
        a += w
        if light is not None:
            lt = self.light[ys, xs]
            lt *= inv
            lt += light * w
        if write_depth:
            nearer = (cov >= 0.5) & (depth > zbuf)
            zbuf[nearer] = depth[nearer]


@dataclass
class _View:
    """Projection of one view: ``matrix`` world -> camera, ``s`` pixels per mm, origin ``(ox, oy)`` in pixels."""

    name: str
    matrix: np.ndarray
    s: float
    ox: float
    oy: float
    w: int
    h: int

    def region(self, umin: float, umax: float, vmin: float, vmax: float) -> tuple[slice, slice, np.ndarray, np.ndarray] | None:
        x0 = max(int(math.floor(self.ox + umin * self.s)) - 1, 0)
        x1 = min(int(math.ceil(self.ox + umax * self.s)) + 2, self.w)
        y0 = max(int(math.floor(self.oy - vmax * self.s)) - 1, 0)
        y1 = min(int(math.ceil(self.oy - vmin * self.s)) + 2, self.h)
        if x1 <= x0 or y1 <= y0:
            return None
        u = ((np.arange(x0, x1, dtype=np.float32) + 0.5 - self.ox) / self.s)[None, :]
        v = ((self.oy - (np.arange(y0, y1, dtype=np.float32) + 0.5)) / self.s)[:, None]
        return slice(y0, y1), slice(x0, x1), u, v


def _shade(
    nu: np.ndarray, nv: np.ndarray, nw: np.ndarray, color: str, finish: Finish, ys: slice, xs: slice, tone: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Lambert key + fill light with a Blinn highlight, normalised so a face looking at the camera shows
    exactly ``color``. Returns ``(rgb (h, w, 3) in 0-1, light factor (h, w))``."""
    ndl = np.maximum(nu * _KEY[0] + nv * _KEY[1] + nw * _KEY[2], 0.0)
    ndf = np.maximum(nu * _FILL[0] + nv * _FILL[1] + nw * _FILL[2], 0.0)
    ndb = np.maximum(nv * _BOUNCE[1] + nw * _BOUNCE[2], 0.0)
    light = (_AMBIENT + _K_KEY * ndl + _K_FILL * ndf + _K_BOUNCE * ndb) / _FRONT_LIGHT * tone
    light = light.astype(np.float32)
    if finish.texture > 0:
        tile = _weave_tile()
        ny, nx = light.shape
        iy = (np.arange(ys.start, ys.start + ny) % 64)[:, None]
        ix = (np.arange(xs.start, xs.start + nx) % 64)[None, :]
        light = light * (1.0 + finish.texture * tile[iy, ix])
    base = np.array(hex_to_rgb(color), dtype=np.float32) / 255.0
    rgb = light[..., None] * base
    if finish.spec > 0:
        ndh = np.maximum(nu * _HALF[0] + nv * _HALF[1] + nw * _HALF[2], 0.0)
        flat = float(_HALF[2]) ** finish.shininess
        spec = np.maximum(ndh**finish.shininess - flat, 0.0) * finish.spec
        rgb = rgb + spec[..., None].astype(np.float32)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32), light


def _tf(m: np.ndarray, vec: tuple[float, float, float] | np.ndarray) -> tuple[float, float, float]:
    """``m @ vec`` as Python floats (keeps the float32 pixel arithmetic in float32)."""
    r = m @ np.asarray(vec, dtype=np.float64)
    return float(r[0]), float(r[1]), float(r[2])


def _normalise(nu: np.ndarray, nv: np.ndarray, nw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    norm = np.sqrt(nu * nu + nv * nv + nw * nw) + 1e-9
    return nu / norm, nv / norm, nw / norm


def _render_box(cv: _Canvas, view: _View, box: Box) -> None:
    m = view.matrix
    cu, cvv, cw = _tf(m, box.center)
    hu, hv, hw = _tf(np.abs(m), box.half)
    ru, rv, rw = _tf(np.abs(m), box.radii)
    reg = view.region(cu - hu, cu + hu, cvv - hv, cvv + hv)
    if reg is None:
        return
    ys, xs, u, v = reg
    uu = u - cu
    vv = v - cvv
    rc = min(rw, hu, hv)
    bu = max(min(rv, hu, hw), 1e-3)  # bevel at the left/right silhouette (edges parallel to v)
    bv = max(min(ru, hv, hw), 1e-3)  # bevel at the top/bottom silhouette (edges parallel to u)
    au = np.abs(uu)
    av = np.abs(vv)
    qx = au - (hu - rc)
    qy = av - (hv - rc)
    mx = np.maximum(qx, 0.0)
    my = np.maximum(qy, 0.0)
    outside = np.sqrt(mx * mx + my * my)
    sd = outside + np.minimum(np.maximum(qx, qy), 0.0) - rc
    cov = np.clip(0.5 - sd * view.s, 0.0, 1.0)
    if not cov.any():
        return
    su = np.sign(uu)
    sv = np.sign(vv)
    nu = su * np.clip(1.0 - (hu - au) / bu, 0.0, 1.0)
    nv = sv * np.clip(1.0 - (hv - av) / bv, 0.0, 1.0)
    if rc > 0:
        corner = (qx > 0) & (qy > 0)
        k = np.clip(1.0 - (-sd) / min(bu, bv), 0.0, 1.0)
        inv = 1.0 / np.maximum(outside, 1e-6)
        nu = np.where(corner, su * mx * inv * k, nu)
        nv = np.where(corner, sv * my * inv * k, nv)
    nw = np.sqrt(np.clip(1.0 - nu * nu - nv * nv, 0.0, 1.0))
    nu, nv, nw = _normalise(nu, nv, nw)
    depth = cw + hw - (1.0 - nw) * min(bu, bv)
    rgb, light = _shade(nu, nv, nw, box.color, box.finish, ys, xs, box.tone)
    cv.blend(ys, xs, cov, depth, rgb, light)


def _render_ellipsoid(cv: _Canvas, view: _View, el: Ellipsoid) -> None:
    m = view.matrix
    cu, cvv, cw = _tf(m, el.center)
    ru, rv, rw = _tf(np.abs(m), el.radii)
    flat_section = False
    if el.clip_y is not None and view.name == "bottom":
        # Looking up into a clipped ellipsoid: the cut is an ellipse of interior color.
        cy, ry = el.center[1], el.radii[1]
        f = max(1.0 - ((el.clip_y - cy) / ry) ** 2, 0.0) ** 0.5
        ru, rv = ru * f, rv * f
        flat_section = True
    reg = view.region(cu - ru, cu + ru, cvv - rv, cvv + rv)
    if reg is None:
        return
    ys, xs, u, v = reg
    uu = (u - cu) / ru
    vv = (v - cvv) / rv
    q2 = uu * uu + vv * vv
    q = np.sqrt(q2)
    cov = np.clip(0.5 - (q - 1.0) * min(ru, rv) * view.s, 0.0, 1.0)
    if el.clip_y is not None and view.name in ("front", "back", "side"):
        cov = cov * np.clip((v - el.clip_y) * view.s + 0.5, 0.0, 1.0)
    if not cov.any():
        return
    if flat_section:
        depth = np.full(cov.shape, -el.clip_y, np.float32) + 0.0 * q
        ones = np.ones_like(q)
        rgb, light = _shade(0 * q, 0 * q, ones, el.interior or mix_hex(el.color, "#000000", 0.55), FABRIC, ys, xs, 0.8)
        cv.blend(ys, xs, cov, depth, rgb, light)
        return
    inside = np.sqrt(np.clip(1.0 - q2, 0.0, 1.0))
    nu = uu / ru * el.flat
    nv = vv / rv * el.flat
    nw = inside / rw
    nu, nv, nw = _normalise(nu, nv, nw)
    depth = cw + rw * inside
    if el.emissive:
        base = np.array(hex_to_rgb(el.color), dtype=np.float32) / 255.0
        glow = (0.92 + 0.08 * nw).astype(np.float32)
        rgb = np.clip(glow[..., None] * base, 0, 1).astype(np.float32)
        cv.blend(ys, xs, cov, depth, rgb, glow)
        return
    rgb, light = _shade(nu, nv, nw, el.color, el.finish, ys, xs)
    cv.blend(ys, xs, cov, depth, rgb, light)


_SWEEP_STEP = 0.7  # splat spacing along the path, in units of the splat's own radius along the path


@lru_cache(maxsize=1024)
def _sweep_patch(
    ru: float, rv: float, rw: float, s: float, theta: float, flat: float, color: str, finish: Finish
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """One shaded stamp of a sweep whose path runs at angle ``theta`` (in screen space normalised by the
    radii): a short slab of tube cross-section, long enough to overlap the next stamp, so consecutive
    stamps join into a smooth strap without ribs or a wavy edge."""
    pu, pv = int(math.ceil(ru * s)) + 2, int(math.ceil(rv * s)) + 2
    uu = (np.arange(-pu, pu + 1, dtype=np.float32) / s / ru)[None, :]
    vv = (-np.arange(-pv, pv + 1, dtype=np.float32) / s / rv)[:, None]
    tu, tv = math.cos(theta), math.sin(theta)
    along = uu * tu + vv * tv
    eu = uu - along * tu
    ev = vv - along * tv
    across2 = eu * eu + ev * ev
    # pixels per normalised unit, across and along the path
    px_along = math.hypot(tu * ru, tv * rv) * s
    px_across = math.hypot(-tv * ru, tu * rv) * s
    half_len = _SWEEP_STEP * 0.75
    cov = np.clip(0.5 - (np.sqrt(across2) - 1.0) * px_across, 0.0, 1.0) * np.clip(
        0.5 - (np.abs(along) - half_len) * px_along, 0.0, 1.0
    )
    inside = np.sqrt(np.clip(1.0 - across2, 0.0, 1.0))
    nu, nv, nw = _normalise(eu / ru * flat, ev / rv * flat, inside / rw)
    rgb, light = _shade(nu, nv, nw, color, Finish(finish.spec, finish.shininess, 0.0), slice(0, 1), slice(0, 1))
    return cov.astype(np.float32), (rw * inside).astype(np.float32), rgb, light, pu, pv


def _render_sweep(cv: _Canvas, view: _View, sw: Sweep) -> None:
    m = view.matrix
    pts = sw.points @ m.T
    ru, rv, rw = _tf(np.abs(m), sw.radii)
    s = view.s
    nrm = np.stack([pts[:, 0] / ru, pts[:, 1] / rv], axis=1)
    d = np.diff(nrm, axis=0)
    step = np.sqrt((d * d).sum(axis=1))
    cum = np.concatenate([[0.0], np.cumsum(step)])
    keep = np.concatenate([[True], np.diff(np.floor(cum / _SWEEP_STEP)) > 0])
    keep[-1] = True
    tang = np.gradient(nrm, axis=0) if len(nrm) > 1 else np.zeros_like(nrm)
    theta = np.mod(np.arctan2(tang[:, 1], tang[:, 0]), math.pi)
    nb = 72 if sw.flat > 0.6 else 36
    buckets = np.round(theta / math.pi * nb).astype(np.int64) % nb
    sel = np.nonzero(keep)[0]
    sel = sel[np.argsort(pts[sel, 2], kind="stable")]
    for i in sel:
        b = int(buckets[i])
        cov, dz, rgb, light, pu, pv = _sweep_patch(ru, rv, rw, s, b * math.pi / nb, sw.flat, sw.color, sw.finish)
        cu, cvv, cw = pts[i]
        px = int(math.floor(view.ox + cu * s))
        py = int(math.floor(view.oy - cvv * s))
        x0, y0 = px - pu, py - pv
        x1, y1 = x0 + 2 * pu + 1, y0 + 2 * pv + 1
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, cv.w), min(y1, cv.h)
        if cx1 <= cx0 or cy1 <= cy0:
            continue
        sy = slice(cy0 - y0, cy1 - y0)
        sx = slice(cx0 - x0, cx1 - x0)
        cv.blend(slice(cy0, cy1), slice(cx0, cx1), cov[sy, sx], dz[sy, sx] + np.float32(cw), rgb[sy, sx], light[sy, sx])


def _lathe_samples(lathe: Lathe, step: float) -> tuple[np.ndarray, ...]:
    """Dense samples of a lathe profile: radius, height, normal (radial, axial), ao."""
    prof = lathe.profile
    rho, t, nr, nt, ao = [], [], [], [], []
    for (r0, t0, a0), (r1, t1, _a1) in zip(prof[:-1], prof[1:]):
        dr, dt = r1 - r0, t1 - t0
        length = math.hypot(dr, dt)
        if length <= 0:
            continue
        k = max(int(math.ceil(length / step)), 1)
        f = (np.arange(k, dtype=np.float64) + 0.5) / k
        rho.append(r0 + dr * f)
        t.append(t0 + dt * f)
        nr.append(np.full(k, dt / length))
        nt.append(np.full(k, -dr / length))
        ao.append(np.full(k, a0))
    return tuple(np.concatenate(a) for a in (rho, t, nr, nt, ao))


def _last_per_bin(bins: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each distinct ``bins`` value, the index of the sample with the largest ``key``."""
    order = np.lexsort((key, bins))
    sb = bins[order]
    last = np.r_[np.nonzero(np.diff(sb))[0], len(sb) - 1]
    return sb[last], order[last]


def _render_lathe(cv: _Canvas, view: _View, lathe: Lathe) -> None:
    m = view.matrix
    cu, cvv, cw = _tf(m, lathe.center)
    axis = m @ np.array([0.0, 1.0, 0.0])
    rho, t, nr, nt, ao = _lathe_samples(lathe, 0.35 / view.s)
    rmax = float(rho.max())
    tmin, tmax = float(t.min()), float(t.max())
    s = view.s
    if abs(axis[1]) > 0.5:  # side-on: the axis is vertical on screen
        reg = view.region(cu - rmax, cu + rmax, cvv + tmin, cvv + tmax)
        if reg is None:
            return
        ys, xs, u, v = reg
        rows = np.floor(view.oy - (cvv + t) * s).astype(np.int64) - ys.start
        ok = (rows >= 0) & (rows < ys.stop - ys.start)
        if not ok.any():
            return
        rb, idx = _last_per_bin(rows[ok], rho[ok])
        idx = np.nonzero(ok)[0][idx]
        nrows = ys.stop - ys.start
        have = np.zeros(nrows, bool)
        have[rb] = True
        row_rho = np.zeros(nrows, np.float32)
        row_nr = np.zeros(nrows, np.float32)
        row_nt = np.zeros(nrows, np.float32)
        row_ao = np.ones(nrows, np.float32)
        row_rho[rb], row_nr[rb], row_nt[rb], row_ao[rb] = rho[idx], nr[idx], nt[idx], ao[idx]
        # vertical anti-aliasing at the very top and bottom
        y_top = (view.oy - np.arange(ys.start, ys.stop) * 1.0) / s - cvv
        y_bot = y_top - 1.0 / s
        row_cov = np.clip((np.minimum(y_top, tmax) - np.maximum(y_bot, tmin)) * s, 0.0, 1.0) * have
        xr = (u - cu)
        rr = row_rho[:, None]
        cov = np.clip(0.5 - (np.abs(xr) - rr) * s, 0.0, 1.0) * row_cov[:, None].astype(np.float32)
        if not cov.any():
            return
        sin = np.clip(xr / np.maximum(rr, 1e-6), -1.0, 1.0)
        cos = np.sqrt(1.0 - sin * sin)
        nu = row_nr[:, None] * sin
        nv = np.broadcast_to(row_nt[:, None] * axis[1], cov.shape)
        nw = row_nr[:, None] * cos
        nu, nv, nw = _normalise(nu, nv, nw)
        depth = cw + rr * cos
        tone = np.broadcast_to(row_ao[:, None], cov.shape)
    else:  # end-on: looking along the axis
        sgn = 1.0 if axis[2] > 0 else -1.0
        h = t * sgn
        reg = view.region(cu - rmax, cu + rmax, cvv - rmax, cvv + rmax)
        if reg is None:
            return
        ys, xs, u, v = reg
        bins = np.floor(rho * s * 2).astype(np.int64)
        bb, idx = _last_per_bin(bins, h)
        nb = int(bins.max()) + 2
        have = np.zeros(nb, bool)
        have[bb] = True
        b_h = np.zeros(nb, np.float32)
        b_nr = np.zeros(nb, np.float32)
        b_nt = np.zeros(nb, np.float32)
        b_ao = np.ones(nb, np.float32)
        b_h[bb], b_nr[bb], b_nt[bb], b_ao[bb] = h[idx], nr[idx], nt[idx], ao[idx]
        for _ in range(3):  # close tiny gaps
            gap = ~have[1:] & have[:-1]
            gi = np.nonzero(gap)[0] + 1
            if len(gi) == 0:
                break
            b_h[gi], b_nr[gi], b_nt[gi], b_ao[gi] = b_h[gi - 1], b_nr[gi - 1], b_nt[gi - 1], b_ao[gi - 1]
            have[gi] = True
        du = u - cu
        dv = v - cvv
        rad = np.sqrt(du * du + dv * dv)
        bi = np.minimum(np.floor(rad * s * 2).astype(np.int64), nb - 1)
        cov = np.clip(0.5 - (rad - rmax) * s, 0.0, 1.0) * have[bi]
        if not cov.any():
            return
        inv = 1.0 / np.maximum(rad, 1e-6)
        pr = b_nr[bi]
        nu, nv, nw = _normalise(pr * du * inv, pr * dv * inv, b_nt[bi] * sgn)
        depth = (cw + b_h[bi]).astype(np.float32)
        tone = b_ao[bi]
    rgb, light = _shade(nu, nv, nw, lathe.color, lathe.finish, ys, xs)
    tone = tone.astype(np.float32)
    cv.blend(ys, xs, cov.astype(np.float32), depth, rgb * tone[..., None], light * tone)


def _render_loft(cv: _Canvas, view: _View, lf: Loft) -> None:
    m = view.matrix
    s = view.s
    xs, ry, rz = lf.xs, lf.ry, lf.rz
    dry = np.gradient(ry, xs)
    drz = np.gradient(rz, xs)
    x0, x1 = float(xs[0]), float(xs[-1])
    rymax, rzmax = float(ry.max()), float(rz.max())
    wdir = m[2]

    def world_normal(x: np.ndarray, yy: np.ndarray, zz: np.ndarray) -> tuple[np.ndarray, ...]:
        ryx = np.maximum(np.interp(x, xs, ry), 1e-3)
        rzx = np.maximum(np.interp(x, xs, rz), 1e-3)
        gx = -(yy * yy) * np.interp(x, xs, dry) / ryx**3 - (zz * zz) * np.interp(x, xs, drz) / rzx**3
        gy = yy / ryx**2
        gz = zz / rzx**2
        cam = [m[i, 0] * gx + m[i, 1] * gy + m[i, 2] * gz for i in range(3)]
        return _normalise(cam[0], cam[1], cam[2])

    if abs(wdir[2]) > 0.5:  # front / back: looking along Z
        sgn = wdir[2]
        reg = view.region(min(x0 * m[0, 0], x1 * m[0, 0]), max(x0 * m[0, 0], x1 * m[0, 0]), lf.yc, lf.yc + rymax)
        if reg is None:
            return
        ys, xsl, u, v = reg
        x = u * m[0, 0] + 0 * v
        yy = v - lf.yc + 0 * u
        ryx = np.interp(x, xs, ry, left=0.0, right=0.0)
        rzx = np.interp(x, xs, rz, left=0.0, right=0.0)
        slope = np.sqrt(1.0 + np.interp(x, xs, dry) ** 2)
        cov = np.clip(0.5 - (yy - ryx) / slope * s, 0.0, 1.0) * np.clip(0.5 + yy * s, 0.0, 1.0)
        cov = cov * (ryx > 0)
        t = np.clip(yy / np.maximum(ryx, 1e-3), 0.0, 1.0)
        zz = rzx * np.sqrt(1.0 - t * t) * sgn
        nu, nv, nw = world_normal(x, yy, zz)
        depth = zz * sgn
    elif abs(wdir[1]) > 0.5:  # top / bottom: looking along Y
        reg = view.region(x0, x1, -rzmax, rzmax)
        if reg is None:
            return
        ys, xsl, u, v = reg
        x = u + 0 * v
        zz = v * m[1, 2] + 0 * u
        rzx = np.interp(x, xs, rz, left=0.0, right=0.0)
        ryx = np.interp(x, xs, ry, left=0.0, right=0.0)
        slope = np.sqrt(1.0 + np.interp(x, xs, drz) ** 2)
        cov = np.clip(0.5 - (np.abs(zz) - rzx) / slope * s, 0.0, 1.0) * (rzx > 0)
        if wdir[1] > 0:
            t = np.clip(zz / np.maximum(rzx, 1e-3), -1.0, 1.0)
            yy = ryx * np.sqrt(1.0 - t * t)
            nu, nv, nw = world_normal(x, yy, zz)
            depth = lf.yc + yy
        else:
            nu, nv, nw = 0 * x, 0 * x, 1.0 + 0 * x
            depth = -lf.yc + 0 * x
    else:  # side: looking along X, the first section that covers the pixel wins
        sgn = wdir[0]
        reg = view.region(-rzmax, rzmax, lf.yc, lf.yc + rymax)
        if reg is None:
            return
        ys, xsl, u, v = reg
        zz = -u * sgn + 0 * v
        yy = v - lf.yc + 0 * u
        order = np.arange(len(xs))[:: (-1 if sgn > 0 else 1)]
        qmin = np.full(np.broadcast(zz, yy).shape, 9.0, np.float32)
        xhit = np.full(qmin.shape, np.nan, np.float32)
        for k in order:
            q = np.sqrt((yy / max(ry[k], 1e-3)) ** 2 + (zz / max(rz[k], 1e-3)) ** 2)
            newhit = np.isnan(xhit) & (q <= 1.0)
            xhit[newhit] = xs[k]
            qmin = np.minimum(qmin, q)
        cov = np.clip(0.5 - (qmin - 1.0) * min(rymax, rzmax) * 0.5 * s, 0.0, 1.0) * np.clip(0.5 + yy * s, 0.0, 1.0)
        xh = np.where(np.isnan(xhit), x1 if sgn > 0 else x0, xhit)
        nu, nv, nw = world_normal(xh, yy, zz)
        depth = xh * sgn
    if not np.any(cov):
        return
    rgb, light = _shade(nu, nv, nw, lf.color, lf.finish, ys, xsl)
    cv.blend(ys, xsl, cov.astype(np.float32), depth.astype(np.float32), rgb, light)


def _render_decal(cv: _Canvas, view: _View, dc: Decal) -> None:
    m = view.matrix
    if float(m[2] @ np.array(dc.normal, dtype=np.float64)) < 0.5:
        return
    cu, cvv, cw = _tf(m, dc.center)
    hu, hv, _ = _tf(np.abs(m), dc.half)
    reg = view.region(cu - hu, cu + hu, cvv - hv, cvv + hv)
    if reg is None:
        return
    ys, xs, u, v = reg
    uu = u - cu
    vv = v - cvv
    s = view.s
    rgb: np.ndarray
    if dc.shape == "image" and dc.image is not None:
        x0, x1 = xs.start, xs.stop
        y0, y1 = ys.start, ys.stop
        # the image box in pixels, centred, with its aspect kept
        iw, ih = dc.image.size
        box_w, box_h = 2 * hu * s, 2 * hv * s
        k = min(box_w / iw, box_h / ih)
        tw, th = max(int(round(iw * k)), 1), max(int(round(ih * k)), 1)
        px0 = int(round(view.ox + cu * s - tw / 2))
        py0 = int(round(view.oy - cvv * s - th / 2))
        img = dc.image.resize((tw, th), Image.Resampling.LANCZOS, reducing_gap=2.0)
        arr = np.asarray(img, dtype=np.float32) / 255.0
        full = np.zeros((y1 - y0, x1 - x0, 4), np.float32)
        ax0, ay0 = max(px0, x0), max(py0, y0)
        ax1, ay1 = min(px0 + tw, x1), min(py0 + th, y1)
        if ax1 <= ax0 or ay1 <= ay0:
            return
        full[ay0 - y0 : ay1 - y0, ax0 - x0 : ax1 - x0] = arr[ay0 - py0 : ay1 - py0, ax0 - px0 : ax1 - px0]
        cov = full[..., 3]
        rgb = full[..., :3]
    else:
        if dc.shape == "ellipse":
            q = np.sqrt((uu / hu) ** 2 + (vv / hv) ** 2)
            cov = np.clip(0.5 - (q - 1.0) * min(hu, hv) * s, 0.0, 1.0)
        elif dc.shape in ("dash_h", "dash_v"):
            along, across, length = (uu, vv, hu) if dc.shape == "dash_h" else (vv, uu, hv)
            half_t = max(dc.thickness / 2, 0.6 / s)
            line = np.clip(0.5 - (np.abs(across) - half_t) * s, 0.0, 1.0)
            period = max(dc.thickness * 5.0, 6.0 / s)
            phase = np.mod(along + length, period) / period
            dash = np.clip(np.minimum(phase, 0.62 - phase) * period * s + 0.5, 0.0, 1.0)
            ends = np.clip(0.5 - (np.abs(along) - length) * s, 0.0, 1.0)
            cov = line * dash * ends
        else:  # rounded rectangle
            r = min(dc.radius, hu, hv)
            qx = np.abs(uu) - (hu - r)
            qy = np.abs(vv) - (hv - r)
            sd = np.sqrt(np.maximum(qx, 0) ** 2 + np.maximum(qy, 0) ** 2) + np.minimum(np.maximum(qx, qy), 0) - r
            cov = np.clip(0.5 - sd * s, 0.0, 1.0)
        base = np.array(hex_to_rgb(dc.color), dtype=np.float32) / 255.0
        rgb = np.broadcast_to(base, cov.shape + (3,))
    # stay on the surface underneath and take its lighting
    cov = (cov * np.clip((cv.alpha[ys, xs] - 0.5) * 2.0, 0.0, 1.0)).astype(np.float32)
    if not cov.any():
        return
    if dc.lit:
        rgb = np.clip(rgb * cv.light[ys, xs][..., None], 0.0, 1.0)
    depth = np.full(cov.shape, cw + 0.3, np.float32)
    cv.blend(ys, xs, cov, depth, rgb.astype(np.float32), None)


def _bounds(p: Primitive) -> tuple[np.ndarray, np.ndarray] | None:
    if isinstance(p, Box):
        c, h = np.array(p.center), np.array(p.half)
        return c - h, c + h
    if isinstance(p, Ellipsoid):
        c, r = np.array(p.center), np.array(p.radii)
        lo, hi = c - r, c + r
        if p.clip_y is not None:
            lo[1] = max(lo[1], p.clip_y)
        return lo, hi
    if isinstance(p, Lathe):
        rmax = max(r for r, _, _ in p.profile)
        ts = [t for _, t, _ in p.profile]
        c = np.array(p.center)
        return c + np.array([-rmax, min(ts), -rmax]), c + np.array([rmax, max(ts), rmax])
    if isinstance(p, Sweep):
        r = np.array(p.radii)
        return p.points.min(axis=0) - r, p.points.max(axis=0) + r
    if isinstance(p, Loft):
        zmax = float(p.rz.max())
        return (np.array([p.xs[0], p.yc, -zmax]), np.array([p.xs[-1], p.yc + float(p.ry.max()), zmax]))
    return None


def _max_depth(p: Primitive, m: np.ndarray) -> float:
    """Front-most camera depth of a primitive (painter's order: far first)."""
    if isinstance(p, Decal):
        return float(m[2] @ np.array(p.center)) + 0.3
    b = _bounds(p)
    if b is None:
        return 0.0
    lo, hi = b
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    return float((corners @ m.T)[:, 2].max())


# --------------------------------------------------------------------------------------------------
# Category models
# --------------------------------------------------------------------------------------------------


@dataclass
class Scene:
    """A category model: primitives plus where the logo goes.

    ``logo_front`` / ``logo_back``: ``(center, half sizes, normal)`` of the logo boxes in world mm, or None.
    ``back_label``: a small label drawn on the back when there is no logo (keeps front and back distinct).

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    prims: list[Primitive]
    logo_front: tuple[tuple[float, float, float], tuple[float, float, float], tuple[int, int, int]] | None
    logo_back: tuple[tuple[float, float, float], tuple[float, float, float], tuple[int, int, int]] | None
    back_label: Decal | None = None


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 12) -> list[tuple[float, float]]:
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in np.linspace(a0, a1, n)]


def _profile(points: list[tuple[float, float]], ao: float = 1.0) -> list[tuple[float, float, float]]:
    return [(max(r, 0.0), t, ao) for r, t in points]


def _dense_path(points: list[tuple[float, float, float]], step: float = 1.0) -> np.ndarray:
    pts = np.array(points, dtype=np.float64)
    out = [pts[:1]]
    for a, b in zip(pts[:-1], pts[1:]):
        k = max(int(math.ceil(np.linalg.norm(b - a) / step)), 1)
        f = (np.arange(1, k + 1) / k)[:, None]
        out.append(a + (b - a) * f)
    return np.concatenate(out)


def _tone(color: str, amount: float) -> str:
    """Darken (amount < 1) or lighten (amount > 1) a color for seams and interiors."""
    if amount < 1:
        return mix_hex(color, "#000000", 1 - amount)
    return mix_hex(color, "#FFFFFF", amount - 1)


def _finish(state: ProductState, default: Finish) -> Finish:
    if state.finish == "matte":
        return Finish(0.0, default.shininess, default.texture)
    if state.finish == "glossy":
        return Finish(max(default.spec, 0.4), max(default.shininess, 50.0), 0.0)
    return default


def _build_tote(st: ProductState) -> Scene:
    w, h, d = st.dims
    r = st.roundness
    p, s2, ac = st.colors["primary"][1], st.colors["secondary"][1], st.colors["accent"][1]
    body_finish = _finish(st, FABRIC)
    prims: list[Primitive] = [
        Box((0, h / 2, 0), (w / 2, h / 2, d / 2), (min(9 * r, d / 2), min(12 * r, d / 2), min(16 * r, w / 4)), p, body_finish)
    ]
    drop = 0.55 * h * st.strap_scale
    x0 = 0.25 * w
    y_att = h - 0.17 * h
    a, b = 15.0, 2.5
    for zsign in (1, -1):
        z = zsign * (d / 2 + b)
        pts = [(-x0, y_att, z), (-x0, h, z)]
        pts += [(x, y, z) for x, y in _arc(0, h, x0, drop, math.pi, 0, 48)[1:]]
        pts += [(x0, y_att, z)]
        prims.append(Sweep(_dense_path(pts), (a, a, b), s2, _finish(st, LEATHER), flat=0.35))
        zf = zsign * (d / 2 + 2 * b + 0.2)
        n = (0, 0, zsign)
        for sx in (-1, 1):
            for yy in (y_att + 14, h - 16):
                prims.append(Decal(n, (sx * x0, yy, zf), (5.0, 5.0, 0), "ellipse", _tone(ac, 0.62)))
                prims.append(Decal(n, (sx * x0 - 0.6, yy + 0.6, zf + 0.1), (3.4, 3.4, 0), "ellipse", _tone(ac, 1.18)))
        prims.append(Decal(n, (0, h - 26, zsign * (d / 2)), (w / 2 - 8, 1.2, 0), "dash_h", _tone(p, 0.72), thickness=1.4))
    # the opening seen from the top, and the base seen from below
    prims.append(Decal((0, 1, 0), (0, h, 0), (w / 2 - 14 * r - 8, 0, max(d / 2 - 34, 5)), "rect", _tone(p, 0.7), radius=10))
    prims.append(Decal((0, -1, 0), (0, 0, 0), (w / 2 - 16, 0, d / 2 - 14), "rect", _tone(p, 0.93), radius=6))
    for zsign in (1, -1):
        prims.append(Decal((0, -1, 0), (0, 0, zsign * (d / 2 - 14)), (w / 2 - 16, 0, 1.2), "dash_h", _tone(p, 0.72), thickness=1.4))
    label = Decal((0, 0, -1), (0, h - 62, -d / 2), (18, 9, 0), "rect", s2, radius=1.5)
    return Scene(prims, ((0, h * 0.42, d / 2), (min(x0 - a - 10, w * 0.2), h * 0.2, 0), (0, 0, 1)),
                 ((0, h * 0.5, -d / 2), (w * 0.09, h * 0.09, 0), (0, 0, -1)), label)


def _build_backpack(st: ProductState) -> Scene:
    w, h, d = st.dims
    r = st.roundness
    p, s2, ac = st.colors["primary"][1], st.colors["secondary"][1], st.colors["accent"][1]
    fab = _finish(st, Finish(0.06, 14.0, 0.02))
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
    prims.append(Decal((0, 0, 1), (0, h * 0.3 - ph + 10, front), (pw - 14, 1, 0), "dash_h", _tone(p, 0.7), thickness=1.2))
    # top handle
    pts = [(x, y, -d * 0.1) for x, y in _arc(0, h - 6, 38, 48 * st.strap_scale, math.pi, 0, 40)]
    prims.append(Sweep(_dense_path(pts), (9, 9, 4), s2, _finish(st, LEATHER), flat=0.4))
    # shoulder straps on the back
    for sx in (-1, 1):
        pts = []
        for k in range(41):
            f = k / 40
            x = sx * (w * 0.24 + w * 0.06 * f)
            y = h * 0.9 - f * h * 0.8
            z = -(d / 2 + 8 + 28 * math.sin(math.pi * f) * st.strap_scale)
            pts.append((x, y, z))
        prims.append(Sweep(_dense_path(pts), (27, 27, 8), s2, _finish(st, LEATHER), flat=0.45))
    label = Decal((0, 0, -1), (0, h * 0.72, -d / 2), (20, 8, 0), "rect", ac, radius=2)
    return Scene(prims, ((0, h * 0.3, front), (pw * 0.62, ph * 0.62, 0), (0, 0, 1)),
                 ((0, h * 0.74, -d / 2), (w * 0.08, h * 0.05, 0), (0, 0, -1)), label)


def _build_bottle(st: ProductState) -> Scene:
    w, h, d = st.dims
    rr = w / 2
    p, s2, ac = st.colors["primary"][1], st.colors["secondary"][1], st.colors["accent"][1]
    hb, hs, hn = h * 0.72, h * 0.84, h * 0.87
    rn, rc = rr * 0.45, rr * 0.53
    bev = min(5.0 * st.roundness, rr * 0.5)
    body = [(0, 0)] + _arc(rr - bev, bev, bev, bev, -math.pi / 2, 0, 8) + [(rr, hb)]
    body += _arc(rn, hb, rr - rn, hs - hb, 0, math.pi / 2, 18)[1:] + [(rn, hn), (0, hn)]
    prims: list[Primitive] = [Lathe((0, 0, 0), _profile(body), p, _finish(st, Finish(0.22, 28.0, 0.0)))]
    cb = min(4.0 * st.roundness, rc * 0.5)
    cap = [(0, hn - 2), (rc, hn - 2), (rc, h - cb)] + _arc(rc - cb, h - cb, cb, cb, 0, math.pi / 2, 8)[1:] + [(0, h)]
    prims.append(Lathe((0, 0, 0), _profile(cap), s2, _finish(st, Finish(0.12, 20.0, 0.0))))
    prims.append(Lathe((0, 0, 0), _profile([(0, hn - 6), (rc + 0.6, hn - 6), (rc + 0.6, hn - 1), (0, hn - 1)]), ac, METAL))
    label = Decal((0, 0, -1), (0, hb * 0.35, -rr), (rr * 0.45, hb * 0.1, 0), "rect", _tone(p, 0.85), radius=2)
    return Scene(prims, ((0, hb * 0.5, rr), (rr * 0.6, hb * 0.3, 0), (0, 0, 1)),
                 ((0, hb * 0.55, -rr), (rr * 0.3, hb * 0.12, 0), (0, 0, -1)), label)


def _build_mug(st: ProductState) -> Scene:
    w, h, d = st.dims
    rr = w / 2
    p, s2, ac = st.colors["primary"][1], st.colors["secondary"][1], st.colors["accent"][1]
    wall = 5.0
    bev = min(6.0 * st.roundness, rr * 0.4)
    fin = _finish(st, CERAMIC)
    outer = [(0, 0)] + _arc(rr - bev, bev, bev, bev, -math.pi / 2, 0, 8) + [(rr, h - wall / 2)]
    outer += _arc(rr - wall / 2, h - wall / 2, wall / 2, wall / 2, 0, math.pi, 10)[1:]
    prof = _profile(outer) + _profile([(rr - wall, 9), (0, 9)], ao=0.84)
    prof[-3] = (prof[-3][0], prof[-3][1], 0.78)
    prims: list[Primitive] = [Lathe((0, 0, 0), prof, p, fin)]
    yc = h * 0.52
    pts = [(rr - 2.5 + 30 * math.cos(a), yc + h * 0.3 * math.sin(a), 0.0) for a in np.linspace(math.pi / 2, -math.pi / 2, 80)]
    prims.append(Sweep(_dense_path(pts), (6.5, 6.5, 5.5), s2, fin, flat=0.9))
    label = None
    return Scene(prims, ((0, h * 0.5, rr), (rr * 0.55, h * 0.28, 0), (0, 0, 1)),
                 ((0, h * 0.5, -rr), (rr * 0.25, h * 0.14, 0), (0, 0, -1)), label)


def _build_box(st: ProductState) -> Scene:
    w, h, d = st.dims
    r = st.roundness
    p, s2, ac = st.colors["primary"][1], st.colors["secondary"][1], st.colors["accent"][1]
    fin = _finish(st, PAPER)
    rad = (min(2.5 * r, d / 4), min(2.5 * r, d / 4), min(2.5 * r, w / 4))
    lid_h = h * 0.16
    prims: list[Primitive] = [
        Box((0, (h - 6) / 2, 0), (w / 2 - 3, (h - 6) / 2, d / 2 - 3), rad, p, fin),
        Box((0, h - lid_h, 0), (w / 2, lid_h, d / 2), rad, s2, fin),
        Box((0, h * 0.42, 0), (w / 2 - 2, h * 0.11, d / 2 - 1.5), rad, ac, fin),
    ]
    label = Decal((0, 0, -1), (0, h * 0.2, -(d / 2 - 3)), (w * 0.18, h * 0.035, 0), "rect", _tone(p, 0.8), radius=1)
    return Scene(prims, ((0, h * 0.42, d / 2 - 1.5), (w * 0.3, h * 0.075, 0), (0, 0, 1)),
                 ((0, h * 0.42, -(d / 2 - 1.5)), (w * 0.15, h * 0.05, 0), (0, 0, -1)), label)


def _build_shoe(st: ProductState) -> Scene:
    w, h, d = st.dims
    r = st.roundness
    p, s2, ac = st.colors["primary"][1], st.colors["secondary"][1], st.colors["accent"][1]
    sx, sy, sz = w / 280, h / 110, d / 100
    up = _finish(st, LEATHER)
    sole_h = 15 * sy
    prims: list[Primitive] = [
        Box((0, sole_h, 0), (140 * sx, sole_h, 50 * sz), (min(8 * r, 14), min(42 * r, 50 * sz), 12), s2, _finish(st, RUBBER)),
        Box((-137 * sx, 62 * sy, 0), (5 * sx, 22 * sy, 14 * sz), (4, 5, 4), ac, LEATHER),
    ]
    # The upper: a loft along the length (a shoe last), highest at the collar, rounded at toe and heel.
    xs = np.linspace(-139.0, 139.0, 140)
    ends = np.sqrt(np.clip(1.0 - (np.abs(xs) / 139.0) ** 6, 0.0, 1.0))
    tops = np.interp(xs, [-140, -115, -70, -20, 30, 80, 115, 140], [84, 92, 97, 90, 77, 63, 52, 44])
    halfw = np.interp(xs, [-140, -110, -40, 40, 100, 140], [34, 42, 45, 46, 42, 30])
    prims.append(Loft(xs * sx, 26 * sy, (tops - 26) * sy * np.maximum(ends, 0.35), halfw * sz * ends, p, up))
    top = 97 * sy
    prims.append(Decal((0, 1, 0), (-78 * sx, top, 0), (40 * sx, 0, 27 * sz), "ellipse", _tone(p, 0.45)))
    lace = ac if color_distance(ac, p) > 25 else ("#F2F0EB" if sum(hex_to_rgb(p)) < 420 else "#2B2B2B")
    for k in range(5):
        xx = (-8 + k * 15) * sx
        prims.append(Decal((0, 1, 0), (xx, top, 0), (3.2, 0, 22 * sz), "rect", lace, radius=1.5))
    for zsign in (1, -1):
        prims.append(Decal((0, 0, zsign), (-2 * sx, 30 * sy, zsign * 50 * sz), (128 * sx, 1, 0), "dash_h", _tone(s2, 0.7), thickness=1.2))
    for k in range(9):
        prims.append(Decal((0, -1, 0), ((-112 + k * 28) * sx, 0, 0), (4, 0, 38 * sz), "rect", _tone(s2, 0.82), radius=2))
    return Scene(prims, ((-62 * sx, 54 * sy, 46.5 * sz), (30 * sx, 17 * sy, 0), (0, 0, 1)),
                 ((-62 * sx, 54 * sy, -46.5 * sz), (20 * sx, 11 * sy, 0), (0, 0, -1)), None)


def _build_hat(st: ProductState) -> Scene:
    w, h, d = st.dims
    p, s2, ac = st.colors["primary"][1], st.colors["secondary"][1], st.colors["accent"][1]
    kx, ky, kz = w / 190, h / 120, d / 210
    fab = _finish(st, FABRIC)
    prims: list[Primitive] = [
        Ellipsoid((0, 0, -12 * kz), (95 * kx, 118 * ky, 100 * kz), p, fab, clip_y=0.0, interior=_tone(p, 0.6)),
        Ellipsoid((0, 9 * ky, 70 * kz), (90 * kx, 9 * ky, 86 * kz), s2, fab, clip_y=None, flat=0.55),
        Ellipsoid((0, 117 * ky, -12 * kz), (9 * kx, 6 * ky, 9 * kz), ac, fab),
    ]
    zf = -12 * kz + 100 * kz * math.sqrt(1 - (55 / 118) ** 2) + 1
    prims.append(Decal((0, 0, -1), (0, 22 * ky, -112 * kz), (34 * kx, 20 * ky, 0), "ellipse", _tone(p, 0.3)))
    prims.append(Decal((0, 0, -1), (0, 8 * ky, -112.5 * kz), (34 * kx, 5 * ky, 0), "rect", s2, radius=2))
    for k in range(3):
        ang = math.pi / 6 + k * math.pi / 3
        prims.append(Decal((0, 1, 0), (50 * kx * math.cos(ang), 118 * ky, -12 * kz - 40 * kz * math.sin(ang)),
                           (2.5, 0, 2.5), "ellipse", _tone(p, 0.55)))
    return Scene(prims, ((0, 55 * ky, zf), (44 * kx, 26 * ky, 0), (0, 0, 1)),
                 ((0, 62 * ky, -104 * kz), (20 * kx, 12 * ky, 0), (0, 0, -1)), None)


def _build_lamp(st: ProductState) -> Scene:
    w, h, d = st.dims
    p, s2 = st.colors["primary"][1], st.colors["secondary"][1]
    k = w / 260
    ky = h / 420
    base = [(0, 0), (68 * k, 0)] + _arc(68 * k, 6, 6, 6, -math.pi / 2, 0, 6)[1:] + [(74 * k, 14 * ky)]
    base += _arc(60 * k, 14 * ky, 14 * k, 8, 0, math.pi / 2, 8)[1:] + [(12 * k, 30 * ky), (9 * k, 36 * ky), (9 * k, 250 * ky), (0, 250 * ky)]
    shade_lo, shade_hi = 200 * ky, h
    rb, rt = 130 * k, 96 * k
    shade = [(rb - 3, shade_lo), (rb, shade_lo), (rt, shade_hi), (rt - 3, shade_hi), (rb - 3, shade_lo)]
    prims: list[Primitive] = [
        Lathe((0, 0, 0), _profile(base), s2, _finish(st, METAL)),
        Lathe((0, 0, 0), [(r, t, 1.0 if i < 2 else 0.8) for i, (r, t) in enumerate(shade)], p, _finish(st, FABRIC)),
        Ellipsoid((0, 290 * ky, 0), (26 * k, 36 * ky, 26 * k), "#FFF3D6", emissive=True),
    ]
    return Scene(prims, ((0, (shade_lo + shade_hi) / 2, (rb + rt) / 2 + 1), (rt * 0.42, (shade_hi - shade_lo) * 0.22, 0), (0, 0, 1)),
                 None, None)


def _build_chair(st: ProductState) -> Scene:
    w, h, d = st.dims
    r = st.roundness
    p, s2 = st.colors["primary"][1], st.colors["secondary"][1]
    ky = h / 800
    up = _finish(st, FABRIC)
    wood = _finish(st, WOOD)
    seat_y = 440 * ky
    prims: list[Primitive] = [
        Box((0, seat_y, 12), (w / 2, 34 * ky, d / 2 - 12), (min(22 * r, 34 * ky), min(30 * r, d / 4), min(24 * r, 34 * ky)), p, up),
        Box((0, 640 * ky, -d / 2 + 30), (w / 2 - 12, 150 * ky, 26), (min(26 * r, 26), min(40 * r, 26), min(40 * r, 140 * ky)), p, up),
    ]
    for xs in (-1, 1):
        for zs in (-1, 1):
            x, z = xs * (w / 2 - 42), zs * (d / 2 - 52)
            top = seat_y - 20 * ky if zs > 0 else 560 * ky
            prof = _profile([(0, 0), (11, 0), (17, top), (0, top)])
            prims.append(Lathe((x, 0, z), prof, s2, wood))
    return Scene(prims, ((0, 660 * ky, -d / 2 + 56.5), (w * 0.16, 50 * ky, 0), (0, 0, 1)),
                 ((0, 660 * ky, -d / 2 + 3.5), (w * 0.08, 28 * ky, 0), (0, 0, -1)), None)


def _build_phone_case(st: ProductState) -> Scene:
    w, h, d = st.dims
    r = st.roundness
    p, s2, ac = st.colors["primary"][1], st.colors["secondary"][1], st.colors["accent"][1]
    fin = _finish(st, Finish(0.12, 22.0, 0.0))
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


def _build_generic(st: ProductState) -> Scene:
    w, h, d = st.dims
    r = st.roundness
    p, s2 = st.colors["primary"][1], st.colors["secondary"][1]
    fin = _finish(st, PLASTIC)
    rad = min(28 * r, w / 2, h / 2, d / 2)
    base_h = 11.0
    prims: list[Primitive] = [
        Box((0, base_h + (h - base_h) / 2, 0), (w / 2, (h - base_h) / 2, d / 2), (rad, rad, rad), p, fin),
        Box((0, base_h / 2 + 1, 0), (w / 2 - 8, base_h / 2 + 1, d / 2 - 8), (4, min(rad, w / 4), 4), s2, fin),
    ]
    label = Decal((0, 0, -1), (0, h * 0.3, -d / 2), (w * 0.12, h * 0.05, 0), "rect", _tone(p, 0.82), radius=3)
    return Scene(prims, ((0, base_h + (h - base_h) * 0.52, d / 2), (w * 0.3, h * 0.25, 0), (0, 0, 1)),
                 ((0, base_h + (h - base_h) * 0.55, -d / 2), (w * 0.13, h * 0.11, 0), (0, 0, -1)), label)


_BUILDERS = {
    "tote": _build_tote,
    "backpack": _build_backpack,
    "bottle": _build_bottle,
    "mug": _build_mug,
    "box": _build_box,
    "shoe": _build_shoe,
    "hat": _build_hat,
    "lamp": _build_lamp,
    "chair": _build_chair,
    "phone_case": _build_phone_case,
    "generic": _build_generic,
}


def build_scene(state: ProductState) -> Scene:
    """The proxy model of ``state`` in world millimetres (floor at y = 0). Source: DESIGN.md §6."""
    return _BUILDERS[state.category](state)


def _scene_bounds(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    los, his = [], []
    for p in scene.prims:
        b = _bounds(p)
        if b is not None:
            los.append(b[0])
            his.append(b[1])
    return np.min(los, axis=0), np.max(his, axis=0)


@lru_cache(maxsize=32)
def default_front_aspect(category: str) -> float:
    """Height / width of the default model's front-view silhouette (used by the offline vision provider
    to turn silhouette proportions into millimetres).

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """
    spec = CATEGORIES[category]
    state = ProductState(category=category, colors=dict(zip(ROLES, spec.colors)))
    lo, hi = _scene_bounds(build_scene(state))
    return float((hi[1] - lo[1]) / max(hi[0] - lo[0], 1e-6))


# --------------------------------------------------------------------------------------------------
# Logos and uploaded designs
# --------------------------------------------------------------------------------------------------


def _decode(image: ImageInput, what: str) -> Image.Image:
    """Decode ``image`` (bytes) into a Pillow image, with the decompression-bomb guard.

    Raises:
        ProviderError: when the bytes are not a readable image or exceed the pixel limit.
    """
    limit = get_settings().max_image_pixels
    try:
        img = Image.open(io.BytesIO(image.data))
        if img.width * img.height > limit:
            raise ProviderError(f"The {what} is too large to process.", provider="offline", detail=f"{img.size}")
        img.load()
    except ProviderError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoding failure is the same user-facing error
        raise ProviderError(f"The {what} could not be read as an image.", provider="offline", detail=repr(exc)) from exc
    return img


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

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
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


def _small(img: Image.Image, max_side: int) -> Image.Image:
    k = max(img.width, img.height) / max_side
    if k <= 1:
        return img
    return img.resize((max(int(round(img.width / k)), 1), max(int(round(img.height / k)), 1)), Image.Resampling.BOX)


def prepare_logo(img: Image.Image) -> Image.Image:
    """RGBA logo with its background made transparent and cropped to its content.

    When the logo has no real transparency (every pixel opaque), the near-white background connected to
    its border is removed. Returns an RGBA image (at most 600 px per side).

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """
    rgba = _small(img.convert("RGBA"), 600)
    arr = np.asarray(rgba, dtype=np.float32)
    if arr[..., 3].min() >= 250:
        small = np.asarray(_small(rgba, 200), dtype=np.float32)[..., :3]
        cand = (small.min(axis=2) >= 225) & ((small.max(axis=2) - small.min(axis=2)) <= 20)
        bg = border_flood(small, cand, 40.0)
        if 0.02 < bg.mean() < 0.95:
            mask = Image.fromarray(((~bg) * 255).astype(np.uint8)).resize(rgba.size, Image.Resampling.BILINEAR)
            mask = mask.filter(ImageFilter.GaussianBlur(0.8))
            marr = np.clip((np.asarray(mask, dtype=np.float32) - 64.0) * 2.0, 0, 255)
            arr = arr.copy()
            arr[..., 3] = np.minimum(arr[..., 3], marr)
            rgba = Image.fromarray(arr.astype(np.uint8), "RGBA")
    bbox = rgba.getchannel("A").point(lambda a: 255 if a > 8 else 0).getbbox()
    if bbox:
        rgba = rgba.crop(bbox)
    return rgba


@lru_cache(maxsize=8)
def _prepared_logo(data: bytes) -> Image.Image:
    return prepare_logo(_decode(ImageInput(data), "logo"))


@lru_cache(maxsize=4)
def _cutout_cached(data: bytes) -> "Cutout":
    return cut_out_design(_decode(ImageInput(data), "design"))


@dataclass
class Cutout:
    """An uploaded design separated from its background.

    Attributes:
        image: RGBA image cropped to the foreground (or the whole picture when ``as_card``).
        fraction: foreground share of the picture (0-1).
        as_card: True when the background could not be separated and the picture is shown as a card.
        colors: dominant foreground colors, ``#RRGGBB``, most common first.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """

    image: Image.Image
    fraction: float
    as_card: bool
    colors: list[str]


def _kmeans(points: np.ndarray, k: int, iters: int = 8) -> np.ndarray:
    """Deterministic k-means: centres start at luminance quantiles. ``points`` ``(N, 3)`` -> ``(k, 3)``."""
    points = np.asarray(points, dtype=np.float64)
    if len(points) > 4000:
        points = points[np.linspace(0, len(points) - 1, 4000).astype(np.int64)]
    lum = points.mean(axis=1)
    order = np.argsort(lum, kind="stable")
    centers = np.array([points[order[int(q * (len(order) - 1))]] for q in np.linspace(0.1, 0.9, k)], dtype=np.float64)
    sq = (points * points).sum(axis=1)[:, None]
    for _ in range(iters):
        dist = sq - 2.0 * points @ centers.T + (centers * centers).sum(axis=1)[None, :]
        lab = np.argmin(dist, axis=1)
        counts = np.bincount(lab, minlength=k).astype(np.float64)
        sums = np.stack([np.bincount(lab, weights=points[:, c], minlength=k) for c in range(3)], axis=1)
        filled = counts > 0
        centers[filled] = sums[filled] / counts[filled, None]
    return centers


def _nearest_dist(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    return np.sqrt(((points[..., None, :] - centers) ** 2).sum(axis=-1).min(axis=-1))


def _grow(seed: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Pixels of ``allowed`` 4-connected to ``seed`` (both ``(h, w)`` bool)."""
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


def _segment_photo(rgb: np.ndarray) -> np.ndarray:
    """Foreground mask of a product photo (``(h, w, 3)`` float 0-255, small): a colour model of the border
    (background) against one of the centre (product), refined twice, then the component holding the
    centre with its holes filled."""
    h, w = rgb.shape[:2]
    feats = rgb_to_lab(rgb) * np.array([0.6, 1.0, 1.0])
    border = np.concatenate([feats[0], feats[-1], feats[:, 0], feats[:, -1]])
    cy0, cy1, cx0, cx1 = int(h * 0.3), int(h * 0.7) + 1, int(w * 0.3), int(w * 0.7) + 1
    centre = feats[cy0:cy1, cx0:cx1].reshape(-1, 3)
    bg_c = _kmeans(border, 5)
    fg_c = _kmeans(centre, 5)
    flat = feats.reshape(-1, 3)
    fg = np.zeros(h * w, bool)
    for _ in range(3):
        fg = _nearest_dist(flat, fg_c) < _nearest_dist(flat, bg_c)
        if fg.all() or not fg.any():
            break
        fg_c = _kmeans(flat[fg][:: max(int(fg.sum()) // 6000, 1)], 5)
        bg_c = _kmeans(flat[~fg][:: max(int((~fg).sum()) // 6000, 1)], 5)
    mask = fg.reshape(h, w)
    img = Image.fromarray((mask * 255).astype(np.uint8)).filter(ImageFilter.MedianFilter(5))
    mask = np.asarray(img) > 127
    seed = np.zeros_like(mask)
    seed[cy0:cy1, cx0:cx1] = mask[cy0:cy1, cx0:cx1]
    mask = _grow(seed, mask)
    outside = np.zeros_like(mask)
    outside[0, :] = outside[-1, :] = True
    outside[:, 0] = outside[:, -1] = True
    outside = _grow(outside & ~mask, ~mask)
    filled = ~outside
    # drop thin slivers of background stuck to the outline (opening), keep the body's own edge
    img = Image.fromarray((filled * 255).astype(np.uint8))
    opened = img.filter(ImageFilter.MinFilter(9)).filter(ImageFilter.MaxFilter(9))
    opened = np.asarray(opened.filter(ImageFilter.MaxFilter(3))) > 127
    result = filled & opened
    seed = np.zeros_like(result)
    seed[cy0:cy1, cx0:cx1] = result[cy0:cy1, cx0:cx1]
    return _grow(seed, result)


def cut_out_design(img: Image.Image) -> Cutout:
    """Separate a product photo from its background. Plain backgrounds: estimate the border colors and
    flood-fill similar pixels connected to the border (with tolerance). Busy backgrounds: classify pixels
    by a border colour model against a centre colour model and keep the central component. When the
    foreground covers less than 5% or more than 97% of the picture, or the result is ragged, the whole
    picture is kept (``as_card``). Transparent PNGs use their alpha.

    Source: DESIGN.md §6 ("the front view is the design itself cut out onto the studio background").
    """
    rgba = img.convert("RGBA")
    full = np.asarray(rgba, dtype=np.float32)
    small = _small(rgba, 200)
    arr = np.asarray(small, dtype=np.float32)
    rgb = arr[..., :3]
    h, w = rgb.shape[:2]
    if (arr[..., 3] < 128).mean() > 0.03:
        fg_small = arr[..., 3] >= 128
    else:
        border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
        spread = float(np.median(np.abs(border - np.median(border, axis=0)).max(axis=1)))
        if spread <= 12:  # plain studio-like background: flood from the border
            centers = _kmeans(border.astype(np.float64), 3)
            dist = _nearest_dist(rgb, centers)
            bg = border_flood(rgb, dist <= 40.0, 18.0)
            fg_img = Image.fromarray((~bg * 255).astype(np.uint8)).filter(ImageFilter.MedianFilter(3))
            fg_small = np.asarray(fg_img) > 127
        else:
            fg_small = _segment_photo(rgb)
    fraction = float(fg_small.mean())
    # ragged: a long outline for the area (specks, torn edges)
    edges = (fg_small[1:] != fg_small[:-1]).sum() + (fg_small[:, 1:] != fg_small[:, :-1]).sum()
    compact = float(edges) / max(math.sqrt(float(fg_small.sum())), 1.0)
    if fraction < 0.05 or fraction > 0.97 or compact > 14.0:
        px = np.asarray(small.convert("RGB")).reshape(-1, 3)
        colors = [c.hex for c in dominant_colors(px, k=4)]
        return Cutout(rgba.convert("RGB").convert("RGBA"), fraction, True, colors)
    mask = Image.fromarray((fg_small * 255).astype(np.uint8)).resize(rgba.size, Image.Resampling.BILINEAR)
    mask = mask.filter(ImageFilter.GaussianBlur(max(rgba.width / w * 0.5, 0.8)))
    marr = np.clip((np.asarray(mask, dtype=np.float32) - 64.0) * (255.0 / 128.0), 0, 255)
    out = full.copy()
    out[..., 3] = np.minimum(out[..., 3], marr)
    res = Image.fromarray(out.astype(np.uint8), "RGBA")
    bbox = Image.fromarray((marr > 20).astype(np.uint8) * 255).getbbox()
    if bbox:
        res = res.crop(bbox)
    colors = [c.hex for c in dominant_colors(rgb[fg_small].astype(np.uint8), k=4)]
    return Cutout(res, fraction, False, colors)


def _recolor(arr: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Give the pixels of hue ``src`` the hue of ``dst``, keeping their shading: saturation and value
    scale by the ``dst``/``src`` ratio; neutral pixels (highlights, whites, metal) stay. RGBA float 0-255."""
    rgb8 = np.clip(arr[..., :3], 0, 255).astype(np.uint8)
    hsv = np.asarray(Image.fromarray(rgb8, "RGB").convert("HSV"), dtype=np.float32)
    s_hsv = np.asarray(Image.new("RGB", (1, 1), hex_to_rgb(src)).convert("HSV"), dtype=np.float32)[0, 0]
    d_hsv = np.asarray(Image.new("RGB", (1, 1), hex_to_rgb(dst)).convert("HSV"), dtype=np.float32)[0, 0]
    dh = np.abs(hsv[..., 0] - s_hsv[0])
    dh = np.minimum(dh, 256.0 - dh) * (360.0 / 256.0)
    w = np.clip(1.0 - (dh - 25.0) / 30.0, 0.0, 1.0) * np.clip((hsv[..., 1] - 30.0) / 40.0, 0.0, 1.0)
    radius = max(min(w.shape) / 300.0, 1.0)
    w_img = Image.fromarray(np.clip(w * 255.0 + 0.5, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(radius))
    w = np.asarray(w_img, dtype=np.float32) / 255.0
    new = np.empty_like(hsv)
    new[..., 0] = d_hsv[0]
    new[..., 1] = np.clip(hsv[..., 1] * (d_hsv[1] / max(s_hsv[1], 1.0)), 0, 255)
    new[..., 2] = np.clip(hsv[..., 2] * (d_hsv[2] / max(s_hsv[2], 1.0)), 0, 255)
    new_rgb = np.asarray(Image.fromarray(new.astype(np.uint8), "HSV").convert("RGB"), dtype=np.float32)
    out = arr.copy()
    out[..., :3] = arr[..., :3] * (1.0 - w[..., None]) + new_rgb * w[..., None]
    return out


# --------------------------------------------------------------------------------------------------
# Rendering a view
# --------------------------------------------------------------------------------------------------

_FILL_FRACTION = 0.70


_Q = 4  # shadows are computed at a quarter of the resolution


def _ground_shadow(n: int, cx: float, y: float, width: float) -> np.ndarray:
    """Soft contact shadow under a product standing on the floor, at quarter resolution: float32
    ``(n // 4, n // 4)`` darkness 0-1. ``cx``, ``y``, ``width`` in full-resolution pixels."""
    cx, y, width = float(cx) / _Q, float(y) / _Q, float(width) / _Q
    small = Image.new("L", (n // _Q, n // _Q), 0)
    dr = ImageDraw.Draw(small)
    rx, ry = width * 0.52, max(width * 0.05, 2.0)
    dr.ellipse([cx - rx, y - ry, cx + rx, y + ry], fill=120)
    rx2, ry2 = width * 0.44, max(width * 0.018, 1.0)
    dr.ellipse([cx - rx2, y - ry2, cx + rx2, y + ry2], fill=200)
    small = small.filter(ImageFilter.GaussianBlur(max(width * 0.04, 1.5)))
    return np.asarray(small, dtype=np.float32) / 255.0 * 0.34


def _quarter_alpha(n: int, alpha: np.ndarray, x0: int, y0: int) -> Image.Image:
    """The product coverage (region ``alpha`` at ``(x0, y0)``) as a quarter-resolution L image."""
    q = Image.new("L", (n // _Q, n // _Q), 0)
    h, w = alpha.shape
    a = Image.fromarray(np.clip(alpha * 255.0 + 0.5, 0, 255).astype(np.uint8))
    a = a.resize((max((w + _Q - 1) // _Q, 1), max((h + _Q - 1) // _Q, 1)), Image.Resampling.BOX)
    q.paste(a, (x0 // _Q, y0 // _Q))
    return q


def _drop_shadow(qalpha: Image.Image, dx: float, dy: float, blur: float, strength: float) -> np.ndarray:
    """Blurred, offset product silhouette at quarter resolution (float32 darkness 0-1); offsets and blur in
    full-resolution pixels."""
    dx, dy, blur = float(dx) / _Q, float(dy) / _Q, float(blur) / _Q
    a = qalpha.transform(qalpha.size, Image.Transform.AFFINE, (1, 0, -dx, 0, 1, -dy), resample=Image.Resampling.BILINEAR)
    a = a.filter(ImageFilter.GaussianBlur(max(blur, 1.0)))
    return np.asarray(a, dtype=np.float32) / 255.0 * strength


def _background(n: int, darkness_q: np.ndarray) -> np.ndarray:
    """White studio background with the quarter-resolution shadow: uint8 ``(n, n)`` gray levels."""
    d = Image.fromarray(np.clip(darkness_q * 255.0 + 0.5, 0, 255).astype(np.uint8))
    d = d.resize((n, n), Image.Resampling.BILINEAR)
    return 255 - np.asarray(d, dtype=np.uint8)


def _compose(n: int, bg: np.ndarray, color: np.ndarray, alpha: np.ndarray, x0: int, y0: int) -> np.ndarray:
    """Premultiplied product region over the background -> uint8 RGB ``(n, n, 3)``."""
    out = np.empty((n, n, 3), np.uint8)
    out[...] = bg[..., None]
    h, w = alpha.shape
    bgr = bg[y0 : y0 + h, x0 : x0 + w].astype(np.float32) / 255.0
    region = (bgr * (1.0 - alpha))[..., None] + color
    out[y0 : y0 + h, x0 : x0 + w] = np.clip(region * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out


def _encode(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, "RGB").save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def render_view(state: ProductState, view: str, size: int, logo: Image.Image | None = None) -> np.ndarray:
    """Render one orthographic view of the state's proxy model.

    Args:
        state: the product state.
        view: ``front``, ``back``, ``side``, ``top`` or ``bottom``.
        size: image side in pixels.
        logo: prepared RGBA logo (see :func:`prepare_logo`), placed on the front (and smaller on the back).

    Returns:
        ``(size, size, 3)`` uint8 RGB array on a white studio background with soft shadows.

    Raises:
        KeyError: for a view name outside the five views.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """
    scene = build_scene(state)
    lo, hi = _scene_bounds(scene)
    m = _VIEW_MATRIX[view]
    s = _FILL_FRACTION * size / float(np.max(hi - lo))
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]) @ m.T
    umin, umax = corners[:, 0].min(), corners[:, 0].max()
    vmin, vmax = corners[:, 1].min(), corners[:, 1].max()
    ground = view in ("front", "back", "side")
    s = float(s)
    umin, umax, vmin, vmax = float(umin), float(umax), float(vmin), float(vmax)
    ox = size / 2 - (umin + umax) / 2 * s
    oy = size / 2 + (vmin + vmax) / 2 * s - (0.015 * size if ground else 0.0)
    # Only the product's pixel box is rasterised; the rest of the frame is background and shadow.
    bx0 = max(int(math.floor(ox + umin * s)) - 4, 0)
    bx1 = min(int(math.ceil(ox + umax * s)) + 4, size)
    by0 = max(int(math.floor(oy - vmax * s)) - 4, 0)
    by1 = min(int(math.ceil(oy - vmin * s)) + 4, size)
    vw = _View(view, m, s, ox - bx0, oy - by0, bx1 - bx0, by1 - by0)
    prims: list[Primitive] = list(scene.prims)
    if logo is not None and state.show_logo:
        for spot in (scene.logo_front, scene.logo_back):
            if spot is None:
                continue
            center, half, normal = spot
            f = min(state.logo_scale, 1.6)
            prims.append(Decal(normal, center, (half[0] * f, half[1] * f, half[2] * f), "image", image=logo))
    elif scene.back_label is not None:
        prims.append(scene.back_label)
    canvas = _Canvas(by1 - by0, bx1 - bx0)
    order = sorted(range(len(prims)), key=lambda i: (isinstance(prims[i], Decal), _max_depth(prims[i], m), i))
    for i in order:
        p = prims[i]
        if isinstance(p, Box):
            _render_box(canvas, vw, p)
        elif isinstance(p, Lathe):
            _render_lathe(canvas, vw, p)
        elif isinstance(p, Ellipsoid):
            _render_ellipsoid(canvas, vw, p)
        elif isinstance(p, Sweep):
            _render_sweep(canvas, vw, p)
        elif isinstance(p, Loft):
            _render_loft(canvas, vw, p)
        else:
            _render_decal(canvas, vw, p)
    qalpha = _quarter_alpha(size, canvas.alpha, bx0, by0)
    if ground:
        width = (umax - umin) * s
        g = _ground_shadow(size, ox + (umin + umax) / 2 * s, oy - vmin * s, width)
        darkness = 1 - (1 - g) * (1 - _drop_shadow(qalpha, 0.0, 0.006 * size, 0.02 * size, 0.10))
    else:
        darkness = _drop_shadow(qalpha, 0.012 * size, 0.02 * size, 0.018 * size, 0.22)
    return _compose(size, _background(size, darkness), canvas.color, canvas.alpha, bx0, by0)


def render_design_front(cut: Cutout, state: ProductState, base_colors: list[str], size: int,
                        logo: Image.Image | None = None, changed: list[str] | None = None) -> np.ndarray:
    """The uploaded design on the white studio background: the cut-out (or a rounded card when the
    background could not be separated), scaled to fit with a margin, soft shadow below; color edits
    recolor the design's dominant colors; size edits scale it; the logo goes on its centre.

    Returns:
        ``(size, size, 3)`` uint8 RGB array.

    Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3.
    """
    img = cut.image
    arr = np.asarray(img, dtype=np.float32)
    if cut.as_card:
        radius = int(min(img.size) * 0.05)
        mask = Image.new("L", img.size, 0)
        ImageDraw.Draw(mask).rounded_rectangle([0, 0, img.width - 1, img.height - 1], radius=radius, fill=255)
        arr = arr.copy()
        arr[..., 3] = np.asarray(mask, dtype=np.float32)
    # recolor the design's own colors that the feedback changed
    for idx, role in enumerate(("primary", "secondary")):
        if changed and role in changed and idx < len(base_colors):
            arr = _recolor(arr, base_colors[idx], state.colors[role][1])
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGBA")
    scale = min(max(math.sqrt(state.scale[0] * state.scale[1]), 0.6), 1.25)
    box = size * (0.78 if cut.as_card else 0.80) * scale
    k = min(box / img.width, box / img.height)
    tw, th = max(int(round(img.width * k)), 1), max(int(round(img.height * k)), 1)
    img = img.resize((tw, th), Image.Resampling.LANCZOS)
    if logo is not None and state.show_logo:
        lw = int(min(tw, th) * 0.22 * min(state.logo_scale, 1.6))
        lg = logo.copy()
        lg.thumbnail((max(lw, 8), max(lw, 8)), Image.Resampling.LANCZOS)
        img.alpha_composite(lg, ((tw - lg.width) // 2, (th - lg.height) // 2))
    x0, y0 = (size - tw) // 2, (size - th) // 2
    ia = np.asarray(img, dtype=np.float32) / 255.0
    alpha = np.ascontiguousarray(ia[..., 3])
    color = ia[..., :3] * ia[..., 3:4]
    qalpha = _quarter_alpha(size, alpha, x0, y0)
    if cut.as_card:
        darkness = _drop_shadow(qalpha, 0.0, 0.014 * size, 0.022 * size, 0.26)
    else:
        g = _ground_shadow(size, size / 2, y0 + th - 0.01 * size, tw * 0.9)
        darkness = 1 - (1 - g) * (1 - _drop_shadow(qalpha, 0.0, 0.008 * size, 0.02 * size, 0.12))
    return _compose(size, _background(size, darkness), color, alpha, x0, y0)


# --------------------------------------------------------------------------------------------------
# Annotation micro-edits: pixel edits of the current image inside the marked area (seed 000 §5.5)
# --------------------------------------------------------------------------------------------------

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


def _min_chroma(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel ``(min channel, max - min channel)`` of ``(h, w, 3)`` uint8 RGB, as int16 arrays."""
    r, g, b = (rgb[..., i].astype(np.int16) for i in range(3))
    mn = np.minimum(np.minimum(r, g), b)
    return mn, np.maximum(np.maximum(r, g), b) - mn


def studio_background_mask(rgb: np.ndarray) -> np.ndarray:
    """The white studio backdrop and its soft neutral shadows in a product view.

    Background pixels are neutral (chroma within the border's own noise) and light (every channel >= 120),
    and connected through small color steps to the image border or to a pure-white pixel (the backdrop seen
    through a handle loop). The flood runs at 256 px and is refined per pixel at full size. Images whose
    border is not a near-white, even backdrop have no background (all False).

    Args:
        rgb: ``(h, w, 3)`` uint8 RGB.

    Returns:
        ``(h, w)`` bool mask, True on the background.

    Source: DESIGN.md §6 (white studio background); seed 000 §5.5 (micro-edits touch only the product).
    """
    h, w = rgb.shape[:2]
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.float32)
    med = np.median(border, axis=0)
    spread = float(np.median(np.abs(border - med).max(axis=1)))
    if med.min() < 225 or spread > 10:
        return np.zeros((h, w), bool)
    tol = max(2.0, float(np.percentile(border.max(axis=1) - border.min(axis=1), 95)) + 1.5)
    mn, chroma = _min_chroma(rgb)
    candidate = (mn >= 120) & (chroma <= tol)
    small = np.asarray(_small(Image.fromarray(rgb, "RGB"), 256))
    s_mn, s_chroma = _min_chroma(small)
    s_cand = (s_mn >= 120) & (s_chroma <= tol)
    s_white = (s_mn >= 251) & (s_chroma <= tol)
    s_bg = border_flood(small.astype(np.float32), s_cand, 10.0, seeds=s_white)
    if small.shape[:2] == (h, w):
        return s_bg
    # grow by one analysis pixel so the anti-aliased outline is decided per pixel at full size
    grown = Image.fromarray((s_bg * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(3))
    near = np.asarray(grown.resize((w, h), Image.Resampling.NEAREST)) > 127
    return candidate & near


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


def _micro_edit_request(request: ImageRequest) -> tuple[bytes, int, int, tuple[str, ...]]:
    """CPU part of an annotation micro-edit: decode ``base_image``, edit the marked area, encode a PNG of the
    same size (and the same alpha channel, if it has one)."""
    assert request.base_image is not None and request.region is not None
    img = _decode(request.base_image, "current image")
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


# --------------------------------------------------------------------------------------------------
# The provider
# --------------------------------------------------------------------------------------------------


def attachment_colors(attachments: tuple[ImageInput, ...]) -> list[str] | None:
    """Dominant product colors (``#RRGGBB``, most common first) of the first attached image they can be read
    from: the product is cut out of its background (as for an uploaded design) and its pixels clustered
    (colors.py); a plain swatch gives its own color. ``None`` when no attachment can be decoded or none
    has colors.

    Source: seed 000 §5.3 (chat messages with attached reference images); DESIGN.md §6.
    """
    for image in attachments:
        try:
            cut = _cutout_cached(image.data)
        except ProviderError:
            continue
        if cut.colors:
            return list(cut.colors)
    return None


def _render_request(request: ImageRequest, size: int) -> tuple[bytes, tuple[str, ...]]:
    """CPU part of :meth:`OfflineImageProvider.generate`: decode inputs, derive the state, render, encode."""
    logo = _prepared_logo(request.logo.data) if request.logo is not None else None
    cut: Cutout | None = None
    design_colors: list[str] | None = None
    if request.design is not None:
        cut = _cutout_cached(request.design.data)
        design_colors = cut.colors
    att_colors: list[str] | None = None
    if request.attachments and request.instruction and any(
        refers_to_attachment(c) for c in split_feedback(request.instruction)
    ):
        att_colors = attachment_colors(request.attachments)
    state = resolve_state(request, design_colors=design_colors, attachment_colors=att_colors)
    notes = list(state.notes)
    if cut is not None and request.view == "front":
        # Only the feedback recolors the photo: compare with the state before any feedback.
        base = resolve_state(replace(request, feedback=None, instruction=None), design_colors=design_colors)
        src = list(design_colors or [])[:2]
        changed = [r for i, r in enumerate(("primary", "secondary")) if state.colors[r] != base.colors[r] and i < len(src)]
        arr = render_design_front(cut, state, src, size, logo, changed)
        if cut.as_card:
            notes.insert(0, "Used your uploaded design for the front view (its background could not be separated, "
                            "so it is shown as a card).")
        else:
            notes.insert(0, "Used your uploaded design for the front view, cut out onto a white studio background.")
    else:
        arr = render_view(state, request.view, size, logo)
        if cut is not None:
            notes.insert(0, f"Rendered the {request.view} view as a {CATEGORIES[state.category].label} "
                            f"in your design's colors.")
    return _encode(arr), tuple(notes)


class OfflineImageProvider:
    """Image provider that renders category proxy models locally (no network, deterministic).

    Implements :class:`~genpire_app.backend.providers.base.ImageProvider`. Output: a square PNG of
    ``get_settings().image_size`` pixels on a white studio background; the same request always gives the
    same bytes. Source: DESIGN.md §6; seed 000 §3 Phase 2 and Phase 3.
    """

    name = "offline"
    model = "offline-renderer-1"

    async def generate(self, request: ImageRequest) -> GeneratedImage:
        """Render ``request.view`` of the product described by ``request``, or edit the marked area of it.

        * Generation, iterations and chat edits (no ``region``): the view is rendered from the prompt and the
          whole chain of instructions (``feedback``, then ``instruction`` if it is not already its last
          line), so the same chain always gives the same bytes. A current instruction that refers to the
          message's ``attachments`` ("use the colors of the attached image", "make the straps this color")
          takes the attachment's dominant product color (seed 000 §5.3-§5.4).
        * Annotation micro-edits (``region`` set, seed 000 §5.5): the pixels of ``base_image`` inside the
          region are edited (recolor, bigger/smaller, remove; see :func:`apply_micro_edit`); every pixel
          outside it keeps its value. The PNG has ``base_image``'s size.

        Honours ``OFFLINE_LATENCY_MS`` (sleeps that long) and ``OFFLINE_FAIL=image``. All pixel work runs in
        a worker thread.

        Returns:
            GeneratedImage with PNG bytes, ``width == height == image_size`` pixels (micro-edits: the size of
            ``base_image``) and notes saying which instructions were applied and which could not be.

        Raises:
            ProviderError: in offline failure mode; when the logo / design / current image cannot be decoded;
                for a micro-edit whose instruction cannot be parsed or whose region is invalid or holds
                nothing to change, or that has no ``base_image`` (user-safe ``message``; the caller refunds).

        Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 and Phase 3, §5.3-§5.5.
        """
        settings = get_settings()
        if settings.offline_latency_ms > 0:
            await asyncio.sleep(settings.offline_latency_ms / 1000)
        if settings.offline_failing("image"):
            raise ProviderError("The image service is unavailable (offline test mode).", provider="offline")
        size = int(settings.image_size)
        if request.view not in _VIEW_MATRIX:
            raise ProviderError(f"Unknown view '{request.view}'.", provider="offline")
        if request.region is not None:
            if request.base_image is None:
                raise ProviderError("The offline renderer needs the current image of this view to edit the "
                                    "marked area.", provider="offline", detail="region without base_image")
            try:
                data, width, height, notes = await asyncio.to_thread(_micro_edit_request, request)
            except ProviderError:
                raise
            except Exception as exc:  # noqa: BLE001 - a bug must still release the caller's credits
                raise ProviderError("The offline renderer failed to edit the marked area.", provider="offline",
                                    detail=repr(exc)) from exc
            return GeneratedImage(data=data, width=width, height=height, model=self.model, notes=notes)
        try:
            data, notes = await asyncio.to_thread(_render_request, request, size)
        except ProviderError:
            raise
        except Exception as exc:  # noqa: BLE001 - a renderer bug must still release the caller's credits
            raise ProviderError("The offline renderer failed to draw this view.", provider="offline",
                                detail=repr(exc)) from exc
        return GeneratedImage(data=data, width=size, height=size, model=self.model, notes=notes)
