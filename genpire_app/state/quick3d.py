"""Quick 3D (``/quick-3d``; issue 9 items 1 and 4, seed 003 §2 "Dashboard"): "Text to Model" and "Image to
Model", a prompt, the style grid, "Generate" with its cost; the user's recent assets; the discovery feed of
public assets ("Show more", keyset pages that stay stable while new assets are published)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import reflex as rx

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import asset_models, assets, concepts, orders, staging
from genpire_app.backend.storage import sign_path
from genpire_app.state.orders import OrderRow, order_row
from genpire_app.state.session import SessionState
from genpire_app.state.uploads import receive_image

FEED_PAGE = 12
#: Orders shown in the recent activity (seed 003 §2 "Recent Activity": assets or orders).
RECENT_ORDERS = 3


@dataclasses.dataclass
class StyleOption:
    """A style of the grid: id, name, preview image path."""

    id: str = ""
    name: str = ""
    preview: str = ""


@dataclasses.dataclass
class AssetCard:
    """An asset as a card: id, prompt, thumbnail URL, next step, whether it opens."""

    id: str = ""
    prompt: str = ""
    thumb: str = ""
    step: str = ""
    actionable: bool = False


def card(row: assets.AssetRow) -> AssetCard:
    """The card of one of the user's assets."""
    key = row.thumbnail_key or (row.concept_thumb_keys[0] if row.concept_thumb_keys else None)
    return AssetCard(str(row.id), row.prompt, sign_path(key) if key else "", row.next_step, row.actionable)


def _feed_card(row: assets.PublicAssetRow) -> AssetCard:
    key = row.thumbnail_key or row.concept_key
    return AssetCard(str(row.id), row.prompt, sign_path(key) if key else "", "", True)


class Quick3DState(SessionState):
    """The quick-3D form, recent assets and the discovery feed."""

    mode: str = "text"
    prompt: str = ""
    style_id: str = ""
    styles: list[StyleOption] = []
    image_name: str = ""
    image_preview: str = ""
    image_error: str = ""
    image_busy: bool = False
    form_error: str = ""
    generating: bool = False
    skip_concept: bool = False
    recent: list[AssetCard] = []
    recent_orders: list[OrderRow] = []
    feed: list[AssetCard] = []
    feed_cursor: str = ""
    feed_loading: bool = False
    _image_key: str = ""
    _intent: str = ""

    @rx.var
    def generate_cost(self) -> str:
        """The price of two concepts, e.g. "1 credit"; "Free" when skipping them (the first model is free)."""
        return "Free" if self.skip_concept else format_credits(get_settings().prices.concepts)

    @rx.event
    def set_skip_concept(self, value: bool):
        """The "Skip concept" checkbox (image mode: straight to the 3D model)."""
        self.skip_concept, self.form_error = bool(value), ""

    async def _lists(self, uid: int) -> None:
        recent = await asyncio.to_thread(assets.list_assets, uid, limit=6)
        bought = await asyncio.to_thread(orders.list_orders, uid, limit=RECENT_ORDERS)
        feed = await asyncio.to_thread(assets.public_feed, FEED_PAGE)
        async with self:
            self.recent = [card(r) for r in recent]
            self.recent_orders = [order_row(o) for o in bought.items]
            self.feed, self.feed_cursor = [_feed_card(r) for r in feed.items], feed.next_cursor or ""

    @rx.event(background=True)
    async def load(self):
        """Page load: session, styles, recent assets, the feed's first page."""
        uid = await self._open_page()
        styles = await asyncio.to_thread(assets.list_styles)
        async with self:
            self.styles = [StyleOption(str(s.id), s.name, s.preview_path) for s in styles]
            if not self.style_id and styles:
                self.style_id = str(styles[0].id)
            self._intent = uuid.uuid4().hex
        await self._lists(uid)

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """A job moved (concepts ready): the recent list and the header."""
        await self._handle_push(event, self._lists)

    @rx.event(background=True)
    async def more_feed(self):
        """"Show more" of the discovery feed."""
        async with self:
            cursor = self.feed_cursor
            if not cursor or self.feed_loading:
                return
            self.feed_loading = True
        try:
            page = await asyncio.to_thread(assets.public_feed, FEED_PAGE, cursor)
        finally:
            async with self:
                self.feed_loading = False
        async with self:
            if self.feed_cursor != cursor:  # a reload replaced the list meanwhile
                return
            self.feed = self.feed + [_feed_card(r) for r in page.items]
            self.feed_cursor = page.next_cursor or ""

    @rx.event
    def set_mode(self, value: str):
        """"Text to Model" or "Image to Model"."""
        self.mode = "image" if value == "image" else "text"
        if self.mode == "text":
            self.skip_concept = False

    @rx.event
    def set_prompt(self, value: str):
        """The prompt field."""
        self.prompt, self.form_error = value, ""

    @rx.event
    def pick_style(self, style_id: str):
        """Choose a style of the grid."""
        self.style_id = style_id

    @rx.event(background=True)
    async def stage_image(self, chunks: rx.UploadChunkIterator):
        """Validate and keep the chosen reference image (PNG/JPG)."""
        uid = await self._uid()
        async with self:
            self.image_busy, self.image_error = True, ""
        staged, error = await receive_image(chunks, user_id=uid, max_bytes=get_settings().max_design_bytes,
                                            label="image")
        async with self:
            old = self._image_key
            self._image_key = staged.key if staged else ""
            self.image_name, self.image_preview = (staged.label, staged.preview) if staged else ("", "")
            self.image_error, self.image_busy = error, False
        await staging.discard(old)

    @rx.event(background=True)
    async def clear_image(self):
        """Remove the chosen image."""
        async with self:
            old, self._image_key, self.image_name, self.image_preview = self._image_key, "", "", ""
        await staging.discard(old)

    @rx.event(background=True)
    async def generate(self):
        """"Generate": hold the price and make two concepts; then the asset page."""
        uid = await self._uid()
        async with self:
            if self.generating:
                return
            self.generating, self.form_error = True, ""
            mode, prompt, style, image, intent = self.mode, self.prompt, self.style_id, self._image_key, self._intent
            skip = self.skip_concept and self.mode == "image"
        style_id = uuid.UUID(style) if style else None
        try:
            if skip:
                asset_id = await asyncio.to_thread(asset_models.start_direct, uid, prompt=prompt, style_id=style_id,
                                                   input_image_key=image or None, intent=intent)
            else:
                started = await asyncio.to_thread(
                    concepts.start_concepts, uid, mode=mode, prompt=prompt, style_id=style_id,
                    input_image_key=image or None, skip_concept=False, intent=intent)
                asset_id = started.asset_id
        except (OperationError, ValueError) as err:
            async with self:
                self.generating, self.form_error = False, getattr(err, "message", "Check the form and try again.")
            return
        except BaseException:  # an unexpected error: the button comes back; the app's handler reports it
            async with self:
                self.generating = False
            raise
        async with self:
            self.generating, self.prompt, self._intent = False, "", uuid.uuid4().hex
            self._image_key, self.image_name, self.image_preview = "", "", ""
        yield rx.redirect(f"/assets/{asset_id}")
