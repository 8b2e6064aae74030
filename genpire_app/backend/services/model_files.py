"""Stored files of a 3D model version and their download names (DESIGN.md §9 "Files"; seed 002 "API Reference"
downloads, seed 003 "Order Viewing & Downloads").

Shared by the owner's file route (``api/models3d.py``) and the buyer's order download route
(``api/orders.py`` via ``services.orders.download_of``). No owner check here: callers check who may read the
model first. Never imports reflex.
"""

from __future__ import annotations

import re

from sqlmodel import Session

from genpire_app.backend.db.model3d_models import Product3DModel
from genpire_app.backend.services.models3d import Source

#: The preview image's pseudo-format (``thumbnail_key``), not a model file.
THUMBNAIL = "thumbnail"
#: Longest slug of an asset's prompt in a download name, characters.
SLUG_CHARS = 60


def file_key(model: Product3DModel, fmt: str) -> str | None:
    """The storage key of ``model``'s file of format ``fmt`` (``glb``, ``stl`` ..., or :data:`THUMBNAIL`),
    or None while that format is not produced."""
    return model.thumbnail_key if fmt == THUMBNAIL else (model.model_files or {}).get(fmt)


def formats(model: Product3DModel) -> list[str]:
    """The model file formats ``model`` has in storage, ``glb`` first then alphabetical (no thumbnail)."""
    return sorted((f for f, key in (model.model_files or {}).items() if key), key=lambda f: (f != "glb", f))


def slug(text: str, *, default: str = "model") -> str:
    """``text`` as a lowercase ASCII slug of at most :data:`SLUG_CHARS` characters (``"A round vase!"`` ->
    ``"a-round-vase"``), or ``default`` when nothing is left."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:SLUG_CHARS].rstrip("-") or default


def download_name(session: Session, model: Product3DModel, fmt: str) -> str:
    """``"<source name>-v<version>.<ext>"``: the product's or collection's name, or a slug of a quick-3D
    asset's prompt (:func:`slug`; free text up to 1000 characters); ``"model"`` when the source is gone.
    The extension is ``exports.mesh_formats.EXTENSIONS``'s (``obj`` -> ``obj.zip``). The route still sanitizes
    the name (``api.files.content_disposition``)."""
    from genpire_app.backend.exports.mesh_formats import EXTENSIONS  # the mesh libraries: only when naming

    source = Source.of(model)
    row = session.get(source.table, source.id)
    if source.kind == "asset":
        name = slug(row.prompt if row is not None else "")
    else:
        name = row.name if row is not None else "model"
    return f"{name}-v{model.version}.{EXTENSIONS.get(fmt, fmt)}"


__all__ = ["SLUG_CHARS", "THUMBNAIL", "download_name", "file_key", "formats", "slug"]
