"""The product state: everything the offline renderer draws, derived from the request fields.

Source: DESIGN.md §6 (offline image renderer); seed 000 §3 Phase 2 (front view and feedback iterations) and
Phase 3 (remaining views consistent with the approved front). The state is built by
``instructions.resolve_state``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from genpire_app.backend.providers.base import ProductFeatures
from genpire_app.backend.providers.colors import nearest_display_name
from genpire_app.backend.providers.offline.catalogue import CATEGORIES
from genpire_app.backend.providers.offline.spec import CategorySpec, NamedColor


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


def _usage_role(usage: str) -> str | None:
    text = usage.lower()
    if any(w in text for w in ("primary", "body", "main", "base color", "dominant", "upper", "crown", "shade")):
        return "primary"
    if any(w in text for w in ("secondary", "strap", "handle", "cap", "lid", "sole", "trim", "brim", "leg", "base")):
        return "secondary"
    if any(w in text for w in ("accent", "hardware", "zip", "button", "rivet", "detail")):
        return "accent"
    return None


def feature_colors(features: ProductFeatures, spec: CategorySpec) -> list[tuple[str, NamedColor, bool]]:
    """Primary and secondary colors from extracted features as ``(role, color, named)``; ``named`` is True
    when the usage names the part ("handle", "straps"). Accents stay with the text-derived state.

    Source: seed 000 §3 Phase 3 (remaining views keep the approved front's colors); DESIGN.md §6.
    """
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
