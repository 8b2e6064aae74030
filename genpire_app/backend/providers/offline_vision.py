"""Offline vision provider: real pixel analysis of product images (no network, no model).

Source: DESIGN.md §6 ("real pixel analysis: dominant colors (hex + nearest CSS name), silhouette
proportions, prompt keywords"); seed 000 §3 Phase 3 step 1 (features extracted from the approved front
view keep the other four views consistent and seed the tech pack).

What it measures:

* the product's silhouette: the background (near-white studio backdrop and its soft shadows, or the
  border colors of a photo) is separated from the product;
* dominant colors of the product pixels (deterministic k-means in CIELAB), with shading variants of one
  material merged, each named by its nearest CSS color; usage ``primary`` (largest), ``secondary`` (the
  next color on the outline: straps, cap, sole ...), ``accent`` (prints, logos, hardware);
* silhouette proportions, turned into millimetres with the category's typical size.

Materials, key elements, the name and the category come from the prompt's words plus category defaults.
"""

from __future__ import annotations

import asyncio
import math
import re
from dataclasses import dataclass

import numpy as np
from PIL import Image

from genpire_app.backend.providers.offline_knobs import offline_knobs
from genpire_app.backend.providers.base import (
    ColorInfo,
    Completion,
    EstimatedDimensions,
    ImageInput,
    ProductFeatures,
)
from genpire_app.backend.providers.colors import cluster_colors, hex_to_rgb, nearest_display_name
from genpire_app.backend.providers.offline import (
    CATEGORIES,
    border_flood,
    default_front_aspect,
    detect_category,
)
from genpire_app.backend.providers.offline import decode_image as _decode
from genpire_app.backend.providers.offline import downscale as _small
from genpire_app.backend.providers.offline import segment_photo as _segment_photo

_ANALYSIS_SIDE = 192  # pixels: images are analysed at this size (longest side)


@dataclass(frozen=True)
class ImageAnalysis:
    """What the pixels say about one product image.

    Attributes:
        colors: dominant product colors with usage, largest first (at most 5).
        fractions: share of the product pixels of each color (same order).
        aspect: silhouette height / width (bounding box).
        fill: product pixels / bounding-box pixels (1 = rectangle, ~0.79 = ellipse).
        coverage: product pixels / image pixels.
        background: ``"white"`` (studio) or the name of the photo's border color.
        plain_background: True when the background is one even color.

    Source: DESIGN.md §6 (offline vision: pixel analysis); seed 000 §3 Phase 3 step 1.
    """

    colors: tuple[ColorInfo, ...]
    fractions: tuple[float, ...]
    aspect: float
    fill: float
    coverage: float
    background: str
    plain_background: bool


def _rgb_on_white(img: Image.Image) -> np.ndarray:
    if img.mode in ("RGBA", "LA", "P"):
        rgba = img.convert("RGBA")
        base = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        base.alpha_composite(rgba)
        img = base
    return np.asarray(_small(img.convert("RGB"), _ANALYSIS_SIDE), dtype=np.float32)


def foreground_mask(rgb: np.ndarray) -> tuple[np.ndarray, str, bool]:
    """Product pixels of a small RGB image (``(h, w, 3)`` float 0-255).

    Studio images (near-white border): the white backdrop and its smooth gray shadows are flooded from
    the border (neutral light pixels, small steps between neighbours). Photos: plain borders are flooded
    by color; busy borders use a border-vs-centre color model.

    Returns:
        ``(mask, background name, plain)``: ``(h, w)`` bool mask of product pixels.

    Source: DESIGN.md §6 (offline vision: pixel analysis); seed 000 §3 Phase 3 step 1.
    """
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    med = np.median(border, axis=0)
    spread = float(np.median(np.abs(border - med).max(axis=1)))
    if med.min() >= 225 and spread <= 10:
        chroma = rgb.max(axis=2) - rgb.min(axis=2)
        border_chroma = np.concatenate([chroma[0], chroma[-1], chroma[:, 0], chroma[:, -1]])
        tol = max(2.0, float(np.percentile(border_chroma, 95)) + 1.5)
        candidate = (rgb.min(axis=2) >= 120) & (chroma <= tol)
        bg = border_flood(rgb, candidate, 10.0)
        # backdrop seen through handles and straps: enclosed, pure white
        bg |= (rgb.min(axis=2) >= 251) & (chroma <= tol)
        return ~bg, "white", True
    name = nearest_display_name("#%02X%02X%02X" % tuple(int(c) for c in med))
    if spread <= 12:
        dist = np.sqrt(((rgb - med) ** 2).sum(axis=2))
        bg = border_flood(rgb, dist <= 40.0, 18.0)
        return ~bg, name, True
    return _segment_photo(rgb), name, False


def _shading_variant(a: str, b: str) -> bool:
    """Whether ``b`` looks like ``a`` in shadow or light (same chromaticity, plausible brightness ratio)."""
    ra = np.array(hex_to_rgb(a), dtype=np.float64) + 1.0
    rb = np.array(hex_to_rgb(b), dtype=np.float64) + 1.0
    ca, cb = ra / ra.sum(), rb / rb.sum()
    ratio = rb.sum() / ra.sum()
    return float(np.abs(ca - cb).max()) < 0.025 and 0.4 <= ratio <= 1.25


def analyse_image(img: Image.Image) -> ImageAnalysis:
    """Pixel analysis of one product image (see :class:`ImageAnalysis`). Deterministic.

    Source: DESIGN.md §6 (offline vision: pixel analysis); seed 000 §3 Phase 3 step 1.
    """
    rgb = _rgb_on_white(img)
    h, w = rgb.shape[:2]
    mask, background, plain = foreground_mask(rgb)
    if mask.sum() < max(0.002 * h * w, 12):
        # Nothing separable (e.g. a white product on white): analyse the whole picture.
        mask = np.ones((h, w), bool)
    ys, xs = np.nonzero(mask)
    bh, bw = int(ys.max() - ys.min() + 1), int(xs.max() - xs.min() + 1)
    pixels = rgb[mask]
    found, labels = cluster_colors(pixels.astype(np.uint8), 6, min_fraction=0.025)
    # Merge shading variants of one material into the larger color.
    kept: list[list] = []  # [hex, fraction, {labels}]
    for dc in found:
        target = next((k for k in kept if _shading_variant(k[0], dc.hex)), None)
        if target is None:
            kept.append([dc.hex, dc.fraction, {dc.label}])
        else:
            target[1] += dc.fraction
            target[2].add(dc.label)
    kept.sort(key=lambda k: -k[1])
    # Share of each color's pixels on the silhouette outline (straps, caps, soles touch it; prints do not).
    edge = np.zeros_like(mask)
    inner = mask.copy()
    inner[1:] &= mask[:-1]
    inner[:-1] &= mask[1:]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    edge = mask & ~inner
    ring = edge.copy()
    ring[1:] |= edge[:-1]
    ring[:-1] |= edge[1:]
    ring[:, 1:] |= edge[:, :-1]
    ring[:, :-1] |= edge[:, 1:]
    on_outline = ring[mask]
    colors: list[ColorInfo] = []
    fractions: list[float] = []
    secondary_done = False
    for i, (hexcode, frac, labs) in enumerate(kept[:5]):
        member = np.isin(labels, list(labs))
        outline_share = float(on_outline[member].mean()) if member.any() else 0.0
        if i == 0:
            usage = "primary"
        elif not secondary_done and outline_share >= 0.05:
            usage = "secondary"
            secondary_done = True
        else:
            usage = "accent"
        colors.append(ColorInfo(hex=hexcode, name=nearest_display_name(hexcode), usage=usage))
        fractions.append(round(frac, 4))
    return ImageAnalysis(
        colors=tuple(colors),
        fractions=tuple(fractions),
        aspect=bh / max(bw, 1),
        fill=float(mask.sum()) / float(bh * bw),
        coverage=float(mask.mean()),
        background=background,
        plain_background=plain,
    )


# --------------------------------------------------------------------------------------------------
# Prompt keywords
# --------------------------------------------------------------------------------------------------

_MATERIALS: tuple[tuple[str, str], ...] = (
    (r"organic\s+cotton\s+canvas", "Organic cotton canvas"),
    (r"organic\s+cotton", "Organic cotton"),
    (r"cotton\s+canvas", "Cotton canvas"),
    (r"canvas", "Cotton canvas"),
    (r"(?:vegan|faux|pu)\s+leather", "Vegan leather (PU)"),
    (r"full[-\s]grain\s+leather", "Full-grain leather"),
    (r"leather", "Leather"),
    (r"suede", "Suede"),
    (r"denim", "Denim"),
    (r"recycled\s+(?:nylon|polyester|pet)", "Recycled polyester"),
    (r"nylon", "Nylon"),
    (r"polyester", "Polyester"),
    (r"linen", "Linen"),
    (r"wool", "Wool"),
    (r"felt", "Felt"),
    (r"jute", "Jute"),
    (r"cotton", "Cotton"),
    (r"twill", "Cotton twill"),
    (r"mesh", "Mesh"),
    (r"knit", "Knit textile"),
    (r"velvet", "Velvet"),
    (r"stainless(?:\s+steel)?", "Stainless steel"),
    (r"alumin(?:i)?um", "Aluminium"),
    (r"brass", "Brass"),
    (r"copper", "Copper"),
    (r"steel", "Steel"),
    (r"titanium", "Titanium"),
    (r"porcelain", "Porcelain"),
    (r"stoneware", "Stoneware ceramic"),
    (r"ceramic", "Ceramic"),
    (r"borosilicate\s+glass", "Borosilicate glass"),
    (r"glass", "Glass"),
    (r"bamboo", "Bamboo"),
    (r"oak", "Oak"),
    (r"walnut", "Walnut"),
    (r"wood(?:en)?", "Wood"),
    (r"cork", "Cork"),
    (r"silicone", "Silicone"),
    (r"rubber", "Rubber"),
    (r"recycled\s+plastic", "Recycled plastic"),
    (r"polycarbonate", "Polycarbonate"),
    (r"tpu", "TPU"),
    (r"acrylic", "Acrylic"),
    (r"plastic", "Plastic"),
    (r"kraft(?:\s+paper)?", "Kraft paper"),
    (r"cardboard|paperboard|chipboard", "Paperboard"),
    (r"paper", "Paper"),
)

_ELEMENTS: tuple[tuple[str, str], ...] = (
    (r"magnetic\s+(?:buttons?|snaps?|closures?|clasps?)", "Magnetic closure"),
    (r"zip(?:per)?\s+pockets?", "Zip pocket"),
    (r"zip(?:per)?s?", "Zip closure"),
    (r"inner\s+pockets?|interior\s+pockets?", "Interior pocket"),
    (r"pockets?", "Pocket"),
    (r"adjustable\s+straps?", "Adjustable straps"),
    (r"padded", "Padded construction"),
    (r"laces?|lace-up", "Lace-up closure"),
    (r"screw\s+(?:cap|lid)", "Screw cap"),
    (r"insulated|double[-\s]wall", "Double-wall insulation"),
    (r"handles?", "Carry handle"),
    (r"lid", "Lid"),
    (r"embroider(?:y|ed)", "Embroidered logo"),
    (r"print(?:ed)?", "Printed artwork"),
    (r"rivets?", "Rivet reinforcements"),
)


def materials_from_prompt(prompt: str, category: str) -> list[str]:
    """Materials named in ``prompt`` (in order, de-duplicated), else the category's defaults. When every
    named material belongs to a secondary part ("a bottle with a bamboo cap"), the category's main
    material is put first.

    Source: DESIGN.md §6 (offline vision: pixel analysis); seed 000 §3 Phase 3 step 1.
    """
    found: list[tuple[int, str, bool]] = []
    text = prompt.lower()
    taken: list[tuple[int, int]] = []
    spec = CATEGORIES[category]
    part_words = {w for w, r in spec.part_words.items() if r != "primary"} | {
        "strap", "straps", "handle", "handles", "cap", "lid", "sole", "soles", "trim", "base", "legs", "frame",
        "hardware", "buttons", "zipper", "lining", "brim", "laces",
    }
    for pattern, name in _MATERIALS:
        for m in re.finditer(r"\b(?:" + pattern + r")\b", text):
            if any(a <= m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            nxt = re.findall(r"[a-z]+", text[m.end() :])[:2]
            found.append((m.start(), name, any(w in part_words for w in nxt)))
    names: list[str] = []
    for _, name, _part in sorted(found):
        if name not in names:
            names.append(name)
    if not names:
        return list(spec.materials)
    if all(part for _, _, part in found) and spec.materials[0] not in names:
        names.insert(0, spec.materials[0])
    return names


_ARTICLES = re.compile(r"^(?:a|an|the|some|my|our|two|2|one|pair of|set of)\s+", re.IGNORECASE)


def key_elements_from_prompt(prompt: str, category: str) -> list[str]:
    """Design elements: phrases after "with"/"featuring"/"including" plus known keywords, then category
    defaults until there are at least three (at most six).

    Source: DESIGN.md §6 (offline vision: pixel analysis); seed 000 §3 Phase 3 step 1.
    """
    out: list[str] = []
    m = re.search(r"\b(?:with|featuring|including|has|having)\b(.*)", prompt, re.IGNORECASE | re.DOTALL)
    if m:
        tail = re.split(r"[.;\n]", m.group(1))[0]
        for part in re.split(r",|\band\b|\bwith\b|\bplus\b", tail):
            phrase = _ARTICLES.sub("", part.strip(" .,:-"))
            words = phrase.split()
            if 1 <= len(words) <= 6:
                out.append(phrase[0].upper() + phrase[1:])
    lower = prompt.lower()
    for pattern, name in _ELEMENTS:
        if re.search(r"\b(?:" + pattern + r")\b", lower) and not any(name.lower() in e.lower() for e in out):
            if not any(w in " ".join(out).lower() for w in name.lower().split()[:1]):
                out.append(name)
    for default in CATEGORIES[category].key_elements:
        if len(out) >= 3:
            break
        if default not in out:
            out.append(default)
    seen: set[str] = set()
    unique = [e for e in out if not (e.lower() in seen or seen.add(e.lower()))]
    return unique[:6]


_FILLER = re.compile(
    r"^(?:i\s+(?:want|need|would like)(?:\s+to\s+(?:make|create|design))?|please|create|design|make(?:\s+me)?|"
    r"generate|imagine|build|an?\s+idea\s+for)\s+",
    re.IGNORECASE,
)


def product_name_from_prompt(prompt: str, category: str) -> str:
    """A short title from the prompt: "A minimalist canvas tote bag with leather straps" ->
    "Minimalist Canvas Tote Bag". Falls back to "Custom <category>".

    Source: DESIGN.md §6 (offline vision: pixel analysis); seed 000 §3 Phase 3 step 1.
    """
    text = " ".join(prompt.split())
    for _ in range(3):
        text = _FILLER.sub("", text)
    head = re.split(r"\s+(?:with|featuring|that|which|for|made|in|including|using|,)\s+|[,.;:!?\n(]", text, maxsplit=1)[0]
    head = _ARTICLES.sub("", head.strip())
    words = [w for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9'\-]*", head)][:6]
    if not words:
        return "Custom " + CATEGORIES[category].label.title()
    return " ".join(w if (w.isupper() and len(w) > 1) else w[0].upper() + w[1:].lower() for w in words)


def _round5(v: float) -> int:
    return int(max(5, 5 * round(v / 5)))


def estimate_dimensions(category: str, aspect: float) -> EstimatedDimensions:
    """Millimetres from the silhouette's height/width ``aspect`` and the category's typical size: the
    width is the typical width, the height follows the proportions relative to the default model.

    Source: DESIGN.md §6 (offline vision: pixel analysis); seed 000 §3 Phase 3 step 1.
    """
    w, h, d = CATEGORIES[category].dims_mm
    ratio = aspect / default_front_aspect(category) if category != "generic" else aspect / (h / w)
    ratio = min(max(ratio, 0.6), 1.6)
    return EstimatedDimensions(width_mm=_round5(w), height_mm=_round5(h * ratio), depth_mm=_round5(d))


def _with_article(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def build_features(analysis: ImageAnalysis, product_prompt: str) -> ProductFeatures:
    """Combine the pixel analysis with the prompt's words into :class:`ProductFeatures`.

    Source: DESIGN.md §6 (offline vision: pixel analysis); seed 000 §3 Phase 3 step 1.
    """
    category = detect_category(product_prompt) or "generic"
    spec = CATEGORIES[category]
    colors = list(analysis.colors)
    if not colors:
        colors = [ColorInfo(hex=spec.colors[0][1], name=spec.colors[0][0], usage="primary")]
    dims = estimate_dimensions(category, analysis.aspect)
    materials = materials_from_prompt(product_prompt, category)
    elements = key_elements_from_prompt(product_prompt, category)
    name = product_name_from_prompt(product_prompt, category)
    primary = next((c for c in colors if c.usage == "primary"), colors[0])
    secondary = next((c for c in colors if c.usage == "secondary"), None)
    color_text = primary.name + (f" with {secondary.name} {spec.part_labels['secondary']}" if secondary else "")
    mats = " and ".join(m.lower() for m in materials[:2])
    description = (
        f"{_with_article(name.lower())} in {color_text}, made of {mats}. "
        f"About {dims.width_mm} x {dims.height_mm} x {dims.depth_mm} mm (W x H x D)"
        + (f", with {elements[0].lower()}." if elements else ".")
    )
    description = description[0].upper() + description[1:]
    return ProductFeatures(
        product_name=name,
        category=spec.label,
        colors=colors,
        estimated_dimensions=dims,
        materials=materials,
        key_elements=elements,
        description=description,
    )


def _shape_words(analysis: ImageAnalysis) -> str:
    if analysis.fill >= 0.88:
        shape = "rectangular"
    elif analysis.fill >= 0.7:
        shape = "rounded"
    else:
        shape = "organic, irregular"
    a = analysis.aspect
    if a > 1.2:
        prop = "taller than it is wide"
    elif a < 1 / 1.2:
        prop = "wider than it is tall"
    else:
        prop = "about as wide as it is tall"
    wh = 1.0 / max(a, 1e-6)
    p, q = min(((p, q) for p in range(1, 7) for q in range(1, 7)), key=lambda pq: (abs(pq[0] / pq[1] - wh), pq))
    g = math.gcd(p, q)
    return f"{shape} silhouette, {prop} (about {p // g}:{q // g} width to height)"


def describe_analysis(analysis: ImageAnalysis) -> str:
    """Plain-English description of an uploaded design from its pixel analysis.

    Source: DESIGN.md §6 (offline vision: pixel analysis); seed 000 §3 Phase 3 step 1.
    """
    names = [c.name for c in analysis.colors]
    if not names:
        return "A product design on a plain background."
    main = names[0] if len(names) == 1 else f"{names[0]} and {names[1]}"
    text = f"A product design in mostly {main}"
    if len(names) > 2:
        text += ", with touches of " + " and ".join(names[2:4])
    text += f". The product has a {_shape_words(analysis)}"
    if analysis.background == "white":
        text += ", shown on a white background."
    elif analysis.plain_background:
        text += f", shown on a plain {analysis.background} background."
    else:
        text += f", photographed against a busy {analysis.background} background."
    text += " Keep its colors and proportions; present it as a clean product shot on a pure white background."
    return text


class OfflineVisionProvider:
    """Vision provider that analyses pixels locally (no network, deterministic).

    Implements :class:`~genpire_app.backend.providers.base.VisionProvider`. Source: DESIGN.md §6.
    """

    name = "offline"
    model = "offline-vision-1"

    async def _knobs(self) -> None:
        await offline_knobs("vision")

    async def extract_features(self, image: ImageInput, *, product_prompt: str) -> Completion[ProductFeatures]:
        """Colors, silhouette dimensions (mm), materials and key elements of a front view.

        Colors come from the pixels (``#RRGGBB``, nearest CSS name, usage primary / secondary / accent);
        dimensions from the silhouette's proportions and the category's typical size (millimetres);
        name, category, materials and key elements from ``product_prompt`` plus category defaults.
        Source: seed 000 §3 Phase 3 step 1.

        Raises:
            ProviderError: in offline failure mode (``OFFLINE_FAIL=vision``) or when the image cannot be read.
        """
        await self._knobs()

        def work() -> ProductFeatures:
            return build_features(analyse_image(_decode(image, "image")), product_prompt or "")

        return Completion(value=await asyncio.to_thread(work), model=self.model)

    async def describe_design(self, image: ImageInput) -> Completion[str]:
        """Describe an uploaded design from its pixels: main colors (nearest CSS names), silhouette shape
        and proportions, background. Source: seed 000 §3 Phase 1 (upload tab, "Improve with AI").

        Raises:
            ProviderError: in offline failure mode (``OFFLINE_FAIL=vision``) or when the image cannot be read.
        """
        await self._knobs()

        def work() -> str:
            return describe_analysis(analyse_image(_decode(image, "image")))

        return Completion(value=await asyncio.to_thread(work), model=self.model)
