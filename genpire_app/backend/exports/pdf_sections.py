"""Content of the tech pack PDF (seed 000 §7.1): the cover page and the nine sections.

Private to :mod:`genpire_app.backend.exports.techpack_pdf`. The cover shows the product name, revision,
date, product id, the views and a strip of key facts, and always fits one page; the sections follow the
"Tech Pack Structure" of seed 000 §3 Phase 6: Overview, Bill of materials, Colorway, Sizes and dimensions,
Construction, Hardware, Packaging, Quality standards, Production notes.

Source: seed 000 §7.1 and §3 Phase 6. Money is integer cents; tech pack measurements are millimetres.
"""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepInFrame,
    KeepTogether,
    ListFlowable,
    ListItem,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from genpire_app.backend.exports.money import format_cents, normalize_currency
from genpire_app.backend.exports.pdf_blocks import _Builder, _format_datetime, _price_text, _rgb_text, _view_caption
from genpire_app.backend.exports.pdf_styles import (
    _EMPTY,
    ACCENT,
    CONTENT_WIDTH,
    FRAME_HEIGHT,
    RULE,
    _clean,
    _markup,
)
from genpire_app.backend.providers.base import VIEWS, TechPack

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
        big = b.figure(views.get("front"), front_box, "Front view", "Front view not available")
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
    strip = b.facts(facts)
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
