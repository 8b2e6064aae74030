"""Tech pack Excel export (seed 000 §7.2, "exportToExcel").

One public function, :func:`render_techpack_xlsx`, writes a workbook with the sheets, in this order:
"Overview", "Materials", "Colors", "Dimensions", "Construction", "Quality", "Hardware & Packaging".
Every sheet has one bold, filled header row, frozen panes under it, an auto-filter, fixed column widths,
wrapped text, and prints landscape, one page wide, with the header repeated.

Money is exact: integer cents become ``Decimal`` values with two places (``250 -> Decimal("2.50")``), which
openpyxl writes to the file as their decimal text, shown with a currency number format ("$"#,##0.00).
Measurements stay integers in millimetres. Text is cleaned of the control characters Excel refuses, cut at
Excel's 32,767-character cell limit, and always stored as text (a value starting with "=" is never turned
into a formula).

CPU-bound synchronous code: callers run it in ``asyncio.to_thread``.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from io import BytesIO
from typing import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from genpire_app.backend.exports.money import cents_to_decimal, currency_affixes, normalize_currency
from genpire_app.backend.providers.base import TechPack

__all__ = ["SHEET_NAMES", "render_techpack_xlsx"]

#: Sheet names in workbook order (seed 000 §7.2 plus a sheet for hardware and packaging).
SHEET_NAMES: tuple[str, ...] = (
    "Overview",
    "Materials",
    "Colors",
    "Dimensions",
    "Construction",
    "Quality",
    "Hardware & Packaging",
)

#: Excel's hard limit on the characters of one cell.
_MAX_CELL_CHARS = 32_767
_TRUNCATION_MARK = " … [truncated]"

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill(fill_type="solid", start_color="FF1B2B4B", end_color="FF1B2B4B")
_LABEL_FONT = Font(bold=True, color="FF5F6B7A")
_THIN = Side(style="thin", color="FFD5DBE3")
_BORDER = Border(bottom=_THIN)
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_WRAP_TOP_RIGHT = Alignment(wrap_text=True, vertical="top", horizontal="right")
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="center")
_NUMBER_RE = re.compile(r"^-?\d{1,12}(\.\d{1,6})?$")


def _text(value: object) -> str:
    """Text Excel accepts: illegal control characters removed, at most 32,767 characters."""
    text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
    if len(text) > _MAX_CELL_CHARS:
        text = text[: _MAX_CELL_CHARS - len(_TRUNCATION_MARK)] + _TRUNCATION_MARK
    return text


def _money_format(currency: str) -> str:
    """An Excel number format showing two decimals with the currency, e.g. ``"$"#,##0.00;-"$"#,##0.00``."""
    prefix, suffix = currency_affixes(currency)
    positive = (f'"{prefix}"' if prefix else "") + "#,##0.00" + (f'"{suffix}"' if suffix else "")
    return f"{positive};-{positive}"


def _put(ws: Worksheet, row: int, col: int, value: object, *, number_format: str | None = None,
         align: Alignment = _WRAP_TOP) -> Cell:
    """Write one body cell; strings are always stored as text (never formulas)."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = _text(value)
        cell.data_type = "s"  # "=SUM(...)" from a model stays literal text
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
    cell.alignment = align
    cell.border = _BORDER
    return cell


def _sheet(wb: Workbook, title: str, headers: Sequence[str], widths: Sequence[float]) -> Worksheet:
    """A sheet with a styled header row, frozen panes under it, column widths and print setup."""
    ws = wb.create_sheet(title)
    for col, (header, width) in enumerate(zip(headers, widths), start=1):
        cell = ws.cell(row=1, column=col, value=header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _HEADER_ALIGN
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[1].height = 22
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def _finish(ws: Worksheet) -> None:
    ws.auto_filter.ref = f"A1:{get_column_letter(ws.max_column)}{max(ws.max_row, 1)}"


def _quantity(value: str) -> object:
    """A purely numeric quantity ("0.75") becomes an exact number; anything else stays text."""
    stripped = value.strip()
    if _NUMBER_RE.match(stripped):
        return Decimal(stripped) if "." in stripped else int(stripped)
    return value


def render_techpack_xlsx(tech_pack: TechPack, *, revision_number: int, generated_at: datetime) -> bytes:
    """Render the tech pack of one revision as an Excel workbook and return the ``.xlsx`` bytes (seed 000 §7.2).

    Sheets, in order (see :data:`SHEET_NAMES`):

    * "Overview": Field / Value rows: product name, revision, generated at, suggested retail price
      (number in currency units, e.g. ``Decimal("45.00")`` for 4500 cents, currency number format),
      currency, lead time, care instructions, overview, size range and description, production notes.
    * "Materials": Component, Material, Specification, Quantity, Unit, Unit cost — one row per BOM line;
      unit cost exact from ``unit_cost_cents`` (``250 -> 2.50``); purely numeric quantities are numbers.
    * "Colors": Swatch (cell filled with the color), Name, Hex, RGB, Type, Pantone.
    * "Dimensions": Size, Measurement, Value (mm), Tolerance (± mm) — integers in millimetres.
    * "Construction": Feature, Details — first the overall construction description, then each feature.
    * "Quality": Aspect, Requirement, Test method.
    * "Hardware & Packaging": Item, Details.

    Args:
        tech_pack: the tech pack (money in integer cents, measurements in millimetres).
        revision_number: the revision the tech pack describes.
        generated_at: when it was generated; an aware datetime is written in UTC (Excel has no time
            zones), a naive one as is.

    Returns:
        The workbook as bytes (Office Open XML).

    Raises:
        TypeError: when a money field is not an integer number of cents.
    """
    currency = normalize_currency(tech_pack.currency)
    money_fmt = _money_format(currency)
    if generated_at.tzinfo is not None:
        generated_naive = generated_at.astimezone(timezone.utc).replace(tzinfo=None)
        generated_label = "Generated at (UTC)"
    else:
        generated_naive = generated_at
        generated_label = "Generated at"

    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = _text(f"{tech_pack.product_name} — Tech pack, revision {revision_number}")[:255]
    wb.properties.creator = "Genpire"
    wb.properties.created = generated_naive

    # Overview ------------------------------------------------------------------------------------
    ws = _sheet(wb, "Overview", ["Field", "Value"], [28, 100])
    rows: list[tuple[str, object, str | None]] = [
        ("Product name", tech_pack.product_name, None),
        ("Revision", revision_number, "0"),
        (generated_label, generated_naive, "yyyy-mm-dd hh:mm"),
        ("Suggested retail price", cents_to_decimal(tech_pack.price_cents), money_fmt),
        ("Currency", currency, None),
        ("Estimated lead time", tech_pack.estimated_lead_time, None),
        ("Care instructions", tech_pack.care_instructions, None),
        ("Product overview", tech_pack.product_overview, None),
        ("Size range", ", ".join(tech_pack.size_range), None),
        ("Size description", tech_pack.size_description, None),
        ("Production notes", tech_pack.production_notes, None),
    ]
    for r, (label, value, fmt) in enumerate(rows, start=2):
        _put(ws, r, 1, label).font = _LABEL_FONT
        align = _WRAP_TOP if isinstance(value, str) else Alignment(vertical="top", horizontal="left")
        _put(ws, r, 2, value, number_format=fmt, align=align)
    _finish(ws)

    # Materials -----------------------------------------------------------------------------------
    ws = _sheet(wb, "Materials", ["Component", "Material", "Specification", "Quantity", "Unit", "Unit cost"],
                [22, 28, 48, 11, 12, 13])
    for r, m in enumerate(tech_pack.materials, start=2):
        _put(ws, r, 1, m.component)
        _put(ws, r, 2, m.material)
        _put(ws, r, 3, m.specification)
        _put(ws, r, 4, _quantity(m.quantity), align=_WRAP_TOP_RIGHT)
        _put(ws, r, 5, m.unit)
        _put(ws, r, 6, cents_to_decimal(m.unit_cost_cents), number_format=money_fmt, align=_WRAP_TOP_RIGHT)
    _finish(ws)

    # Colors --------------------------------------------------------------------------------------
    ws = _sheet(wb, "Colors", ["Swatch", "Name", "Hex", "RGB", "Type", "Pantone"], [10, 26, 11, 15, 13, 26])
    for r, c in enumerate(tech_pack.color_palette, start=2):
        hex_value = c.hex.lstrip("#").upper()
        swatch = _put(ws, r, 1, None)
        swatch.fill = PatternFill(fill_type="solid", start_color=f"FF{hex_value}", end_color=f"FF{hex_value}")
        _put(ws, r, 2, c.name)
        _put(ws, r, 3, f"#{hex_value}")
        value = int(hex_value, 16)
        _put(ws, r, 4, f"{value >> 16 & 255}, {value >> 8 & 255}, {value & 255}")
        _put(ws, r, 5, c.type)
        _put(ws, r, 6, c.pantone)
        ws.row_dimensions[r].height = 24
    _finish(ws)

    # Dimensions ----------------------------------------------------------------------------------
    ws = _sheet(wb, "Dimensions", ["Size", "Measurement", "Value (mm)", "Tolerance (± mm)"], [16, 36, 13, 17])
    r = 2
    for spec in tech_pack.dimensions:
        for m in spec.measurements:
            _put(ws, r, 1, spec.size)
            _put(ws, r, 2, m.name)
            _put(ws, r, 3, m.value_mm, number_format="#,##0", align=_WRAP_TOP_RIGHT)
            _put(ws, r, 4, m.tolerance_mm, number_format='"±" 0', align=_WRAP_TOP_RIGHT)
            r += 1
    _finish(ws)

    # Construction --------------------------------------------------------------------------------
    ws = _sheet(wb, "Construction", ["Feature", "Details"], [30, 100])
    construction = [("Overall construction", tech_pack.construction_description)]
    construction += [(f.feature_name, f.details) for f in tech_pack.construction_features]
    for r, (feature, details) in enumerate(construction, start=2):
        _put(ws, r, 1, feature)
        _put(ws, r, 2, details)
    ws.cell(row=2, column=1).font = Font(bold=True)
    _finish(ws)

    # Quality -------------------------------------------------------------------------------------
    ws = _sheet(wb, "Quality", ["Aspect", "Requirement", "Test method"], [26, 55, 55])
    for r, q in enumerate(tech_pack.quality_standards, start=2):
        _put(ws, r, 1, q.aspect)
        _put(ws, r, 2, q.requirement)
        _put(ws, r, 3, q.test_method)
    _finish(ws)

    # Hardware & Packaging ------------------------------------------------------------------------
    ws = _sheet(wb, "Hardware & Packaging", ["Item", "Details"], [28, 100])
    pk = tech_pack.packaging
    items: list[tuple[str, str]] = [("Hardware description", tech_pack.hardware_description)]
    items += [(f"Hardware {i}", h) for i, h in enumerate(tech_pack.hardware, start=1)]
    items += [
        ("Packaging description", pk.description),
        ("Packaging type", pk.type),
        ("Packaging dimensions", pk.dimensions),
        ("Packaging branding", pk.branding),
        ("Packaging sustainability", pk.sustainability),
    ]
    for r, (item, details) in enumerate(items, start=2):
        _put(ws, r, 1, item).font = _LABEL_FONT
        _put(ws, r, 2, details)
    _finish(ws)

    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
