"""Tech Pack V2 images: detail close-ups and technical line drawings of a product's views (seed 001
"Close-Ups Generation" and "Technical Sketches"; issue 10 items 4-5; DESIGN.md §6).

One Protocol, :class:`V2ImageProvider`, with two calls:

* :meth:`~V2ImageProvider.closeup`: a macro close-up of one detail (stitching, hardware, label, texture,
  closure ...) of the product in ``request.image`` (one view), at ``request.region`` (fractions of the
  view). Real: Gemini asked for the close-up with the view as reference (``gemini_v2_images``); offline: a
  crop of the region, upscaled (``offline_v2_images``).
* :meth:`~V2ImageProvider.sketch`: a flat, black-on-white technical line drawing of the view, without any
  text (the callouts and measurements are drawn by us as vector layers, ``exports/sketch_svg``). Real:
  Gemini; offline: edge extraction of the view.

Prompts are built here (:func:`closeup_prompt`, :func:`sketch_prompt`) by the services and sent as they are.
Sizes are pixels; regions ``(x0, y0, x1, y1)`` are fractions 0..1 of the image from the top-left corner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from .base import GeneratedImage, ImageInput

Region = tuple[float, float, float, float]
#: Side of a close-up image, pixels.
CLOSEUP_SIZE = 768
#: Longest side of a technical sketch, pixels.
SKETCH_SIZE = 1024


@dataclass(frozen=True)
class CloseupRequest:
    """One detail close-up to produce.

    Attributes:
        prompt: the full instruction for an image model (:func:`closeup_prompt`).
        view: the view the detail is seen in (``front``, ``back`` ...).
        image: that view (PNG/JPEG/WebP bytes), the reference.
        region: where the detail is in ``image``, fractions ``(x0, y0, x1, y1)``.
        title: what the shot shows ("Top stitching").
        focus: the kind of detail: ``stitching``, ``hardware``, ``label``, ``texture``, ``closure``,
            ``construction``, ``finish`` or ``edge``.
        size: side of the square result, pixels.
    """

    prompt: str
    view: str
    image: ImageInput
    region: Region
    title: str
    focus: str
    size: int = CLOSEUP_SIZE


@dataclass(frozen=True)
class SketchRequest:
    """One technical line drawing to produce.

    Attributes:
        prompt: the full instruction for an image model (:func:`sketch_prompt`).
        view: ``front``, ``back`` or ``side``.
        image: that view (PNG/JPEG/WebP bytes), the reference.
        size: longest side of the result, pixels (offline; an image model picks its own size).
    """

    prompt: str
    view: str
    image: ImageInput
    size: int = SKETCH_SIZE


@runtime_checkable
class V2ImageProvider(Protocol):
    """Close-ups and technical sketches of product views (see the module docstring)."""

    name: str
    model: str

    async def closeup(self, request: CloseupRequest) -> GeneratedImage:
        """A square macro close-up of ``request.region`` of ``request.image`` (PNG).

        Raises:
            ProviderError: on any failure (user-safe ``message``); ProviderRefusal when the model refuses.
        """
        ...

    async def sketch(self, request: SketchRequest) -> GeneratedImage:
        """A black-on-white line drawing of ``request.image`` with no text (PNG).

        Raises:
            ProviderError: on any failure (user-safe ``message``); ProviderRefusal when the model refuses.
        """
        ...


def region_box(region: Region, width: int, height: int) -> tuple[int, int, int, int]:
    """Pixel box ``(x0, y0, x1, y1)`` (right/bottom exclusive, at least 1 px) of a fractional region of a
    ``width`` x ``height`` image; values are clipped to 0..1 and the corners ordered.

    >>> region_box((0.25, 0.5, 0.75, 1.0), 200, 100)
    (50, 50, 150, 100)
    """
    x0, y0, x1, y1 = (min(max(float(v), 0.0), 1.0) for v in region)
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    px0, py0 = min(int(round(x0 * width)), width - 1), min(int(round(y0 * height)), height - 1)
    return px0, py0, max(px0 + 1, int(round(x1 * width))), max(py0 + 1, int(round(y1 * height)))


def closeup_box(region: Region, width: int, height: int, *, pad: float = 1.15, min_fraction: float = 0.12,
                max_fraction: float = 0.25) -> tuple[int, int, int, int]:
    """The square pixel box a close-up of ``region`` shows: centred on the region, its longer side times
    ``pad``, at least ``min_fraction`` of the image's shorter side, and at most ``max_fraction`` of it unless
    the region's shorter side (times ``pad``) is larger (a long seam is shown in part, magnified), moved
    inside the image.

    >>> closeup_box((0.4, 0.4, 0.6, 0.6), 100, 100)
    (38, 38, 61, 61)
    """
    x0, y0, x1, y1 = region_box(region, width, height)
    limit = min(width, height)
    side = int(round(max(x1 - x0, y1 - y0) * pad))
    side = min(side, max(int(round(limit * max_fraction)), int(round(min(x1 - x0, y1 - y0) * pad))))
    side = max(1, min(limit, max(side, int(round(limit * min_fraction)))))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left = int(round(min(max(cx - side / 2, 0), width - side)))
    top = int(round(min(max(cy - side / 2, 0), height - side)))
    return left, top, left + side, top + side


def _pct(region: Region) -> str:
    x0, y0, x1, y1 = (int(round(min(max(float(v), 0.0), 1.0) * 100)) for v in region)
    return f"x from {x0}% to {x1}%, y from {y0}% to {y1}% of the reference image"


def closeup_prompt(*, title: str, focus: str, detail: str, view: str, region: Region, category: str) -> str:
    """The image model's instruction for one close-up (seed 001 "Gemini 2.5 Flash Image Preview: Generate 6-10
    Detail Shots").

    >>> "macro close-up" in closeup_prompt(title="Top stitching", focus="stitching", detail="", view="front",
    ...                                    region=(0.1, 0.2, 0.3, 0.4), category="Bags")
    True
    """
    product = f"{category.lower()} product" if category else "product"
    lines = [
        f"Generate a photorealistic macro close-up photograph of one detail of the {product} in the reference "
        f"image (its {view} view).",
        "",
        f"DETAIL: {title} ({focus}).",
    ]
    if detail:
        lines.append(f"WHAT TO SHOW: {detail}")
    lines += [
        f"WHERE: the detail is at {_pct(region)}.",
        "",
        "REQUIREMENTS:",
        "- The same product, materials, colors and finish as the reference image; invent nothing new",
        "- Fill the frame with the detail; sharp focus, shallow depth of field, soft even studio light",
        "- Show the texture of the material, the stitches, edges and hardware as they would be manufactured",
        "- Square image, no text, no labels, no watermark, no hands",
    ]
    return "\n".join(lines)


def sketch_prompt(*, view: str, category: str, features: tuple[str, ...] = ()) -> str:
    """The image model's instruction for one technical sketch (seed 001 "Gemini 2.5 Flash: Generate Line
    Drawing"); the callouts and measurements are NOT asked for: we draw them as vectors.

    >>> "technical flat drawing" in sketch_prompt(view="front", category="Bags")
    True
    """
    product = f"{category.lower()} product" if category else "product"
    lines = [
        f"Turn the reference image into a technical flat drawing (fashion/industrial spec sketch) of the {view} "
        f"view of this {product}.",
        "",
        "REQUIREMENTS:",
        "- Clean black lines on a pure white background; no shading, no color, no gradients, no shadows",
        "- Orthographic, the same proportions and outline as the reference; centered with a generous margin",
        "- Draw seams and stitching as dashed lines, and the outlines of panels, pockets, hardware and labels",
        "- No text, no numbers, no arrows, no dimension lines, no callouts (they are added later)",
    ]
    if features:
        lines.append("- Make these details visible: " + "; ".join(features[:8]))
    return "\n".join(lines)


__all__ = [
    "CLOSEUP_SIZE", "CloseupRequest", "Region", "SKETCH_SIZE", "SketchRequest", "V2ImageProvider", "closeup_box",
    "closeup_prompt", "region_box", "sketch_prompt",
]
