"""The Collections tab of the 3D gallery (issue 8 item 6): user-defined groups of products, created and
filled here, listed newest first with keyset pagination ("Show more"), each with seed 002's 3D buttons
(the gallery's ``GalleryState`` handles them: a collection's model is made from its first product's views).
Data: ``services.collections`` and ``services.model_gallery.models_of``."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import reflex as rx

from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import collections, model_gallery, products
from genpire_app.state.model_actions import ModelButtonsRow, buttons_fields
from genpire_app.state.session import SessionState

PER_PAGE = 12


@dataclasses.dataclass
class CollectionRow(ModelButtonsRow):
    """A collection as listed: id, name, its products' names, the creation date and its 3D buttons' fields."""

    id: str = ""
    name: str = ""
    products: list[str] = dataclasses.field(default_factory=list)
    date: str = ""


@dataclasses.dataclass
class ProductOption:
    """A product that can be added to a collection."""

    id: str = ""
    name: str = ""


def _rows(user_id: int, cursor: str | None) -> tuple[list[CollectionRow], str]:
    page = collections.list_collections(user_id, limit=PER_PAGE, cursor=cursor)
    names = {p.id: p.name for p in products.list_products(user_id=user_id, page=1, per_page=100)[0]}
    models = model_gallery.models_of(user_id=user_id, kind="collection", ids=[c.id for c in page.items])
    rows = []
    for c in page.items:
        ids = collections.collection_products(user_id, c.id)
        rows.append(CollectionRow(
            id=str(c.id), name=c.name, products=[names.get(str(i), "Product") for i in ids],
            date=c.created_at.strftime("%d %b %Y"),
            **buttons_fields(models.get(str(c.id), model_gallery.SourceModels())),
        ))
    return rows, page.next_cursor or ""


class CollectionsState(SessionState):
    """Collections, the "new collection" form and the product choices."""

    rows: list[CollectionRow] = []
    next_cursor: str = ""
    options: list[ProductOption] = []
    name_error: str = ""
    loaded: bool = False

    @rx.event(background=True)
    async def load(self):
        """First page of collections and the product choices (the tab's on_mount)."""
        uid = await self._uid()
        rows, cursor = await asyncio.to_thread(_rows, uid, None)
        found, _ = await asyncio.to_thread(products.list_products, user_id=uid, page=1, per_page=100)
        async with self:
            self.rows, self.next_cursor, self.loaded = rows, cursor, True
            self.options = [ProductOption(p.id, p.name) for p in found]

    @rx.event(background=True)
    async def more(self):
        """The next page ("Show more")."""
        uid = await self._uid()
        async with self:
            cursor = self.next_cursor
        if not cursor:
            return
        rows, cursor = await asyncio.to_thread(_rows, uid, cursor)
        async with self:
            self.rows, self.next_cursor = self.rows + rows, cursor

    @rx.event(background=True)
    async def create(self, form: dict):
        """Create a collection from the form's ``name``."""
        uid = await self._uid()
        try:
            await asyncio.to_thread(collections.create_collection, uid, str(form.get("name", "")))
        except OperationError as err:
            async with self:
                self.name_error = err.message
            return
        async with self:
            self.name_error = ""
        yield CollectionsState.load
        yield rx.toast.success("Collection created.")

    @rx.event(background=True)
    async def add(self, collection_id: str, product_id: str):
        """Add a product to a collection (idempotent)."""
        uid = await self._uid()
        try:
            await asyncio.to_thread(collections.add_product, uid, uuid.UUID(collection_id), uuid.UUID(product_id))
        except OperationError as err:
            yield rx.toast.error(err.message)
            return
        yield CollectionsState.load
