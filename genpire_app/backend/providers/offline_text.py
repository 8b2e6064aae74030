"""Offline text provider: prompt improvement and tech packs from templates (no network, no model).

Source: DESIGN.md §6 ("templates filled from the prompt and the pixel analysis"); seed 000 §3 Phase 1
("Improve with AI") and Phase 6 (tech pack generation and the "Tech Pack Structure").

Everything here is deterministic: the same context always gives the same text. Money is in integer cents
(USD), measurements in millimetres.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import numpy as np

from genpire_app.backend.config import get_settings
from genpire_app.backend.providers.base import (
    Completion,
    ConstructionFeature,
    MaterialLine,
    Measurement,
    Packaging,
    PaletteColor,
    PromptContext,
    ProviderError,
    QualityStandard,
    SizeSpec,
    TechPack,
    TechPackContext,
)
from genpire_app.backend.providers.colors import delta_e94, hex_to_rgb, resolve_color, rgb_to_lab
from genpire_app.backend.providers.offline import CATEGORIES, detect_category
from genpire_app.backend.providers.offline_vision import key_elements_from_prompt, materials_from_prompt

# --------------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------------

#: A few published PANTONE Fashion, Home + Interiors (TCX) references with approximate sRGB values.
#: Only used when a palette color is close (CIE94 <= 8); otherwise the palette says "N/A".
_PANTONE_TCX: tuple[tuple[str, str, str], ...] = (
    ("11-0601 TCX", "Bright White", "#F4F5F0"),
    ("19-0303 TCX", "Jet Black", "#2D2C2F"),
    ("19-4052 TCX", "Classic Blue", "#0F4C81"),
    ("16-1546 TCX", "Living Coral", "#FF6F61"),
    ("18-3838 TCX", "Ultra Violet", "#5F4B8B"),
    ("15-0343 TCX", "Greenery", "#88B04B"),
    ("13-1520 TCX", "Rose Quartz", "#F7CAC9"),
    ("15-3919 TCX", "Serenity", "#92A8D1"),
    ("18-1438 TCX", "Marsala", "#955251"),
    ("18-3224 TCX", "Radiant Orchid", "#B163A3"),
    ("17-5641 TCX", "Emerald", "#009473"),
    ("17-1463 TCX", "Tangerine Tango", "#DD4124"),
    ("18-2120 TCX", "Honeysuckle", "#D94F70"),
    ("15-5519 TCX", "Turquoise", "#45B5AA"),
    ("14-0848 TCX", "Mimosa", "#F0C05A"),
    ("18-3943 TCX", "Blue Iris", "#5A5B9F"),
    ("19-1557 TCX", "Chili Pepper", "#9B1B30"),
    ("13-1106 TCX", "Sand Dollar", "#DECDBE"),
    ("17-1456 TCX", "Tigerlily", "#E2583E"),
    ("14-4811 TCX", "Aqua Sky", "#7BC4C4"),
    ("19-1664 TCX", "True Red", "#BF1932"),
    ("17-2031 TCX", "Fuchsia Rose", "#C74375"),
    ("15-4020 TCX", "Cerulean", "#9BB7D4"),
    ("13-0647 TCX", "Illuminating", "#F5DF4D"),
    ("17-5104 TCX", "Ultimate Gray", "#939597"),
    ("17-3938 TCX", "Very Peri", "#6667AB"),
    ("18-1750 TCX", "Viva Magenta", "#BB2649"),
    ("13-1023 TCX", "Peach Fuzz", "#FFBE98"),
    ("17-1230 TCX", "Mocha Mousse", "#A47864"),
)


def pantone_reference(hex_color: str) -> str:
    """Nearest PANTONE TCX reference of ``hex_color`` when within CIE94 8, e.g.
    ``"PANTONE 19-4052 TCX Classic Blue (nearest)"``; otherwise ``"N/A"``.

    Source: DESIGN.md §6 (offline text templates); seed 000 §3 Phase 1 and Phase 6.
    """
    lab = rgb_to_lab(np.array(hex_to_rgb(hex_color), dtype=np.float64))
    refs = rgb_to_lab(np.array([hex_to_rgb(h) for _, _, h in _PANTONE_TCX], dtype=np.float64))
    dist = delta_e94(lab[None, :], refs)
    i = int(np.argmin(dist))
    if float(dist[i]) > 8.0:
        return "N/A"
    code, name, _ = _PANTONE_TCX[i]
    return f"PANTONE {code} {name} (nearest)"


@dataclass(frozen=True)
class MaterialSpec:
    """A material as bought by the factory: specification, purchase unit and cost in cents per unit.

    Source: DESIGN.md §6 (offline text templates); seed 000 §3 Phase 1 and Phase 6.
    """

    name: str
    specification: str
    unit: str
    unit_cost_cents: int
    care: str
    textile: bool = False


_MATERIAL_SPECS: tuple[tuple[str, MaterialSpec], ...] = (
    ("organic cotton", MaterialSpec("GOTS-certified organic cotton canvas", "340 g/m2 (10 oz), plain weave, pre-shrunk",
                                    "m", 780, "Machine wash cold on a gentle cycle, line dry", True)),
    ("canvas", MaterialSpec("Cotton canvas", "400 g/m2 (12 oz), tight plain weave, pre-shrunk", "m", 650,
                            "Spot clean or machine wash cold on a gentle cycle, line dry, do not bleach", True)),
    ("vegan leather", MaterialSpec("PU-coated microfibre (vegan leather)", "1.2 mm, embossed grain", "m", 900,
                                   "Wipe with a damp cloth", False)),
    ("full-grain leather", MaterialSpec("Full-grain vegetable-tanned leather", "3.0-3.5 mm, burnished edges", "set",
                                        1500, "Wipe clean; condition twice a year; keep away from heat")),
    ("leather", MaterialSpec("Vegetable-tanned cowhide leather", "3.0-3.5 mm, burnished and sealed edges", "set",
                             1500, "Wipe clean; condition twice a year; keep away from heat")),
    ("suede", MaterialSpec("Split suede leather", "1.4-1.6 mm", "m", 1400, "Brush clean; use a suede protector")),
    ("denim", MaterialSpec("Cotton denim", "12 oz, 3x1 twill", "m", 600, "Machine wash cold inside out", True)),
    ("recycled polyester", MaterialSpec("Recycled polyester (rPET)", "600D, PU coated, DWR finish", "m", 520,
                                        "Spot clean with mild soap", True)),
    ("nylon", MaterialSpec("Nylon", "420D ripstop, PU coated", "m", 560, "Spot clean with mild soap", True)),
    ("polyester", MaterialSpec("Polyester", "300D, PU backed", "m", 380, "Machine wash cold, line dry", True)),
    ("linen", MaterialSpec("Linen", "100% linen, 280 g/m2", "m", 900, "Dry clean or gentle hand wash", True)),
    ("wool", MaterialSpec("Wool", "100% wool, 450 g/m2 melton", "m", 1600, "Dry clean only", True)),
    ("felt", MaterialSpec("Wool-blend felt", "3 mm", "m", 1100, "Spot clean", True)),
    ("jute", MaterialSpec("Jute", "Hessian, 340 g/m2, laminated inside", "m", 300, "Spot clean", True)),
    ("twill", MaterialSpec("Cotton twill", "240 g/m2, 2x1 twill", "m", 420, "Hand wash cold, reshape, air dry", True)),
    ("cotton", MaterialSpec("Cotton", "240 g/m2 twill", "m", 420, "Machine wash cold, line dry", True)),
    ("mesh", MaterialSpec("Polyester air mesh", "3D spacer mesh, 4 mm", "m", 450, "Hand wash", True)),
    ("knit", MaterialSpec("Engineered knit", "Polyester yarn, 2-layer", "pair", 650, "Hand wash", True)),
    ("velvet", MaterialSpec("Polyester velvet", "320 g/m2, 50,000 Martindale rubs", "m", 1200, "Vacuum; spot clean", True)),
    ("upholstery", MaterialSpec("Upholstery fabric", "Polyester blend, 40,000 Martindale rubs", "m", 1100,
                                "Vacuum regularly; spot clean with mild detergent", True)),
    ("stainless", MaterialSpec("18/8 (304) stainless steel", "0.5 mm wall, double-wall vacuum insulated", "pc", 420,
                               "Hand wash; do not microwave")),
    ("alumin", MaterialSpec("6061 aluminium", "Anodised, 1.0 mm", "pc", 380, "Wipe clean")),
    ("brass", MaterialSpec("Solid brass", "Lacquered, CNC turned", "pc", 650, "Wipe with a dry cloth")),
    ("steel", MaterialSpec("Powder-coated steel", "1.2 mm, epoxy powder coat", "pc", 300, "Wipe clean")),
    ("porcelain", MaterialSpec("Porcelain", "Fired at 1280 C, lead-free glaze", "pc", 220,
                               "Dishwasher and microwave safe")),
    ("ceramic", MaterialSpec("Stoneware ceramic", "Fired at 1220 C, lead-free food-safe glaze", "pc", 180,
                             "Dishwasher and microwave safe")),
    ("stoneware", MaterialSpec("Stoneware ceramic", "Fired at 1220 C, lead-free food-safe glaze", "pc", 180,
                               "Dishwasher and microwave safe")),
    ("glass", MaterialSpec("Borosilicate glass 3.3", "2.5 mm wall", "pc", 150, "Dishwasher safe")),
    ("bamboo", MaterialSpec("Moso bamboo", "Food-safe water-based lacquer", "pc", 90, "Hand wash, dry immediately")),
    ("oak", MaterialSpec("Solid oak (FSC)", "Kiln dried to 8-10% moisture, matt lacquer", "set", 2400,
                         "Wipe with a damp cloth; avoid direct heat")),
    ("walnut", MaterialSpec("Solid walnut (FSC)", "Kiln dried to 8-10% moisture, hardwax oil", "set", 3600,
                            "Wipe with a damp cloth; re-oil yearly")),
    ("wood", MaterialSpec("Solid hardwood (FSC)", "Kiln dried to 8-10% moisture, matt lacquer", "set", 2200,
                          "Wipe with a damp cloth")),
    ("cork", MaterialSpec("Natural cork", "Agglomerated, 3 mm", "pc", 120, "Wipe clean")),
    ("silicone", MaterialSpec("Silicone", "Shore 50A, food / skin safe", "pc", 60, "Wash with mild soap")),
    ("rubber", MaterialSpec("Rubber", "Vulcanised, Shore 60A, non-marking", "pair", 480, "Wipe clean")),
    ("polycarbonate", MaterialSpec("Polycarbonate", "1.2 mm, UV-stabilised", "pc", 110, "Wipe clean")),
    ("tpu", MaterialSpec("TPU", "Shore 85A, 1.0 mm", "pc", 90, "Wipe clean")),
    ("acrylic", MaterialSpec("Cast acrylic", "3 mm", "pc", 150, "Wipe with a soft cloth")),
    ("abs", MaterialSpec("ABS plastic", "2.0 mm wall, textured finish", "pc", 140, "Wipe clean")),
    ("plastic", MaterialSpec("Polypropylene", "BPA-free, 1.5 mm", "pc", 70, "Wipe clean")),
    ("polypropylene", MaterialSpec("Polypropylene", "BPA-free, 1.5 mm", "pc", 70, "Wipe clean")),
    ("chipboard", MaterialSpec("Rigid chipboard", "1200 g/m2 greyboard", "pc", 45, "Keep dry")),
    ("paperboard", MaterialSpec("Rigid chipboard", "1200 g/m2 greyboard", "pc", 45, "Keep dry")),
    ("kraft", MaterialSpec("Kraft paper wrap", "120 g/m2, FSC", "pc", 25, "Keep dry")),
    ("paper", MaterialSpec("Paper wrap", "157 g/m2 coated art paper, FSC", "pc", 30, "Keep dry")),
    ("foam", MaterialSpec("High-resilience foam", "35 kg/m3, CertiPUR", "pc", 900, "Do not wash")),
    ("glaze", MaterialSpec("Food-safe glaze", "Lead- and cadmium-free", "pc", 20, "Dishwasher safe")),
)


def material_spec(name: str) -> MaterialSpec:
    """The purchasing spec of a material named in free text ("Cotton canvas" -> canvas). Unknown
    materials get a generic spec.

    Source: DESIGN.md §6 (offline text templates); seed 000 §3 Phase 1 and Phase 6.
    """
    low = name.lower()
    for key, spec in _MATERIAL_SPECS:
        if key in low:
            return spec
    return MaterialSpec(name, "To be confirmed with the supplier", "pc", 200, "Wipe clean")


# Per category: bill-of-materials rows (component, material index or fixed material, quantity, unit
# override, spec override). Index 0 / 1 use the product's first / second material.
_BOM: dict[str, tuple[tuple[str, int | str, str], ...]] = {
    "tote": (("Main body", 0, "0.8"), ("Straps", 1, "1"), ("Lining", "twill", "0.6"), ("Thread", "thread", "1"),
             ("Label", "label", "1")),
    "backpack": (("Main body", 0, "1.2"), ("Shoulder straps and handle", 1, "1"), ("Back panel padding", "mesh", "0.3"),
                 ("Lining", "polyester", "1.0"), ("Zippers", "zipper", "3"), ("Label", "label", "1")),
    "bottle": (("Body", 0, "1"), ("Cap", 1, "1"), ("Cap seal", "silicone", "1"), ("Print", "print", "1")),
    "mug": (("Body and handle", 0, "1"), ("Glaze", "glaze", "1"), ("Decoration", "print", "1")),
    "box": (("Base and lid board", 0, "2"), ("Wrap", 1, "2"), ("Insert", "paperboard", "1"), ("Belly band", "paper", "1")),
    "shoe": (("Upper", 0, "1"), ("Outsole", 1, "1"), ("Lining", "twill", "0.3"), ("Laces", "laces", "1"),
             ("Insole", "foam", "1")),
    "hat": (("Crown panels", 0, "0.4"), ("Brim", 0, "0.1"), ("Sweatband", "twill", "0.1"), ("Back strap", "strap", "1"),
            ("Label", "label", "1")),
    "lamp": (("Shade", 0, "1"), ("Base and stem", 1, "1"), ("Electrical kit", "electrical", "1"), ("Bulb holder", "socket", "1")),
    "chair": (("Upholstery", 0, "1.5"), ("Frame and legs", 1, "1"), ("Seat foam", "foam", "1"), ("Glides", "glides", "4")),
    "phone_case": (("Shell", 0, "1"), ("Bumper and buttons", 1, "1"), ("Lining", "microfibre", "1"), ("Print", "print", "1")),
    "generic": (("Body", 0, "1"), ("Base", 1, "1"), ("Fasteners", "fasteners", "4"), ("Label", "label", "1")),
}

_FIXED_LINES: dict[str, tuple[str, str, str, int]] = {
    # key -> (material, specification, unit, unit cost in cents)
    "thread": ("Bonded polyester thread", "Tex 70, color-matched", "cone", 40),
    "label": ("Woven brand label", "Damask, 50 x 20 mm, heat-cut edges", "pc", 12),
    "zipper": ("Coil zipper", "#5 nylon coil, matching pullers", "pc", 65),
    "print": ("Logo print", "Screen / pad print, 1-2 colors", "pc", 35),
    "laces": ("Flat cotton laces", "8 mm, waxed, 120 cm", "pair", 30),
    "strap": ("Adjustable back strap", "Webbing with metal slider", "pc", 45),
    "electrical": ("Electrical kit", "UL/CE-listed cord, inline switch, E26/E27", "set", 320),
    "socket": ("Bulb holder", "E26/E27 thermoplastic socket", "pc", 60),
    "glides": ("Floor glides", "Felt, 24 mm", "pc", 8),
    "microfibre": ("Microfibre lining", "Soft-touch, 0.3 mm", "pc", 15),
    "fasteners": ("Fasteners", "Stainless M3 screws", "pc", 3),
}

_LABOR_CENTS = {"tote": 650, "backpack": 1400, "bottle": 300, "mug": 250, "box": 120, "shoe": 1800, "hat": 400,
                "lamp": 1100, "chair": 4500, "phone_case": 150, "generic": 500}
_LEAD_TIME = {"tote": "4-6 weeks (2 weeks sampling, 3-4 weeks bulk production)",
              "backpack": "6-8 weeks (2-3 weeks sampling, 4-5 weeks bulk production)",
              "bottle": "6-8 weeks (tooling and sampling 3 weeks, bulk 4-5 weeks)",
              "mug": "5-7 weeks (moulds and sampling 2 weeks, bulk 3-5 weeks)",
              "box": "3-4 weeks (digital proof 1 week, bulk 2-3 weeks)",
              "shoe": "10-12 weeks (lasts and sampling 4 weeks, bulk 6-8 weeks)",
              "hat": "4-5 weeks (1-2 weeks sampling, 3 weeks bulk production)",
              "lamp": "8-10 weeks (certification and sampling 4 weeks, bulk 4-6 weeks)",
              "chair": "10-12 weeks (prototype 4 weeks, bulk 6-8 weeks)",
              "phone_case": "4-6 weeks (tooling 2 weeks, bulk 2-4 weeks)",
              "generic": "6-8 weeks (sampling 2-3 weeks, bulk production 4-5 weeks)"}

_SOFT_GOODS = {"tote", "backpack", "hat", "shoe"}


def _qty(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 1.0


def _round_price(cents: int) -> int:
    """Retail price in cents ending in .95 or .00 (e.g. 4495)."""
    whole = max(5, int(round(cents / 500.0)) * 5)
    return whole * 100 - 5


def _title(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in text.split())


def _category(context: TechPackContext) -> str:
    # the product's own words first, the form's category field (a department) last, as the image renderer
    return (
        detect_category(context.product_prompt, context.features.category, context.features.product_name,
                        context.category)
        or "generic"
    )


def _template(category: str) -> str:
    """The tech-pack template (bill of materials, construction, sizes, quality, packaging, lead time) of a
    category: its own for the categories that have one, else the generic template."""
    return category if category in _BOM else "generic"


def _palette_type(usage: str, index: int) -> str:
    low = usage.lower()
    for t in ("primary", "secondary", "accent"):
        if t in low:
            return t
    return ("primary", "secondary")[index] if index < 2 else "accent"


def _dimensions(category: str, w: int, h: int, d: int) -> tuple[list[str], str, list[SizeSpec]]:
    soft = category in _SOFT_GOODS

    def m(name: str, value: float) -> Measurement:
        v = int(round(value))
        tol = max(3, int(round(v * 0.015))) if soft else max(1, int(round(v * 0.005)))
        return Measurement(name=name, value_mm=v, tolerance_mm=tol)

    base = [m("Width", w), m("Height", h), m("Depth", d)]
    if category == "shoe":
        sizes = [f"EU {n}" for n in range(38, 46)]
        specs = []
        for n in range(38, 46):
            length = w + (n - 42) * 20 / 3  # one Paris point = 2/3 cm
            specs.append(SizeSpec(size=f"EU {n}", measurements=[
                m("Outsole length", length), m("Outsole width", d * (0.94 + 0.012 * (n - 38))),
                m("Heel height (collar)", h), m("Outsole thickness", 30)]))
        return sizes, f"Unisex EU 38-45 (sample size EU 42: {w} x {d} x {h} mm, L x W x H); half sizes on request.", specs
    if category == "hat":
        specs = [SizeSpec(size="S/M", measurements=[m("Head circumference", 560), m("Crown height", h),
                                                    m("Brim length", 70), m("Width", w)]),
                 SizeSpec(size="L/XL", measurements=[m("Head circumference", 590), m("Crown height", h + 5),
                                                     m("Brim length", 72), m("Width", w + 10)])]
        return ["S/M", "L/XL"], "Two sizes with an adjustable back strap (head 54-60 cm).", specs
    extra: list[Measurement] = []
    if category == "tote":
        extra = [m("Handle drop", h * 0.55), m("Strap width", 30)]
    elif category == "backpack":
        extra = [m("Shoulder strap length (adjustable, max)", 860), m("Front pocket width", w * 0.72)]
    elif category == "bottle":
        extra = [m("Body diameter", w), m("Cap diameter", w * 0.53), m("Mouth inner diameter", w * 0.4)]
    elif category == "mug":
        extra = [m("Rim diameter", w), m("Handle projection", 34), m("Wall thickness", 5)]
    elif category == "box":
        extra = [m("Internal width", w - 8), m("Internal height", h - 8), m("Internal depth", d - 8),
                 m("Lid height", h * 0.32)]
    elif category == "lamp":
        extra = [m("Shade bottom diameter", w), m("Shade top diameter", w * 0.74), m("Base diameter", w * 0.57)]
    elif category == "chair":
        extra = [m("Seat height", h * 0.56), m("Seat depth", d - 24), m("Backrest height", h * 0.38)]
    elif category == "phone_case":
        extra = [m("Wall thickness", 1), m("Lip height above screen", 1), m("Camera cut-out", 30)]
    name = "One Size" if category not in ("phone_case",) else "Standard"
    desc = f"{name}: {w} x {h} x {d} mm (W x H x D)."
    return [name], desc, [SizeSpec(size=name, measurements=base + extra)]


_CONSTRUCTION: dict[str, tuple[str, tuple[tuple[str, str], ...], tuple[str, ...], str]] = {
    # category -> (description, construction features, hardware, hardware description)
    "tote": ("Cut-and-sew construction with reinforced stress points; double-fold top hem and bagged lining.",
             (("Seam type", "French seams on side seams, 10 mm allowance, 10-11 stitches per 25 mm"),
              ("Top hem", "Double-fold 30 mm hem, edge-stitched"),
              ("Strap attachment", "Straps riveted through body and a 2 mm leather backer, then box-stitched"),
              ("Reinforcement", "Bar tacks at strap ends and pocket corners"),
              ("Base", "Boxed base gusset matching the depth")),
             ("4x double-cap rivets, 9 mm, antique brass", "1x woven brand label"),
             "Antique brass finish, nickel-free."),
    "backpack": ("Cut-and-sew construction with bound internal seams and a padded back panel.",
                 (("Seam type", "Bound (taped) internal seams, 10 mm allowance"),
                  ("Zippers", "Main and front-pocket zips with stitched garages"),
                  ("Shoulder straps", "Padded, box-stitched to the top and bar-tacked at the base"),
                  ("Reinforcement", "Bar tacks at all load points; 1000D base panel")),
                 ("3x #5 coil zippers with matching pullers", "2x 25 mm ladder-lock sliders", "1x top carry handle"),
                 "Gunmetal zinc-alloy pullers and acetal sliders."),
    "bottle": ("Deep-drawn double-wall body, vacuum sealed, powder-coated exterior; injection-moulded cap.",
               (("Body", "Double-wall 18/8 stainless steel, vacuum insulated, copper-lined inner wall"),
                ("Finish", "Powder coat, 60-80 microns, matte"),
                ("Cap", "Injection-moulded cap with food-grade silicone seal, leak-proof thread"),
                ("Decoration", "Logo laser-engraved or pad printed on the front")),
               ("1x silicone cap seal", "1x threaded cap insert"),
               "No exposed metal hardware; all contact parts food grade."),
    "mug": ("Slip-cast stoneware body with pulled handle, bisque fired then glaze fired.",
            (("Forming", "Slip cast body, handle attached before bisque firing"),
             ("Glaze", "Lead- and cadmium-free food-safe glaze inside and out; unglazed foot ring"),
             ("Firing", "Bisque 1000 C, glaze 1220 C"),
             ("Decoration", "Decal or screen print fired at 800 C")),
            ("None: one-piece ceramic with an integral handle",),
            "No hardware: the handle is ceramic, attached before firing."),
    "box": ("Two-piece rigid set-up box: greyboard base and lid wrapped in printed paper, with a belly band.",
            (("Board", "1200 g/m2 greyboard, V-grooved corners"),
             ("Wrap", "Printed paper wrap glued with water-based adhesive, 15 mm turn-ins"),
             ("Lid fit", "Lid 2 mm oversize for a smooth friction fit"),
             ("Belly band", "Printed paper band, slip-on")),
            ("None: glued construction, no metal parts",),
            "No hardware; fully recyclable paper construction."),
    "shoe": ("Cupsole construction: stitched upper lasted and cemented to a moulded rubber cupsole.",
             (("Upper", "Panels cut, skived and stitched, 8-9 stitches per 25 mm"),
              ("Lasting", "Board lasted, toe puff and heel counter inserted"),
              ("Sole attachment", "Cemented and side-stitched cupsole"),
              ("Collar", "Padded collar with foam, bound edge")),
             ("12x metal eyelets, 6 mm", "1x pair flat laces"),
             "Matte black metal eyelets."),
    "hat": ("Six-panel cap, structured front panels with buckram, sewn brim and taped seams.",
            (("Panels", "Six panels, top-stitched seams"),
             ("Brim", "Pre-curved plastic brim board covered in shell fabric, 8 rows of stitching"),
             ("Interior", "Taped seams, cotton sweatband"),
             ("Eyelets", "Embroidered eyelets on each panel")),
            ("1x metal slider buckle for the back strap", "1x covered top button"),
            "Antique brass back-strap slider."),
    "lamp": ("Turned metal base with a weighted foot, threaded stem and a fabric drum shade on a spider fitting.",
             (("Base", "Weighted foot, turned and lacquered, felt underneath"),
              ("Shade", "Fabric laminated to styrene, rolled edges, 3 mm"),
              ("Wiring", "Listed cord set with inline switch, strain relief at the base"),
              ("Assembly", "Threaded 1/8 IP stem, harp and finial")),
             ("1x E26/E27 socket", "1x harp and finial", "1x inline rocker switch", "1x cord set 1.8 m"),
             "Brass-finished harp and finial; UL/CE-listed electrical parts."),
    "chair": ("Solid-wood frame with mortise-and-tenon joints; upholstered seat and backrest over foam.",
              (("Joinery", "Mortise-and-tenon joints, glued and dowelled"),
               ("Seat", "Webbed seat with 50 mm high-resilience foam, upholstered, stapled underneath"),
               ("Backrest", "Upholstered panel fixed with concealed screws"),
               ("Finish", "Matt water-based lacquer on wood parts")),
              ("4x felt floor glides", "8x M6 threaded inserts and bolts", "4x corner blocks"),
              "Zinc-plated steel fixings, concealed."),
    "phone_case": ("Two-shot moulded case: polycarbonate shell with a TPU bumper and microfibre lining.",
                   (("Shell", "Two-shot injection moulding, 1.2 mm"),
                    ("Bumper", "Raised 1 mm lip around screen and camera"),
                    ("Buttons", "Covered tactile buttons"),
                    ("Lining", "Microfibre lining bonded inside")),
                   ("None: moulded buttons, no metal parts",),
                   "No metal hardware; MagSafe-compatible magnet ring optional."),
    "generic": ("Injection-moulded housing in two halves, snap-fitted and screwed, with a contrast base.",
                (("Housing", "Two-part injection moulding, 2.0 mm wall"),
                 ("Assembly", "Snap fits plus 4 screws"),
                 ("Finish", "Fine texture, color matched to the approved sample")),
                ("4x stainless M3 screws", "4x rubber feet"),
                "Stainless steel screws, concealed under feet."),
}

_PACKAGING: dict[str, tuple[str, str, str]] = {
    # category -> (description, type, sustainability)
    "tote": ("Folded flat in a recycled-paper sleeve, 20 units per master carton", "Paper sleeve + kraft mailer",
             "Plastic-free; 100% recycled and recyclable paper"),
    "backpack": ("Stuffed with paper to hold its shape, in a recycled polybag", "Recycled polybag + master carton",
                 "Recycled LDPE bag with recycling instructions; FSC carton"),
    "bottle": ("Individual printed box with a moulded-pulp insert", "Printed folding carton", "FSC board, soy inks"),
    "mug": ("Individual box with moulded-pulp insert, drop-tested", "Printed folding carton + pulp insert",
            "Plastic-free; moulded pulp from recycled fibre"),
    "box": ("Shipped flat-nested in master cartons of 50", "Master carton", "FSC-certified, recyclable"),
    "shoe": ("Shoe box with tissue paper, 10 pairs per master carton", "Printed shoe box",
             "Recycled board, no plastic fillers"),
    "hat": ("Cap shaper and tissue in a recycled-paper sleeve", "Paper sleeve", "Plastic-free"),
    "lamp": ("Shade and base packed separately in a double-wall carton with pulp inserts",
             "Double-wall corrugated carton", "Moulded pulp inserts, recyclable"),
    "chair": ("Knock-down packed, corners protected, in a 5-ply carton", "5-ply corrugated carton",
              "Recycled board; no polystyrene"),
    "phone_case": ("Printed paper box with a card insert", "Folding carton", "Plastic-free"),
    "generic": ("Individual printed box with a pulp insert", "Printed folding carton", "FSC board, recyclable"),
}


def _quality(category: str, materials: list[str]) -> list[QualityStandard]:
    mats = " ".join(materials).lower()
    out = [
        QualityStandard(aspect="Color match", requirement="Delta E (CIE94) <= 2.0 against the approved color standard",
                        test_method="Spectrophotometer reading under D65 on the first production lot"),
        QualityStandard(aspect="Visual inspection", requirement="AQL 2.5 major / 4.0 minor defects",
                        test_method="ISO 2859-1 random sampling before shipment"),
    ]
    if category in _SOFT_GOODS or any(k in mats for k in ("canvas", "cotton", "linen", "polyester", "nylon", "wool")):
        out += [
            QualityStandard(aspect="Color fastness to washing", requirement="Grade 4 minimum",
                            test_method="ISO 105-C06"),
            QualityStandard(aspect="Color fastness to rubbing", requirement="Grade 4 dry / 3 wet minimum",
                            test_method="ISO 105-X12"),
            QualityStandard(aspect="Seam strength", requirement="Minimum 200 N on load-bearing seams",
                            test_method="ISO 13935-2 (grab method)"),
        ]
    if "leather" in mats:
        out.append(QualityStandard(aspect="Leather rub fastness", requirement="Grade 4 after 50 dry cycles",
                                   test_method="ISO 11640"))
    specific = {
        "tote": [("Load test", "Carries 15 kg for 1 h with no seam or strap failure", "Static load test, 3 samples")],
        "backpack": [("Load test", "Carries 20 kg, 3 cycles of 1,000 lifts, no failure", "Dynamic load test")],
        "bottle": [("Leak test", "No leakage when filled and inverted for 24 h", "In-house leak test, 100% of lot"),
                   ("Food contact", "Compliant with EU 1935/2004 and FDA 21 CFR", "Third-party migration test"),
                   ("Insulation", "Hot 95 C drinks stay above 60 C after 6 h", "EN 12546-1 style retention test")],
        "mug": [("Lead and cadmium release", "Below ISO 6486-2 limits", "ISO 6486-1"),
                ("Dishwasher resistance", "No visible change after 500 cycles", "EN 12875-1"),
                ("Thermal shock", "No crazing after 3 cycles 20 C <-> 100 C", "In-house thermal shock test")],
        "box": [("Board strength", "No crushing under 20 kg stacking load for 24 h", "Compression test"),
                ("Transit", "Passes drop test without damage", "ISTA 1A")],
        "shoe": [("Upper-sole adhesion", "Minimum 4.0 N/mm", "ISO 17708"),
                 ("Outsole flex", "No cracks after 30,000 flexes", "ISO 17707")],
        "hat": [("Dimensional stability", "Shrinkage below 3% after washing", "ISO 5077")],
        "lamp": [("Electrical safety", "Compliant with luminaire safety standard", "IEC 60598-1 / UL 153")],
        "chair": [("Strength and durability", "Passes domestic seating tests", "EN 12520 / EN 1728")],
        "phone_case": [("Drop protection", "No damage to the device after 26 drops from 1.2 m",
                        "MIL-STD-810G Method 516.6 procedure IV")],
        "generic": [("Drop test", "No cracks after 10 drops from 1 m", "ISTA 1A")],
    }[category]
    out += [QualityStandard(aspect=a, requirement=r, test_method=t) for a, r, t in specific]
    return out


# --------------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------------


def build_tech_pack(context: TechPackContext) -> TechPack:
    """A complete tech pack from the revision's features and prompt (seed 000 §3 Phase 6). Every section
    is filled; money in integer cents (USD), dimensions in millimetres."""
    f = context.features
    category = _category(context)
    spec = CATEGORIES[category]
    tpl = _template(category)
    dims = f.estimated_dimensions
    w = dims.width_mm if dims.width_mm > 0 else spec.dims_mm[0]
    h = dims.height_mm if dims.height_mm > 0 else spec.dims_mm[1]
    d = dims.depth_mm if dims.depth_mm > 0 else spec.dims_mm[2]
    materials = [m for m in f.materials if m.strip()] or materials_from_prompt(context.product_prompt, category)
    elements = [e for e in f.key_elements if e.strip()] or key_elements_from_prompt(context.product_prompt, category)

    # Bill of materials.
    lines: list[MaterialLine] = []
    for component, source, qty in _BOM[tpl]:
        if isinstance(source, int):
            if source < len(materials):
                name = materials[source]
            else:
                name = spec.materials[min(source, len(spec.materials) - 1)]
            ms = material_spec(name)
            unit, cost = ms.unit, ms.unit_cost_cents
            if source == 0 and unit == "set":  # leather or wood as the main body is bought by area
                unit, cost = "m2", int(cost * 1.5)
            lines.append(MaterialLine(component=component, material=ms.name, specification=ms.specification,
                                      quantity=qty, unit=unit, unit_cost_cents=cost))
        elif source in _FIXED_LINES:
            mat, spec_text, unit, cost = _FIXED_LINES[source]
            lines.append(MaterialLine(component=component, material=mat, specification=spec_text, quantity=qty,
                                      unit=unit, unit_cost_cents=cost))
        else:
            ms = material_spec(source)
            lines.append(MaterialLine(component=component, material=ms.name, specification=ms.specification,
                                      quantity=qty, unit=ms.unit, unit_cost_cents=ms.unit_cost_cents))
    if any("magnet" in e.lower() for e in elements):
        lines.append(MaterialLine(component="Closure", material="Magnetic snap", specification="18 mm, nickel-free, sew-in",
                                  quantity="1", unit="set", unit_cost_cents=45))
    material_cents = sum(int(round(line.unit_cost_cents * _qty(line.quantity))) for line in lines)
    cost_cents = material_cents + _LABOR_CENTS[tpl]
    price_cents = _round_price(int(cost_cents * 2.5))

    # Colors.
    palette: list[PaletteColor] = []
    for i, c in enumerate(f.colors[:6]):
        palette.append(PaletteColor(name=_title(c.name), hex=c.hex.upper(), type=_palette_type(c.usage, i),
                                    pantone=pantone_reference(c.hex)))
    if not palette:
        name, hexcode = spec.colors[0]
        palette.append(PaletteColor(name=_title(name), hex=hexcode, type="primary", pantone=pantone_reference(hexcode)))

    sizes, size_desc, size_specs = _dimensions(tpl, w, h, d)
    cdesc, cfeatures, hardware, hdesc = _CONSTRUCTION[tpl]
    features = [ConstructionFeature(feature_name=n, details=t) for n, t in cfeatures]
    known = " ".join(n.lower() + " " + t.lower() for n, t in cfeatures)
    for e in elements:
        key = e.lower().split()[-1]
        if key not in known:
            features.append(ConstructionFeature(feature_name=e, details=f"{e} as shown in the approved views of revision "
                                                                         f"#{context.revision_number}."))
    hw = list(hardware)
    if any("magnet" in e.lower() for e in elements):
        hw.insert(0, "1x magnetic snap closure, 18 mm, nickel-free")
    pdesc, ptype, psus = _PACKAGING[tpl]
    packaging = Packaging(description=pdesc, type=ptype, dimensions=f"{w + 30} x {h + 30} x {d + 30} mm",
                          branding="Logo printed on the front panel; care and origin label inside",
                          sustainability=psus)
    care_parts: list[str] = []
    for m in materials[:3]:
        care = material_spec(m).care
        if care not in care_parts:
            care_parts.append(care)
    care = ". ".join(care_parts) + "."

    overview = f.description.strip()
    if not overview.endswith("."):
        overview += "."
    overview += f" This tech pack describes revision #{context.revision_number}"
    overview += f", which changed: {context.edit_prompt.strip().rstrip('.')}." if context.edit_prompt else "."
    colors_text = ", ".join(f"{p.name} {p.hex}" for p in palette[:3])
    notes = (
        f"Match colors to the approved revision #{context.revision_number} views ({colors_text}); Pantone "
        "references are nearest matches, confirm against physical swatches. Approve a pre-production sample "
        "before bulk. Tolerances apply to finished goods measured flat. "
        + (f"Revision change to respect: {context.edit_prompt.strip()}. " if context.edit_prompt else "")
        + f"Estimated unit cost {cost_cents // 100}.{cost_cents % 100:02d} USD ex-works "
        f"(materials {material_cents // 100}.{material_cents % 100:02d}, labour "
        f"{_LABOR_CENTS[tpl] // 100}.{_LABOR_CENTS[tpl] % 100:02d})."
    )
    return TechPack(
        product_name=f.product_name or _title(spec.label),
        product_overview=overview,
        price_cents=price_cents,
        currency="USD",
        estimated_lead_time=_LEAD_TIME[tpl],
        care_instructions=care,
        materials=lines,
        color_palette=palette,
        size_range=sizes,
        size_description=size_desc,
        dimensions=size_specs,
        construction_description=cdesc,
        construction_features=features,
        hardware_description=hdesc,
        hardware=hw,
        packaging=packaging,
        quality_standards=_quality(tpl, materials),
        production_notes=notes,
    )


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    return text if (len(first) > 1 and first.isupper()) else text[:1].lower() + text[1:]


def improve_prompt_text(context: PromptContext) -> str:
    """A richer product description built from the text-tab fields (seed 000 §3 Phase 1, "Improve with
    AI"). Deterministic templates; never raises."""
    idea = " ".join(context.idea.split()).strip().rstrip(".")
    category = detect_category(idea, context.category) or "generic"
    spec = CATEGORIES[category]
    label = spec.label if category != "generic" else (context.category.strip().lower() or "product")
    if not idea:
        idea = f"A {label}"
    sentences = [idea[0].upper() + idea[1:] + "."]
    if category != "generic" and not re.search(r"\b(?:" + "|".join(spec.keywords) + r")\b", idea, re.IGNORECASE):
        sentences.append(f"Designed as a {label}.")
    elif category == "generic" and context.category.strip():
        sentences.append(f"Category: {context.category.strip()}.")
    if context.intended_use.strip():
        sentences.append(f"Made for {context.intended_use.strip().rstrip('.')}.")
    styles = [s.strip() for s in context.style_keywords if s.strip()]
    if styles:
        sentences.append(f"Style: {', '.join(styles)}, with clean lines and a refined, well-made finish.")
    colors = [c.strip() for c in context.colors if c.strip()]
    if colors:
        named = [f"{c} ({resolve_color(c)})" if resolve_color(c) and not c.startswith("#") else c for c in colors]
        roles = [f"{named[0]} main body"] + ([f"{named[1]} {spec.part_labels['secondary']}"] if len(named) > 1 else [])
        roles += [f"{n} accents" for n in named[2:]]
        sentences.append("Colorway: " + ", ".join(roles) + ".")
    materials = materials_from_prompt(idea, category)
    sentences.append("Materials: " + ", ".join(_lower_first(m) for m in materials) + ".")
    elements = key_elements_from_prompt(idea, category)
    if elements:
        sentences.append("Key details: " + ", ".join(e[0].lower() + e[1:] for e in elements) + ".")
    w, h, d = spec.dims_mm
    sentences.append(f"Approximate size {w} x {h} x {d} mm (W x H x D).")
    if context.product_goal.strip():
        sentences.append(f"Goal: {context.product_goal.strip().rstrip('.')}.")
    sentences.append("Show it as a photorealistic product photo on a pure white background with soft studio lighting.")
    return " ".join(sentences)


class OfflineTextProvider:
    """Text provider that fills templates locally (no network, deterministic).

    Implements :class:`~genpire_app.backend.providers.base.TextProvider`. Source: DESIGN.md §6.
    """

    name = "offline"
    model = "offline-templates-1"

    async def _knobs(self) -> None:
        settings = get_settings()
        if settings.offline_latency_ms > 0:
            await asyncio.sleep(settings.offline_latency_ms / 1000)
        if settings.offline_failing("text"):
            raise ProviderError("The text service is unavailable (offline test mode).", provider="offline")

    async def improve_prompt(self, context: PromptContext) -> Completion[str]:
        """Rewrite the user's idea as a richer product description (category, use, style, colorway,
        materials, key details, size in millimetres, goal). Source: seed 000 §3 Phase 1.

        Raises:
            ProviderError: in offline failure mode (``OFFLINE_FAIL=text``).
        """
        await self._knobs()
        return Completion(value=improve_prompt_text(context), model=self.model)

    async def generate_tech_pack(self, context: TechPackContext) -> Completion[TechPack]:
        """Write the tech pack of one revision from its extracted features: BOM with integer
        ``unit_cost_cents``, palette with hex and nearest Pantone (or "N/A"), sizes and measurements in
        millimetres with tolerances, construction, hardware, packaging, quality standards with test
        methods, care, lead time and ``price_cents``. Source: seed 000 §3 Phase 6.

        Raises:
            ProviderError: in offline failure mode (``OFFLINE_FAIL=text``).
        """
        await self._knobs()
        pack = await asyncio.to_thread(build_tech_pack, context)
        return Completion(value=pack, model=self.model)
