"""The vector annotations of technical sketches (exports/sketch_svg.py) and the offline V2 image helpers
(issue 10 item 5; seed 001 "Technical Sketches: with callouts and measurements")."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image, ImageDraw

from genpire_app.backend.exports.sketch_svg import (
    annotation_padding,
    callout_svg,
    dimension_lines,
    layout_callouts,
    sketch_svg,
)
from genpire_app.backend.providers.offline_v2_images import crop_closeup, line_drawing
from genpire_app.backend.providers.v2_images import closeup_box

SVG = "{http://www.w3.org/2000/svg}"
NS = {"s": "http://www.w3.org/2000/svg"}
BOX = (400.0, 200.0, 624.0, 800.0)


def overlay() -> tuple[list[dict], list[dict]]:
    items = [("Zipper <closure> & pull", "closure", (512.0, 230.0)), ("Woven label", "label", (450.0, 500.0)),
             ("Strap: leather", "material", (600.0, 260.0)), ("Top stitching", "stitching", (560.0, 240.0))]
    callouts = layout_callouts(1024, 1024, BOX, items)
    measurements = dimension_lines(1024, 1024, BOX, across=("width", 400.4), tall=380)
    return callouts, measurements


def test_callout_svg_has_numbered_callouts_and_dimension_lines_as_vectors():
    callouts, measurements = overlay()
    root = ET.fromstring(callout_svg(1024, 1024, callouts, measurements))

    assert root.tag == f"{SVG}svg" and root.get("viewBox") == "0 0 1024 1024" and root.get("width") == "1024"
    assert root.find("s:image", NS) is None  # the overlay alone
    groups = root.findall("s:g", NS)
    assert [g.get("id") for g in groups] == ["callouts", "dimensions"]
    calls = groups[0].findall("s:g[@class='callout']", NS)
    assert [c.get("data-n") for c in calls] == ["1", "2", "3", "4"]
    for call, data in zip(calls, callouts):
        leader = call.find("s:line[@class='leader']", NS)
        assert (float(leader.get("x1")), float(leader.get("y1"))) == tuple(data["anchor"])  # points at the part
        assert (float(leader.get("x2")), float(leader.get("y2"))) == tuple(data["text"])
        assert call.find("s:text[@class='number']", NS).text == str(data["n"])
    labels = [c.find("s:text[@class='label']", NS).text for c in calls]
    assert labels[0] == "Zipper <closure> & pull" and labels[2] == "Strap: leather"  # escaped, parsed back
    dims = groups[1].findall("s:g[@class='dimension']", NS)
    assert [d.get("data-label") for d in dims] == ["width", "height"]
    assert [d.find("s:text", NS).text for d in dims] == ["400 mm", "380 mm"]
    for d in dims:
        assert len(d.findall("s:polygon[@class='arrow']", NS)) == 2 and len(d.findall("s:line[@class='extension']", NS)) == 2
    assert "rotate(-90" in dims[1].find("s:text", NS).get("transform")  # the height reads upwards


def test_layout_puts_bubbles_in_side_columns_apart_and_in_order():
    callouts, measurements = overlay()
    sides = {c["label"]: c["side"] for c in callouts}
    assert sides["Woven label"] == "left" and sides["Strap: leather"] == "right"
    assert callouts[0]["label"] == "Zipper <closure> & pull" and callouts[0]["n"] == 1
    right = sorted((c for c in callouts if c["side"] == "right"), key=lambda c: c["text"][1])
    assert [c["label"] for c in right] == ["Zipper <closure> & pull", "Top stitching", "Strap: leather"]  # anchor order
    ys = [c["text"][1] for c in right]
    assert all(b - a >= 36 for a, b in zip(ys, ys[1:]))
    assert all(c["text"][0] > BOX[2] for c in right) and all(c["text"][0] < BOX[0] for c in callouts if c["side"] == "left")
    assert measurements[0] == {"label": "width", "mm": 400, "from": [400.0, 848.0], "to": [624.0, 848.0]}
    assert measurements[1]["from"][0] < BOX[0] and measurements[1]["mm"] == 380
    assert dimension_lines(1024, 1024, BOX, across=("width", 0), tall=None) == []
    long = layout_callouts(1024, 1024, BOX, [("x" * 40, "material", (500.0, 500.0))])
    assert len(long[0]["label"]) == 24 and long[0]["label"].endswith("…")


def test_padding_makes_room_only_when_needed():
    assert annotation_padding(1024, 1024, BOX) == (0, 0, 0, 0)
    left, top, right, bottom = annotation_padding(1024, 1024, (10.0, 5.0, 1014.0, 1020.0))
    assert left >= 330 and right >= 290 and bottom >= 92 and top >= 23


def test_sketch_svg_embeds_the_drawing_under_the_layers():
    buf = io.BytesIO()
    Image.new("L", (8, 6), 255).save(buf, "PNG")
    callouts, measurements = overlay()
    root = ET.fromstring(sketch_svg(buf.getvalue(), 8, 6, callouts, measurements))
    children = list(root)
    assert children[0].tag == f"{SVG}image" and children[0].get("href").startswith("data:image/png;base64,")
    assert [c.get("id") for c in children[1:]] == ["callouts", "dimensions"]


def test_offline_helpers_crop_the_region_and_draw_lines():
    view = Image.new("RGB", (400, 400), "white")
    draw = ImageDraw.Draw(view)
    draw.rectangle([100, 80, 300, 360], fill=(210, 180, 140))
    draw.rectangle([180, 200, 219, 239], fill=(20, 60, 200))
    assert closeup_box((0.45, 0.5, 0.55, 0.6), 400, 400) == (176, 196, 224, 244)  # 12 % of the side at least
    close = np.asarray(crop_closeup(view, (0.45, 0.5, 0.55, 0.6), 256), dtype=np.float32)
    assert close.shape == (256, 256, 3) and np.abs(close[96:160, 96:160].mean(axis=(0, 1)) - (20, 60, 200)).max() < 3
    lines = np.asarray(line_drawing(view, 512))
    assert lines.shape == (512, 512) and (lines == 255).mean() > 0.9 and (lines == 0).mean() > 0.01
    assert lines[10:60, 10:60].min() == 255 and lines[350:440, 150:220].min() == 255  # paper, flat body
    assert lines[200:400, 125:132].min() == 0 and lines[250:312, 228:234].min() == 0  # outline, the patch's edge
