"""What the Tech Pack V2 exports show (issue 10 item 7: "The PDF and Excel exports gain the sketches, the
close-ups and the per-view analyses"): the input of :mod:`~genpire_app.backend.exports.v2_pdf` and
:mod:`~genpire_app.backend.exports.v2_xlsx`, and the row form both use for analysis JSON.

No database or storage here: ``services/v2_exports`` reads the V2 document (``services/v2_document``), the
newest close-ups and sketches of the revision and their image bytes, and hands them over as a
:class:`V2Export`. Measurements are millimetres; confidences and shares 0-1; sketch geometry in drawing pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Analysis sections in display order (the keys of ``providers/v2_vision.ViewAnalysis``), then any others.
ANALYSIS_ORDER = ("materials", "construction", "hardware", "finishes", "labels", "colors", "dimensions_mm",
                  "texture", "brightness", "contrast", "edge_density", "notes")
#: Keys that describe the JSON rather than the product (left out of the rows).
_META = frozenset({"schema_version", "view", "category", "method", "model", "title", "focus", "source_view", "region",
                   "crop", "region_fraction"})
#: The key naming a list item, by preference (the rest become its details).
_NAME_KEYS = ("name", "feature", "item", "type", "surface", "hex")


@dataclass(frozen=True)
class ExportCloseUp:
    """One close-up: title, focus (closure | stitching | label | hardware ...), source view, image bytes
    (PNG/JPEG/WebP; empty: shown as "not available") and its analysis JSON."""

    title: str
    focus: str
    source_view: str
    image: bytes
    analysis: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportSketch:
    """One technical sketch: view, the line drawing (PNG bytes), its size in pixels, and the callouts
    (``[{"n", "label", "anchor", "text", "side"?}]``) and measurements (``[{"label", "mm", "from", "to"}]``)
    in drawing pixels, as stored in ``product_tech_sketches``."""

    view: str
    png: bytes
    width_px: int
    height_px: int
    callouts: list[dict[str, Any]] = field(default_factory=list)
    measurements: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class V2Export:
    """Everything one V2 export shows.

    ``fields``: the merged document ``{section: {field: value}}``; ``views``: ``{view: {"confidence",
    "fields": analysis JSON}}`` (the document's ``views``); ``view_images``: image bytes by view;
    ``category_confidence``: 0-1; ``generated_at``: shown in UTC when aware.
    """

    product_name: str
    product_id: str
    revision_number: int
    generated_at: datetime
    category: str = ""
    subcategory: str = ""
    category_confidence: float = 0.0
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    view_images: dict[str, bytes] = field(default_factory=dict)
    close_ups: list[ExportCloseUp] = field(default_factory=list)
    sketches: list[ExportSketch] = field(default_factory=list)


def label(key: object) -> str:
    """A field name for people: ``"width_mm"`` -> ``"Width (mm)"``, ``"side_seam_left"`` -> ``"Side seam left"``."""
    text = str(key).strip()
    unit = ""
    if text.endswith("_mm"):
        text, unit = text[:-3], " (mm)"
    text = text.replace("_", " ").strip()
    return (text[:1].upper() + text[1:] + unit) if text else unit.strip()


def percent(value: object) -> str:
    """``0.824`` -> ``"82%"`` (empty when not a number)."""
    try:
        return f"{round(float(value) * 100)}%"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


def _value(key: str, value: Any) -> str:
    if isinstance(value, float):
        if key in ("confidence", "share"):
            return percent(value)
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(key, v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{label(k)}: {_value(str(k), v)}" for k, v in value.items())
    return "" if value is None else str(value)


def _item(entry: dict[str, Any]) -> tuple[str, str]:
    name_key = next((k for k in _NAME_KEYS if entry.get(k) not in (None, "")), None)
    name = str(entry[name_key]) if name_key else ""
    details = [f"{label(k)}: {_value(k, v)}" if k not in ("hex", "finish", "detail", "placement") else _value(k, v)
               for k, v in entry.items() if k != name_key and k not in _META and v not in (None, "", [], {})]
    return name, " · ".join(details)


def analysis_rows(analysis: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The analysis JSON of one view or close-up as ``(section, item, details)`` rows, sections in
    :data:`ANALYSIS_ORDER`: a list item becomes its name and the rest (``region`` left out), a mapping one row
    per key (``("Dimensions (mm)", "Width", "400 mm")``), a scalar one row; empty values are left out."""
    keys = [k for k in ANALYSIS_ORDER if k in analysis] + [k for k in analysis if k not in ANALYSIS_ORDER]
    rows: list[tuple[str, str, str]] = []
    for key in keys:
        value = analysis[key]
        if key in _META or value in (None, "", [], {}):
            continue
        section = label(key)
        if isinstance(value, list):
            for entry in value:
                rows.append((section, *_item(entry)) if isinstance(entry, dict) else (section, _value(key, entry), ""))
        elif isinstance(value, dict):
            for k, v in value.items():
                if v not in (None, "", [], {}):
                    text = _value(str(k), v)
                    rows.append((section, label(k), f"{text} mm" if key.endswith("_mm") else text))
        else:
            rows.append((section, "", _value(key, value)))
    return rows


def field_rows(fields: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """The merged document as ``(section, field, value)`` rows (sections and fields in stored order; a
    millimetre field keeps its number, e.g. ``("Dimensions", "Width (mm)", "380")``)."""
    return [(label(section), label(name), _value(name, value))
            for section, values in fields.items() if isinstance(values, dict)
            for name, value in values.items() if value not in (None, "", [], {})]


__all__ = ["ANALYSIS_ORDER", "ExportCloseUp", "ExportSketch", "V2Export", "analysis_rows", "field_rows", "label",
           "percent"]
