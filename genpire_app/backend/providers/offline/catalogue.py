"""The catalogue of product categories the offline renderer knows, and keyword detection.

Source: DESIGN.md §6 (offline image renderer: category proxy shapes) and §12 ("offline shapes": an
unknown category gets the neutral generic proxy, never another category's shape); seed 000 §3 Phase 2-3.
"""

from __future__ import annotations

import re

from genpire_app.backend.providers.offline.catalogue_home import HOME
from genpire_app.backend.providers.offline.catalogue_wear import WEAR
from genpire_app.backend.providers.offline.spec import CategorySpec

CATEGORIES: dict[str, CategorySpec] = {spec.key: spec for spec in WEAR + HOME}
"""Every category the offline renderer draws, by key (``"tote"``, ``"wallet"`` ...); ``"generic"`` is the
neutral proxy of everything else. Source: DESIGN.md §6 and §12 ("offline shapes")."""

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
