"""Offline Tech Pack V2 images: close-ups cropped from the views and line drawings by edge extraction
(DESIGN.md §6 "offline providers"; seed 001 "Close-Ups Generation", "Technical Sketches"; issue 10 items 4-5).

* :meth:`OfflineV2ImageProvider.closeup`: the square box around the detail (``v2_images.closeup_box``) is
  cropped from the view, upscaled to ``request.size`` px with Pillow's Lanczos filter and given a mild unsharp
  mask. Nothing is invented: the close-up shows the pixels of the view.
* :meth:`OfflineV2ImageProvider.sketch`: the view is scaled to ``request.size`` px (longest side), its white
  studio backdrop found (``offline.masks.background_mask``, shared with the SVG export) and painted white, then
  scikit-image's Canny edge detector runs on the grayscale, the silhouette outline is added and the lines are
  dilated: black lines on a white PNG (grayscale).

Deterministic, no network; honours ``OFFLINE_LATENCY_MS`` and ``OFFLINE_FAIL=image``. Pixel work runs in a
worker thread. Sizes are pixels.
"""

from __future__ import annotations

import asyncio
import io

import numpy as np
from PIL import Image, ImageFilter
from skimage.feature import canny
from skimage.morphology import dilation, disk
from skimage.segmentation import find_boundaries

from genpire_app.backend.providers.offline_knobs import offline_knobs
from .base import GeneratedImage
from .offline.cutout import decode_image
from .offline.masks import background_mask
from .v2_images import CloseupRequest, SketchRequest, closeup_box

MODEL = "offline-v2-images-1"


def _rgb_on_white(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        base = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        base.alpha_composite(rgba)
        return base.convert("RGB")
    return img.convert("RGB")


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=3)  # ~2x faster than 6 on photographic close-ups, ~10 % larger
    return buf.getvalue()


def crop_closeup(view: Image.Image, region: tuple[float, float, float, float], size: int) -> Image.Image:
    """The close-up of ``region`` (fractions) of ``view``: the :func:`~.v2_images.closeup_box` crop, resized
    to ``size`` x ``size`` px with Lanczos, then ``UnsharpMask(radius=2, percent=60, threshold=2)``."""
    rgb = _rgb_on_white(view)
    crop = rgb.crop(closeup_box(region, rgb.width, rgb.height))
    crop = crop.resize((size, size), Image.Resampling.LANCZOS)
    return crop.filter(ImageFilter.UnsharpMask(radius=2, percent=60, threshold=2))


def line_drawing(view: Image.Image, size: int) -> Image.Image:
    """Black lines on white (mode ``L``) of ``view`` scaled to a longest side of ``size`` px (see the module
    docstring). Lines are about ``size / 512`` px thick, at least 1 px dilation."""
    rgb = _rgb_on_white(view)
    scale = size / max(rgb.width, rgb.height)
    if abs(scale - 1.0) > 1e-6:
        rgb = rgb.resize((max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))),
                         Image.Resampling.LANCZOS)
    arr = np.asarray(rgb)
    background = background_mask(arr)
    gray = arr.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) / 255.0
    gray[background] = 1.0  # the backdrop and its shadows become paper
    edges = canny(gray, sigma=max(1.0, size / 512), low_threshold=0.03, high_threshold=0.08)
    if background.any():
        edges |= find_boundaries(~background, mode="inner")  # the silhouette is always drawn
    edges = dilation(edges, disk(max(1, round(size / 1024)))).astype(bool)
    return Image.fromarray(np.where(edges, 0, 255).astype(np.uint8), "L")


class OfflineV2ImageProvider:
    """:class:`~.v2_images.V2ImageProvider` from the views' own pixels (see the module docstring)."""

    name = "offline"
    model = MODEL

    async def _knobs(self) -> None:
        await offline_knobs("image")

    async def closeup(self, request: CloseupRequest) -> GeneratedImage:
        """The crop of ``request.region`` of the view, ``request.size`` px square (see :func:`crop_closeup`).

        Raises:
            ProviderError: offline failure mode, or the view cannot be decoded.
        """
        await self._knobs()

        def work() -> bytes:
            return _png(crop_closeup(decode_image(request.image, "view"), request.region, request.size))

        data = await asyncio.to_thread(work)
        note = f"Offline close-up: the {request.view} view's pixels around the detail, enlarged."
        return GeneratedImage(data=data, width=request.size, height=request.size, model=self.model, notes=(note,))

    async def sketch(self, request: SketchRequest) -> GeneratedImage:
        """The line drawing of the view (see :func:`line_drawing`).

        Raises:
            ProviderError: offline failure mode, or the view cannot be decoded.
        """
        await self._knobs()

        def work() -> tuple[bytes, int, int]:
            drawing = line_drawing(decode_image(request.image, "view"), request.size)
            return _png(drawing), drawing.width, drawing.height

        data, width, height = await asyncio.to_thread(work)
        return GeneratedImage(data=data, width=width, height=height, model=self.model,
                              notes=(f"Offline sketch: edges traced from the {request.view} view.",))


__all__ = ["MODEL", "OfflineV2ImageProvider", "crop_closeup", "line_drawing"]
