"""Offline Tech Pack V2 vision: category detection and base-view analysis from the pixels (no network, no
model, deterministic). Source: DESIGN.md §6 (offline vision: real pixel analysis, prompt keywords); seed 001
"Category Detection" and "Base Views Analysis"; issue 10 items 2-3.

What the pixels give (image analysed at :data:`_SIDE` px):

* the silhouette (``offline_vision.foreground_mask``) and its bounding box; each row's filled share of the
  box separates the **body** (rows at least :data:`_BODY_ROW` of the widest row) from a narrower part rising
  above it (straps, handle, cap, lid): that part's box is a construction region, its join with the body a
  hardware region;
* construction regions from the body's box: the top edge band (opening / closure), the bottom band (base,
  bottom seam and stitching) and, for soft goods seen from the front or back, the side-seam strips;
* high-contrast blobs inside the body (CIELAB distance from the body color over :data:`_CONTRAST`, not
  touching the outline, not a specular highlight): a compact blob is a **label** (logo / print), a thin
  long one a **stitch line**, small repeated ones **hardware** (rivets, snaps), blobs joined to the top
  part its **attachments**;
* colors (hex, nearest CSS name, share) from ``offline_vision.analyse_image``; gloss from the share of
  specular pixels, texture from the body's lightness spread; dimensions from the silhouette's proportions
  and the category's typical size.

Category and materials come from the category catalogue (``providers.offline``): the keyword classifier over
the product's name and prompt, checked against the silhouette's proportions.
"""

from __future__ import annotations

import asyncio

import numpy as np
from PIL import Image
from scipy import ndimage

from genpire_app.backend.providers.offline_knobs import offline_knobs
from genpire_app.backend.providers.base import Completion, ImageInput
from genpire_app.backend.providers.colors import nearest_display_name, rgb_to_lab
from genpire_app.backend.providers.offline import CATEGORIES, default_front_aspect, detect_category, downscale
from genpire_app.backend.providers.offline import decode_image as _decode
from genpire_app.backend.providers.offline.spec import CategorySpec
from genpire_app.backend.providers.offline_vision import analyse_image, foreground_mask
from genpire_app.backend.providers.v2_vision import (
    CategoryResult,
    ColorShare,
    ConstructionItem,
    DimensionsMm,
    FinishItem,
    HardwareItem,
    LabelItem,
    MaterialItem,
    ViewAnalysis,
)

_SIDE = 192  # analysis size, pixels (longest side)
_BODY_ROW = 0.7  # a row is "body" when it fills at least this share of the widest row
_CONTRAST = 28.0  # CIELAB distance from the body color that makes a pixel part of a blob
_SOFT = frozenset({"fabric", "knit", "nylon", "leather", "plush"})

#: Catalogue category -> broad category (``v2_vision.CATEGORY_CHOICES``).
BROAD: dict[str, str] = {
    **dict.fromkeys(("backpack", "tote", "laptop_sleeve", "pouch"), "Bags"),
    **dict.fromkeys(("tshirt", "hoodie", "sweater", "jacket", "dress", "socks"), "Apparel"),
    **dict.fromkeys(("hat", "beanie", "bucket_hat"), "Headwear"),
    "shoe": "Footwear",
    **dict.fromkeys(("phone_case", "wallet", "watch", "sunglasses"), "Accessories"),
    **dict.fromkeys(("necklace", "ring", "bracelet", "jewelry_box"), "Jewelry"),
    **dict.fromkeys(("smartwatch", "headphones", "earbuds_case", "speaker", "keyboard", "mouse", "charger",
                     "power_bank", "phone_stand"), "Electronics"),
    **dict.fromkeys(("perfume", "cosmetics_tube"), "Beauty & personal care"),
    **dict.fromkeys(("bottle", "mug", "tumbler"), "Drinkware"),
    **dict.fromkeys(("jar", "bowl", "plate", "teapot", "lunch_box"), "Kitchen & dining"),
    "box": "Packaging", "lamp": "Lighting", "chair": "Furniture",
    **dict.fromkeys(("vase", "candle", "planter", "clock", "picture_frame"), "Home decor"),
    **dict.fromkeys(("pillow", "blanket", "rug"), "Home textiles"),
    **dict.fromkeys(("desk_mat", "desk_organizer", "notebook"), "Stationery"),
    **dict.fromkeys(("dog_collar", "pet_bed"), "Pet supplies"),
    **dict.fromkeys(("plush", "figurine", "toy_car", "board_game"), "Toys & games"),
    **dict.fromkeys(("skateboard", "yoga_mat", "dumbbell"), "Sports & fitness"),
    "generic": "Other",
}
_FINISH_WORDS = {
    "fabric": "woven fabric", "knit": "knitted textile", "nylon": "nylon weave", "leather": "smooth leather",
    "plush": "soft pile", "metal": "brushed metal", "ceramic": "glazed ceramic", "glass": "clear glass",
    "wood": "natural wood grain", "paper": "printed paperboard", "rubber": "textured rubber",
    "coated": "powder coat", "plastic": "moulded plastic",
}
_VIEW_CERTAINTY = {"front": 1.0, "back": 0.95, "side": 0.9, "top": 0.85, "bottom": 0.8}


def broad_category(key: str) -> str:
    """The broad category of a catalogue key ("tote" -> "Bags")."""
    return BROAD.get(key, "Other")


def catalogue_key(category: str) -> str:
    """The catalogue key named by a category text ("Bags / Tote bag" -> "tote"); ``generic`` when none."""
    key = detect_category(category)
    if key is None:
        lower = category.strip().lower()
        key = next((k for k, spec in CATEGORIES.items() if spec.label in lower), None)
    return key or "generic"


def _unit(v: float) -> float:
    return round(min(1.0, max(0.0, v)), 4)


def _rgb(img: Image.Image) -> np.ndarray:
    if img.mode in ("RGBA", "LA", "P"):
        rgba = img.convert("RGBA")
        base = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        base.alpha_composite(rgba)
        img = base
    return np.asarray(downscale(img.convert("RGB"), _SIDE), dtype=np.float32)


class _Shape:
    """The silhouette of one image: mask, bounding box and body rows (pixel indices, inclusive)."""

    def __init__(self, rgb: np.ndarray) -> None:
        self.rgb = rgb
        self.h, self.w = rgb.shape[:2]
        self.lab = rgb_to_lab(rgb.reshape(-1, 3)).reshape(rgb.shape)
        mask, _, _ = foreground_mask(rgb)
        if mask.sum() < max(0.002 * self.h * self.w, 12):
            mask = np.ones((self.h, self.w), bool)
        self.mask = mask
        ys, xs = np.nonzero(mask)
        self.x0, self.x1, self.y0, self.y1 = int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max())
        rows = mask[self.y0:self.y1 + 1, self.x0:self.x1 + 1].mean(axis=1)
        body = np.nonzero(rows >= _BODY_ROW * rows.max())[0]
        self.body_top, self.body_bottom = self.y0 + int(body[0]), self.y0 + int(body[-1])
        self.aspect = (self.y1 - self.y0 + 1) / max(self.x1 - self.x0 + 1, 1)
        self.fill = float(mask.sum()) / float((self.y1 - self.y0 + 1) * (self.x1 - self.x0 + 1))

    def frac(self, x0: float, y0: float, x1: float, y1: float) -> list[float]:
        """A pixel box (inclusive) as fractions of the image."""
        return [_unit(x0 / self.w), _unit(y0 / self.h), _unit((x1 + 1) / self.w), _unit((y1 + 1) / self.h)]

    @property
    def top_part(self) -> bool:
        """Whether a narrower part (straps, handle, cap) rises above the body by 6 % of the height or more."""
        return self.body_top - self.y0 >= 0.06 * (self.y1 - self.y0 + 1)


def _specular(shape: _Shape, body_l: float) -> np.ndarray:
    """Highlight pixels: near-white, colourless and clearly lighter than the body (CIELAB L + 12)."""
    rgb = shape.rgb
    return (rgb.min(axis=2) >= 236) & (rgb.max(axis=2) - rgb.min(axis=2) <= 14) & (shape.lab[..., 0] > body_l + 12)


def _blobs(shape: _Shape, body_lab: np.ndarray) -> list[dict]:
    """High-contrast components inside the body rows: ``{"box", "area", "kind"}`` with kind ``label`` |
    ``stitch`` | ``small`` | ``attachment`` (touches the body's top edge under a top part)."""
    dist = np.sqrt(((shape.lab - body_lab) ** 2).sum(axis=2))
    specular = _specular(shape, float(body_lab[0]))
    inner = ndimage.binary_erosion(shape.mask, iterations=2)
    rows = np.zeros_like(shape.mask)
    rows[shape.body_top:shape.body_bottom + 1] = True
    hot = (dist > _CONTRAST) & inner & rows & ~specular
    labels, n = ndimage.label(hot)
    body_area = max(int((shape.mask & rows).sum()), 1)
    out: list[dict] = []
    for i, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        area = int((labels[sl] == i).sum())
        if area < max(3, 0.0004 * body_area):
            continue
        y0, y1, x0, x1 = sl[0].start, sl[0].stop - 1, sl[1].start, sl[1].stop - 1
        bw, bh = x1 - x0 + 1, y1 - y0 + 1
        if shape.top_part and y0 <= shape.body_top + 1:
            kind = "attachment"
        elif max(bw, bh) >= 8 * min(bw, bh) and max(bw, bh) >= 0.25 * (shape.x1 - shape.x0 + 1):
            kind = "stitch"
        elif area < 0.006 * body_area:
            kind = "small"
        else:
            kind = "label"
        out.append({"box": (x0, y0, x1, y1), "area": area, "kind": kind})
    out.sort(key=lambda b: (-b["area"], b["box"]))
    return out


def _placement(shape: _Shape, box: tuple[int, int, int, int], view: str) -> str:
    cx = ((box[0] + box[2]) / 2 - shape.x0) / max(shape.x1 - shape.x0, 1)
    cy = ((box[1] + box[3]) / 2 - shape.body_top) / max(shape.body_bottom - shape.body_top, 1)
    row = "upper" if cy < 0.36 else "lower" if cy > 0.64 else "center"
    col = "left" if cx < 0.36 else "right" if cx > 0.64 else ""
    where = f"{row} {col}".strip() if col else ("center" if row == "center" else f"{row} center")
    return f"{view} panel, {where}"


def _metal_finish(hex_color: str) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    if max(r, g, b) < 60:
        return "matte black"
    if max(r, g, b) - min(r, g, b) < 24:
        return "nickel / brushed steel"
    if r > b + 30 and g > b + 10:
        return "antique brass"
    return "color-matched coating"


def _mean_hex(rgb: np.ndarray, box: tuple[int, int, int, int], mask: np.ndarray) -> str:
    x0, y0, x1, y1 = box
    px = rgb[y0:y1 + 1, x0:x1 + 1][mask[y0:y1 + 1, x0:x1 + 1]]
    c = px.mean(axis=0) if len(px) else np.array([128.0, 128.0, 128.0])
    return "#%02X%02X%02X" % tuple(int(v) for v in c)


def _dimensions(spec: CategorySpec, view: str, aspect: float) -> DimensionsMm:
    w, h, d = spec.dims_mm

    def fit(base: float, value: float) -> int:
        return int(5 * round(min(max(value, 0.6 * base), 1.6 * base) / 5))

    if view in ("front", "back"):
        return DimensionsMm(width=int(w), height=fit(h, w * aspect), depth=int(d))
    if view == "side":
        return DimensionsMm(width=int(w), height=fit(h, d * aspect), depth=int(d))
    return DimensionsMm(width=int(w), height=int(h), depth=fit(d, w * aspect))


def _materials(spec: CategorySpec, known: bool, view: str) -> list[MaterialItem]:
    roles = ("primary", "secondary", "accent")
    certainty = (0.75 if known else 0.35) * _VIEW_CERTAINTY.get(view, 0.8)
    items = []
    for i, name in enumerate(spec.materials[:3]):
        component = "lining" if "lining" in name.lower() else spec.part_labels.get(roles[i], "body")
        items.append(MaterialItem(name=name, component=component, confidence=round(certainty * (1 - 0.1 * i), 3)))
    return items


def analyse_view(img: Image.Image, *, view: str, category: str) -> ViewAnalysis:
    """The analysis of one view from its pixels (see the module docstring). Deterministic."""
    key = catalogue_key(category)
    spec = CATEGORIES[key]
    shape = _Shape(_rgb(img))
    colours = analyse_image(img)
    colors = [ColorShare(hex=c.hex, name=c.name, share=f) for c, f in zip(colours.colors, colours.fractions)]
    body_rows = shape.mask.copy()
    body_rows[: shape.body_top] = False
    body_rows[shape.body_bottom + 1:] = False
    body_px = shape.lab[body_rows]
    body_lab = np.median(body_px, axis=0) if len(body_px) else np.array([50.0, 0.0, 0.0])
    bx0, bx1, bt, bb = shape.x0, shape.x1, shape.body_top, shape.body_bottom
    bh = bb - bt + 1
    soft = spec.finish in _SOFT
    secondary, accent = spec.part_labels.get("secondary", "top part"), spec.part_labels.get("accent", "details")
    if key == "generic":
        secondary, accent = "top part", "fittings"
    construction: list[ConstructionItem] = []
    hardware: list[HardwareItem] = []
    labels: list[LabelItem] = []
    if shape.top_part:
        top_cols = np.nonzero(shape.mask[shape.y0:bt].any(axis=0))[0]
        tx0, tx1 = int(top_cols.min()), int(top_cols.max())
        construction.append(ConstructionItem(
            feature=secondary, detail=f"{secondary.capitalize()} rising {round(100 * (bt - shape.y0) / (shape.y1 - shape.y0 + 1))}% "
            "of the height above the body", region=shape.frac(tx0, shape.y0, tx1, bt)))
    top_detail = "folded hem with topstitching at the opening" if soft else "top edge / closure seat"
    construction.append(ConstructionItem(feature="top edge", detail=top_detail,
                                         region=shape.frac(bx0, bt, bx1, bt + max(1, int(0.12 * bh)))))
    base_detail = "bottom seam with stitching, reinforced base" if soft else "flat base, moulded edge"
    construction.append(ConstructionItem(feature="base", detail=base_detail,
                                         region=shape.frac(bx0, bb - max(1, int(0.12 * bh)), bx1, bb)))
    if soft and view in ("front", "back"):
        strip = max(1, int(0.06 * (bx1 - bx0 + 1)))
        construction.append(ConstructionItem(feature="side seam (left)", detail="joined side seam",
                                             region=shape.frac(bx0, bt, bx0 + strip, bb)))
        construction.append(ConstructionItem(feature="side seam (right)", detail="joined side seam",
                                             region=shape.frac(bx1 - strip, bt, bx1, bb)))
    blobs = _blobs(shape, body_lab)
    attach = [b["box"] for b in blobs if b["kind"] == "attachment"]
    if attach:
        box = (min(b[0] for b in attach), min(b[1] for b in attach), max(b[2] for b in attach), max(b[3] for b in attach))
        hardware.append(HardwareItem(item=f"{secondary} attachment", finish=_metal_finish(_mean_hex(shape.rgb, box, shape.mask)),
                                     region=shape.frac(*box)))
    elif shape.top_part:
        band = max(1, int(0.06 * bh))
        hardware.append(HardwareItem(item=f"{secondary} fitting", finish="color-matched",
                                     region=shape.frac(bx0, bt - band, bx1, bt + band)))
    small = [b["box"] for b in blobs if b["kind"] == "small"]
    if len(small) >= 2:
        box = (min(b[0] for b in small), min(b[1] for b in small), max(b[2] for b in small), max(b[3] for b in small))
        hardware.append(HardwareItem(item=f"{accent} ({len(small)})", finish=_metal_finish(_mean_hex(shape.rgb, box, shape.mask)),
                                     region=shape.frac(*box)))
    for blob in [b for b in blobs if b["kind"] == "stitch"][:2]:
        construction.append(ConstructionItem(feature="stitch line", detail="visible topstitching",
                                             region=shape.frac(*blob["box"])))
    for blob in [b for b in blobs if b["kind"] == "label"][:3]:
        x0, y0, x1, y1 = blob["box"]
        large = (x1 - x0 + 1) * (y1 - y0 + 1) > 0.25 * (bx1 - bx0 + 1) * bh
        labels.append(LabelItem(type="print" if large else "logo", placement=_placement(shape, blob["box"], view),
                                region=shape.frac(x0, y0, x1, y1)))
    lum = body_px[:, 0] if len(body_px) else np.zeros(1)
    shine = _specular(shape, float(body_lab[0])) & body_rows
    spec_share = float(shine.sum()) / max(int(body_rows.sum()), 1)
    texture = "textured" if float(np.std(lum)) > 6.0 and soft else "smooth"
    gloss = "glossy" if spec_share > 0.015 else "matte"
    finishes = [FinishItem(surface=spec.part_labels.get("primary", "body"),
                           finish=f"{gloss} {texture} {_FINISH_WORDS.get(spec.finish, spec.finish)}")]
    if shape.top_part:
        finishes.append(FinishItem(surface=secondary, finish=f"{_FINISH_WORDS.get(spec.finish, spec.finish)}, "
                                   f"{nearest_display_name(_mean_hex(shape.rgb, (bx0, shape.y0, bx1, bt), shape.mask)).lower()}"))
    wmm = _dimensions(spec, view, shape.aspect)
    notes = (f"Offline pixel analysis of the {view} view: the product fills {colours.coverage:.0%} of the image, "
             f"silhouette {shape.aspect:.2f} (height / width), fill {shape.fill:.0%}. Materials and sizes are the "
             f"typical ones of a {spec.label}; check them.")
    return ViewAnalysis(view=view, category=broad_category(key) if key != "generic" else (category or "Other"), materials=_materials(spec, key != "generic", view),
                        construction=construction, dimensions_mm=wmm, colors=colors, hardware=hardware,
                        finishes=finishes, labels=labels, notes=notes)


def detect(img: Image.Image, hint_text: str) -> CategoryResult:
    """Category from the keyword classifier over ``hint_text``, confirmed by the silhouette: confidence
    0.6 + 0.35 x agreement, the agreement being min(r, 1/r) of the ratio r of the silhouette's height/width to
    the category's typical one (1 when equal). Without a keyword, a guess from the silhouette alone
    (confidence <= 0.35)."""
    shape = _Shape(_rgb(img))
    key = detect_category(hint_text)
    if key is not None:
        ratio = shape.aspect / max(default_front_aspect(key), 1e-6)
        agreement = min(ratio, 1 / max(ratio, 1e-6))
        return CategoryResult(category=broad_category(key), subcategory=CATEGORIES[key].label.capitalize(),
                              confidence=round(0.6 + 0.35 * agreement, 3))
    if shape.aspect >= 1.8 and shape.fill >= 0.7:
        return CategoryResult(category="Drinkware", subcategory="Bottle", confidence=0.35)
    if 0.8 <= shape.aspect <= 1.25 and shape.fill >= 0.9:
        return CategoryResult(category="Packaging", subcategory="Box", confidence=0.3)
    return CategoryResult(category="Other", subcategory="Product", confidence=0.2)


class OfflineV2VisionProvider:
    """:class:`~genpire_app.backend.providers.v2_vision.V2VisionProvider` from the pixels (see the module
    docstring). Honours ``OFFLINE_LATENCY_MS`` and ``OFFLINE_FAIL=vision``."""

    name = "offline"
    model = "offline-v2-vision-1"

    async def _knobs(self) -> None:
        await offline_knobs("vision")

    async def detect_category(self, image: ImageInput, *, hint_text: str) -> Completion[CategoryResult]:
        """See :func:`detect`. Raises ProviderError (unreadable image, offline failure mode)."""
        await self._knobs()
        return Completion(await asyncio.to_thread(lambda: detect(_decode(image, "image"), hint_text)), self.model)

    async def analyze_view(self, image: ImageInput, *, view: str, category: str) -> Completion[ViewAnalysis]:
        """See :func:`analyse_view`. Raises ProviderError (unreadable image, offline failure mode)."""
        await self._knobs()
        return Completion(await asyncio.to_thread(lambda: analyse_view(_decode(image, "image"), view=view,
                                                                         category=category)), self.model)


__all__ = ["BROAD", "OfflineV2VisionProvider", "analyse_view", "broad_category", "catalogue_key", "detect"]
