"""The category record of the offline renderer: what one product category is (no table here).

Source: DESIGN.md §6 (offline image renderer: "a category proxy shape (tote, bottle, mug, box, shoe ...)");
seed 000 §3 Phase 2 and Phase 3. The tables are in ``catalogue_*.py``, detection in ``catalogue.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NamedColor = tuple[str, str]
"""A color as ``(display name, "#RRGGBB")``, e.g. ``("tan leather", "#B5835A")``."""

ROLES = ("primary", "secondary", "accent")
"""The color roles of every product: body, straps/handle/lid/sole/brim, hardware/details."""


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
        builder: the scene builder that draws it (``scenes.py``); several categories share a parametrised
            builder (``"slab"``, ``"vessel"``, ``"garment"`` ...). Empty: the builder named like the key.
        finish: default surface finish of the body, a key of ``primitives.FINISHES`` (``"fabric"``,
            ``"leather"``, ``"ceramic"`` ...).
        params: builder parameters (proportions as fractions of ``dims_mm``, radii in millimetres, the
            details to draw); each builder documents the keys it reads.

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
    builder: str = ""
    finish: str = "plastic"
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> str:
        """The scene builder key: ``builder``, else ``key``. Source: DESIGN.md §12 ("offline shapes")."""
        return self.builder or self.key


COMMON_PART_WORDS: dict[str, str] = {
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
"""Part words every category understands, mapped to their color role (category words override them)."""
