"""Tech Pack V2 exports (issue 10 item 7): the PDF with the per-view analyses, the close-ups and the sketch pages
whose callouts and dimension lines are PDF vectors with real text, and the workbook's four sheets."""

from __future__ import annotations

import io
from datetime import datetime, timezone

from openpyxl import load_workbook
from PIL import Image, ImageDraw
from pypdf import PdfReader

from genpire_app.backend.exports.sketch_svg import dimension_lines, layout_callouts
from genpire_app.backend.exports.v2_content import ExportCloseUp, ExportSketch, V2Export, analysis_rows, label
from genpire_app.backend.exports.v2_pdf import render_v2_pdf
from genpire_app.backend.exports.v2_xlsx import SHEET_NAMES, render_v2_xlsx

W, H = 1400, 1100
BOX = (450.0, 200.0, 950.0, 850.0)  # the product in the drawing (pixels)
LABELS = ["Zipper <closure> & pull", "Woven label", "Magnetic snap"]


def png(size: tuple[int, int], color: tuple[int, int, int], mode: str = "RGB") -> bytes:
    img = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.rectangle([size[0] * 0.3, size[1] * 0.2, size[0] * 0.7, size[1] * 0.8], fill=color, outline=(0, 0, 0), width=4)
    buf = io.BytesIO()
    img.convert(mode).save(buf, "PNG")
    return buf.getvalue()


def analysis(view: str) -> dict:
    return {"schema_version": 1, "view": view, "category": "Bags",
            "materials": [{"name": "Canvas", "component": "body", "confidence": 0.9}],
            "construction": [{"feature": "Zipper closure", "detail": "coil zipper along the top",
                              "region": [0.3, 0.22, 0.7, 0.27]}],
            "hardware": [{"item": "Magnetic snap", "finish": "brass", "region": [0.47, 0.32, 0.53, 0.38]}],
            "labels": [{"type": "woven", "placement": "front left", "region": [0.36, 0.5, 0.46, 0.6]}],
            "colors": [{"hex": "#E9DFCB", "name": "antique white", "share": 0.62}],
            "finishes": [{"surface": "body", "finish": "matte"}],
            "dimensions_mm": {"width": 400, "height": 380, "depth": 120}, "notes": f"{view} notes"}


def sketch(view: str) -> ExportSketch:
    anchors = [(text, "part", (520.0 + 120 * i, 260.0 + 150 * i)) for i, text in enumerate(LABELS)]
    across = ("depth", 120) if view == "side" else ("width", 400)
    return ExportSketch(view, png((W, H), (255, 255, 255), "L"), W, H, layout_callouts(W, H, BOX, anchors),
                        dimension_lines(W, H, BOX, across=across, tall=380))


def export() -> V2Export:
    shots = [ExportCloseUp(f"Detail {n}", "closure" if n % 2 else "label", "front" if n < 4 else "back",
                           png((768, 768), (40 * n, 200 - 20 * n, 90)),
                           {"title": f"Detail {n}", "texture": "fine texture",
                            "colors": [{"hex": "#1E1E1E", "name": "black", "share": 0.5}]}) for n in range(1, 7)]
    return V2Export(
        product_name="Heritage Canvas Tote", product_id="7f3c2a9e", revision_number=2,
        generated_at=datetime(2025, 1, 15, 14, 30, tzinfo=timezone.utc), category="Bags", subcategory="Tote bag",
        category_confidence=0.92,
        fields={"materials": {"body": "Cotton canvas", "straps": "Leather"},
                "dimensions": {"width_mm": 400, "height_mm": 380}, "colors": {"primary": "Antique white (#E9DFCB)"}},
        views={"front": {"confidence": 0.82, "fields": analysis("front")},
               "back": {"confidence": 0.74, "fields": analysis("back")}},
        view_images={"front": png((512, 512), (214, 190, 150)), "back": png((512, 512), (200, 180, 140))},
        close_ups=shots, sketches=[sketch("front"), sketch("side")],
    )


def texts(page) -> list[tuple[str, list[float]]]:
    """The text runs of a page with their transformation matrix (``cm``)."""
    out: list[tuple[str, list[float]]] = []
    page.extract_text(visitor_text=lambda text, cm, tm, fd, fs: text.strip() and out.append((text.strip(), list(cm))))
    return out


def test_pdf_has_views_close_ups_and_sketch_pages_with_vector_callouts():
    reader = PdfReader(io.BytesIO(render_v2_pdf(export())))
    pages = [p.extract_text() for p in reader.pages]

    assert "TECH PACK V2" in pages[0] and "Heritage Canvas Tote" in pages[0] and "Bags / Tote bag" in pages[0]
    assert "92%" in pages[0] and "Specification" in pages[1] and "Cotton canvas" in pages[1]
    assert "Width (mm)" in pages[1]
    view_pages = [n for n, t in enumerate(pages) if "view analysis" in t]
    assert len(view_pages) == 2 and "confidence 82%" in pages[view_pages[0]] and "back notes" in pages[view_pages[1]]
    assert "coil zipper along the top" in pages[view_pages[0]] and "400 mm" in pages[view_pages[0]]
    closeup_pages = [n for n, t in enumerate(pages) if "Close-ups" in t and "Detail 1" in t]
    assert len(closeup_pages) == 1
    grid = reader.pages[closeup_pages[0]]
    assert len(grid.images) == 6 and all(f"{n}. Detail {n}" in pages[closeup_pages[0]] for n in range(1, 7))
    sketch_pages = [n for n, t in enumerate(pages) if "Technical sketch:" in t]
    # cover, specification, one page per view, the close-ups, one page per sketch
    assert (view_pages, closeup_pages, sketch_pages) == ([2, 3], [4], [5, 6]) and len(pages) == 7

    for n, view in zip(sketch_pages, ("front", "side")):
        page = reader.pages[n]
        runs = texts(page)
        words = [t for t, _ in runs]
        assert {"1", "2", "3"} <= set(words) and "Woven label" in words and "Zipper <closure> & pull" in words
        across = "120 mm" if view == "side" else "400 mm"
        assert across in words and "380 mm" in words
        assert [cm[:4] for t, cm in runs if t == "380 mm"] == [[0.0, 1.0, -1.0, 0.0]]  # height reads upwards
        assert len(page.images) == 1  # the drawing; the annotations are vectors
        drawing = page.images[0].image
        assert drawing.size == (W, H)
        stream = page.get_contents().get_data().decode("latin-1")
        assert " c\n" in stream and "f*" in stream and " l S" in stream  # circles, filled arrowheads, lines
        assert "(Woven label) Tj" in stream  # text, not an image of text
    front_runs = texts(reader.pages[sketch_pages[0]])
    heading_y = next(cm[5] for t, cm in front_runs if "dimensions in millimetres" in t)
    assert all(cm[5] < heading_y for t, cm in front_runs if t in ("1", "Woven label", "400 mm"))  # on the drawing


def test_pdf_without_close_ups_or_sketches_and_with_unreadable_images():
    doc = export()
    bare = V2Export(product_name="", product_id="x", revision_number=0, generated_at=datetime(2025, 1, 1),
                    views={"front": doc.views["front"]}, view_images={"front": b"not an image"},
                    sketches=[ExportSketch("front", b"broken", W, H, doc.sketches[0].callouts, [])])
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(render_v2_pdf(bare))).pages]
    assert "Untitled product" in pages[0] and not any("Close-ups" in t for t in pages)
    assert "View not available" in "".join(pages) and "Woven label" in pages[-1]


def test_analysis_rows_and_labels():
    rows = analysis_rows(analysis("front"))
    assert ("Materials", "Canvas", "Component: body · Confidence: 90%") in rows
    assert ("Construction", "Zipper closure", "coil zipper along the top") in rows
    assert ("Dimensions (mm)", "Width", "400 mm") in rows and ("Notes", "", "front notes") in rows
    assert not any("region" in " ".join(r).lower() or "Schema" in r[0] for r in rows)
    assert [label("width_mm"), label("side_seam_left"), label("primary")] == ["Width (mm)", "Side seam left", "Primary"]


def test_workbook_has_the_four_sheets_with_rows():
    wb = load_workbook(io.BytesIO(render_v2_xlsx(export())))
    assert wb.sheetnames == list(SHEET_NAMES) == ["Tech pack", "Views", "Close-ups", "Sketch callouts"]

    tech = list(wb["Tech pack"].iter_rows(values_only=True))
    assert tech[0] == ("Section", "Field", "Value")
    assert ("Product", "Category confidence", 0.92) in tech and ("Materials", "Body", "Cotton canvas") in tech
    assert ("Dimensions", "Width (mm)", "400") in tech

    views = list(wb["Views"].iter_rows(values_only=True))
    assert views[0] == ("View", "Confidence", "Section", "Field", "Value")
    assert ("Front", 0.82, "Construction", "Zipper closure", "coil zipper along the top") in views
    assert ("Back", 0.74, "Dimensions (mm)", "Height", "380 mm") in views
    assert wb["Views"]["B2"].number_format == "0%"

    shots = list(wb["Close-ups"].iter_rows(values_only=True))
    assert len(shots) == 7 and shots[1][:4] == (1, "Detail 1", "closure", "Front") and "fine texture" in shots[1][4]

    calls = list(wb["Sketch callouts"].iter_rows(values_only=True))
    assert calls[0] == ("View", "Type", "N", "Label", "Value (mm)")
    front = [r for r in calls[1:] if r[0] == "Front"]
    assert [r[2:4] for r in front if r[1] == "callout"] == [(1, LABELS[0]), (2, LABELS[1]), (3, LABELS[2])]
    assert [(r[3], r[4]) for r in front if r[1] == "dimension"] == [("Width", 400), ("Height", 380)]
    assert ("Side", "dimension", None, "Depth", 120) in calls
