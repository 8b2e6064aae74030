"""Tech pack PDF export (seed 000 §7.1, "TechPackPDF component renders ...").

One public function, :func:`render_techpack_pdf`, turns a :class:`TechPack` plus the revision's view images
into a factory-ready A4 PDF:

* a cover page: product name, revision, date, product id, the front view large and the other views in a
  row (each captioned "Front view" ...), and a strip of key facts;
* one section per part of the tech pack (seed 000 §3 Phase 6, "Tech Pack Structure"): Overview, Bill of
  materials, Colorway, Sizes and dimensions, Construction, Hardware, Packaging, Quality standards,
  Production notes;
* on every page a footer with the product name, "Revision N" and "Page X of Y"; PDF bookmarks per section.

Text comes from a language model or the user, so every string is cleaned before it reaches reportlab:
control characters are dropped, characters the font cannot draw are replaced (accents are stripped when
only the base letter is available, anything else becomes "?"), and ``& < >`` are escaped for reportlab's
paragraph mini-markup. DejaVu Sans is embedded when installed (it covers Latin, Greek, Cyrillic and many
symbols); otherwise the built-in Helvetica is used with its Windows-1252 repertoire.

The work is split by concern: :mod:`~genpire_app.backend.exports.pdf_styles` (geometry, colors, fonts,
text cleaning, paragraph styles), :mod:`~genpire_app.backend.exports.pdf_blocks` (headings, tables,
images, value formatting) and :mod:`~genpire_app.backend.exports.pdf_sections` (cover and sections); this
module loads the fonts once per process and assembles the document (page furniture, bookmarks).

This is CPU-bound synchronous code: callers run it in ``asyncio.to_thread``. Lengths are in PDF points
(1/72 inch) unless a name ends in ``_mm``; money is integer cents; tech pack measurements are millimetres.
"""

from __future__ import annotations

import threading
from datetime import datetime
from functools import partial
from io import BytesIO
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from genpire_app.backend.exports.pdf_blocks import _Builder, _format_datetime, _SectionHeading
from genpire_app.backend.exports.pdf_sections import _cover, _sections
from genpire_app.backend.exports.pdf_styles import (
    ACCENT,
    CONTENT_WIDTH,
    FRAME_HEIGHT,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RULE,
    _clean,
    _Fonts,
    _load_fonts,
)
from genpire_app.backend.providers.base import TechPack

__all__ = ["render_techpack_pdf"]

# --------------------------------------------------------------------------------------------------
# Fonts (loaded once per process)
# --------------------------------------------------------------------------------------------------

#: The fonts of this process, loaded on first use (tests set it to force the Helvetica fallback).
_FONTS: _Fonts | None = None
_FONTS_LOCK = threading.Lock()


def _fonts() -> _Fonts:
    global _FONTS
    with _FONTS_LOCK:
        if _FONTS is None:
            _FONTS = _load_fonts()
        return _FONTS


# --------------------------------------------------------------------------------------------------
# Document, canvas (footer, "Page X of Y"), bookmarks
# --------------------------------------------------------------------------------------------------


class _TechPackDocument(BaseDocTemplate):
    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, _SectionHeading):
            self.canv.bookmarkPage(flowable.outline_key)
            self.canv.addOutlineEntry(flowable.outline_title, flowable.outline_key, level=0, closed=False)


class _FooterCanvas(Canvas):
    """Canvas that defers page furniture to the end so the footer can say "Page X of Y"."""

    def __init__(self, *args: Any, footer_text: str, header_text: str, fonts: _Fonts, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer_text = footer_text
        self._header_text = header_text
        self._fonts = fonts
        self._page_states: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (reportlab API)
        self._page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._page_states)
        for state in self._page_states:
            self.__dict__.update(state)
            self._draw_furniture(total)
            Canvas.showPage(self)
        Canvas.save(self)

    def _fit(self, text: str, font: str, size: float, width: float) -> str:
        if self.stringWidth(text, font, size) <= width:
            return text
        while text and self.stringWidth(text + "…", font, size) > width:
            text = text[:-1]
        return text.rstrip() + "…"

    def _draw_furniture(self, total: int) -> None:
        page = self._pageNumber
        fonts = self._fonts
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.6)
        # Footer: rule, "<product> · Revision N" on the left, "Page X of Y" on the right.
        footer_y = 12 * mm
        self.line(MARGIN_X, footer_y + 10, PAGE_WIDTH - MARGIN_X, footer_y + 10)
        self.setFillColor(MUTED)
        right = f"Page {page} of {total}"
        self.setFont(fonts.regular, 8)
        self.drawRightString(PAGE_WIDTH - MARGIN_X, footer_y, right)
        room = CONTENT_WIDTH - self.stringWidth(right, fonts.regular, 8) - 24
        self.drawString(MARGIN_X, footer_y, self._fit(self._footer_text, fonts.regular, 8, room))
        # Header on the pages after the cover.
        if page > 1:
            header_y = PAGE_HEIGHT - 13 * mm
            self.setFont(fonts.bold, 7.5)
            self.setFillColor(ACCENT)
            self.drawString(MARGIN_X, header_y, "TECH PACK")
            self.setFont(fonts.regular, 7.5)
            self.setFillColor(MUTED)
            self.drawRightString(PAGE_WIDTH - MARGIN_X, header_y,
                                 self._fit(self._header_text, fonts.regular, 7.5, CONTENT_WIDTH - 80))
            self.line(MARGIN_X, header_y - 5, PAGE_WIDTH - MARGIN_X, header_y - 5)
        self.restoreState()


# --------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------


def render_techpack_pdf(
    tech_pack: TechPack,
    views: dict[str, bytes],
    *,
    revision_number: int,
    generated_at: datetime,
    product_id: str,
) -> bytes:
    """Render the tech pack of one revision as an A4 PDF and return the file's bytes (seed 000 §7.1).

    Args:
        tech_pack: the tech pack (money in integer cents, measurements in millimetres).
        views: encoded images (PNG, JPEG or WebP bytes) keyed by view name ``"front"``, ``"back"``,
            ``"side"``, ``"top"``, ``"bottom"``. Any may be missing; other keys are ignored. Missing or
            undecodable images are drawn as a grey "not available" box. Images are scaled to their box
            (front view 104 mm square, the others about 41 mm) and embedded as JPEG at about 180 dpi.
        revision_number: the revision the tech pack describes; printed on the cover and in every
            footer as "Revision N".
        generated_at: when the tech pack was generated; an aware datetime is shown in UTC
            ("2025-01-15 14:30 UTC"), a naive one as is.
        product_id: the product's id, printed on the cover.

    Returns:
        The PDF bytes: a cover page, then the sections Overview, Bill of materials, Colorway, Sizes and
        dimensions, Construction, Hardware, Packaging, Quality standards and Production notes, each also a
        PDF bookmark. Page size A4 (595 x 842 points), 18 mm side margins.

    Text that the embedded font cannot draw (emoji, CJK without a CJK font) is replaced with "?";
    control characters are dropped. Synchronous and CPU-bound (roughly 0.1–0.5 s): call it through
    ``asyncio.to_thread``.

    Raises:
        reportlab.platypus.doctemplate.LayoutError: only if reportlab cannot lay out the content at all
            (not expected: tables split inside rows and the cover shrinks to fit).
    """
    fonts = _fonts()
    builder = _Builder(fonts)
    name = _clean(tech_pack.product_name, fonts).replace("\n", " ").strip() or "Untitled product"
    story = _cover(builder, tech_pack, views, revision_number=revision_number,
                   generated_at=generated_at, product_id=product_id)
    story += _sections(builder, tech_pack)

    buffer = BytesIO()
    plain_name = "".join(ch for ch in tech_pack.product_name if ch.isprintable()).strip() or "Untitled product"
    doc = _TechPackDocument(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=f"{plain_name} — Tech pack, revision {revision_number}",
        author="Genpire",
        subject=f"Tech pack for {plain_name} (revision {revision_number})",
        creator="genpire_app",
    )
    frame = Frame(MARGIN_X, MARGIN_BOTTOM, CONTENT_WIDTH, FRAME_HEIGHT, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    canvasmaker = partial(
        _FooterCanvas,
        footer_text=f"{name}  ·  Revision {revision_number}",
        header_text=f"{name}  ·  Revision {revision_number}  ·  {_format_datetime(generated_at)}",
        fonts=fonts,
    )
    doc.build(story, canvasmaker=canvasmaker)
    return buffer.getvalue()
