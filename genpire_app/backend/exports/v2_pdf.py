"""Tech Pack V2 PDF export (issue 10 item 7: "the PDF has the sketch pages with vector callouts and the
close-ups"; seed 001 "Technical Sketches: with callouts and measurements").

One public function, :func:`render_v2_pdf`, turns a :class:`~genpire_app.backend.exports.v2_content.V2Export`
into an A4 PDF in the look of the V1 tech pack (same fonts, styles, blocks, footer "Page X of Y" and
bookmarks: :mod:`~genpire_app.backend.exports.techpack_pdf` and its helpers):

* a cover: product name, revision, date, product id, the front view, and a strip with the category, its
  confidence and how many views, close-ups and sketches the document holds;
* "Specification": the merged, editable fields, one table per section;
* one page per analysed view: the view, its confidence and every field of its analysis;
* "Close-ups": a grid of the images with title, focus and source view, then their analyses;
* one page per technical sketch: the line drawing (PNG, lossless) with the numbered callouts, leader
  lines and dimension lines DRAWN AS PDF VECTORS on top (lines, circles, filled arrowheads and real text:
  "1", "Woven label", "400 mm" are selectable and searchable). The geometry is the sketch SVG's
  (``exports/sketch_svg.callout_geometry`` / ``dimension_geometry``), scaled from drawing pixels to points.

CPU-bound synchronous code: callers run it in ``asyncio.to_thread``. Lengths are PDF points.
"""

from __future__ import annotations

from functools import partial
from io import BytesIO
from typing import Any

from PIL import Image as PILImage
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Flowable,
    Frame,
    HRFlowable,
    KeepInFrame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
)

from genpire_app.backend.exports.pdf_blocks import _Builder, _format_datetime
from genpire_app.backend.exports.pdf_styles import (
    ACCENT,
    CONTENT_WIDTH,
    FRAME_HEIGHT,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    PLACEHOLDER,
    RULE,
    _clean,
    _Fonts,
    _markup,
)
from genpire_app.backend.exports.sketch_svg import (
    CALLOUT_COLOR,
    DIMENSION_COLOR,
    FONT_UNITS,
    STROKE_UNITS,
    callout_geometry,
    dimension_geometry,
    unit,
)
from genpire_app.backend.exports.techpack_pdf import _fonts, _FooterCanvas, _TechPackDocument
from genpire_app.backend.exports.v2_content import (
    ExportCloseUp,
    ExportSketch,
    V2Export,
    analysis_rows,
    field_rows,
    label,
    percent,
)

__all__ = ["render_v2_pdf"]

#: Order of the views (others follow).
_VIEW_ORDER = ("front", "back", "side", "top", "bottom")
#: Line drawings are embedded losslessly at up to this many pixels per point (216 dpi).
_SKETCH_PIXELS_PER_POINT = 3.0
_CLOSEUP_COLUMNS = 3


def _view_name(view: str) -> str:
    return f"{view.capitalize()} view"


def _ordered(views: dict[str, Any]) -> list[str]:
    return sorted(views, key=lambda v: _VIEW_ORDER.index(v) if v in _VIEW_ORDER else len(_VIEW_ORDER))


# --------------------------------------------------------------------------------------------------
# A sketch with its annotations as vectors
# --------------------------------------------------------------------------------------------------


class _Sketch(Flowable):
    """The line drawing fitted in ``max_w`` x ``max_h`` points, with callouts and dimensions drawn on top as
    vectors from the stored geometry (drawing pixels, y down) scaled to points (y up)."""

    def __init__(self, sketch: ExportSketch, fonts: _Fonts, max_w: float, max_h: float) -> None:
        super().__init__()
        self.sketch, self.fonts = sketch, fonts
        w, h = max(1, int(sketch.width_px)), max(1, int(sketch.height_px))
        self.px = (w, h)
        self.scale = min(max_w / w, max_h / h)
        self.width, self.height = w * self.scale, h * self.scale
        self.hAlign = "CENTER"
        self._image = self._reader(sketch.png)

    def _reader(self, data: bytes) -> ImageReader | None:
        try:
            with PILImage.open(BytesIO(data), formats=("PNG", "JPEG", "WEBP")) as opened:
                img = opened.convert("L" if opened.mode in ("1", "L", "LA", "P") else "RGB")
            target = round(self.width * _SKETCH_PIXELS_PER_POINT)
            if img.width > target > 0:
                img = img.resize((target, max(1, round(img.height * target / img.width))), PILImage.Resampling.LANCZOS)
            return ImageReader(img)
        except Exception:  # an unreadable drawing leaves a grey box; the annotations are still drawn
            return None

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def _at(self, x: float, y: float) -> tuple[float, float]:
        return x * self.scale, (self.px[1] - y) * self.scale

    def draw(self) -> None:
        c, s, fonts = self.canv, self.scale, self.fonts
        if self._image is not None:
            c.drawImage(self._image, 0, 0, self.width, self.height)
        else:
            c.setFillColor(PLACEHOLDER)
            c.rect(0, 0, self.width, self.height, stroke=0, fill=1)
        u = unit(*self.px)
        size = max(4.5, FONT_UNITS * u * s)
        c.setLineWidth(max(0.4, STROKE_UNITS * u * s))
        c.setLineCap(1)
        callout, dimension = colors.HexColor(CALLOUT_COLOR), colors.HexColor(DIMENSION_COLOR)
        for data in self.sketch.callouts:
            g = callout_geometry(data, u)
            c.setStrokeColor(callout)
            c.setFillColor(callout)
            ax, ay, bx, by = g["leader"]
            c.line(*self._at(ax, ay), *self._at(bx, by))
            c.circle(*self._at(ax, ay), g["anchor"][2] * s, stroke=0, fill=1)
            c.setFillColor(colors.white)
            c.circle(*self._at(bx, by), g["bubble"][2] * s, stroke=1, fill=1)
            c.setFillColor(callout)
            c.setFont(fonts.bold, size)
            c.drawCentredString(*self._at(*g["number"]), str(g["n"]))
            c.setFont(fonts.regular, size)
            text = _clean(g["text"], fonts).replace("\n", " ")
            draw = c.drawRightString if g["align"] == "end" else c.drawString
            draw(*self._at(*g["label"]), text)
        c.setStrokeColor(dimension)
        c.setFillColor(dimension)
        c.setFont(fonts.regular, size)
        for data in self.sketch.measurements:
            g = dimension_geometry(data, u)
            for x1, y1, x2, y2 in (*g["extensions"], g["line"]):
                c.line(*self._at(x1, y1), *self._at(x2, y2))
            for points in g["arrows"]:
                path = c.beginPath()
                path.moveTo(*self._at(*points[0]))
                for point in points[1:]:
                    path.lineTo(*self._at(*point))
                path.close()
                c.drawPath(path, stroke=0, fill=1)
            c.saveState()
            c.translate(*self._at(*g["at"]))
            if g["vertical"]:
                c.rotate(90)  # reads upwards, as the SVG's rotate(-90) in y-down pixels
            c.drawCentredString(0, 0, g["value"])
            c.restoreState()


# --------------------------------------------------------------------------------------------------
# Parts of the document
# --------------------------------------------------------------------------------------------------


def _cover(b: _Builder, doc: V2Export) -> list[Flowable]:
    s = b.s
    category = " / ".join(x for x in (doc.category, doc.subcategory) if x.strip())
    parts: list[Flowable] = [
        Paragraph("TECH PACK V2", s.eyebrow),
        b.p(doc.product_name or "Untitled product", s.title),
        Paragraph(f"Revision {doc.revision_number}&nbsp;&nbsp;·&nbsp;&nbsp;Generated "
                  f"{_markup(_format_datetime(doc.generated_at), b.fonts)}&nbsp;&nbsp;·&nbsp;&nbsp;"
                  f"Product ID {_markup(doc.product_id, b.fonts)}", s.meta),
        HRFlowable(width="100%", thickness=0.9, color=ACCENT, spaceBefore=10, spaceAfter=14),
    ]
    if doc.view_images.get("front"):
        parts += [b.figure(doc.view_images["front"], 104 * mm, "Front view", "Front view not available"), Spacer(1, 14)]
    parts.append(b.facts([
        ("CATEGORY", category or "—"),
        ("CATEGORY CONFIDENCE", percent(doc.category_confidence) if doc.category else "—"),
        ("VIEWS ANALYSED", str(len(doc.views))),
        ("CLOSE-UPS · SKETCHES", f"{len(doc.close_ups)} · {len(doc.sketches)}"),
    ]))
    return [KeepInFrame(CONTENT_WIDTH, FRAME_HEIGHT - 4, parts, mode="shrink", hAlign="CENTER"), PageBreak()]


def _specification(b: _Builder, doc: V2Export) -> list[Flowable]:
    story = b.heading("Specification")
    rows = field_rows(doc.fields)
    if not rows:
        return story + [b.none_listed("fields")]
    sections = list(dict.fromkeys(section for section, _, _ in rows))
    for section in sections:
        story += [b.subheading(section),
                  b.key_values([(name, value) for sec, name, value in rows if sec == section]), Spacer(1, 4)]
    return story


def _views(b: _Builder, doc: V2Export) -> list[Flowable]:
    story: list[Flowable] = []
    for view in _ordered(doc.views):
        entry = doc.views[view] if isinstance(doc.views[view], dict) else {}
        analysis = entry.get("fields") if isinstance(entry.get("fields"), dict) else {}
        confidence = percent(entry.get("confidence"))
        story += [PageBreak(), *b.heading(f"{_view_name(view)} analysis")]
        caption = f"{_view_name(view)} · confidence {confidence}" if confidence else _view_name(view)
        story += [b.figure(doc.view_images.get(view), 70 * mm, caption, "View not available"), Spacer(1, 10)]
        rows = analysis_rows(analysis)
        if rows:
            story.append(b.table(["Section", "Item", "Details"], rows,
                                 [CONTENT_WIDTH * 0.2, CONTENT_WIDTH * 0.3, CONTENT_WIDTH * 0.5]))
        else:
            story.append(b.none_listed("analysis fields"))
    return story


def _summary(shot: ExportCloseUp) -> str:
    by_section: dict[str, list[str]] = {}
    for section, item, details in analysis_rows(shot.analysis):
        by_section.setdefault(section, []).append(f"{item} ({details})" if item and details else item or details)
    return "\n".join(f"{section}: {', '.join(values)}" for section, values in by_section.items())


def _close_ups(b: _Builder, doc: V2Export) -> list[Flowable]:
    if not doc.close_ups:
        return []
    story: list[Flowable] = [PageBreak(), *b.heading("Close-ups")]
    col_w = CONTENT_WIDTH / _CLOSEUP_COLUMNS
    box = col_w - 14
    cells: list[object] = []
    for n, shot in enumerate(doc.close_ups, start=1):
        image = b.view_image(shot.image, box, box) or b.placeholder(box, box, "Not available")
        source = _view_name(shot.source_view) if shot.source_view else ""
        detail = " · ".join(x for x in (shot.focus.capitalize(), source) if x)
        cells.append([image, Spacer(1, 4), b.p(f"{n}. {shot.title}", b.s.label), b.p(detail, b.s.caption)])
    grid = [cells[i:i + _CLOSEUP_COLUMNS] for i in range(0, len(cells), _CLOSEUP_COLUMNS)]
    grid[-1] += [""] * (_CLOSEUP_COLUMNS - len(grid[-1]))
    table = Table(grid, colWidths=[col_w] * _CLOSEUP_COLUMNS, hAlign="LEFT")
    table.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                    ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
                    ("LINEBELOW", (0, 0), (-1, -2), 0.4, RULE)])
    story += [table, b.subheading("Close-up analyses")]
    story.append(b.table(["#", "Title", "Focus", "Source", "Analysis"],
                         [[str(n), shot.title, shot.focus, label(shot.source_view), _summary(shot)]
                          for n, shot in enumerate(doc.close_ups, start=1)],
                         [w * CONTENT_WIDTH for w in (0.05, 0.2, 0.13, 0.1, 0.52)]))
    return story


def _sketches(b: _Builder, doc: V2Export) -> list[Flowable]:
    story: list[Flowable] = []
    for sketch in doc.sketches:
        story += [PageBreak(), *b.heading(f"Technical sketch: {_view_name(sketch.view)}")]
        story.append(Paragraph(f"{len(sketch.callouts)} callouts; dimensions in millimetres.", b.s.meta))
        story += [Spacer(1, 8), _Sketch(sketch, b.fonts, CONTENT_WIDTH, FRAME_HEIGHT - 130)]
    return story


# --------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------


def render_v2_pdf(doc: V2Export) -> bytes:
    """Render a Tech Pack V2 document as an A4 PDF and return its bytes (see the module docstring).

    Pages, in order: cover; "Specification" (the merged fields by section); one page per analysed view
    (image, confidence, analysis table); "Close-ups" (grid and analyses; left out when there are none);
    one page per sketch (drawing with vector callouts and dimension lines). Every part is a PDF bookmark
    and every page after the cover has the "TECH PACK" header and the "Page X of Y" footer.

    Images that cannot be decoded become grey "not available" boxes; text the font cannot draw becomes "?".
    Synchronous and CPU-bound: call it through ``asyncio.to_thread``.
    """
    fonts = _fonts()
    builder = _Builder(fonts)
    story = _cover(builder, doc) + _specification(builder, doc) + _views(builder, doc)
    story += _close_ups(builder, doc) + _sketches(builder, doc)

    name = _clean(doc.product_name, fonts).replace("\n", " ").strip() or "Untitled product"
    plain = "".join(ch for ch in doc.product_name if ch.isprintable()).strip() or "Untitled product"
    buffer = BytesIO()
    document = _TechPackDocument(
        buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, title=f"{plain} — Tech pack V2, revision {doc.revision_number}", author="Genpire",
        subject=f"Tech pack V2 for {plain} (revision {doc.revision_number})", creator="genpire_app",
    )
    frame = Frame(MARGIN_X, MARGIN_BOTTOM, CONTENT_WIDTH, FRAME_HEIGHT, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    document.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    label_text = f"{name}  ·  Tech pack V2  ·  Revision {doc.revision_number}"
    document.build(story, canvasmaker=partial(
        _FooterCanvas, footer_text=label_text, header_text=f"{label_text}  ·  {_format_datetime(doc.generated_at)}",
        fonts=fonts))
    return buffer.getvalue()
