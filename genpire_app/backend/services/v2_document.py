"""The Tech Pack V2 document of a product's active revision (``product_tech_packs_v2``; issue 10; seed 001
"Progressive Generation": each step fills the document the next ones read).

One row per product and revision number of the active views. What the steps write:

* Category: ``category`` / ``subcategory`` / ``category_confidence`` (0-1) / ``category_source``
  (``detected`` | ``user``), ``steps["category"]``.
* Base views: ``views[view] = {"analysis_id", "image_hash", "confidence", "fields": <analysis JSON of
  providers.v2_vision>}`` and the merged, editable ``fields`` (:func:`merge_fields`), ``steps["base_views"] =
  {"status": "done", "at": iso, "cached": n, "confidence": mean}``.

``fields`` is ``{section: {field: value}}`` with sections :data:`SECTIONS`, so a field path
``"materials.lining"`` names one editable value::

    {"materials":    {"bag": "Cotton canvas", "straps": "Leather", "lining": "Polyester lining"},
     "construction": {"top_edge": "folded hem with topstitching", "side_seam_left": "joined side seam"},
     "dimensions":   {"width_mm": 380, "height_mm": 420, "depth_mm": 120},
     "colors":       {"primary": "Antique white (#E9DFCB)", "secondary": "Peru (#B5835A)", "accent": "..."},
     "hardware":     {"straps_attachment": "antique brass"},
     "finishes":     {"bag": "matte textured woven fabric"},
     "labels":       {"logo": "front panel, center"},
     "notes":        {"front": "..."}}

Field names are slugs (lowercase, ``_``); a repeated name gets ``_2``, ``_3``. Edits (``edits``: ``[{"path",
"old", "new", "by", "at"}]``) are re-applied after a new analysis, so they survive a re-run.
"""

from __future__ import annotations

import re
import statistics
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from genpire_app.backend.db import repo
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.fields import as_utc, utcnow
from genpire_app.backend.db.techpack_v2_models import ProductTechPackV2
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import VIEWS

NOT_FOUND = "This product does not exist or is not yours."
NO_VIEWS = "Approve the front view and generate the views first."
#: The sections of ``fields``, in display order.
SECTIONS: tuple[str, ...] = ("materials", "construction", "dimensions", "colors", "hardware", "finishes", "labels",
                             "notes")
_COLOR_RANKS = ("primary", "secondary", "accent")
#: Views that show each axis of the overall size.
_AXES = {"width": ("front", "back", "top", "bottom"), "height": ("front", "back", "side"),
         "depth": ("side", "top", "bottom")}


def slug(text: str) -> str:
    """``"Side seam (left)"`` -> ``"side_seam_left"`` (``"item"`` when nothing is left)."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")[:60] or "item"


def _put(section: dict[str, Any], name: str, value: Any) -> None:
    key, n = slug(name), 2
    while key in section:
        if section[key] == value:
            return
        key, n = f"{slug(name)}_{n}", n + 1
    section[key] = value


def _ordered(analyses: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return sorted(analyses.items(), key=lambda kv: VIEWS.index(kv[0]) if kv[0] in VIEWS else len(VIEWS))  # type: ignore[arg-type]


def merge_fields(analyses: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The editable document from the analyses by view (see the module docstring): materials by component
    (the most certain one wins), construction / hardware / finishes / labels by name (views in display
    order, same name and value once), each size axis the median of the views that show it, colors ranked
    by their share summed over the views, notes by view."""
    out: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    ordered = _ordered(analyses)
    best: dict[str, tuple[float, str]] = {}
    for _, a in ordered:
        for m in a.get("materials", []):
            comp = slug(m.get("component") or "body")
            conf = float(m.get("confidence", 0))
            if comp not in best or conf > best[comp][0]:
                best[comp] = (conf, str(m.get("name", "")))
    out["materials"] = {comp: name for comp, (_, name) in best.items()}
    for _, a in ordered:
        for c in a.get("construction", []):
            _put(out["construction"], c.get("feature", ""), c.get("detail", ""))
        for h in a.get("hardware", []):
            _put(out["hardware"], h.get("item", ""), h.get("finish", ""))
        for f in a.get("finishes", []):
            _put(out["finishes"], f.get("surface", ""), f.get("finish", ""))
        for lb in a.get("labels", []):
            _put(out["labels"], lb.get("type", ""), lb.get("placement", ""))
    for axis, shown in _AXES.items():
        values = [int(a["dimensions_mm"][axis]) for v, a in ordered if v in shown and a.get("dimensions_mm", {}).get(axis)]
        values = values or [int(a["dimensions_mm"][axis]) for _, a in ordered if a.get("dimensions_mm", {}).get(axis)]
        if values:
            out["dimensions"][f"{axis}_mm"] = int(statistics.median(values))
    shares: dict[str, list[Any]] = {}
    for _, a in ordered:
        for c in a.get("colors", []):
            entry = shares.setdefault(str(c.get("name", "")).lower(), [0.0, c.get("hex", ""), c.get("name", "")])
            entry[0] += float(c.get("share", 0))
    ranked = sorted(shares.values(), key=lambda e: -e[0])[:5]
    for i, (_, hex_code, name) in enumerate(ranked):
        rank = _COLOR_RANKS[i] if i < len(_COLOR_RANKS) else f"accent_{i - 1}"
        out["colors"][rank] = f"{str(name)[:1].upper()}{str(name)[1:]} ({hex_code})"
    out["notes"] = {view: a["notes"] for view, a in ordered if a.get("notes")}
    return out


def apply_edits(fields: dict[str, dict[str, Any]], edits: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``fields`` with each edit's ``new`` value set at its ``path`` (``section.field``), in order."""
    out = {section: dict(values) for section, values in fields.items()}
    for edit in edits:
        section, _, name = str(edit.get("path", "")).partition(".")
        if section and name:
            out.setdefault(section, {})[name] = edit.get("new")
    return out


# --------------------------------------------------------------------------------------------- rows


def find(session: Session, *, product_id: uuid.UUID, revision_number: int) -> ProductTechPackV2 | None:
    """The document of one revision of a product, or None."""
    return session.exec(select(ProductTechPackV2).where(ProductTechPackV2.product_idea_id == product_id,
                                                        ProductTechPackV2.revision_number == revision_number)).first()


def get_or_create(session: Session, *, user_id: int, product_id: uuid.UUID,
                  revision_number: int | None = None) -> ProductTechPackV2:
    """The user's document of the product's active revision (or of ``revision_number``), created empty when
    missing, in the caller's transaction. Locks the product (lock order: product first).

    Raises:
        OperationError: ``not_found`` (missing or another user's product), ``invalid_state`` (no views yet).
    """
    if repo.lock_product(session, user_id=user_id, product_id=product_id) is None:
        raise OperationError("not_found", NOT_FOUND)
    number = revision_number if revision_number is not None else repo.active_revision_number(session, product_id=product_id)
    if number is None:
        raise OperationError("invalid_state", NO_VIEWS)
    doc = find(session, product_id=product_id, revision_number=number)
    if doc is None:
        doc = ProductTechPackV2(user_id=user_id, product_idea_id=product_id, revision_number=number)
        session.add(doc)
        session.flush()
    return doc


def view_analyses(session: Session, product_id: uuid.UUID, revision_number: int | None = None) -> dict[str, dict[str, Any]]:
    """``{view: analysis JSON}`` of the product's active revision (or ``revision_number``); empty before the
    Base views step. No owner check: callers check ownership."""
    number = revision_number if revision_number is not None else repo.active_revision_number(session, product_id=product_id)
    doc = find(session, product_id=product_id, revision_number=number) if number is not None else None
    views = doc.views if doc is not None else {}
    return {v: dict(e["fields"]) for v, e in views.items() if isinstance(e, dict) and isinstance(e.get("fields"), dict)}


@dataclass(frozen=True)
class V2Document:
    """The V2 document of a product's active revision, for the UI (``id`` None: nothing written yet).

    ``views``: ``{view: {"analysis_id", "image_hash", "confidence", "fields"}}``; ``fields``: the merged
    document ``{section: {field: value}}``; ``steps``: ``{step: {"status", "at", ...}}``; ``view_keys``:
    the active view images' storage keys by view; ``category_confidence``: 0-1.
    """

    id: str | None
    product_id: str
    revision_number: int | None
    category: str = ""
    subcategory: str = ""
    category_confidence: float = 0.0
    category_source: str = ""
    views: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    edits: list[dict[str, Any]] = field(default_factory=list)
    steps: dict[str, Any] = field(default_factory=dict)
    view_keys: dict[str, str] = field(default_factory=dict)
    updated_at: datetime | None = None

    def step_done(self, step: str) -> bool:
        """Whether ``step`` (``category``, ``base_views`` ...) is done and not stale."""
        return (self.steps.get(step) or {}).get("status") == "done"


def _as_document(product_id: uuid.UUID, number: int | None, doc: ProductTechPackV2 | None,
                 keys: dict[str, str]) -> V2Document:
    if doc is None:
        return V2Document(id=None, product_id=str(product_id), revision_number=number, view_keys=keys)
    return V2Document(
        id=str(doc.id), product_id=str(product_id), revision_number=doc.revision_number, category=doc.category,
        subcategory=doc.subcategory, category_confidence=float(doc.category_confidence),
        category_source=doc.category_source, views=dict(doc.views), fields=dict(doc.fields), edits=list(doc.edits),
        steps=dict(doc.steps), view_keys=keys, updated_at=as_utc(doc.updated_at),
    )


def document_of(user_id: int, product_id: uuid.UUID) -> V2Document:
    """The user's V2 document of the product's active revision (an empty one when none is written yet).

    Raises:
        OperationError: ``not_found`` (missing or another user's product).
    """
    with read_session() as s:
        if repo.owned_product(s, user_id=user_id, product_id=product_id) is None:
            raise OperationError("not_found", NOT_FOUND)
        rows = repo.active_revision(s, product_id=product_id)
        number = max((r.revision_number for r in rows), default=None)
        doc = find(s, product_id=product_id, revision_number=number) if number is not None else None
        return _as_document(product_id, number, doc, {r.view_type: r.image_key for r in rows})


def set_category(user_id: int, product_id: uuid.UUID, category: str, subcategory: str) -> V2Document:
    """The user's own category (free, by hand): ``category_source = "user"``, confidence 1. A changed
    category marks a done Base views step ``stale`` (its analysis was for another category).

    Raises:
        OperationError: ``invalid_input`` (empty or too long), ``not_found``, ``invalid_state`` (no views yet).
    """
    category, subcategory = " ".join(category.split()), " ".join(subcategory.split())
    if not category or len(category) > 60 or len(subcategory) > 80:
        raise OperationError("invalid_input", "Enter a category (up to 60 characters) and a subcategory (up to 80).")
    with write_session() as s:
        doc = get_or_create(s, user_id=user_id, product_id=product_id)
        record_category(doc, category=category, subcategory=subcategory, confidence=1.0, source="user")
        s.add(doc)
    return document_of(user_id, product_id)


def record_category(doc: ProductTechPackV2, *, category: str, subcategory: str, confidence: float, source: str) -> None:
    """Write a category on ``doc`` (the caller adds it to its session): the columns, ``steps["category"]``
    and, when the category changed, a done Base views step becomes ``stale``."""
    now = utcnow()
    changed = (doc.category, doc.subcategory) != (category, subcategory)
    doc.category, doc.subcategory = category[:60], subcategory[:80]
    doc.category_confidence = round(min(1.0, max(0.0, float(confidence))), 4)
    doc.category_source = source
    steps = dict(doc.steps)
    steps["category"] = {"status": "done", "at": now.isoformat(), "by": source}
    if changed and (steps.get("base_views") or {}).get("status") == "done":
        steps["base_views"] = {**steps["base_views"], "status": "stale"}
    doc.steps = steps
    doc.updated_at = now


__all__ = ["NOT_FOUND", "NO_VIEWS", "SECTIONS", "V2Document", "apply_edits", "document_of", "find", "get_or_create",
           "merge_fields", "record_category", "set_category", "slug", "view_analyses"]
