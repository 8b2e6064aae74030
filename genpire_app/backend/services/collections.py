"""Collections: user-defined groups of products that can get a 3D model of their own (issue 8 item 6;
seed 002 "Database Schema"). Names are whitespace-collapsed, 1 to :data:`MAX_COLLECTION_NAME` characters;
lists are newest first with keyset pagination on ``(created_at, id)``. Owner checks raise
:class:`~genpire_app.backend.services.models3d.NotFound` as for a missing row; writes lock the collection
row first (``models3d.lock_source``), the same lock order as the versions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlmodel import select

from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.model3d_models import Collection, CollectionProduct, Product3DModel
from genpire_app.backend.db.models import ProductIdea, as_utc
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services.models3d import OPEN_STATUSES, NotFound, Source, lock_source, storage_keys

#: Longest collection name, characters.
MAX_COLLECTION_NAME = 80


@dataclass(frozen=True)
class CollectionPage:
    """One page of collections, newest first; ``next_cursor`` is None on the last page."""

    items: list[Collection]
    next_cursor: str | None


def _clean_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not 1 <= len(cleaned) <= MAX_COLLECTION_NAME:
        raise OperationError("invalid_input", f"a collection name has 1 to {MAX_COLLECTION_NAME} characters")
    return cleaned


def create_collection(user_id: int, name: str) -> Collection:
    """Create a collection named ``name`` (whitespace collapsed, 1-80 characters).

    Raises:
        OperationError: ``invalid_input`` for an empty or too long name.
    """
    cleaned = _clean_name(name)
    with write_session() as s:
        collection = Collection(user_id=user_id, name=cleaned)
        s.add(collection)
        s.flush()
        return collection


def rename_collection(user_id: int, collection_id: uuid.UUID, name: str) -> Collection:
    """Rename the user's collection. Raises :class:`NotFound` or ``invalid_input`` (name)."""
    cleaned = _clean_name(name)
    with write_session() as s:
        collection = lock_source(s, Source.collection(collection_id), user_id)
        collection.name = cleaned
        s.add(collection)
        return collection


def delete_collection(user_id: int, collection_id: uuid.UUID) -> list[str]:
    """Delete the user's collection with its memberships and 3D models; returns the models' storage keys
    to delete after the commit. Raises :class:`NotFound`; ``invalid_state`` while a model is generating."""
    with write_session() as s:
        collection = lock_source(s, Source.collection(collection_id), user_id)
        models = s.exec(select(Product3DModel).where(Product3DModel.collection_id == collection_id)).all()
        if any(m.status in OPEN_STATUSES for m in models):
            raise OperationError("invalid_state", "a 3D model of this collection is still generating")
        keys = [k for m in models for k in storage_keys(m)]
        s.delete(collection)
        return keys


def add_product(user_id: int, collection_id: uuid.UUID, product_id: uuid.UUID) -> CollectionProduct:
    """Append the user's product to the user's collection (idempotent: an existing membership is
    returned unchanged). Raises :class:`NotFound` when either is missing or another user's."""
    with write_session() as s:
        lock_source(s, Source.collection(collection_id), user_id)
        product = s.get(ProductIdea, product_id)
        if product is None or product.user_id != user_id:
            raise NotFound("product")
        existing = s.get(CollectionProduct, (collection_id, product_id))
        if existing is not None:
            return existing
        last = s.exec(
            select(func.max(CollectionProduct.position)).where(CollectionProduct.collection_id == collection_id)
        ).one()
        position = 0 if last is None else last + 1
        member = CollectionProduct(collection_id=collection_id, product_id=product_id, position=position)
        s.add(member)
        s.flush()
        return member


def remove_product(user_id: int, collection_id: uuid.UUID, product_id: uuid.UUID) -> bool:
    """Remove a product from the user's collection; False when it was not in it. Raises
    :class:`NotFound` for a collection that is missing or another user's."""
    with write_session() as s:
        lock_source(s, Source.collection(collection_id), user_id)
        member = s.get(CollectionProduct, (collection_id, product_id))
        if member is None:
            return False
        s.delete(member)
        return True


def collection_products(user_id: int, collection_id: uuid.UUID) -> list[uuid.UUID]:
    """Product ids of the user's collection in ``position`` order. Raises :class:`NotFound`."""
    with read_session() as s:
        owner = s.exec(select(Collection.user_id).where(Collection.id == collection_id)).first()
        if owner != user_id:
            raise NotFound("collection")
        return list(
            s.exec(
                select(CollectionProduct.product_id)
                .where(CollectionProduct.collection_id == collection_id)
                .order_by(CollectionProduct.position, CollectionProduct.product_id)
            ).all()
        )


def _encode_cursor(collection: Collection) -> str:
    return f"{as_utc(collection.created_at).isoformat()}~{collection.id.hex}"  # type: ignore[union-attr]


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        stamp, _, ident = cursor.partition("~")
        return as_utc(datetime.fromisoformat(stamp)), uuid.UUID(hex=ident)  # type: ignore[return-value]
    except ValueError:
        raise OperationError("invalid_input", "invalid page cursor") from None


def list_collections(user_id: int, *, limit: int = 24, cursor: str | None = None) -> CollectionPage:
    """The user's collections, newest first, ``limit`` (1-100) per page; pass ``next_cursor`` back for
    the next page (keyset pagination on ``(created_at, id)``, stable under inserts).

    Raises:
        OperationError: ``invalid_input`` for a malformed cursor or a limit outside 1-100.
    """
    if not 1 <= limit <= 100:
        raise OperationError("invalid_input", "limit must be 1-100")
    query = select(Collection).where(Collection.user_id == user_id)
    if cursor:
        stamp, ident = _decode_cursor(cursor)
        query = query.where(
            or_(Collection.created_at < stamp, and_(Collection.created_at == stamp, Collection.id < ident))
        )
    with read_session() as s:
        rows = list(s.exec(query.order_by(Collection.created_at.desc(), Collection.id.desc()).limit(limit + 1)).all())
    more = len(rows) > limit
    items = rows[:limit]
    return CollectionPage(items=items, next_cursor=_encode_cursor(items[-1]) if more else None)


__all__ = [
    "CollectionPage", "MAX_COLLECTION_NAME", "add_product", "collection_products", "create_collection", "delete_collection", "list_collections", "remove_product", "rename_collection",
]
