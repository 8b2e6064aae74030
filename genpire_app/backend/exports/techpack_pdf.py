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

This is CPU-bound synchronous code: callers run it in ``asyncio.to_thread``. Lengths are in PDF points
(1/72 inch) unless a name ends in ``_mm``; money is integer cents; tech pack measurements are millimetres.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import Any, Iterable, Sequence
from xml.sax.saxutils import escape

from PIL import Image as PILImage
from PIL import ImageOps
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    HRFlowable,
    Image,
    KeepInFrame,
    KeepTogether,
    ListFlowable,
    ListItem,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from genpire_app.backend.exports.money import format_cents, normalize_currency
from genpire_app.backend.providers.base import VIEWS, TechPack

__all__ = ["render_techpack_pdf"]

# --------------------------------------------------------------------------------------------------
# Page geometry (points) and colors
# --------------------------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 22 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
FRAME_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

INK = colors.HexColor("#1F2933")  # body text
MUTED = colors.HexColor("#5F6B7A")  # captions, labels, footer
NAVY = colors.HexColor("#1B2B4B")  # headings, table headers
ACCENT = colors.HexColor("#2E7D7A")  # section numbers and rules (muted teal)
RULE = colors.HexColor("#D5DBE3")  # hairlines
ZEBRA = colors.HexColor("#F4F6F9")  # alternate table rows
PLACEHOLDER = colors.HexColor("#EEF1F5")  # missing image boxes

#: Images are embedded at this many pixels per point (180 dpi): sharp in print, small files.
_PIXELS_PER_POINT = 2.5
_JPEG_QUALITY = 85
_EMPTY = "—"

# --------------------------------------------------------------------------------------------------
# Fonts and text cleaning
# --------------------------------------------------------------------------------------------------

_DEJAVU_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts/dejavu",
)


@dataclass(frozen=True)
class _Fonts:
    """The font family in use and the characters it can draw (``None`` means Windows-1252, Helvetica)."""

    regular: str
    bold: str
    italic: str
    coverage: frozenset[int] | None

    def can_draw(self, ch: str) -> bool:
        if self.coverage is not None:
            return ord(ch) in self.coverage
        try:
            ch.encode("cp1252")
        except UnicodeEncodeError:
            return False
        return True


_FONTS: _Fonts | None = None
_FONTS_LOCK = threading.Lock()


def _load_fonts() -> _Fonts:
    for folder in _DEJAVU_DIRS:
        paths = {style: Path(folder) / f"DejaVuSans{suffix}.ttf" for style, suffix in
                 (("regular", ""), ("bold", "-Bold"), ("italic", "-Oblique"))}
        if not all(p.is_file() for p in paths.values()):
            continue
        try:
            faces = {
                "regular": TTFont("GenpireSans", str(paths["regular"])),
                "bold": TTFont("GenpireSans-Bold", str(paths["bold"])),
                "italic": TTFont("GenpireSans-Oblique", str(paths["italic"])),
            }
            for face in faces.values():
                pdfmetrics.registerFont(face)
            pdfmetrics.registerFontFamily(
                "GenpireSans",
                normal="GenpireSans",
                bold="GenpireSans-Bold",
                italic="GenpireSans-Oblique",
                boldItalic="GenpireSans-Bold",
            )
            coverage = frozenset(faces["regular"].face.charToGlyph)
            for key in ("bold", "italic"):
                coverage &= frozenset(faces[key].face.charToGlyph)
            return _Fonts("GenpireSans", "GenpireSans-Bold", "GenpireSans-Oblique", coverage)
        except Exception:  # a broken font file must not break exports: fall back to Helvetica
            continue
    return _Fonts("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", None)


def _fonts() -> _Fonts:
    global _FONTS
    with _FONTS_LOCK:
        if _FONTS is None:
            _FONTS = _load_fonts()
        return _FONTS


def _clean(text: object, fonts: _Fonts) -> str:
    """Plain text the font can draw: controls dropped, unknown characters replaced, newlines kept."""
    value = unicodedata.normalize("NFC", "" if text is None else str(text))
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    out: list[str] = []
    for ch in value:
        if ch == "\n":
            out.append(ch)
            continue
        if ch == "\t":
            out.append("    ")
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Co", "Cn", "Cf"):
            continue  # controls, lone surrogates, private use, unassigned, joiners / variation selectors
        if 0xFE00 <= ord(ch) <= 0xFE0F or 0xE0100 <= ord(ch) <= 0xE01EF:
            continue  # variation selectors (category Mn) after emoji
        if fonts.can_draw(ch):
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base and all(fonts.can_draw(c) for c in base):
            out.append(base)
        elif category in ("Mn", "Me", "Mc"):
            continue  # a combining mark the font lacks: keep the base letter alone
        else:
            out.append("?")
    return "".join(out)


def _markup(text: object, fonts: _Fonts) -> str:
    """Cleaned text escaped for reportlab's paragraph markup, newlines as ``<br/>``."""
    cleaned = _clean(text, fonts).strip()
    if not cleaned:
        return _EMPTY
    return escape(cleaned).replace("\n", "<br/>")


# --------------------------------------------------------------------------------------------------
# Styles
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Styles:
    body: ParagraphStyle
    eyebrow: ParagraphStyle
    title: ParagraphStyle
    meta: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    th: ParagraphStyle
    th_right: ParagraphStyle
    td: ParagraphStyle
    td_right: ParagraphStyle
    td_mono: ParagraphStyle
    label: ParagraphStyle
    value: ParagraphStyle
    caption: ParagraphStyle
    fact_label: ParagraphStyle
    fact_value: ParagraphStyle
    placeholder: ParagraphStyle


def _styles(fonts: _Fonts) -> _Styles:
    body = ParagraphStyle("body", fontName=fonts.regular, fontSize=9.5, leading=13.5, textColor=INK,
                          spaceAfter=6, splitLongWords=1)
    td = ParagraphStyle("td", parent=body, fontSize=8.5, leading=11.5, spaceAfter=0)
    th = ParagraphStyle("th", parent=td, fontName=fonts.bold, textColor=colors.white)
    return _Styles(
        body=body,
        eyebrow=ParagraphStyle("eyebrow", parent=body, fontName=fonts.bold, fontSize=9, leading=12,
                               textColor=ACCENT, spaceAfter=4),
        title=ParagraphStyle("title", parent=body, fontName=fonts.bold, fontSize=24, leading=29,
                             textColor=NAVY, spaceAfter=6),
        meta=ParagraphStyle("meta", parent=body, fontSize=9, leading=13, textColor=MUTED, spaceAfter=0),
        h1=ParagraphStyle("h1", parent=body, fontName=fonts.bold, fontSize=15, leading=19, textColor=NAVY,
                          spaceBefore=16, spaceAfter=3, keepWithNext=1),
        h2=ParagraphStyle("h2", parent=body, fontName=fonts.bold, fontSize=10.5, leading=14, textColor=NAVY,
                          spaceBefore=8, spaceAfter=4, keepWithNext=1),
        th=th,
        th_right=ParagraphStyle("th_right", parent=th, alignment=TA_RIGHT),
        td=td,
        td_right=ParagraphStyle("td_right", parent=td, alignment=TA_RIGHT),
        td_mono=ParagraphStyle("td_mono", parent=td, textColor=INK),
        label=ParagraphStyle("label", parent=td, fontName=fonts.bold, textColor=MUTED),
        value=ParagraphStyle("value", parent=td, fontSize=9, leading=12.5),
        caption=ParagraphStyle("caption", parent=td, fontSize=8, leading=10, textColor=MUTED,
                               alignment=TA_CENTER),
        fact_label=ParagraphStyle("fact_label", parent=td, fontName=fonts.bold, fontSize=7, leading=9,
                                  textColor=MUTED),
        fact_value=ParagraphStyle("fact_value", parent=td, fontName=fonts.bold, fontSize=10, leading=13,
                                  textColor=NAVY),
        placeholder=ParagraphStyle("placeholder", parent=td, fontSize=8, leading=10, textColor=MUTED,
                                   alignment=TA_CENTER),
    )


# --------------------------------------------------------------------------------------------------
# Document, canvas (footer, "Page X of Y"), bookmarks
# --------------------------------------------------------------------------------------------------


class _SectionHeading(Paragraph):
    """A section heading that also becomes a PDF bookmark."""

    def __init__(self, text: str, style: ParagraphStyle, *, outline_title: str, key: str) -> None:
        super().__init__(text, style)
        self.outline_title = outline_title
        self.outline_key = key


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
# Building blocks
# --------------------------------------------------------------------------------------------------


class _Builder:
    """Holds fonts and styles while the story of one document is built."""

    def __init__(self, fonts: _Fonts) -> None:
        self.fonts = fonts
        self.s = _styles(fonts)
        self._section = 0

    # text ------------------------------------------------------------------------------------------

    def p(self, text: object, style: ParagraphStyle) -> Paragraph:
        return Paragraph(_markup(text, self.fonts), style)

    def paragraphs(self, text: object, style: ParagraphStyle | None = None) -> list[Flowable]:
        """Split text on blank lines into paragraphs (single newlines stay line breaks)."""
        style = style or self.s.body
        cleaned = _clean(text, self.fonts).strip()
        if not cleaned:
            return [Paragraph(_EMPTY, style)]
        blocks = [b.strip() for b in re.split(r"\n\s*\n", cleaned) if b.strip()]
        return [Paragraph(escape(b).replace("\n", "<br/>"), style) for b in blocks]

    def heading(self, title: str) -> list[Flowable]:
        self._section += 1
        number = self._section
        text = f'<font color="{ACCENT.hexval().replace("0x", "#")}">{number}</font>&nbsp;&nbsp;{escape(title)}'
        return [
            CondPageBreak(150),
            _SectionHeading(text, self.s.h1, outline_title=f"{number}. {title}", key=f"section-{number}"),
            HRFlowable(width="100%", thickness=0.9, color=ACCENT, spaceBefore=1, spaceAfter=8),
        ]

    def subheading(self, text: object) -> Paragraph:
        return self.p(text, self.s.h2)

    # tables ----------------------------------------------------------------------------------------

    def table(
        self,
        header: Sequence[str],
        rows: Iterable[Sequence[object]],
        col_widths: Sequence[float],
        *,
        right_cols: Sequence[int] = (),
        valign: str = "TOP",
    ) -> Table:
        """A data table: navy header row repeated on each page, zebra rows, wrapped cells."""
        head = [Paragraph(escape(h), self.s.th_right if i in right_cols else self.s.th) for i, h in enumerate(header)]
        data: list[list[object]] = [head]
        for row in rows:
            cells: list[object] = []
            for i, cell in enumerate(row):
                if isinstance(cell, Flowable):
                    cells.append(cell)
                else:
                    cells.append(self.p(cell, self.s.td_right if i in right_cols else self.s.td))
            data.append(cells)
        table = Table(data, colWidths=list(col_widths), repeatRows=1, splitInRow=1, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), NAVY),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
            ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
            ("BOX", (0, 0), (-1, -1), 0.6, RULE),
            ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ("VALIGN", (0, 1), (-1, -1), valign),
            ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ("RIGHTPADDING", (0, 0), (-1, -1), 6),
            ("TOPPADDING", (0, 0), (-1, -1), 4.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ]))
        return table

    def key_values(self, pairs: Sequence[tuple[str, object]], label_width: float = 46 * mm) -> Table:
        """A two-column label/value table without a header."""
        data = [[Paragraph(escape(label), self.s.label), self.p(value, self.s.value)] for label, value in pairs]
        table = Table(data, colWidths=[label_width, CONTENT_WIDTH - label_width], splitInRow=1, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
            ("LINEABOVE", (0, 0), (-1, 0), 0.4, RULE),
            ("BACKGROUND", (0, 0), (0, -1), ZEBRA),
            ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ("RIGHTPADDING", (0, 0), (-1, -1), 6),
            ("TOPPADDING", (0, 0), (-1, -1), 5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
        ]))
        return table

    def none_listed(self, what: str) -> Paragraph:
        return Paragraph(f"<i>No {escape(what)} listed.</i>", self.s.body)

    # images ----------------------------------------------------------------------------------------

    def view_image(self, data: bytes | None, box_w: float, box_h: float) -> Flowable | None:
        """The view scaled to fit ``box_w`` x ``box_h`` points, re-encoded as JPEG; ``None`` if unreadable."""
        if not data:
            return None
        try:
            with PILImage.open(BytesIO(data), formats=("PNG", "JPEG", "WEBP")) as opened:
                img = ImageOps.exif_transpose(opened)
                img.load()
                if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                    rgba = img.convert("RGBA")
                    flat = PILImage.new("RGB", rgba.size, (255, 255, 255))
                    flat.paste(rgba, mask=rgba.getchannel("A"))
                    img = flat
                else:
                    img = img.convert("RGB")
            width_px, height_px = img.size
            if width_px < 1 or height_px < 1:
                return None
            scale = min(box_w / width_px, box_h / height_px)
            draw_w, draw_h = width_px * scale, height_px * scale
            target = (max(1, round(draw_w * _PIXELS_PER_POINT)), max(1, round(draw_h * _PIXELS_PER_POINT)))
            if target[0] < width_px:
                img = img.resize(target, PILImage.Resampling.LANCZOS)
            out = BytesIO()
            img.save(out, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
            out.seek(0)
            return Image(out, width=draw_w, height=draw_h)
        except Exception:  # an unreadable image becomes a placeholder, never a failed export
            return None

    def placeholder(self, box_w: float, box_h: float, text: str) -> Table:
        box = Table([[Paragraph(escape(text), self.s.placeholder)]], colWidths=[box_w], rowHeights=[box_h])
        box.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, -1), PLACEHOLDER),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BOX", (0, 0), (-1, -1), 0.5, RULE),
        ]))
        return box

    def swatch(self, hex_value: str, size: float = 9 * mm) -> Drawing:
        drawing = Drawing(size, size)
        try:
            fill = colors.HexColor(hex_value)
        except Exception:
            fill = colors.white
        drawing.add(Rect(0, 0, size, size, fillColor=fill, strokeColor=colors.HexColor("#AEB7C2"),
                         strokeWidth=0.6, rx=1.5, ry=1.5))
        return drawing


# --------------------------------------------------------------------------------------------------
# Helpers on tech pack values
# --------------------------------------------------------------------------------------------------


def _format_datetime(value: datetime) -> str:
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return value.strftime("%Y-%m-%d %H:%M")


def _price_text(cents: int, currency: str) -> str:
    """ "$45.00 USD": the formatted amount, followed by the code when the format does not already show it."""
    text = format_cents(cents, currency)
    code = normalize_currency(currency)
    if code and not text.endswith(code):
        text = f"{text} {code}"
    return text


def _rgb_text(hex_value: str) -> str:
    try:
        value = int(hex_value.lstrip("#"), 16)
    except ValueError:
        return ""
    return f"RGB {value >> 16 & 255} · {value >> 8 & 255} · {value & 255}"


def _view_caption(view: str) -> str:
    return f"{view.capitalize()} view"


# --------------------------------------------------------------------------------------------------
# Cover and sections
# --------------------------------------------------------------------------------------------------


def _cover(b: _Builder, tp: TechPack, views: dict[str, bytes], *, revision_number: int,
           generated_at: datetime, product_id: str) -> list[Flowable]:
    s = b.s
    parts: list[Flowable] = [
        Paragraph("TECH PACK", s.eyebrow),
        b.p(tp.product_name, s.title),
        Paragraph(
            f"Revision {revision_number}&nbsp;&nbsp;·&nbsp;&nbsp;Generated {escape(_format_datetime(generated_at))}"
            f"&nbsp;&nbsp;·&nbsp;&nbsp;Product ID {_markup(product_id, b.fonts)}",
            s.meta,
        ),
        HRFlowable(width="100%", thickness=0.9, color=ACCENT, spaceBefore=10, spaceAfter=14),
    ]

    present = [v for v in VIEWS if views.get(v)]
    if not present:
        parts.append(Paragraph("<i>No product views were supplied for this revision.</i>", s.body))
    else:
        # Front view large, boxed, captioned.
        front_box = 104 * mm
        front = b.view_image(views.get("front"), front_box, front_box)
        front_cell = front or b.placeholder(front_box, front_box, "Front view not available")
        big = Table([[front_cell], [Paragraph("Front view", s.caption)]], colWidths=[CONTENT_WIDTH],
                    rowHeights=[front_box + 12, 16], hAlign="CENTER")
        big.setStyle(TableStyle([
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ("BOX", (0, 0), (-1, -1), 0.6, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]))
        parts += [big, Spacer(1, 8)]

        # The other four views in a row.
        others = [v for v in VIEWS if v != "front"]
        gap = 8
        col_w = (CONTENT_WIDTH - gap * (len(others) - 1)) / len(others)
        box = col_w - 12
        images: list[object] = []
        captions: list[object] = []
        for view in others:
            image = b.view_image(views.get(view), box, box)
            images.append(image or b.placeholder(box, box, "Not available"))
            captions.append(Paragraph(_view_caption(view), s.caption))
        cells_img: list[object] = []
        cells_cap: list[object] = []
        widths: list[float] = []
        for i, (image, caption) in enumerate(zip(images, captions)):
            if i:
                cells_img.append("")
                cells_cap.append("")
                widths.append(gap)
            cells_img.append(image)
            cells_cap.append(caption)
            widths.append(col_w)
        row = Table([cells_img, cells_cap], colWidths=widths, rowHeights=[box + 12, 16], hAlign="CENTER")
        row_style = [
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ]
        for i in range(len(others)):
            col = i * 2
            row_style.append(("BOX", (col, 0), (col, 1), 0.6, RULE))
        row.setStyle(TableStyle(row_style))
        parts += [row]

    # Key facts strip.
    sizes = ", ".join(x for x in (_clean(v, b.fonts).strip() for v in tp.size_range) if x) or _EMPTY
    facts = [
        ("SUGGESTED RETAIL PRICE", _price_text(tp.price_cents, tp.currency)),
        ("ESTIMATED LEAD TIME", tp.estimated_lead_time),
        ("SIZES", sizes),
        ("COLORWAY", {0: _EMPTY, 1: "1 color"}.get(len(tp.color_palette), f"{len(tp.color_palette)} colors")),
    ]
    fact_w = CONTENT_WIDTH / len(facts)
    strip = Table(
        [[Paragraph(label, s.fact_label) for label, _ in facts], [b.p(value, s.fact_value) for _, value in facts]],
        colWidths=[fact_w] * len(facts), hAlign="LEFT",
    )
    strip.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), ZEBRA),
        ("LINEABOVE", (0, 0), (-1, 0), 1.2, NAVY),
        ("LINEAFTER", (0, 0), (-2, -1), 0.5, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
        ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, 0), 7),
        ("BOTTOMPADDING", (0, 0), (-1, 0), 1),
        ("TOPPADDING", (0, 1), (-1, 1), 1),
        ("BOTTOMPADDING", (0, 1), (-1, 1), 8),
    ]))
    parts += [Spacer(1, 14), strip]
    # Whatever the inputs (a very long name, tall images), the cover stays one page.
    return [KeepInFrame(CONTENT_WIDTH, FRAME_HEIGHT - 4, parts, mode="shrink", hAlign="CENTER"), PageBreak()]


def _sections(b: _Builder, tp: TechPack) -> list[Flowable]:
    s = b.s
    story: list[Flowable] = []

    # 1 Overview
    story += b.heading("Overview")
    story += b.paragraphs(tp.product_overview)
    story += [Spacer(1, 4), b.key_values([
        ("Suggested retail price", _price_text(tp.price_cents, tp.currency)),
        ("Estimated lead time", tp.estimated_lead_time),
        ("Care instructions", tp.care_instructions),
    ])]

    # 2 Bill of materials
    story += b.heading("Bill of materials")
    if tp.materials:
        widths = [0.16, 0.20, 0.29, 0.12, 0.10, 0.13]
        story.append(b.table(
            ["Component", "Material", "Specification", "Quantity", "Unit", "Unit cost"],
            [[m.component, m.material, m.specification, m.quantity, m.unit,
              format_cents(m.unit_cost_cents, tp.currency)] for m in tp.materials],
            [w * CONTENT_WIDTH for w in widths],
            right_cols=(3, 5),
        ))
        story.append(Paragraph(
            f"Unit costs are per unit, in {escape(normalize_currency(tp.currency) or 'the stated currency')}.",
            ParagraphStyle("note", parent=s.caption, alignment=TA_LEFT, spaceBefore=4),
        ))
    else:
        story.append(b.none_listed("materials"))

    # 3 Colorway
    story += b.heading("Colorway")
    if tp.color_palette:
        widths = [0.10, 0.30, 0.22, 0.14, 0.24]
        story.append(b.table(
            ["Swatch", "Name", "Hex / RGB", "Type", "Pantone"],
            [[b.swatch(c.hex), c.name, Paragraph(f"{escape(c.hex.upper())}<br/>"
                                                  f'<font size="7" color="#5F6B7A">{_rgb_text(c.hex)}</font>',
                                                  s.td),
              c.type.capitalize() if c.type else c.type, c.pantone] for c in tp.color_palette],
            [w * CONTENT_WIDTH for w in widths],
            valign="MIDDLE",
        ))
    else:
        story.append(b.none_listed("colors"))

    # 4 Sizes and dimensions
    story += b.heading("Sizes and dimensions")
    sizes = ", ".join(x for x in (_clean(v, b.fonts).strip() for v in tp.size_range) if x)
    story.append(b.key_values([("Size range", sizes or _EMPTY), ("Description", tp.size_description)]))
    story.append(Spacer(1, 4))
    if tp.dimensions:
        for spec in tp.dimensions:
            title = b.subheading(f"Size: {spec.size}" if spec.size.strip() else "Size")
            if spec.measurements:
                table = b.table(
                    ["Measurement", "Value (mm)", "Tolerance (± mm)"],
                    [[m.name, f"{m.value_mm:,}", f"± {m.tolerance_mm:,}"] for m in spec.measurements],
                    [CONTENT_WIDTH * 0.56, CONTENT_WIDTH * 0.22, CONTENT_WIDTH * 0.22],
                    right_cols=(1, 2),
                )
                story.append(KeepTogether([title, table]) if len(spec.measurements) <= 25 else title)
                if len(spec.measurements) > 25:
                    story.append(table)
            else:
                story += [title, b.none_listed("measurements")]
    else:
        story.append(b.none_listed("measurements"))

    # 5 Construction
    story += b.heading("Construction")
    story += b.paragraphs(tp.construction_description)
    if tp.construction_features:
        story.append(b.table(
            ["Feature", "Details"],
            [[f.feature_name, f.details] for f in tp.construction_features],
            [CONTENT_WIDTH * 0.28, CONTENT_WIDTH * 0.72],
        ))

    # 6 Hardware
    story += b.heading("Hardware")
    story += b.paragraphs(tp.hardware_description)
    items = [h for h in tp.hardware if _clean(h, b.fonts).strip()]
    if items:
        story.append(ListFlowable(
            [ListItem(b.p(h, ParagraphStyle("li", parent=s.body, spaceAfter=2)), leftIndent=14,
                      value="•") for h in items],
            bulletType="bullet", bulletFontName=b.fonts.regular, bulletColor=ACCENT, leftIndent=14,
            bulletFontSize=9,
        ))
    else:
        story.append(b.none_listed("hardware components"))

    # 7 Packaging
    pk = tp.packaging
    story += b.heading("Packaging")
    story.append(b.key_values([
        ("Description", pk.description),
        ("Type", pk.type),
        ("Dimensions", pk.dimensions),
        ("Branding", pk.branding),
        ("Sustainability", pk.sustainability),
    ]))

    # 8 Quality standards
    story += b.heading("Quality standards")
    if tp.quality_standards:
        story.append(b.table(
            ["Aspect", "Requirement", "Test method"],
            [[q.aspect, q.requirement, q.test_method] for q in tp.quality_standards],
            [CONTENT_WIDTH * 0.24, CONTENT_WIDTH * 0.40, CONTENT_WIDTH * 0.36],
        ))
    else:
        story.append(b.none_listed("quality standards"))

    # 9 Production notes
    story += b.heading("Production notes")
    story += b.paragraphs(tp.production_notes)
    return story


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
