"""Bounded image decoding: reduced-size decoding (JPEG draft mode, then reduce) and a per-process budget of
pixel buffers being decoded at once.

Source: issue 7 item 3 ("decoding is bounded: check dimensions from the header, use JPEG draft mode /
reduce on load"); DESIGN.md §10. Used by :mod:`genpire_app.backend.imaging`, which checks the header size
first. Pure and synchronous: callers run it in ``asyncio.to_thread``. Never imports reflex.

Measured by ``bench/decode_memory.py``: validating a 4096 x 4096 JPEG upload peaks at about 37 MB instead
of the ~270 MB of a full-size decode and copies.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Final

from PIL import Image

#: Pixel buffers decoded at once in a process, bytes (:class:`DecodeBudget`).
DECODE_BUDGET_BYTES: Final[int] = 128 * 1024 * 1024


def fit_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``size`` (pixels) scaled down, aspect kept, so its longer side is at most ``max_side`` (never up).

    Raises:
        ValueError: when ``max_side`` < 1.
    """
    if max_side < 1:
        raise ValueError("max_side must be at least 1 pixel")
    width, height = size
    longer = max(width, height)
    if longer <= max_side:
        return width, height
    return max(1, round(width * max_side / longer)), max(1, round(height * max_side / longer))


class DecodeBudget:
    """Bytes of pixel buffers that threads of this process may be decoding at once.

    A decode waits (its thread blocks; callers run in ``asyncio.to_thread``) until its cost fits next to
    the decodes in progress; a decode costing more than the whole budget runs alone. Decoding is
    CPU-bound: more decodes at once than CPUs finish no sooner, they only hold more memory at once.

    Args:
        limit_bytes: the budget, bytes.
    """

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self.in_use = 0
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def hold(self, cost_bytes: int) -> Iterator[None]:
        """Hold ``cost_bytes`` of the budget for the ``with`` block (waiting until they fit)."""
        with self._cond:
            self._cond.wait_for(lambda: self.in_use == 0 or self.in_use + cost_bytes <= self.limit_bytes)
            self.in_use += cost_bytes
        try:
            yield
        finally:
            with self._cond:
                self.in_use -= cost_bytes
                self._cond.notify_all()


#: The process-wide :class:`DecodeBudget`: one worst-case PNG upload at a time (4096 x 4096 RGBA decoded
#: and resized: 128 MiB), or four 4096 x 4096 JPEGs draft-decoded at 2048 x 2048 (32 MiB each).
DECODE_BUDGET = DecodeBudget(DECODE_BUDGET_BYTES)


def decode_cost(size: tuple[int, int], *, resized: bool) -> int:
    """Bytes a decode of ``size`` pixels holds at its peak: 4 bytes a pixel (Pillow keeps RGB as RGBX), plus
    about as much again while it is resized.

    Args:
        size: width and height being decoded, pixels.
        resized: whether the decode is then resized.
    """
    return size[0] * size[1] * 4 * (2 if resized else 1)


def load_reduced(im: Image.Image, max_side: int | None) -> Image.Image:
    """Decode ``im`` (opened, not loaded) at most ``max_side`` px on its longer side.

    A JPEG is decoded in draft mode at the smallest DCT scale (1/2, 1/4, 1/8) that is still at least the
    target size, so its full-size pixels never exist in memory; any format is then reduced (box reduce,
    then Lanczos) to the target. A palette or bilevel image is converted first (RGB/RGBA, L), since Pillow
    resamples those modes nearest-neighbour. ``None`` decodes at full size. The decode holds its share of
    :data:`DECODE_BUDGET` until the full-size buffer is gone.

    Args:
        im: an image from ``Image.open`` whose pixels are not loaded yet.
        max_side: longest side of the result, pixels, or ``None``.

    Returns:
        The loaded image: ``im`` itself (reduced in place) or, for a converted palette image, a new image
        (``info`` copied). Either way at most ``max_side`` px on its longer side.

    Raises:
        OSError, ValueError ...: Pillow's decoding errors for a corrupt or truncated file.
    """
    target = im.size if max_side is None else fit_size(im.size, max_side)
    if target != im.size and im.format == "JPEG":
        im.draft(None, target)
    resized = target != im.size
    with DECODE_BUDGET.hold(decode_cost(im.size, resized=resized)):
        im.load()
        if not resized:
            return im
        if im.mode == "1":
            im = im.convert("L")
        elif im.mode in ("P", "PA"):
            im = im.convert("RGBA" if im.mode == "PA" or "transparency" in im.info else "RGB")
        im.thumbnail(target, Image.Resampling.LANCZOS, reducing_gap=2.0)
    return im


__all__ = ["DECODE_BUDGET", "DECODE_BUDGET_BYTES", "DecodeBudget", "decode_cost", "fit_size", "load_reduced"]
