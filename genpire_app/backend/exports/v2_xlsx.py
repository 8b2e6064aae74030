"""Tech Pack V2 Excel export (issue 10 item 7: "The PDF and Excel exports gain the sketches, the close-ups and
the per-view analyses").

One public function, :func:`render_v2_xlsx`, writes a workbook with the sheets :data:`SHEET_NAMES`:

* "Tech pack": Section, Field, Value: the product (name, revision, category, confidence), then the merged,
  editable fields of the document by section;
* "Views": View, Confidence, Section, Field, Value: every row of every view's analysis (confidence a 0-1
  number shown as a percentage);
* "Close-ups": #, Title, Focus, Source view, Analysis;
* "Sketch callouts": View, Type (callout | dimension), N, Label, Value (mm): the numbered callouts of each
  sketch, then its dimension lines with their millimetres as integers.

The sheets look like the V1 workbook's (``exports/techpack_xlsx``: styled header, frozen panes, filters,
landscape print); text is cleaned and always stored as text. CPU-bound: call it in ``asyncio.to_thread``.
"""

from __future__ import annotations

from datetime import timezone
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment

from genpire_app.backend.exports.techpack_xlsx import _LABEL_FONT, _WRAP_TOP_RIGHT, _finish, _put, _sheet, _text
from genpire_app.backend.exports.v2_content import V2Export, analysis_rows, field_rows, label

__all__ = ["SHEET_NAMES", "render_v2_xlsx"]

SHEET_NAMES: tuple[str, ...] = ("Tech pack", "Views", "Close-ups", "Sketch callouts")
_VIEW_ORDER = ("front", "back", "side", "top", "bottom")
_PERCENT = "0%"


def _confidence(value: object) -> float | None:
    try:
        return round(float(value), 4)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def render_v2_xlsx(doc: V2Export) -> bytes:
    """Render a Tech Pack V2 document as an Excel workbook and return the ``.xlsx`` bytes (see the module
    docstring for the sheets and their columns)."""
    generated = doc.generated_at
    if generated.tzinfo is not None:
        generated = generated.astimezone(timezone.utc).replace(tzinfo=None)
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = _text(f"{doc.product_name} — Tech pack V2, revision {doc.revision_number}")[:255]
    wb.properties.creator = "Genpire"
    wb.properties.created = generated

    # Tech pack -----------------------------------------------------------------------------------
    ws = _sheet(wb, "Tech pack", ["Section", "Field", "Value"], [22, 32, 90])
    product: list[tuple[str, object, str | None]] = [
        ("Product name", doc.product_name, None), ("Product ID", doc.product_id, None),
        ("Revision", doc.revision_number, "0"), ("Generated at (UTC)", generated, "yyyy-mm-dd hh:mm"),
        ("Category", doc.category, None), ("Subcategory", doc.subcategory, None),
        ("Category confidence", _confidence(doc.category_confidence), _PERCENT),
    ]
    r = 2
    for name, value, fmt in product:
        _put(ws, r, 1, "Product").font = _LABEL_FONT
        _put(ws, r, 2, name)
        _put(ws, r, 3, value, number_format=fmt, align=Alignment(vertical="top", horizontal="left", wrap_text=True))
        r += 1
    for section, name, value in field_rows(doc.fields):
        _put(ws, r, 1, section).font = _LABEL_FONT
        _put(ws, r, 2, name)
        _put(ws, r, 3, value)
        r += 1
    _finish(ws)

    # Views ---------------------------------------------------------------------------------------
    ws = _sheet(wb, "Views", ["View", "Confidence", "Section", "Field", "Value"], [10, 12, 18, 30, 70])
    r = 2
    order = sorted(doc.views, key=lambda v: _VIEW_ORDER.index(v) if v in _VIEW_ORDER else len(_VIEW_ORDER))
    for view in order:
        entry = doc.views[view] if isinstance(doc.views[view], dict) else {}
        analysis = entry.get("fields") if isinstance(entry.get("fields"), dict) else {}
        for section, item, details in analysis_rows(analysis):
            _put(ws, r, 1, label(view))
            _put(ws, r, 2, _confidence(entry.get("confidence")), number_format=_PERCENT, align=_WRAP_TOP_RIGHT)
            _put(ws, r, 3, section)
            _put(ws, r, 4, item)
            _put(ws, r, 5, details)
            r += 1
    _finish(ws)

    # Close-ups -----------------------------------------------------------------------------------
    ws = _sheet(wb, "Close-ups", ["#", "Title", "Focus", "Source view", "Analysis"], [6, 30, 14, 13, 80])
    for r, shot in enumerate(doc.close_ups, start=2):
        _put(ws, r, 1, r - 1, align=_WRAP_TOP_RIGHT)
        _put(ws, r, 2, shot.title)
        _put(ws, r, 3, shot.focus)
        _put(ws, r, 4, label(shot.source_view))
        _put(ws, r, 5, "\n".join(f"{section}: {' · '.join(x for x in (item, details) if x)}"
                                 for section, item, details in analysis_rows(shot.analysis)))
    _finish(ws)

    # Sketch callouts -----------------------------------------------------------------------------
    ws = _sheet(wb, "Sketch callouts", ["View", "Type", "N", "Label", "Value (mm)"], [10, 12, 6, 40, 12])
    r = 2
    for sketch in doc.sketches:
        for c in sorted(sketch.callouts, key=lambda c: int(c.get("n", 0))):
            _put(ws, r, 1, label(sketch.view))
            _put(ws, r, 2, "callout")
            _put(ws, r, 3, int(c.get("n", 0)), align=_WRAP_TOP_RIGHT)
            _put(ws, r, 4, str(c.get("label", "")))
            r += 1
        for m in sketch.measurements:
            _put(ws, r, 1, label(sketch.view))
            _put(ws, r, 2, "dimension")
            _put(ws, r, 4, label(m.get("label", "")))
            _put(ws, r, 5, int(m.get("mm", 0)), number_format="#,##0", align=_WRAP_TOP_RIGHT)
            r += 1
    _finish(ws)

    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
