"""The 3D gallery (``/3d-models``; issue 8 items 6-8, seed 002 "3D Models Gallery" and "Version
Management"): product cards with seed 002's buttons, the viewer dialog, the versions dialog.

Cards change by themselves: a push (a webhook applied, a job finished) reloads the page's rows. Reads go
through ``services.model_gallery``; generation through ``services.model_generation`` (the held-operation
runner: 10 credits held at start); status checks through ``services.model_webhook``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import reflex as rx

from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import model_gallery
from genpire_app.backend.services import models3d as m3
from genpire_app.backend.storage import sign_path
from genpire_app.state.model_actions import ModelActions, ModelButtonsRow, buttons_fields
from genpire_app.state.session import SessionState

PER_PAGE = 12


@dataclasses.dataclass
class ModelCard(ModelButtonsRow):
    """A product card of the gallery: the product and its 3D buttons' fields."""

    product_id: str = ""
    name: str = ""
    thumb: str = ""


@dataclasses.dataclass
class VersionRow:
    """A row of the versions dialog."""

    id: str = ""
    version: int = 0
    status: str = ""
    date: str = ""
    active: bool = False
    viewable: bool = False


def _card(item: model_gallery.GalleryItem) -> ModelCard:
    thumb_key = (item.active.thumbnail_key if item.active else None) or item.product.thumbnail_key
    return ModelCard(product_id=item.product.id, name=item.product.name,
                     thumb=sign_path(thumb_key) if thumb_key else "", **buttons_fields(item))


class GalleryState(ModelActions, SessionState):
    """Cards, pagination, layout and the versions dialog; the confirmation and the viewer come from
    :class:`~genpire_app.state.model_actions.ModelActions`."""

    tab: str = "products"
    layout: str = "grid"
    cards: list[ModelCard] = []
    page: int = 1
    total: int = 0
    loading: bool = True

    versions_open: bool = False
    versions_kind: str = "product"
    versions_source: str = ""
    versions_name: str = ""
    version_rows: list[VersionRow] = []

    @rx.var
    def page_count(self) -> int:
        """Number of pages of products."""
        return max(1, -(-self.total // PER_PAGE))

    # ------------------------------------------------------------------ loading

    async def _load(self, uid: int) -> None:
        page = self.page
        items, total = await asyncio.to_thread(model_gallery.product_page, user_id=uid, page=page, per_page=PER_PAGE)
        cards = [_card(i) for i in items]
        versions = await self._version_rows(uid) if self.versions_open else None
        downloads = await self._viewer_downloads(uid)
        async with self:
            self.cards, self.total, self.loading = cards, total, False
            if versions is not None:
                self.version_rows = versions
            if downloads is not None:  # exports finish after the model: their links appear by themselves
                self.downloads = downloads

    async def _after_change(self, uid: int) -> list[Any]:
        from genpire_app.state.collections import CollectionsState

        await self._load(uid)
        return [CollectionsState.load] if self.tab == "collections" else []

    async def _version_rows(self, uid: int) -> list[VersionRow]:
        source = m3.Source(self.versions_kind, uuid.UUID(self.versions_source))
        rows = await asyncio.to_thread(m3.list_versions, uid, source)
        return [VersionRow(str(r.id), r.version, str(getattr(r.status, "value", r.status)),
                           r.created_at.strftime("%d %b %Y, %H:%M"), bool(r.is_active),
                           "glb" in (r.model_files or {})) for r in rows]

    @rx.event(background=True)
    async def load(self):
        """Page load: session, header and the first page of cards."""
        uid = await self._open_page()
        await self._load(uid)

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """A model changed (webhook, job, another tab): reload the cards, the collections, the open
        versions list and the viewer's downloads."""
        events: list[Any] = []

        async def reload(uid: int) -> None:
            events.extend(await self._after_change(uid))

        await self._handle_push(event, reload)
        for ev in events:
            yield ev

    @rx.event(background=True)
    async def go_page(self, delta: int):
        """Previous (-1) or next (+1) page."""
        async with self:
            self.page = min(max(1, self.page + delta), self.page_count)
            self.loading = True
        await self._load(await self._uid())

    @rx.event
    def set_layout(self, value: str | list[str]):
        """Grid or list."""
        self.layout = "list" if value == "list" else "grid"

    @rx.event
    def set_tab(self, value: str):
        """Products or Collections."""
        self.tab = "collections" if value == "collections" else "products"

    # ------------------------------------------------------------------ versions

    @rx.event(background=True)
    async def open_versions(self, source_id: str, name: str, kind: str = "product"):
        """Open the versions dialog of a product or a collection."""
        uid = await self._uid()
        async with self:
            self.versions_kind = "collection" if kind == "collection" else "product"
            self.versions_source, self.versions_name = source_id, name
        rows = await self._version_rows(uid)
        async with self:
            self.version_rows, self.versions_open = rows, True

    @rx.event
    def set_versions_open(self, value: bool):
        """The versions dialog opened or closed."""
        self.versions_open = value

    @rx.event(background=True)
    async def set_active(self, model_id: str):
        """Make a version the active one."""
        uid = await self._uid()
        try:
            model = await asyncio.to_thread(m3.set_active, uid, uuid.UUID(model_id))
            toast = rx.toast.success(f"Version {model.version} is now the active model.")
        except OperationError as err:
            toast = rx.toast.error(err.message)
        yield [toast, *await self._after_change(uid)]

    @rx.event(background=True)
    async def delete_version(self, model_id: str):
        """Delete a version (never the only one); its files are deleted after the commit."""
        from genpire_app.backend.storage import get_storage

        uid = await self._uid()
        try:
            keys = await asyncio.to_thread(m3.delete_version, uid, uuid.UUID(model_id))
            storage = get_storage()
            await asyncio.gather(*(storage.delete(k) for k in keys), return_exceptions=True)
            toast = rx.toast.success("Version deleted.")
        except OperationError as err:
            toast = rx.toast.error(err.message)
        yield [toast, *await self._after_change(uid)]
