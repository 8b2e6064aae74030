"""Read model of the 3D gallery (``/3d-models``; issue 8 item 6, seed 002 "3D Models Gallery").

One page of the user's products, newest first, each with what its card needs: the active model (if any),
the newest version (to show a generation in progress or a failure) and the number of versions. The card's
buttons follow seed 002's logic (:func:`card_action`):

- no version yet, or only failed/expired/canceled ones and no active model: "Generate 3D";
- the newest version is PENDING or IN_PROGRESS: progress and "Check Generation Status";
- an active model: "View 3D", "Versions" and "Regenerate".

Two queries per page whatever its size (products, then their models). No reflex imports.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import select

from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.model3d_models import ModelStatus, Product3DModel
from genpire_app.backend.services import products

#: Statuses of a generation still running at the provider.
RUNNING = frozenset({ModelStatus.PENDING.value, ModelStatus.IN_PROGRESS.value})


@dataclass(frozen=True)
class ModelSummary:
    """One version of a 3D model as the gallery shows it. ``files``: format -> storage key."""

    id: str
    version: int
    status: str
    progress: int
    is_active: bool
    created_at: datetime
    thumbnail_key: str | None
    task_error: str
    files: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceModels:
    """The models of one source (a product or a collection): active, newest and the version count."""

    active: ModelSummary | None = None
    latest: ModelSummary | None = None
    versions: int = 0


@dataclass(frozen=True)
class GalleryItem:
    """A product card: the product, its active model, its newest version and the version count."""

    product: products.ProductSummary
    active: ModelSummary | None
    latest: ModelSummary | None
    versions: int


def _summary(row: Product3DModel) -> ModelSummary:
    status = row.status.value if hasattr(row.status, "value") else str(row.status)
    return ModelSummary(
        id=str(row.id), version=row.version, status=status, progress=int(row.progress or 0),
        is_active=bool(row.is_active), created_at=row.created_at, thumbnail_key=row.thumbnail_key,
        task_error=row.task_error or "", files=dict(row.model_files or {}),
    )


def card_action(item: GalleryItem | SourceModels) -> str:
    """Which buttons the card shows: ``"generate"``, ``"generating"`` or ``"view"`` (see the module
    docstring). A generation in progress wins over an older active model (its progress is shown)."""
    if item.latest is not None and item.latest.status in RUNNING:
        return "generating"
    if item.active is not None:
        return "view"
    return "generate"


def product_page(*, user_id: int, page: int = 1, per_page: int = 12) -> tuple[list[GalleryItem], int]:
    """One page of the user's products with their 3D models, and the total number of products.

    Args:
        page: 1-based page number (a page past the end returns no items).
        per_page: products per page, 1 to 100.

    Raises:
        ValueError: ``per_page`` out of range.
    """
    if not 1 <= per_page <= 100:
        raise ValueError("per_page must be between 1 and 100")
    rows, total = products.list_products(user_id=user_id, page=page, per_page=per_page)
    found = models_of(user_id=user_id, kind="product", ids=[uuid.UUID(r.id) for r in rows])
    items = []
    for r in rows:
        m = found.get(r.id, SourceModels())
        items.append(GalleryItem(product=r, active=m.active, latest=m.latest, versions=m.versions))
    return items, total


def models_of(*, user_id: int, kind: str, ids: list[uuid.UUID]) -> dict[str, SourceModels]:
    """The models of each source in ``ids`` that belongs to ``user_id`` (one query), by source id as text.

    Args:
        kind: ``"product"``, ``"collection"`` or ``"asset"``.

    Raises:
        ValueError: an unknown ``kind``.
    """
    if kind not in ("product", "collection", "asset"):
        raise ValueError("kind must be 'product', 'collection' or 'asset'")
    if not ids:
        return {}
    column = {"product": Product3DModel.product_id, "collection": Product3DModel.collection_id,
              "asset": Product3DModel.asset_id}[kind]
    with read_session() as s:
        rows = s.exec(
            select(Product3DModel)
            .where(Product3DModel.user_id == user_id, Product3DModel.source_type == kind, column.in_(ids))
            .order_by(Product3DModel.version.desc())
        ).all()
    grouped: dict[str, list[Product3DModel]] = {}
    for m in rows:
        grouped.setdefault(str({"product": m.product_id, "collection": m.collection_id, "asset": m.asset_id}[kind]),
                           []).append(m)
    out = {}
    for key, versions in grouped.items():
        active = next((m for m in versions if m.is_active), None)
        out[key] = SourceModels(active=_summary(active) if active is not None else None,
                                latest=_summary(versions[0]), versions=len(versions))
    return out


__all__ = ["RUNNING", "GalleryItem", "ModelSummary", "SourceModels", "card_action", "models_of", "product_page"]
