"""Offline text provider: prompt improvement and tech packs from templates (no network, no model).

Source: DESIGN.md §6 ("templates filled from the prompt and the pixel analysis"); seed 000 §3 Phase 1
("Improve with AI") and Phase 6 (tech pack generation and the "Tech Pack Structure").

Everything here is deterministic: the same context always gives the same text. Money is in integer cents
(USD), measurements in millimetres.

The reference data and per-category templates (materials, bill of materials, construction, packaging ...)
are in :mod:`genpire_app.backend.providers.offline_templates`; this module fills them in and is the provider.
"""

from __future__ import annotations

import asyncio
import re

from genpire_app.backend.providers.offline_knobs import offline_knobs
from genpire_app.backend.providers.base import (
    Completion,
    ConstructionFeature,
    MaterialLine,
    Measurement,
    Packaging,
    PaletteColor,
    PromptContext,
    QualityStandard,
    SizeSpec,
    TechPack,
    TechPackContext,
)
from genpire_app.backend.providers.colors import resolve_color
from genpire_app.backend.providers.offline import CATEGORIES, detect_category
from genpire_app.backend.providers.offline_templates import (
    _BOM,
    _CONSTRUCTION,
    _FIXED_LINES,
    _LABOR_CENTS,
    _LEAD_TIME,
    _PACKAGING,
    _SOFT_GOODS,
    material_spec,
    pantone_reference,
)
from genpire_app.backend.providers.offline_vision import key_elements_from_prompt, materials_from_prompt

# --------------------------------------------------------------------------------------------------
# Template helpers
# --------------------------------------------------------------------------------------------------


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
        await offline_knobs("text")

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
