"""Tech pack exports: PDF (seed 000 §7.1), XLSX (seed 000 §7.2) and the shared money formatting."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import datetime, timezone
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from PIL import Image, ImageDraw
from pypdf import PdfReader

from genpire_app.backend.exports import techpack_pdf
from genpire_app.backend.exports.money import cents_to_decimal, format_cents
from genpire_app.backend.exports.techpack_pdf import render_techpack_pdf
from genpire_app.backend.exports.techpack_xlsx import SHEET_NAMES, render_techpack_xlsx
from genpire_app.backend.providers.base import (
    VIEWS,
    ConstructionFeature,
    MaterialLine,
    Measurement,
    Packaging,
    PaletteColor,
    QualityStandard,
    SizeSpec,
    TechPack,
)

GENERATED_AT = datetime(2025, 1, 15, 14, 30, tzinfo=timezone.utc)
PRODUCT_ID = "7f3c2a9e-1b2d-4c5e-9f00-abcdef123456"
SECTION_HEADINGS = (
    "Overview",
    "Bill of materials",
    "Colorway",
    "Sizes and dimensions",
    "Construction",
    "Hardware",
    "Packaging",
    "Quality standards",
    "Production notes",
)


# --------------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------------


def make_tech_pack() -> TechPack:
    """A realistic tech pack: a canvas tote bag with leather straps (seed 000 §3 Phase 6 example)."""
    return TechPack(
        product_name="Heritage Canvas Tote with Leather Straps",
        product_overview=(
            "A structured everyday tote in heavyweight organic cotton canvas with full-grain, vegetable-tanned "
            "leather straps. Sized for commuting and market runs; holds a 15-inch laptop.\n\n"
            "Interior slip pocket and zipped pocket; magnetic snap closure at the top opening."
        ),
        price_cents=4500,
        currency="USD",
        estimated_lead_time="3-4 weeks after sample approval",
        care_instructions="Spot clean the canvas with mild soap; condition the leather every 6 months.",
        materials=[
            MaterialLine(component="Main body", material="Organic cotton canvas",
                         specification="12 oz/yd², plain weave, GOTS certified", quantity="0.75", unit="yard",
                         unit_cost_cents=250),
            MaterialLine(component="Straps", material="Full-grain leather",
                         specification="38 mm wide, 3.5 mm thick, edges burnished", quantity="1", unit="pair",
                         unit_cost_cents=1500),
            MaterialLine(component="Lining", material="Recycled polyester",
                         specification="210D, water-resistant coating", quantity="0.5", unit="yard",
                         unit_cost_cents=180),
            MaterialLine(component="Thread", material="Bonded nylon thread", specification="Tex 70, color matched",
                         quantity="40", unit="m", unit_cost_cents=12),
        ],
        color_palette=[
            PaletteColor(name="Natural Canvas", hex="#E8DCC4", type="primary", pantone="PANTONE 12-0304 TCX"),
            PaletteColor(name="Saddle Brown", hex="#8B5A2B", type="secondary", pantone="PANTONE 18-1142 TCX"),
            PaletteColor(name="Antique Brass", hex="#b08d57", type="accent", pantone="PANTONE 16-1126 TCX"),
        ],
        size_range=["Standard"],
        size_description="One size: 380 x 320 x 100 mm",
        dimensions=[
            SizeSpec(size="Standard", measurements=[
                Measurement(name="Height", value_mm=380, tolerance_mm=5),
                Measurement(name="Width", value_mm=320, tolerance_mm=5),
                Measurement(name="Depth (gusset)", value_mm=100, tolerance_mm=3),
                Measurement(name="Handle drop", value_mm=230, tolerance_mm=10),
            ]),
        ],
        construction_description="Reinforced double-stitched seams throughout, 8 stitches per inch.",
        construction_features=[
            ConstructionFeature(feature_name="Seam type", details="French seams, 6 mm allowance"),
            ConstructionFeature(feature_name="Closure", details="Magnetic snap, nickel-free"),
            ConstructionFeature(feature_name="Reinforcement", details="Bar tacks at stress points"),
        ],
        hardware_description="Solid brass hardware, antique finish.",
        hardware=["2x Magnetic snap closures (15 mm)", "4x Double-cap rivets (9 mm)", "2x D-rings (25 mm)"],
        packaging=Packaging(description="Eco-friendly packaging", type="Recycled cardboard box",
                            dimensions="400 x 340 x 120 mm", branding="Logo sticker on front",
                            sustainability="100% recyclable, FSC certified"),
        quality_standards=[
            QualityStandard(aspect="Material quality", requirement="GOTS certified organic cotton",
                            test_method="Supplier certification verification"),
            QualityStandard(aspect="Seam strength", requirement="Seams withstand a 90 N pull",
                            test_method="Tensile testing on random samples"),
            QualityStandard(aspect="Color fastness", requirement="Grade 4 minimum (ISO 105)",
                            test_method="Wash and rub fastness testing"),
        ],
        production_notes="Condition the leather straps before attachment. Align magnetic closures precisely.",
    )


def make_view_png(view: str, size: int = 512) -> bytes:
    """A simple drawing of the tote from one side, as PNG bytes."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    body, trim = "#E8DCC4", "#8B5A2B"
    if view in ("front", "back"):
        draw.arc((166, 60, 346, 300), 180, 360, fill=trim, width=14)
        draw.rectangle((116, 180, 396, 460), fill=body, outline=trim, width=4)
    elif view == "side":
        draw.rectangle((216, 180, 296, 460), fill=body, outline=trim, width=4)
    else:
        draw.rectangle((116, 216, 396, 296), fill=body, outline=trim, width=4)
    # A different mark per view, so no two views are the same image.
    index = VIEWS.index(view)  # type: ignore[arg-type]
    draw.ellipse((24 + 40 * index, 24, 48 + 40 * index, 48), fill="#2E7D7A")
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def tech_pack() -> TechPack:
    return make_tech_pack()


@pytest.fixture(scope="module")
def views() -> dict[str, bytes]:
    return {view: make_view_png(view) for view in VIEWS}


@pytest.fixture(scope="module")
def pdf_bytes(tech_pack: TechPack, views: dict[str, bytes]) -> bytes:
    return render_techpack_pdf(tech_pack, views, revision_number=2, generated_at=GENERATED_AT,
                               product_id=PRODUCT_ID)


def pdf_text(data: bytes) -> str:
    """All text of a PDF with runs of whitespace collapsed (table cells wrap over lines)."""
    reader = PdfReader(BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))


def body_text(data: bytes) -> str:
    """Like :func:`pdf_text` without the header and footer lines, so text flowing over pages is contiguous."""
    lines: list[str] = []
    for page in PdfReader(BytesIO(data)).pages:
        for line in (page.extract_text() or "").splitlines():
            stripped = line.strip()
            if stripped == "TECH PACK" or re.fullmatch(r"Page \d+ of \d+", stripped):
                continue
            if re.search(r"·\s+Revision \d+(\s+·\s+\d{4}-\d\d-\d\d \d\d:\d\d( UTC)?)?$", stripped):
                continue
            lines.append(stripped)
    return re.sub(r"\s+", " ", " ".join(lines))


def image_count(page) -> int:
    resources = page.get("/Resources")
    if resources is None:
        return 0
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None:
        return 0
    xobjects = xobjects.get_object()
    return sum(1 for name in xobjects if xobjects[name].get_object().get("/Subtype") == "/Image")


# --------------------------------------------------------------------------------------------------
# Money
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [
        (4500, "USD", "$45.00"),
        (1250, "EUR", "€12.50"),
        (123456, "GBP", "£1,234.56"),
        (123456, "CAD", "1,234.56 CAD"),
        (123456789, "usd", "$1,234,567.89"),
        (-4500, "USD", "-$45.00"),
        (-5, "CAD", "-0.05 CAD"),
        (0, "USD", "$0.00"),
        (7, " usd ", "$0.07"),
        (1234, "", "12.34"),
    ],
)
def test_format_cents(cents: int, currency: str, expected: str) -> None:
    assert format_cents(cents, currency) == expected


@pytest.mark.parametrize("bad", [45.0, True, Decimal("45"), "4500"])
def test_format_cents_refuses_non_integers(bad: object) -> None:
    with pytest.raises(TypeError):
        format_cents(bad, "USD")  # type: ignore[arg-type]


def test_cents_to_decimal_is_exact() -> None:
    assert cents_to_decimal(250) == Decimal("2.50")
    assert str(cents_to_decimal(250)) == "2.50"
    assert str(cents_to_decimal(0)) == "0.00"
    assert str(cents_to_decimal(-1999)) == "-19.99"
    assert cents_to_decimal(10**15 + 1) == Decimal("10000000000000.01")


# --------------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------------


def test_pdf_contains_every_section_and_value(pdf_bytes: bytes, tech_pack: TechPack) -> None:
    assert pdf_bytes.startswith(b"%PDF-")
    text = pdf_text(pdf_bytes)
    assert tech_pack.product_name in text
    for heading in SECTION_HEADINGS:
        assert heading in text, heading
    for line in tech_pack.materials:
        assert line.material in text, line.material
        assert line.component in text
    assert "$45.00 USD" in text  # suggested retail price from 4500 cents
    assert "$2.50" in text and "$15.00" in text and "$0.12" in text  # unit costs from cents
    assert "Revision 2" in text
    assert PRODUCT_ID in text
    assert "2025-01-15 14:30 UTC" in text
    for color in tech_pack.color_palette:
        assert color.name in text
        assert color.hex.upper() in text
        assert color.pantone in text
    assert "Handle drop" in text and "230" in text and "± 10" in text
    for caption in ("Front view", "Back view", "Side view", "Top view", "Bottom view"):
        assert caption in text
    assert "Supplier certification verification" in text
    assert "D-rings (25 mm)" in text
    assert "FSC certified" in text


def test_pdf_has_pages_footer_and_images(pdf_bytes: bytes, tech_pack: TechPack) -> None:
    reader = PdfReader(BytesIO(pdf_bytes))
    assert len(reader.pages) > 1
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4
    assert image_count(reader.pages[0]) == 5  # all five views on the cover
    total = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        page_text = re.sub(r"\s+", " ", page.extract_text())
        assert f"Page {number} of {total}" in page_text
        assert "Revision 2" in page_text
        assert tech_pack.product_name in page_text
    # One bookmark per section.
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert [t.split(". ", 1)[1] for t in titles] == list(SECTION_HEADINGS)
    assert reader.metadata.title.startswith(tech_pack.product_name)


def test_pdf_missing_and_broken_views_do_not_crash(tech_pack: TechPack, views: dict[str, bytes]) -> None:
    partial = {"front": views["front"], "side": b"this is not a png", "top": views["top"][:64]}
    data = render_techpack_pdf(tech_pack, partial, revision_number=1, generated_at=GENERATED_AT,
                               product_id=PRODUCT_ID)
    reader = PdfReader(BytesIO(data))
    assert image_count(reader.pages[0]) == 1  # only the front view could be drawn
    text = pdf_text(data)
    assert "Not available" in text and "Revision 1" in text

    no_front = {"back": views["back"]}
    data = render_techpack_pdf(tech_pack, no_front, revision_number=1, generated_at=GENERATED_AT,
                               product_id=PRODUCT_ID)
    assert "Front view not available" in pdf_text(data)

    data = render_techpack_pdf(tech_pack, {}, revision_number=1, generated_at=datetime(2025, 1, 15),
                               product_id=PRODUCT_ID)
    text = pdf_text(data)
    assert "No product views were supplied" in text
    assert "2025-01-15 00:00" in text  # naive datetime shown as is


def test_pdf_accepts_rgba_and_jpeg_views(tech_pack: TechPack) -> None:
    rgba = Image.new("RGBA", (300, 600), (0, 0, 0, 0))
    ImageDraw.Draw(rgba).ellipse((20, 20, 280, 580), fill=(139, 90, 43, 255))
    png = BytesIO()
    rgba.save(png, format="PNG")
    jpeg = BytesIO()
    Image.new("RGB", (800, 400), "#8B5A2B").save(jpeg, format="JPEG")
    data = render_techpack_pdf(tech_pack, {"front": png.getvalue(), "back": jpeg.getvalue()},
                               revision_number=3, generated_at=GENERATED_AT, product_id=PRODUCT_ID)
    assert image_count(PdfReader(BytesIO(data)).pages[0]) == 2


def awkward_tech_pack(long_note: str) -> TechPack:
    tp = make_tech_pack().model_copy(deep=True)
    tp.product_name = "Café & Co. <b>Tote</b> 🧵👜 東京バッグ"
    tp.product_overview = (
        "Ampersands & angle brackets <script>alert(1)</script> & entities &amp; stay literal.\x00\x07 "
        "Emoji ✂️🧶, accents àéîõüß ÅØÆ, CJK 帆布托特包, Cyrillic Сумка, tab\there.\r\nNew line."
    )
    tp.materials[0].material = "Canvas <12oz> & cotton"
    tp.materials[1].specification = "X" * 3000  # one unbreakable word, longer than a page in its cell
    tp.construction_features[0].details = "=SUM(A1:A3) " + "détails " * 600
    tp.color_palette[0].name = "Crème brûlée 🍮"
    tp.hardware = ["<D-ring> & rivet", "  ", "Snap \u200d\ufe0f"]
    tp.production_notes = long_note
    return tp


def make_long_note() -> str:
    sentences = [f"N{i:04d} check stitch density & seam <allowance> at corner {i}." for i in range(80)]
    note = " ".join(sentences)
    note = (note + " Final check done.").ljust(5000, ".")
    assert len(note) == 5000
    return note


def test_pdf_awkward_text_does_not_crash(views: dict[str, bytes]) -> None:
    note = make_long_note()
    data = render_techpack_pdf(awkward_tech_pack(note), views, revision_number=2,
                               generated_at=GENERATED_AT, product_id="<id & 1>")
    text = pdf_text(data)
    assert "Café & Co. <b>Tote</b>" in text
    assert "<script>alert(1)</script> & entities &amp; stay literal." in text
    assert "Canvas <12oz> & cotton" in text
    assert "<id & 1>" in text
    assert "àéîõüß" in text
    assert "<D-ring> & rivet" in text
    # The whole 5,000-character note made it into the document.
    text = body_text(data)
    for i in range(80):
        assert f"N{i:04d} check stitch density & seam <allowance> at corner {i}." in text
    assert "Final check done." in text
    assert "X" * 500 in text.replace(" ", "")


def test_pdf_without_dejavu_falls_back_to_helvetica(monkeypatch: pytest.MonkeyPatch,
                                                    views: dict[str, bytes]) -> None:
    helvetica = techpack_pdf._Fonts("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", None)
    monkeypatch.setattr(techpack_pdf, "_FONTS", helvetica)
    assert techpack_pdf._clean("Žluťoučký 東京 ✂️ ok", helvetica) == "Žlutoucký ?? ? ok"
    data = render_techpack_pdf(awkward_tech_pack(make_long_note()), views, revision_number=2,
                               generated_at=GENERATED_AT, product_id=PRODUCT_ID)
    text = pdf_text(data)
    assert "Café & Co. <b>Tote</b>" in text
    assert "N0079 check stitch density" in text


def test_pdf_empty_lists_render(views: dict[str, bytes]) -> None:
    tp = make_tech_pack().model_copy(update={
        "materials": [], "color_palette": [], "size_range": [], "dimensions": [], "construction_features": [],
        "hardware": [], "quality_standards": [], "production_notes": "", "product_overview": "",
        "price_cents": -1999, "currency": "cad",
    })
    text = pdf_text(render_techpack_pdf(tp, views, revision_number=0, generated_at=GENERATED_AT,
                                        product_id=PRODUCT_ID))
    assert "No materials listed." in text
    assert "-19.99 CAD" in text
    for heading in SECTION_HEADINGS:
        assert heading in text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_rasterizes_with_poppler(pdf_bytes: bytes, tmp_path) -> None:
    source = tmp_path / "techpack.pdf"
    source.write_bytes(pdf_bytes)
    result = subprocess.run(["pdftoppm", "-png", "-r", "30", str(source), str(tmp_path / "page")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(PdfReader(BytesIO(pdf_bytes)).pages)


# --------------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xlsx_bytes(tech_pack: TechPack) -> bytes:
    return render_techpack_xlsx(tech_pack, revision_number=2, generated_at=GENERATED_AT)


def test_xlsx_sheets_in_order(xlsx_bytes: bytes) -> None:
    wb = load_workbook(BytesIO(xlsx_bytes))
    assert wb.sheetnames[:6] == ["Overview", "Materials", "Colors", "Dimensions", "Construction", "Quality"]
    assert tuple(wb.sheetnames) == SHEET_NAMES
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        header = ws[1]
        assert all(cell.font.bold for cell in header if cell.value), ws.title
        assert all(cell.fill.fill_type == "solid" for cell in header if cell.value), ws.title


def test_xlsx_materials_exact_money(xlsx_bytes: bytes, tech_pack: TechPack) -> None:
    wb = load_workbook(BytesIO(xlsx_bytes))
    ws = wb["Materials"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == ["Component", "Material", "Specification", "Quantity", "Unit", "Unit cost"]
    assert len(rows) == 1 + len(tech_pack.materials)
    for row, line in zip(rows[1:], tech_pack.materials):
        assert row[0] == line.component
        assert row[1] == line.material
        assert row[2] == line.specification
        assert row[4] == line.unit
        assert Decimal(str(row[5])) == Decimal(line.unit_cost_cents) / 100
    assert Decimal(str(rows[1][5])) == Decimal("2.50")
    assert rows[1][3] == 0.75 and rows[2][3] == 1  # numeric quantities become numbers
    assert "$" in ws["F2"].number_format and "0.00" in ws["F2"].number_format
    # The file stores the exact decimal text, not a binary float's expansion.
    with zipfile.ZipFile(BytesIO(xlsx_bytes)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet2.xml").decode()
    cells = dict(re.findall(r'<c r="(F\d+)"[^>]*><v>([^<]*)</v>', sheet_xml))
    assert [Decimal(cells[f"F{row}"]) for row in range(2, 6)] == [Decimal("2.50"), Decimal("15.00"),
                                                                  Decimal("1.80"), Decimal("0.12")]
    assert cells["F2"] == "2.5" and cells["F5"] == "0.12"

    overview = {row[0]: row[1] for row in wb["Overview"].iter_rows(min_row=2, values_only=True)}
    assert Decimal(str(overview["Suggested retail price"])) == Decimal("45.00")
    assert overview["Product name"] == tech_pack.product_name
    assert overview["Revision"] == 2
    assert overview["Generated at (UTC)"] == datetime(2025, 1, 15, 14, 30)
    assert overview["Currency"] == "USD"


def test_xlsx_colors_filled_with_hex(xlsx_bytes: bytes, tech_pack: TechPack) -> None:
    ws = load_workbook(BytesIO(xlsx_bytes))["Colors"]
    assert [c.value for c in ws[1]][:3] == ["Swatch", "Name", "Hex"]
    for row, color in enumerate(tech_pack.color_palette, start=2):
        swatch = ws.cell(row=row, column=1)
        assert swatch.fill.fill_type == "solid"
        assert swatch.fill.fgColor.rgb[-6:] == color.hex.lstrip("#").upper()
        assert ws.cell(row=row, column=2).value == color.name
        assert ws.cell(row=row, column=3).value == color.hex.upper()
        assert ws.cell(row=row, column=6).value == color.pantone


def test_xlsx_dimensions_construction_quality(xlsx_bytes: bytes, tech_pack: TechPack) -> None:
    wb = load_workbook(BytesIO(xlsx_bytes))
    dims = list(wb["Dimensions"].iter_rows(min_row=2, values_only=True))
    expected = [(s.size, m.name, m.value_mm, m.tolerance_mm) for s in tech_pack.dimensions for m in s.measurements]
    assert [tuple(r) for r in dims] == expected
    construction = list(wb["Construction"].iter_rows(min_row=2, values_only=True))
    assert construction[0] == ("Overall construction", tech_pack.construction_description)
    assert [r[0] for r in construction[1:]] == [f.feature_name for f in tech_pack.construction_features]
    quality = list(wb["Quality"].iter_rows(values_only=True))
    assert quality[0] == ("Aspect", "Requirement", "Test method")
    assert len(quality) == 1 + len(tech_pack.quality_standards)
    extra = [r[1] for r in wb["Hardware & Packaging"].iter_rows(min_row=2, values_only=True)]
    assert tech_pack.hardware[0] in extra and tech_pack.packaging.type in extra


def test_xlsx_awkward_text_stays_text() -> None:
    tp = awkward_tech_pack(make_long_note() * 8)  # 40,000 characters: over Excel's cell limit
    tp.materials[0].component = "=HYPERLINK(\"http://example.com\",\"click\")"
    tp.materials[0].quantity = "2 pcs"
    tp.currency = "EUR"
    data = render_techpack_xlsx(tp, revision_number=5, generated_at=datetime(2025, 1, 15, 9, 0))
    wb = load_workbook(BytesIO(data))
    ws = wb["Materials"]
    assert ws["A2"].data_type == "s" and ws["A2"].value.startswith("=HYPERLINK")
    assert ws["D2"].value == "2 pcs"
    assert "€" in ws["F2"].number_format
    assert wb["Construction"]["B2"].data_type == "s"
    overview = {row[0]: row[1] for row in wb["Overview"].iter_rows(min_row=2, values_only=True)}
    assert overview["Generated at"] == datetime(2025, 1, 15, 9, 0)
    assert "\x00" not in overview["Product overview"]
    assert len(overview["Production notes"]) == 32_767
    assert overview["Production notes"].endswith("[truncated]")
