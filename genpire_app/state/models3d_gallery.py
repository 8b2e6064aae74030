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

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.services import model_gallery
from genpire_app.backend.services import models3d as m3
from genpire_app.backend.storage import sign_path
from genpire_app.state.session import SessionState

PER_PAGE = 12
#: Download formats in the order the viewer offers them (label, format key).
DOWNLOADS = (("GLB", "glb"), ("STL", "stl"), ("OBJ", "obj"), ("USDZ", "usdz"), ("3MF", "3mf"), ("PLY", "ply"),
             ("DXF", "dxf"))


def file_url(model_id: str, fmt: str, *, inline: bool = False) -> str:
    """The owner-checked file route of one format of a model (``api/models3d.py``)."""
    return f"/api/3d-models/{model_id}/files/{fmt}" + ("?inline=1" if inline else "")


@dataclasses.dataclass
class Download:
    """A download link of the viewer: its accessible label ("Download STL") and URL."""

    label: str = ""
    href: str = ""


@dataclasses.dataclass
class ModelCard:
    """A product card of the gallery. ``action``: ``generate`` | ``generating`` | ``view``."""

    product_id: str = ""
    name: str = ""
    thumb: str = ""
    action: str = "generate"
    status: str = ""
    progress: int = 0
    versions: int = 0
    active_id: str = ""
    latest_id: str = ""
    error: str = ""


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
    latest, active = item.latest, item.active
    thumb_key = (active.thumbnail_key if active else None) or item.product.thumbnail_key
    return ModelCard(
        product_id=item.product.id, name=item.product.name, thumb=sign_path(thumb_key) if thumb_key else "",
        action=model_gallery.card_action(item), status=latest.status if latest else "",
        progress=latest.progress if latest else 0, versions=item.versions, active_id=active.id if active else "",
        latest_id=latest.id if latest else "", error=latest.task_error if latest and latest.status == "FAILED" else "",
    )


class GalleryState(SessionState):
    """Cards, pagination, layout, and the confirm / viewer / versions dialogs."""

    tab: str = "products"
    layout: str = "grid"
    cards: list[ModelCard] = []
    page: int = 1
    total: int = 0
    loading: bool = True

    confirm_product: str = ""
    confirm_name: str = ""
    starting: bool = False

    viewer_open: bool = False
    viewer_model: str = ""
    viewer_title: str = ""
    viewer_src: str = ""
    viewer_ios_src: str = ""
    downloads: list[Download] = []

    versions_open: bool = False
    versions_product: str = ""
    versions_name: str = ""
    version_rows: list[VersionRow] = []

    @rx.var
    def page_count(self) -> int:
        """Number of pages of products."""
        return max(1, -(-self.total // PER_PAGE))

    @rx.var
    def model_cost(self) -> str:
        """The price of a 3D model, e.g. "10 credits"."""
        return format_credits(get_settings().prices.model_3d)

    # ------------------------------------------------------------------ loading

    async def _load(self, uid: int) -> None:
        page = self.page
        items, total = await asyncio.to_thread(model_gallery.product_page, user_id=uid, page=page, per_page=PER_PAGE)
        cards = [_card(i) for i in items]
        versions = await self._version_rows(uid) if self.versions_open else None
        downloads = await self._downloads(uid, self.viewer_model) if self.viewer_open and self.viewer_model else None
        async with self:
            self.cards, self.total, self.loading = cards, total, False
            if versions is not None:
                self.version_rows = versions
            if downloads is not None:  # exports finish after the model: their links appear by themselves
                self.downloads = downloads

    async def _downloads(self, uid: int, model_id: str) -> list[Download]:
        try:
            model = await asyncio.to_thread(m3.get_owned, uid, uuid.UUID(model_id))
        except OperationError:
            return []
        files = model.model_files or {}
        return [Download(f"Download {label}", file_url(model_id, fmt)) for label, fmt in DOWNLOADS if fmt in files]

    async def _version_rows(self, uid: int) -> list[VersionRow]:
        rows = await asyncio.to_thread(m3.list_versions, uid, m3.Source.product(uuid.UUID(self.versions_product)))
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
        """A model changed (webhook, job, another tab): reload the cards and the open versions list."""
        await self._handle_push(event, self._load)

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

    # ------------------------------------------------------------------ generate

    @rx.event
    def ask_generate(self, product_id: str, name: str):
        """Open the confirmation that shows the cost."""
        self.confirm_product, self.confirm_name = product_id, name

    @rx.event
    def cancel_generate(self):
        """Close the confirmation; nothing is spent."""
        self.confirm_product = self.confirm_name = ""

    @rx.event(background=True)
    async def confirm_generate(self):
        """Hold the price and start the 3D generation of the confirmed product."""
        from genpire_app.backend.jobs.runner import new_intent
        from genpire_app.backend.services import model_generation

        uid = await self._uid()
        async with self:
            if self.starting or not self.confirm_product:
                return
            self.starting = True
            product = self.confirm_product
        try:
            await asyncio.to_thread(model_generation.start, user_id=uid,
                                    source=m3.Source.product(uuid.UUID(product)), intent=new_intent())
            toast = rx.toast.success("3D model started. This card updates by itself when it is ready.")
        except OperationError as err:
            toast = rx.toast.error(err.message)
        async with self:
            self.starting = False
            self.confirm_product = self.confirm_name = ""
        await self._load(uid)
        yield toast

    @rx.event(background=True)
    async def check_status(self, model_id: str):
        """Ask the provider for the model's status now (a missed webhook)."""
        from genpire_app.backend.services import model_webhook

        uid = await self._uid()
        try:
            view = await model_webhook.check_status(uid, uuid.UUID(model_id))
            status = str(getattr(view, "status", "")).replace("_", " ").lower()
            toast = rx.toast.info(f"3D model status: {status or 'unknown'}.")
        except (OperationError, ProviderError) as err:
            toast = rx.toast.error(err.message)
        await self._load(uid)
        yield toast

    # ------------------------------------------------------------------ viewer and versions

    @rx.event(background=True)
    async def view(self, model_id: str, title: str):
        """Open the viewer on a model, with the downloads it has."""
        uid = await self._uid()
        model = await asyncio.to_thread(m3.get_owned, uid, uuid.UUID(model_id))
        files = model.model_files or {}
        async with self:
            self.viewer_title = f"{title} · version {model.version}"
            self.viewer_src = file_url(model_id, "glb", inline=True)
            self.viewer_ios_src = file_url(model_id, "usdz", inline=True) if "usdz" in files else ""
            self.downloads = [Download(f"Download {label}", file_url(model_id, fmt)) for label, fmt in DOWNLOADS
                              if fmt in files]
            self.viewer_model = model_id
            self.viewer_open = True

    @rx.event
    def set_viewer_open(self, value: bool):
        """The viewer dialog opened or closed (Esc, close button)."""
        self.viewer_open = value

    @rx.event(background=True)
    async def open_versions(self, product_id: str, name: str):
        """Open the versions dialog of a product."""
        uid = await self._uid()
        async with self:
            self.versions_product, self.versions_name = product_id, name
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
        await self._load(uid)
        yield toast

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
        await self._load(uid)
        yield toast
