"""What the Tech Pack V2 close-ups and sketches start from: the base-view analyses of the product's active
revision, its view images, and a little geometry shared by both (issue 10 items 4-5; seed 001 "Data Flow: each
step uses output from previous steps").

The analyses are read straight from ``product_tech_packs_v2.views`` (``{view: {"analysis_id", "image_hash",
"confidence", "fields": <analysis JSON>}}``, written by the Base views step), so these steps depend on the
JSON only (keys in ``providers/v2_vision.py``): ``materials``, ``construction`` / ``hardware`` / ``labels``
with ``region`` (fractions ``[x0, y0, x1, y1]`` of the view), ``finishes``, ``dimensions_mm``, ``category``.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image
from sqlmodel import Session

from genpire_app.backend.db import repo
from genpire_app.backend.db.techpack_v2_models import ProductTechPackV2
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import ImageInput
from genpire_app.backend.providers.offline.masks import background_mask, downscale
from genpire_app.backend.providers.v2_images import Region
from genpire_app.backend.services.v2_document import NO_VIEWS, NOT_FOUND
from genpire_app.backend.services.v2_document import find as document
from genpire_app.backend.services.views import load_image

NO_ANALYSIS = "Analyze the base views first."
#: A region covering more than this share of the image says "somewhere on the product", not where.
VAGUE_AREA = 0.5


def analyses_of(doc: ProductTechPackV2 | None) -> dict[str, dict[str, Any]]:
    """``{view: analysis JSON}`` of the views the document holds an analysis of (empty ones left out)."""
    views = doc.views if doc is not None and isinstance(doc.views, dict) else {}
    out: dict[str, dict[str, Any]] = {}
    for view, entry in views.items():
        fields = entry.get("fields") if isinstance(entry, dict) else None
        if isinstance(fields, dict) and fields:
            out[str(view)] = fields
    return out


@dataclass(frozen=True)
class V2Inputs:
    """The active revision's number, category, analyses by view and view image keys by view."""

    revision_number: int
    category: str
    analyses: dict[str, dict[str, Any]]
    view_keys: dict[str, str]


def inputs(session: Session, *, user_id: int, product_id: uuid.UUID | None, lock: bool,
           revision_number: int | None = None) -> V2Inputs:
    """The inputs of a close-up or sketch run of the user's product (``lock``: row-lock it, in ``prepare``).

    Raises:
        OperationError: ``not_found`` (missing or another user's product), ``invalid_state`` (no views, or no
            base-view analysis of the revision: "Analyze the base views first.").
    """
    find = repo.lock_product if lock else repo.owned_product
    if product_id is None or find(session, user_id=user_id, product_id=product_id) is None:
        raise OperationError("not_found", NOT_FOUND)
    number = revision_number
    if number is None:
        number = repo.active_revision_number(session, product_id=product_id)
    rows = repo.revision_rows(session, product_id=product_id, revision_number=number) if number is not None else []
    if number is None or not rows:
        raise OperationError("invalid_state", NO_VIEWS)
    doc = document(session, product_id=product_id, revision_number=number)
    analyses = analyses_of(doc)
    if not analyses:
        raise OperationError("invalid_state", NO_ANALYSIS)
    category = (doc.category if doc is not None else "") or next(
        (str(a.get("category") or "") for a in analyses.values() if a.get("category")), "")
    return V2Inputs(number, category, analyses, {r.view_type: r.image_key for r in rows if not r.is_deleted})


def mark_step(session: Session, *, product_id: uuid.UUID, revision_number: int, step: str, at: str) -> None:
    """Record ``steps[step] = {"status": "done", "at"}`` on the revision's V2 document (if it exists)."""
    doc = document(session, product_id=product_id, revision_number=revision_number)
    if doc is not None:
        doc.steps = {**(doc.steps or {}), step: {"status": "done", "at": at}}
        session.add(doc)


async def load_views(keys: dict[str, str], views: tuple[str, ...] | None = None) -> dict[str, ImageInput]:
    """The stored images of ``views`` (all when None) by view.

    Raises:
        BlobNotFound: a view's file is missing.
    """
    out: dict[str, ImageInput] = {}
    for view, key in keys.items():
        if views is None or view in views:
            image = await load_image(key)
            if image is not None:
                out[view] = image
    return out


def region_of(item: dict[str, Any]) -> Region | None:
    """The item's ``region`` as fractions (ordered, clipped), or None when it has none, it is not four numbers,
    it is empty, or it covers more than :data:`VAGUE_AREA` of the image (no particular place)."""
    raw = item.get("region") if isinstance(item, dict) else None
    if not isinstance(raw, (list, tuple)) or len(raw) != 4:
        return None
    try:
        x0, y0, x1, y1 = (min(max(float(v), 0.0), 1.0) for v in raw)
    except (TypeError, ValueError):
        return None
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    area = (x1 - x0) * (y1 - y0)
    if area <= 0 or area > VAGUE_AREA:
        return None
    return (x0, y0, x1, y1)


def centre(region: Region) -> tuple[float, float]:
    """Centre of a region (fractions)."""
    return ((region[0] + region[2]) / 2, (region[1] + region[3]) / 2)


def _box(mask: np.ndarray) -> Region:
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return (0.0, 0.0, 1.0, 1.0)
    return (xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h)


def product_box(data: bytes) -> Region:
    """Bounding box (fractions) of the product in a view on the white studio backdrop (the whole image when
    no backdrop is found). Blocking (Pillow): call it in a thread."""
    with Image.open(io.BytesIO(data)) as img:
        rgb = np.asarray(downscale(img.convert("RGB"), 256))
    background = background_mask(rgb)
    return _box(~background) if background.any() else (0.0, 0.0, 1.0, 1.0)


def ink_box(drawing: Image.Image) -> Region:
    """Bounding box (fractions) of the dark lines of a black-on-white drawing (the whole image if blank)."""
    gray = np.asarray(drawing.convert("L"))
    return _box(gray < 128)


def map_region(region: Region, source: Region, target: Region) -> Region:
    """``region`` (fractions of a view) moved from the product's box ``source`` in that view to the box
    ``target`` (fractions of another image of the same product, e.g. its line drawing)."""
    sw, sh = max(source[2] - source[0], 1e-6), max(source[3] - source[1], 1e-6)
    tw, th = target[2] - target[0], target[3] - target[1]

    def fx(x: float) -> float:
        return min(max(target[0] + (x - source[0]) / sw * tw, 0.0), 1.0)

    def fy(y: float) -> float:
        return min(max(target[1] + (y - source[1]) / sh * th, 0.0), 1.0)

    return (fx(region[0]), fy(region[1]), fx(region[2]), fy(region[3]))


def matching_region(words: str, analysis: dict[str, Any]) -> Region | None:
    """The region of the first construction / hardware / label item of ``analysis`` whose text shares a word
    (4+ letters, plural ``s`` dropped) with ``words`` (a material's component, a finish's surface)."""
    def stems(text: str) -> set[str]:
        return {w.rstrip("s") for w in "".join(c.lower() if c.isalpha() else " " for c in text).split() if len(w) >= 4}

    wanted = stems(words)
    if not wanted:
        return None
    for key in ("construction", "hardware", "labels"):
        for item in analysis.get(key) or []:
            if not isinstance(item, dict):
                continue
            text = " ".join(str(v) for k, v in item.items() if k != "region")
            region = region_of(item)
            if region is not None and wanted & stems(text):
                return region
    return None


__all__ = [
    "NO_ANALYSIS", "NOT_FOUND", "NO_VIEWS", "V2Inputs", "VAGUE_AREA", "analyses_of", "centre", "document",
    "ink_box", "inputs", "load_views", "map_region", "mark_step", "matching_region", "product_box", "region_of",
]
