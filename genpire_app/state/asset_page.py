"""The asset page (``/assets/[asset_id]``; issue 9 item 3, seed 003 §2 "Asset Page") and the workspace
(``/workspace``; item 2): an asset's concepts (choose one, "Regenerate Concepts" while retries remain),
"Generate 3D Model" (the first attempt free), the model in the viewer, the public/private switch, its state
updating by push; the user's assets with the next step, newest first ("Show more")."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import reflex as rx

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import asset_models, assets, concepts, digital_models, model_gallery
from genpire_app.backend.storage import sign_path
from genpire_app.state.buy_credits import money
from genpire_app.state.model_actions import file_url
from genpire_app.state.quick3d import AssetCard, card
from genpire_app.state.session import SessionState


class AssetPageState(SessionState):
    """One asset of the signed-in user."""

    asset_status: str = "loading"
    asset_prompt: str = ""
    step: str = ""
    concept_urls: list[str] = []
    selected: int = -1
    retries_left: int = 0
    regen_cost: str = ""
    model_cost: str = ""
    model_src: str = ""
    is_public: bool = False
    asset_error: str = ""
    working: bool = False
    owner: bool = True
    public_image: str = ""
    download_price: str = ""
    bought_url: str = ""
    adding: bool = False
    _intent: str = ""

    @rx.var
    def asset_id_text(self) -> str:
        """The asset id of the URL, as text (links to its print page)."""
        return self.router.page.params.get("asset_id", "")

    def _asset_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.router.page.params.get("asset_id", ""))
        except ValueError:
            return None

    async def _read(self, uid: int) -> None:
        asset_id = self._asset_id()
        try:
            row = await asyncio.to_thread(assets.get_owned, uid, asset_id) if asset_id else None
        except OperationError:
            row = None
        if row is None:
            await self._read_public(uid, asset_id)
            return
        models = await asyncio.to_thread(model_gallery.models_of, user_id=uid, kind="asset", ids=[asset_id])
        active = models.get(str(asset_id), model_gallery.SourceModels()).active
        bought = await asyncio.to_thread(digital_models.purchase_of, uid, asset_id)
        async with self:
            self.owner, self.public_image, self.bought_url = True, "", bought.url() if bought else ""
            self.download_price = money(get_settings().digital_model_cents)
            self.asset_status, self.asset_prompt, self.step = row.status, row.prompt, row.next_step
            self.concept_urls = [sign_path(k) for k in row.concept_keys]
            self.selected = row.selected_concept if row.selected_concept is not None else -1
            self.retries_left, self.asset_error = row.retries_left, row.error or ""
            self.regen_cost = format_credits(concepts.concepts_price(row))
            price = asset_models.model_price(row)
            self.model_cost = format_credits(price) if price else "Free"
            self.model_src = file_url(active.id, "glb", inline=True) if active is not None else ""
            self.is_public = row.is_public

    async def _read_public(self, uid: int, asset_id: uuid.UUID | None) -> None:
        """Another user's public model: read-only, with its picture and "Download Model" (seed 003 §6)."""
        try:
            row = await asyncio.to_thread(assets.get_public, asset_id) if asset_id else None
        except OperationError:
            row = None
        bought = await asyncio.to_thread(digital_models.purchase_of, uid, asset_id) if row else None
        async with self:
            if row is None:
                self.asset_status = "not_found"
                return
            key = row.thumbnail_key or row.concept_key
            self.owner, self.asset_status, self.asset_prompt, self.step = False, "public", row.prompt, ""
            self.public_image = sign_path(key) if key else ""
            self.download_price = money(get_settings().digital_model_cents)
            self.bought_url = bought.url() if bought else ""
            self.concept_urls, self.model_src, self.asset_error = [], "", ""

    @rx.event(background=True)
    async def load(self):
        """Page load: the asset of the URL, if it is the user's."""
        uid = await self._open_page()
        async with self:
            self.asset_status, self._intent = "loading", uuid.uuid4().hex
        await self._read(uid)

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """A job of the user moved (its concepts are ready): read the asset again."""
        try:
            uid = await self._uid()
            await self._reload_header(uid)
            await self._read(uid)
        finally:
            await self._pushed(event)

    @rx.event(background=True)
    async def choose(self, index: int):
        """Select concept ``index`` (0 or 1) for the model."""
        uid = await self._uid()
        try:
            await asyncio.to_thread(assets.select_concept, uid, self._asset_id(), index)
        except OperationError as err:
            yield rx.toast.error(err.message)
        await self._read(uid)

    async def _spend(self, submit: Callable[[int, uuid.UUID | None, str], Any], done: str) -> Any:
        """Run a credit-spending ``submit(user_id, asset_id, intent)`` once at a time (``working``), with this
        page's intent token; returns the toast to show."""
        uid = await self._uid()
        async with self:
            if self.working:
                return None
            self.working, intent = True, self._intent
        try:
            await asyncio.to_thread(submit, uid, self._asset_id(), intent)
            toast = rx.toast.success(done)
        except OperationError as err:
            toast = rx.toast.error(err.message)
        async with self:
            self.working, self._intent = False, uuid.uuid4().hex
        await self._read(uid)
        return toast

    @rx.event(background=True)
    async def regenerate(self):
        """"Regenerate Concepts": hold the price, make two new concepts."""
        toast = await self._spend(concepts.regenerate_concepts, "New concepts are being made. This page updates by itself.")
        if toast is not None:
            yield toast

    @rx.event(background=True)
    async def generate_model(self):
        """"Generate 3D Model" / "Regenerate Model": the chosen concept to a 3D model (first attempt free)."""
        toast = await self._spend(asset_models.start_model, "The 3D model is being made. This page updates by itself.")
        if toast is not None:
            yield toast

    @rx.event(background=True)
    async def set_public(self, value: bool):
        """The public/private switch (only a finished model can be public)."""
        uid = await self._uid()
        try:
            await asyncio.to_thread(assets.set_public, uid, self._asset_id(), bool(value))
            toast = rx.toast.success("Published to the discovery feed." if value else "Now private.")
        except OperationError as err:
            toast = rx.toast.error(err.message)
        await self._read(uid)
        yield toast


    @rx.event(background=True)
    async def download_model(self):
        """"Download Model": the model's files into the cart, then the cart (seed 003 §2 "Model View")."""
        uid = await self._uid()
        async with self:
            if self.adding:
                return
            self.adding = True
        try:
            await asyncio.to_thread(digital_models.add, uid, self._asset_id())
        except OperationError as err:
            async with self:
                self.adding = False
            yield rx.toast.error(err.message)
            return
        async with self:
            self.adding = False
        yield rx.redirect("/cart")


class WorkspaceState(SessionState):
    """The user's assets with their next step."""

    items: list[AssetCard] = []
    cursor: str = ""
    workspace_loaded: bool = False

    async def _first(self, uid: int) -> None:
        page = await asyncio.to_thread(assets.workspace, uid)
        async with self:
            self.items, self.cursor, self.workspace_loaded = [card(r) for r in page.items], page.next_cursor or "", True

    @rx.event(background=True)
    async def load(self):
        """Page load: the first page of assets."""
        await self._first(await self._open_page())

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """A job moved: the list again (statuses change by themselves)."""
        try:
            uid = await self._uid()
            await self._reload_header(uid)
            await self._first(uid)
        finally:
            await self._pushed(event)

    @rx.event(background=True)
    async def more(self):
        """"Show more"."""
        uid = await self._uid()
        async with self:
            cursor = self.cursor
        if not cursor:
            return
        page = await asyncio.to_thread(assets.workspace, uid, cursor=cursor)
        async with self:
            if self.cursor != cursor:  # another "Show more" (or a reload) got there first
                return
            self.items = self.items + [card(r) for r in page.items]
            self.cursor = page.next_cursor or ""
