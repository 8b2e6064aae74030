"""Building blocks of the tech pack PDF (seed 000 §7.1): headings, tables, images, swatches, value formatting.

Private to :mod:`genpire_app.backend.exports.techpack_pdf`. A :class:`_Builder` holds the fonts and styles
of one document while its story is built; section headings are :class:`_SectionHeading` paragraphs, which
the document turns into PDF bookmarks. Images are re-encoded as JPEG at about 180 dpi.

Source: seed 000 §7.1 ("TechPackPDF component renders ..."). Lengths are in PDF points (1/72 inch) unless a
name ends in ``_mm``; money is integer cents.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from io import BytesIO
from typing import Iterable, Sequence
from xml.sax.saxutils import escape

from PIL import Image as PILImage
from PIL import ImageOps
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, HRFlowable, Image, Paragraph, Table, TableStyle

from genpire_app.backend.exports.money import format_cents, normalize_currency
from genpire_app.backend.exports.pdf_styles import (
    _EMPTY,
    ACCENT,
    CONTENT_WIDTH,
    NAVY,
    PLACEHOLDER,
    RULE,
    ZEBRA,
    _clean,
    _Fonts,
    _markup,
    _styles,
)

#: Images are embedded at this many pixels per point (180 dpi): sharp in print, small files.
_PIXELS_PER_POINT = 2.5
_JPEG_QUALITY = 85


class _SectionHeading(Paragraph):
    """A section heading that also becomes a PDF bookmark."""

    def __init__(self, text: str, style: ParagraphStyle, *, outline_title: str, key: str) -> None:
        super().__init__(text, style)
        self.outline_title = outline_title
        self.outline_key = key


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

    def facts(self, facts: Sequence[tuple[str, object]]) -> Table:
        """A strip of key facts: small caps labels over bold values, one column each, on a tinted band."""
        s = self.s
        fact_w = CONTENT_WIDTH / len(facts)
        strip = Table(
            [[Paragraph(escape(label), s.fact_label) for label, _ in facts],
             [self.p(value, s.fact_value) for _, value in facts]],
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
        return strip

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

    def figure(self, data: bytes | None, box: float, caption: str, missing: str, width: float = CONTENT_WIDTH) -> Table:
        """An image fitted in a ``box`` x ``box`` square (a placeholder saying ``missing`` when unreadable),
        captioned, in a framed cell ``width`` wide."""
        image = self.view_image(data, box, box) or self.placeholder(box, box, missing)
        table = Table([[image], [self.p(caption, self.s.caption)]], colWidths=[width], rowHeights=[box + 12, 16],
                      hAlign="CENTER")
        table.setStyle(TableStyle([
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ("BOX", (0, 0), (-1, -1), 0.6, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]))
        return table

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
