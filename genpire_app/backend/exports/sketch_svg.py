"""Technical sketch annotations as vector SVG: numbered callouts with leader lines and dimension lines with
arrowheads and "400 mm" text, laid out around a line drawing (seed 001 "Technical Sketches: with callouts and
measurements"; issue 10 item 5).

We draw the annotations ourselves (never the image model), as vectors, so the page overlay, the SVG file and
the PDF export show the same, sharp, editable text:

* :func:`layout_callouts` / :func:`dimension_lines`: where each callout bubble and dimension line goes, in the
  drawing's pixels, from the product's box in the drawing; :func:`annotation_padding`: how much white to add
  around a drawing so they fit.
* :func:`callout_svg`: the overlay alone (``<svg>`` with ``<g id="callouts">`` and ``<g id="dimensions">``).
* :func:`sketch_svg`: the drawing (a PNG as a ``data:`` URI ``<image>``) with the overlay on top.
* :func:`callout_geometry` / :func:`dimension_geometry`: the lines, circles, arrowheads and text positions of
  one callout or dimension, shared by this SVG and the PDF export (``exports/v2_pdf``), which draws them as
  PDF vectors.

Structure of one callout: ``<g class="callout" data-n="1">`` holding a ``line.leader`` (anchor -> bubble), a
``circle.anchor`` dot, a ``circle.bubble``, ``text.number`` ("1") and ``text.label``. One dimension:
``<g class="dimension" data-label="width">`` holding two ``line.extension``, a ``line.dim``, two
``polygon.arrow`` and ``text.value`` ("400 mm", vertical text rotated -90°). Sizes scale with the drawing
(unit = longest side / 1024 px).
"""

from __future__ import annotations

import base64
import math
from typing import Any
from xml.sax.saxutils import escape, quoteattr

Box = tuple[float, float, float, float]
CALLOUT_COLOR = "#1f4e79"
DIMENSION_COLOR = "#b03a2e"
FONT = "Helvetica, Arial, sans-serif"
MAX_LABEL = 24  # characters of a callout label (longer ones end with "…")
FONT_UNITS = 15  # text size, in units (see :func:`unit`)
STROKE_UNITS = 1.5  # line width, in units


def _unit(width: int, height: int) -> float:
    return max(width, height) / 1024


def _label(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "…"


def annotation_padding(width: int, height: int, box: Box) -> tuple[int, int, int, int]:
    """White pixels to add ``(left, top, right, bottom)`` to a ``width`` x ``height`` drawing whose product
    occupies ``box`` (pixels) so the callout columns (left/right) and the dimension lines (left/below) fit."""
    u = _unit(width, height)
    x0, y0, x1, y1 = (float(v) for v in box)
    need = (340 * u - x0, 28 * u - y0, 300 * u - (width - x1), 96 * u - (height - y1))
    return tuple(max(0, math.ceil(v)) for v in need)  # type: ignore[return-value]


def layout_callouts(width: int, height: int, box: Box, items: list[tuple[str, str, tuple[float, float]]]) -> list[dict[str, Any]]:
    """Callouts for ``items`` ``(label, kind, anchor (x, y) px)``, numbered from 1 in the order given: anchors
    left of the product's centre get a bubble in the left column, the others in the right column; each column
    keeps its anchors' vertical order with bubbles at least 36 units apart.

    Returns:
        ``[{"n", "label", "kind", "side", "anchor": [x, y], "text": [x, y]}]`` (``text``: bubble centre, px).
    """
    u = _unit(width, height)
    x0, y0, x1, y1 = (float(v) for v in box)
    middle = (x0 + x1) / 2
    out: list[dict[str, Any]] = [
        {"n": n + 1, "label": _label(label), "kind": kind, "side": "left" if ax < middle else "right",
         "anchor": [round(float(ax), 1), round(float(ay), 1)]}
        for n, (label, kind, (ax, ay)) in enumerate(items)
    ]
    gap, top, bottom = 36 * u, 24 * u, height - 24 * u
    for side, x in (("left", x0 - 96 * u), ("right", x1 + 64 * u)):
        column = sorted((c for c in out if c["side"] == side), key=lambda c: c["anchor"][1])
        ys = [min(max(c["anchor"][1], top), bottom) for c in column]
        for i in range(1, len(ys)):
            ys[i] = max(ys[i], ys[i - 1] + gap)
        if ys and ys[-1] > bottom:
            ys[-1] = bottom
            for i in range(len(ys) - 2, -1, -1):
                ys[i] = min(ys[i], ys[i + 1] - gap)
        for c, y in zip(column, ys):
            c["text"] = [round(x, 1), round(y, 1)]
    return out


def dimension_lines(width: int, height: int, box: Box, *, across: tuple[str, float] | None,
                    tall: float | None) -> list[dict[str, Any]]:
    """Dimension lines of the product's box (pixels): ``across`` = (label, mm) below it (``("width", 400)``,
    or ``("depth", 120)`` for a side view) and ``tall`` = height in mm at its left. Missing or non-positive
    values are left out.

    Returns:
        ``[{"label", "mm", "from": [x, y], "to": [x, y]}]``.
    """
    u = _unit(width, height)
    x0, y0, x1, y1 = (float(v) for v in box)
    out: list[dict[str, Any]] = []
    if across is not None and across[1] and across[1] > 0:
        y = round(y1 + 48 * u, 1)
        out.append({"label": across[0], "mm": int(round(across[1])), "from": [round(x0, 1), y], "to": [round(x1, 1), y]})
    if tall is not None and tall > 0:
        x = round(x0 - 36 * u, 1)
        out.append({"label": "height", "mm": int(round(tall)), "from": [x, round(y0, 1)], "to": [x, round(y1, 1)]})
    return out


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def unit(width: int, height: int) -> float:
    """Drawing pixels per annotation unit (longest side / 1024): every size below is a multiple of it."""
    return _unit(width, height)


def _arrow_points(tip: tuple[float, float], back: tuple[float, float], u: float) -> list[tuple[float, float]]:
    dx, dy = back[0] - tip[0], back[1] - tip[1]
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    bx, by = tip[0] + ux * 12 * u, tip[1] + uy * 12 * u
    px, py = -uy * 4.5 * u, ux * 4.5 * u
    return [tip, (bx + px, by + py), (bx - px, by - py)]


def callout_geometry(c: dict[str, Any], u: float) -> dict[str, Any]:
    """What one callout draws, in drawing pixels (y down), for any renderer (this SVG, the PDF export):
    ``leader`` (x1, y1, x2, y2), ``anchor`` / ``bubble`` circles (cx, cy, r), ``number`` (x, y baseline,
    centred), ``label`` (x, y baseline), ``align`` ("end" | "start"), ``n`` and ``text`` (the label)."""
    (ax, ay), (bx, by) = c["anchor"], c["text"]
    r = 11 * u
    left = c.get("side") == "left"
    tx = bx - (r + 7 * u) if left else bx + (r + 7 * u)
    return {"leader": (ax, ay, bx, by), "anchor": (ax, ay, 3 * u), "bubble": (bx, by, r), "number": (bx, by + 5 * u),
            "label": (tx, by + 5 * u), "align": "end" if left else "start", "n": int(c["n"]),
            "text": str(c.get("label", ""))}


def dimension_geometry(m: dict[str, Any], u: float) -> dict[str, Any]:
    """What one dimension draws, in drawing pixels (y down): ``extensions`` [(x1, y1, x2, y2)], ``line``
    (x1, y1, x2, y2), ``arrows`` (two triangles of three points), ``value`` ("400 mm") centred at ``at``
    (x, y baseline), ``vertical`` (the text is turned 90° counter-clockwise, reading upwards)."""
    (fx, fy), (tx, ty) = m["from"], m["to"]
    vertical = abs(tx - fx) < abs(ty - fy)
    ext = 8 * u
    if vertical:  # extension lines run right, to the product's top and bottom
        exts = [(fx - ext, fy, fx + 36 * u - ext, fy), (tx - ext, ty, tx + 36 * u - ext, ty)]
        at = (fx - 10 * u, (fy + ty) / 2)
    else:  # extension lines run up, to the product's left and right edges
        exts = [(fx, fy + ext, fx, fy - 48 * u + ext), (tx, ty + ext, tx, ty - 48 * u + ext)]
        at = ((fx + tx) / 2, fy + 24 * u)
    return {"extensions": exts, "line": (fx, fy, tx, ty), "vertical": vertical, "at": at,
            "arrows": [_arrow_points((fx, fy), (tx, ty), u), _arrow_points((tx, ty), (fx, fy), u)],
            "value": f"{int(m['mm'])} mm"}


def _polygon(points: list[tuple[float, float]]) -> str:
    return f'<polygon class="arrow" points="{" ".join(f"{_num(x)},{_num(y)}" for x, y in points)}"/>'


def _callout(c: dict[str, Any], u: float) -> str:
    g = callout_geometry(c, u)
    (ax, ay, bx, by), (nx, ny), (lx, ly) = g["leader"], g["number"], g["label"]
    return (
        f'<g class="callout" data-n="{g["n"]}">'
        f'<line class="leader" x1="{_num(ax)}" y1="{_num(ay)}" x2="{_num(bx)}" y2="{_num(by)}"/>'
        f'<circle class="anchor" cx="{_num(ax)}" cy="{_num(ay)}" r="{_num(g["anchor"][2])}" fill="{CALLOUT_COLOR}"/>'
        f'<circle class="bubble" cx="{_num(bx)}" cy="{_num(by)}" r="{_num(g["bubble"][2])}" fill="#ffffff"/>'
        f'<text class="number" x="{_num(nx)}" y="{_num(ny)}" text-anchor="middle" font-weight="bold" '
        f'stroke="none" fill="{CALLOUT_COLOR}">{g["n"]}</text>'
        f'<text class="label" x="{_num(lx)}" y="{_num(ly)}" text-anchor="{g["align"]}" '
        f'stroke="none" fill="{CALLOUT_COLOR}">{escape(g["text"])}</text>'
        "</g>"
    )


def _dimension(m: dict[str, Any], u: float) -> str:
    g = dimension_geometry(m, u)
    fx, fy, tx, ty = g["line"]
    lx, ly = g["at"]
    turn = f' transform="rotate(-90 {_num(lx)} {_num(ly)})"' if g["vertical"] else ""
    text = (f'<text class="value" x="{_num(lx)}" y="{_num(ly)}" text-anchor="middle"{turn} '
            f'stroke="none" fill="{DIMENSION_COLOR}">{g["value"]}</text>')
    lines = "".join(f'<line class="extension" x1="{_num(a)}" y1="{_num(b)}" x2="{_num(c)}" y2="{_num(d)}"/>'
                    for a, b, c, d in g["extensions"])
    return (f'<g class="dimension" data-label={quoteattr(str(m.get("label", "")))}>{lines}'
            f'<line class="dim" x1="{_num(fx)}" y1="{_num(fy)}" x2="{_num(tx)}" y2="{_num(ty)}"/>'
            f'{"".join(_polygon(a) for a in g["arrows"])}{text}</g>')


def _layers(width: int, height: int, callouts: list[dict[str, Any]], measurements: list[dict[str, Any]]) -> str:
    u = _unit(width, height)
    font = f'font-family="{FONT}" font-size="{_num(FONT_UNITS * u)}"'
    calls = "".join(_callout(c, u) for c in callouts)
    dims = "".join(_dimension(m, u) for m in measurements)
    return (f'<g id="callouts" {font} stroke="{CALLOUT_COLOR}" stroke-width="{_num(STROKE_UNITS * u)}">{calls}</g>'
            f'<g id="dimensions" {font} stroke="{DIMENSION_COLOR}" fill="{DIMENSION_COLOR}" '
            f'stroke-width="{_num(STROKE_UNITS * u)}">{dims}</g>')


def _svg(width: int, height: int, body: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{int(width)}" height="{int(height)}" viewBox="0 0 {int(width)} {int(height)}">{body}</svg>')


def callout_svg(width_px: int, height_px: int, callouts: list[dict[str, Any]], measurements: list[dict[str, Any]]) -> str:
    """The annotation overlay of a ``width_px`` x ``height_px`` drawing, without the drawing: an ``<svg>`` with
    ``<g id="callouts">`` and ``<g id="dimensions">`` (see the module docstring), transparent elsewhere.

    Args:
        callouts: ``[{"n", "label", "anchor": [x, y], "text": [x, y], "side"?}]`` in drawing pixels
            (``text`` is the bubble's centre; ``side`` "left" puts the label left of it).
        measurements: ``[{"label", "mm", "from": [x, y], "to": [x, y]}]`` in drawing pixels.
    """
    return _svg(width_px, height_px, _layers(width_px, height_px, callouts, measurements))


def sketch_svg(png: bytes, width_px: int, height_px: int, callouts: list[dict[str, Any]],
               measurements: list[dict[str, Any]]) -> str:
    """The drawing (``png``, embedded as ``data:image/png;base64``) with the :func:`callout_svg` layers on top."""
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    image = (f'<image x="0" y="0" width="{int(width_px)}" height="{int(height_px)}" href="{uri}" '
             f'xlink:href="{uri}" preserveAspectRatio="none"/>')
    return _svg(width_px, height_px, image + _layers(width_px, height_px, callouts, measurements))


__all__ = ["FONT_UNITS", "STROKE_UNITS", "annotation_padding", "callout_geometry", "callout_svg", "dimension_geometry",
           "dimension_lines", "layout_callouts", "sketch_svg", "unit"]
