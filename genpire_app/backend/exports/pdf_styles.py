"""Look of the tech pack PDF (seed 000 §7.1): page geometry, colors, fonts, text cleaning, paragraph styles.

Private to :mod:`genpire_app.backend.exports.techpack_pdf`, which loads the fonts once per process and
assembles the document. Text comes from a language model or the user, so :func:`_clean` makes every string
drawable by the font in use (controls dropped, unknown characters replaced) and :func:`_markup` escapes it
for reportlab's paragraph mini-markup.

Source: seed 000 §7.1 ("TechPackPDF component renders ..."). Lengths are in PDF points (1/72 inch).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

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
