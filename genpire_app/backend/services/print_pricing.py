"""3D print pricing: measure a model once, then price any size and options in microseconds.

Pure functions (no database, no Reflex, nothing cached globally). The Print Configuration page (seed 003
"Print Configuration Page": technology, material, colour, surface finish, quantity and target dimensions,
with a price breakdown that updates as the options change; its ``calculatePriceAction``) works in two
steps:

1. :func:`analyse` loads the model's GLB **once** when the page opens (CPU-bound: hundreds of milliseconds
   for ~100,000 triangles; run it off the event loop) and returns a small, immutable :class:`MeshInfo`
   (extents, volume, area, whether it is closed) that the page keeps in its state;
2. every option or size change calls :func:`scale_for` (the user typed one dimension) and :func:`quote`,
   which only do arithmetic on that :class:`MeshInfo`: the mesh is never re-read on an option change.

Units: lengths in millimetres, areas in mm², volumes in mm³ (cm³ for display and prices, 1 cm³ =
1,000 mm³), money in integer cents (US dollars), never floats. Axes are those of the project's print and CAD
exports (``exports/mesh_formats.py``): the GLB (glTF 2.0: metres, +Y up, the front facing +Z) becomes
millimetres with **+Z up**, so X = width, Y = depth, Z = height.

Rescaling the model file itself for an ordered print is not done here: DESIGN.md §12 ("print rescale")
keeps versions, the scaled model being a new version linked to the print order; this module only prices
the target size (seed 003 "Price Calculation: must accurately use the *target* dimensions").

Source: issue 9 item 5 (print configuration and its price); seed 003 "Print Configuration Page",
"calculatePriceAction", "Price Calculation"; DESIGN.md §12.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import permutations

import numpy as np

from genpire_app.backend.services.mesh_analysis import REASON_FLAT, REASON_HOLES, MeshInfo, analyse

MAX_DIMENSION_MM = 2000.0
"""Largest target dimension accepted by :func:`scale_for` and :func:`quote`, in millimetres (2 m)."""

MAX_QUANTITY = 100
"""Most parts of one configured print (the cart's per-line limit, ``services/cart.py`` ``MAX_QUANTITY``)."""

UNCHANGED_TOLERANCE_MM = 0.05
"""With the aspect locked, a given dimension within this many millimetres of the model's current one
counts as unchanged (the page shows dimensions to 0.1 mm and may send all three back)."""



# glTF (x, y, z) metres -> Z-up millimetres (X = x, Y = -z, Z = y): the same matrix as
# ``exports/mesh_formats.py`` (``_GLTF_TO_ZUP_MM``, private there, so restated; a unit test checks that
# both give the same extents).

_FIT_EPSILON_MM = 1e-6  # float noise allowed when comparing a part with the build volume


# --------------------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class PricingModel:
    """One printable technology + material with its options and prices (seed 003 "Print Configuration Page":
    Technology, Material, Color, Surface Finish; ``calculatePriceAction`` "fetches pricing models").

    Attributes:
        technology: process shown to the user, e.g. ``"FDM"``, ``"SLA"``, ``"SLS"``, ``"MJF"``.
        material: e.g. ``"PLA"``, ``"PETG"``, ``"Standard resin"``, ``"Nylon PA12"``.
        colors: colour names offered, in display order.
        finishes: ``(finish name, surcharge in cents per part)`` in display order, e.g.
            ``(("Raw", 0), ("Sanded", 300), ("Painted", 900))``.
        setup_cents: fixed charge per order line (cents), whatever the quantity (slicing, machine set-up).
        cents_per_cm3: material + machine time, **integer cents per cm³** of part volume. Integers keep every
            price exact: the part's volume is first rounded half-up to a whole mm³, then
            ``cents = (mm³ × cents_per_cm3 + 500) // 1000`` (round half-up to the cent); see :func:`quote`.
        min_part_cents: least a part costs before its finish (cents); smaller parts are topped up to it.
        max_mm: build volume ``(x, y, z)`` in millimetres; a part must fit in some axis-aligned orientation.
        min_wall_mm: thinnest printable wall in millimetres (information for the user; not checked).
        lead_days: working days to print and ship.

    Raises:
        ValueError: a price is negative or not an ``int``, a build dimension is not positive, there is no
            colour or no finish, or a finish name repeats.
    """

    technology: str
    material: str
    colors: tuple[str, ...]
    finishes: tuple[tuple[str, int], ...]
    setup_cents: int
    cents_per_cm3: int
    min_part_cents: int
    max_mm: tuple[float, float, float]
    min_wall_mm: float
    lead_days: int

    def __post_init__(self) -> None:
        for name in ("setup_cents", "cents_per_cm3", "min_part_cents", "lead_days"):
            value = getattr(self, name)
            if not _is_int(value) or value < 0:
                raise ValueError(f"{self.label}: {name} must be a non-negative integer, got {value!r}")
        if len(self.max_mm) != 3 or not all(float(v) > 0 for v in self.max_mm):
            raise ValueError(f"{self.label}: max_mm must be three positive millimetre values, got {self.max_mm!r}")
        if not self.colors:
            raise ValueError(f"{self.label}: at least one colour is needed")
        if not self.finishes:
            raise ValueError(f"{self.label}: at least one finish is needed")
        names = [name for name, _ in self.finishes]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.label}: finish names repeat: {names}")
        for name, cents in self.finishes:
            if not _is_int(cents) or cents < 0:
                raise ValueError(f"{self.label}: the {name!r} surcharge must be non-negative integer cents")

    @property
    def label(self) -> str:
        """``"FDM PLA"``: technology and material, as shown in the option lists."""
        return f"{self.technology} {self.material}"

    def finish_cents(self, finish: str) -> int:
        """Surcharge in cents per part of ``finish``.

        Raises:
            QuoteRefused: ``finish`` is not offered for this technology and material.
        """
        for name, cents in self.finishes:
            if name == finish:
                return cents
        offered = ", ".join(name for name, _ in self.finishes)
        raise QuoteRefused(f"The finish {finish!r} is not offered for {self.label}; choose one of: {offered}.")


DEFAULT_MODELS: tuple[PricingModel, ...] = (
    PricingModel(
        technology="FDM", material="PLA",
        colors=("Black", "White", "Grey", "Red", "Blue"),
        finishes=(("Raw", 0), ("Sanded", 300), ("Primed", 500), ("Painted", 900)),
        setup_cents=500, cents_per_cm3=12, min_part_cents=300,
        max_mm=(256.0, 256.0, 256.0), min_wall_mm=0.8, lead_days=3,
    ),
    PricingModel(
        technology="FDM", material="PETG",
        colors=("Black", "White", "Clear", "Blue"),
        finishes=(("Raw", 0), ("Sanded", 300)),
        setup_cents=500, cents_per_cm3=15, min_part_cents=350,
        max_mm=(256.0, 256.0, 256.0), min_wall_mm=1.0, lead_days=4,
    ),
    PricingModel(
        technology="SLA", material="Standard resin",
        colors=("Grey", "White", "Black", "Clear"),
        finishes=(("Raw", 0), ("Sanded", 400), ("Primed", 600), ("Painted", 1200)),
        setup_cents=800, cents_per_cm3=35, min_part_cents=500,
        max_mm=(145.0, 145.0, 185.0), min_wall_mm=0.6, lead_days=4,
    ),
    PricingModel(
        technology="SLS", material="Nylon PA12",
        colors=("White", "Black"),
        finishes=(("Raw", 0), ("Bead blasted", 200), ("Vapor smoothed", 900)),
        setup_cents=1500, cents_per_cm3=45, min_part_cents=800,
        max_mm=(165.0, 165.0, 300.0), min_wall_mm=0.7, lead_days=6,
    ),
    PricingModel(
        technology="MJF", material="Nylon PA12",
        colors=("Grey", "Black"),
        finishes=(("Raw", 0), ("Bead blasted", 200), ("Vapor smoothed", 900)),
        setup_cents=1500, cents_per_cm3=42, min_part_cents=800,
        max_mm=(380.0, 284.0, 380.0), min_wall_mm=0.8, lead_days=5,
    ),
)
"""The default catalogue: FDM PLA ($0.12/cm³, 256 mm cube, e.g. a Bambu Lab X1), FDM PETG ($0.15/cm³), SLA
standard resin ($0.35/cm³, 145 × 145 × 185 mm, e.g. a Formlabs Form 3), SLS nylon PA12 ($0.45/cm³,
165 × 165 × 300 mm, e.g. a Formlabs Fuse 1) and MJF nylon PA12 ($0.42/cm³, 380 × 284 × 380 mm, e.g. an HP
Jet Fusion 5200). Prices in cents, illustrative (estimates in the range of online print services, not a supplier's
quote); source: seed 003 "Print Configuration Page" (the options)."""


def find_model(technology: str, material: str, models: tuple[PricingModel, ...] = DEFAULT_MODELS) -> PricingModel:
    """The catalogue entry for ``technology`` and ``material`` (exact names, as listed by the page).

    Raises:
        QuoteRefused: no entry matches (the message lists what is offered).

    Source: seed 003 ``calculatePriceAction`` ("fetches pricing models").
    """
    for model in models:
        if model.technology == technology and model.material == material:
            return model
    offered = ", ".join(m.label for m in models)
    raise QuoteRefused(f"{technology} {material} is not offered; choose one of: {offered}.")


# --------------------------------------------------------------------------------------------------------
# Target size
# --------------------------------------------------------------------------------------------------------

_AXES = ("width", "depth", "height")


def _check_dimension(axis: str, value: float) -> float:
    """``value`` as a float after checking it is a finite, positive dimension of at most 2,000 mm."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"The {axis} must be a number of millimetres, got {value!r}.")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"The {axis} must be more than 0 mm.")
    if value > MAX_DIMENSION_MM:
        raise ValueError(f"The {axis} must be at most {MAX_DIMENSION_MM:.0f} mm (got {value:g} mm).")
    return value


def scale_for(extents_mm: tuple[float, float, float], target_mm: tuple[float | None, float | None, float | None],
              lock_aspect: bool = True) -> tuple[float, float, float]:
    """The full target size ``(width, depth, height)`` in millimetres for the dimensions the user gave.

    With the aspect locked (the default), the one given dimension, or the one that changed when several are
    sent back (the others within :data:`UNCHANGED_TOLERANCE_MM` of the model's current size), scales all
    three by the same factor; several changed dimensions must agree on that factor. Unlocked, each given
    axis takes its value and the others keep the model's size (``None`` = keep). A given value is returned
    exactly; the scale factors for :func:`quote` are ``target / extents`` per axis.

    Args:
        extents_mm: the model's current ``(width, depth, height)`` in millimetres (``MeshInfo.extents_mm``).
        target_mm: the dimensions typed, millimetres, ``None`` where not given.
        lock_aspect: keep the proportions (uniform scale).

    Raises:
        ValueError: no dimension given; a dimension not a positive number of at most 2,000 mm (given or
            resulting from the locked aspect); a model extent not positive (a flat model cannot be scaled
            on that axis); with the aspect locked, changed dimensions that disagree on the scale.

    Source: issue 9 item 5; seed 003 "Print Configuration Page" ("Target Dimensions/Size").
    """
    if len(extents_mm) != 3 or len(target_mm) != 3:
        raise ValueError("Dimensions are (width, depth, height).")
    current = []
    for axis, value in zip(_AXES, extents_mm):
        value = float(value)
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"The model has no {axis} to scale (its {axis} is {value:g} mm).")
        current.append(value)
    given = {i: _check_dimension(_AXES[i], v) for i, v in enumerate(target_mm) if v is not None}
    if not given:
        raise ValueError("Give at least one dimension (width, depth or height).")
    if not lock_aspect:
        result = tuple(given.get(i, current[i]) for i in range(3))
    else:
        changed = {i: v for i, v in given.items() if abs(v - current[i]) > UNCHANGED_TOLERANCE_MM}
        if not changed:
            return (current[0], current[1], current[2])
        factors = {i: v / current[i] for i, v in changed.items()}
        k = next(iter(factors.values()))
        if any(not math.isclose(f, k, rel_tol=1e-6) for f in factors.values()):
            names = " and ".join(_AXES[i] for i in changed)
            raise ValueError(f"With the proportions locked, change one dimension at a time (the {names} "
                             "disagree), or unlock the proportions.")
        result = tuple(changed[i] if i in changed else current[i] * k for i in range(3))
    for axis, value in zip(_AXES, result):
        _check_dimension(axis, value)
    return (result[0], result[1], result[2])


# --------------------------------------------------------------------------------------------------------
# Quote
# --------------------------------------------------------------------------------------------------------


class QuoteRefused(ValueError):
    """A print that cannot be priced or made; ``reason`` is a sentence for the user.

    Source: issue 9 item 5; seed 003 "Print Configuration Page"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Quote:
    """The price of a configured print; every amount in integer cents.

    Attributes:
        unit_material_cents: material + machine of one part at the target size, before the minimum.
        min_topup_cents: what one part is topped up by to reach the model's ``min_part_cents`` (0 if none).
        finish_cents: the finish surcharge of one part.
        setup_cents: the fixed charge of the order line.
        unit_cents: one part: ``max(unit_material_cents, min_part_cents) + finish_cents``.
        quantity: parts ordered (1..100).
        total_cents: ``setup_cents + unit_cents × quantity``.
        volume_cm3: the part's volume at the target size, cm³ (display; whole mm³).
        target_mm: ``(width, depth, height)`` in millimetres.
        build_orientation_mm: the same dimensions as placed on the printer's ``(x, y, z)`` axes (differs from
            ``target_mm`` when the part only fits rotated).
        lead_days: working days to print and ship.
        lines: the breakdown shown to the user, ``(label, cents)``, summing to ``total_cents``.
        technology, material, color, finish: the options priced.

    Source: issue 9 item 5; seed 003 "Print Configuration Page" (price breakdown), ``calculatePriceAction``.
    """

    unit_material_cents: int
    min_topup_cents: int
    finish_cents: int
    setup_cents: int
    unit_cents: int
    quantity: int
    total_cents: int
    volume_cm3: float
    target_mm: tuple[float, float, float]
    build_orientation_mm: tuple[float, float, float]
    lead_days: int
    lines: list[tuple[str, int]] = field(default_factory=list)
    technology: str = ""
    material: str = ""
    color: str = ""
    finish: str = ""


def _round_half_up(value: float) -> int:
    """``value`` (>= 0) rounded to the nearest integer, halves up (exactly, from the float's binary value)."""
    return int(Decimal(value).to_integral_value(rounding=ROUND_HALF_UP))


def _fit(dims: tuple[float, float, float], build: tuple[float, float, float]) -> tuple[float, float, float] | None:
    """The first of the six axis-aligned orientations of ``dims`` (as given first) that fits in ``build``."""
    for candidate in permutations(dims):
        if all(c <= b + _FIT_EPSILON_MM for c, b in zip(candidate, build)):
            return (candidate[0], candidate[1], candidate[2])
    return None


def _usd(cents: int) -> str:
    """``"$3.00"`` from integer cents, without going through a float."""
    return f"${cents // 100:,}.{cents % 100:02d}"


def _mm(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def quote(info: MeshInfo, model: PricingModel, *, target_mm: tuple[float, float, float], color: str, finish: str,
          quantity: int) -> Quote:
    """Price ``quantity`` prints of the analysed model at ``target_mm`` with ``model``'s options.

    Arithmetic only (microseconds): call it on every option change with the :class:`MeshInfo` the page
    kept. The scaled volume is ``volume_mm3 × sx × sy × sz`` (``s = target / extents`` per axis, so doubling
    every dimension multiplies it by 8), rounded half-up to a whole mm³; then, all in integers with halves
    rounded up: ``unit_material = (mm³ × cents_per_cm3 + 500) // 1000``; ``unit = max(unit_material,
    min_part_cents) + finish surcharge``; ``total = setup_cents + unit × quantity``.

    Args:
        info: from :func:`analyse`.
        model: a catalogue entry (:data:`DEFAULT_MODELS`, :func:`find_model`).
        target_mm: full ``(width, depth, height)`` in millimetres (from :func:`scale_for`).
        color: one of ``model.colors``.
        finish: a finish name of ``model.finishes``.
        quantity: 1 to :data:`MAX_QUANTITY`.

    Returns:
        A :class:`Quote` whose ``lines`` are ``Material (v cm³ <material>)``, a ``Minimum part price`` top-up
        when it applies, ``Finish: <name>`` (each "× n" for n parts) and ``Setup (per order)``, summing to
        ``total_cents``.

    Raises:
        QuoteRefused: the mesh is not watertight (``info.reason``); a target dimension not a positive number
            of at most 2,000 mm; the part does not fit the build volume in any of the six axis-aligned
            orientations; the colour or finish is not offered; the quantity is not an integer in 1..100.

    Source: issue 9 item 5; seed 003 "Print Configuration Page", ``calculatePriceAction`` ("calculates volume
    from target dimensions, returns estimated price"), "Price Calculation" (uses the target size).
    """
    if not info.watertight:
        raise QuoteRefused(info.reason or REASON_HOLES)
    if not _is_int(quantity) or not 1 <= quantity <= MAX_QUANTITY:
        raise QuoteRefused(f"The quantity must be a whole number from 1 to {MAX_QUANTITY}.")
    quantity = int(quantity)
    if color not in model.colors:
        raise QuoteRefused(f"The colour {color!r} is not offered for {model.label}; choose one of: "
                           f"{', '.join(model.colors)}.")
    finish_cents = model.finish_cents(finish)
    if len(target_mm) != 3:
        raise QuoteRefused("The size is (width, depth, height) in millimetres.")
    try:
        target = tuple(_check_dimension(axis, v) for axis, v in zip(_AXES, target_mm))
    except ValueError as exc:
        raise QuoteRefused(str(exc)) from None
    if any(e <= 0 for e in info.extents_mm):
        raise QuoteRefused(REASON_FLAT)
    placed = _fit(target, model.max_mm)
    if placed is None:
        size = " × ".join(_mm(v) for v in target)
        build = " × ".join(_mm(v) for v in model.max_mm)
        raise QuoteRefused(f"At {size} mm the part does not fit the {model.label} build volume ({build} mm) in "
                           "any orientation: make it smaller or choose another technology.")
    sx, sy, sz = (t / e for t, e in zip(target, info.extents_mm))
    volume_mm3 = _round_half_up(info.volume_mm3 * sx * sy * sz)
    unit_material = (volume_mm3 * model.cents_per_cm3 + 500) // 1000
    topup = max(0, model.min_part_cents - unit_material)
    unit = unit_material + topup + finish_cents
    total = model.setup_cents + unit * quantity
    volume_cm3 = volume_mm3 / 1000
    each = f" × {quantity}" if quantity > 1 else ""
    lines = [(f"Material ({volume_cm3:.1f} cm³ {model.material}){each}", unit_material * quantity)]
    if topup:
        lines.append((f"Minimum part price ({_usd(model.min_part_cents)} a part){each}", topup * quantity))
    lines.append((f"Finish: {finish}{each}", finish_cents * quantity))
    lines.append(("Setup (per order)", model.setup_cents))
    return Quote(
        unit_material_cents=unit_material, min_topup_cents=topup, finish_cents=finish_cents,
        setup_cents=model.setup_cents, unit_cents=unit, quantity=quantity, total_cents=total,
        volume_cm3=volume_cm3, target_mm=(target[0], target[1], target[2]), build_orientation_mm=placed,
        lead_days=model.lead_days, lines=lines, technology=model.technology, material=model.material,
        color=color, finish=finish,
    )


__all__ = [
    "DEFAULT_MODELS", "MAX_DIMENSION_MM", "MAX_QUANTITY", "REASON_FLAT", "REASON_HOLES", "UNCHANGED_TOLERANCE_MM",
    "MeshInfo", "PricingModel", "Quote", "QuoteRefused", "analyse", "find_model", "quote", "scale_for",
]
