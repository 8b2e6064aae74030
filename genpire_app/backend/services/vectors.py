"""SVG export of a product view, traced to real vector paths (seed 000 §7.3; issue 3 item 5).

Tracing is CPU work (vtracer) done off the event loop; the result is kept in storage next to the image, so
a second download of the same view is a read.
"""

from __future__ import annotations

import asyncio
import uuid

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.models import ProductIdea, ProductMultiviewRevision
from genpire_app.backend.storage import BlobNotFound, get_storage


async def view_svg(*, user_id: int, row_id: uuid.UUID) -> tuple[bytes, str]:
    """The SVG of one view row of the user's product and its download name
    (``Minimalist_Canvas_Tote_Bag_front_r2.svg``).

    Raises:
        LookupError: no such view for this user.
        ValueError: the image could not be traced.
    """
    from genpire_app.backend.exports.svg import trace_view_to_svg

    def find() -> tuple[ProductMultiviewRevision, str] | None:
        with read_session() as s:
            row = s.get(ProductMultiviewRevision, row_id)
            if row is None or row.user_id != user_id:
                return None
            product = s.get(ProductIdea, row.product_idea_id)
            return row, product.name if product else "Product"

    found = await asyncio.to_thread(find)
    if found is None:
        raise LookupError("view not found")
    row, name = found
    storage = get_storage()
    cache_key = row.image_key.rsplit(".", 1)[0] + ".svg"
    try:
        svg = await storage.get(cache_key)
    except BlobNotFound:
        png = await storage.get(row.image_key)
        svg = (await asyncio.to_thread(trace_view_to_svg, png)).encode("utf-8")
        await storage.put(cache_key, svg, "image/svg+xml")
    stem = "".join(c if c.isalnum() else "_" for c in name).strip("_") or "Product"
    while "__" in stem:
        stem = stem.replace("__", "_")
    return svg, f"{stem}_{row.view_type}_r{row.revision_number}.svg"
