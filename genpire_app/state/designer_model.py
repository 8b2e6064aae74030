"""The AI Designer's 3D buttons (issue 8 item 7): "Generate 3D" when the product has no model, progress and
"Check Generation Status" while one is made, "View 3D" (the full-screen viewer) and "Regenerate" once it
has one. The confirmation and the viewer come from ``state.model_actions.ModelActions``; the designer's
``on_push`` sends :meth:`DesignerModelState.refresh` when its product changed (a webhook applied)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import reflex as rx

from genpire_app.backend.services import model_gallery
from genpire_app.state.model_actions import ModelActions, buttons_fields
from genpire_app.state.session import SessionState


def _parse(product_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(product_id)
    except ValueError:
        return None


class DesignerModelState(ModelActions, SessionState):
    """The 3D model of the product open in the AI Designer. ``action``: ``generate`` | ``generating`` |
    ``view`` (``model_gallery.card_action``)."""

    model_product: str = ""
    action: str = "generate"
    progress: int = 0
    active_id: str = ""
    latest_id: str = ""

    async def _read(self, uid: int) -> None:
        pid = _parse(self.model_product)
        found = await asyncio.to_thread(model_gallery.models_of, user_id=uid, kind="product",
                                        ids=[pid] if pid else [])
        fields = buttons_fields(found.get(str(pid), model_gallery.SourceModels()))
        downloads = await self._viewer_downloads(uid)
        async with self:
            self.action, self.progress = fields["action"], fields["progress"]
            self.active_id, self.latest_id = fields["active_id"], fields["latest_id"]
            if downloads is not None:
                self.downloads = downloads

    async def _after_change(self, uid: int) -> list[Any]:
        await self._read(uid)
        return []

    @rx.event(background=True)
    async def load(self):
        """Page load: the product of ``projectId`` and its models."""
        uid = await self._uid()
        async with self:
            product_id = self.router.url.query_parameters.get("projectId", "")
            if product_id != self.model_product:
                self.action, self.active_id, self.latest_id, self.viewer_open = "generate", "", "", False
            self.model_product = product_id
        await self._read(uid)

    @rx.event(background=True)
    async def refresh(self):
        """The product changed (a push): read its models again."""
        await self._read(await self._uid())
