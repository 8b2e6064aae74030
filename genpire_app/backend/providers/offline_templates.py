"""Reference data and per-category templates of the offline tech pack (no network, no model).

The tables :mod:`genpire_app.backend.providers.offline_text` fills a tech pack from: nearest PANTONE TCX
references, purchasing specs of materials, and per category the bill of materials, fixed BOM lines, labour
cost, lead time, construction, hardware and packaging. Money is in integer cents (USD), measurements in
millimetres.

Source: DESIGN.md §6 ("templates filled from the prompt and the pixel analysis"); seed 000 §3 Phase 6
(tech pack generation and the "Tech Pack Structure").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genpire_app.backend.providers.colors import delta_e94, hex_to_rgb, rgb_to_lab

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

# --------------------------------------------------------------------------------------------------
# Construction, hardware and packaging per template
# --------------------------------------------------------------------------------------------------

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
