"""What every page that shows 3D models does with them (issue 8 items 3, 5 and 7): the "Generate 3D"
confirmation with its cost, the status check, and the viewer dialog with the downloads a model has.

A state mixin: the 3D gallery (``state.models3d_gallery``) and the AI Designer's 3D panel
(``state.designer_model``) include it and say, in :meth:`ModelActions._after_change`, what to reload after
an action. Generation goes through ``services.model_generation`` (the held-operation runner: 10 credits held
at start, DESIGN.md §12); status checks through ``services.model_webhook``.
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

#: Download formats in the order the viewer offers them (label, format key).
DOWNLOADS = (("GLB", "glb"), ("STL", "stl"), ("OBJ", "obj"), ("USDZ", "usdz"), ("3MF", "3mf"), ("PLY", "ply"),
             ("DXF", "dxf"))
SOURCE_KINDS = ("product", "collection")


def file_url(model_id: str, fmt: str, *, inline: bool = False) -> str:
    """The owner-checked file route of one format of a model (``api/models3d.py``)."""
    return f"/api/3d-models/{model_id}/files/{fmt}" + ("?inline=1" if inline else "")


@dataclasses.dataclass
class Download:
    """A download link of the viewer: its accessible label ("Download STL") and URL."""

    label: str = ""
    href: str = ""


@dataclasses.dataclass
class ModelButtonsRow:
    """What seed 002's 3D buttons of one source need (``components.model_dialogs.model_buttons``).
    ``action``: ``generate`` | ``generating`` | ``view``; ``progress`` in percent; ``error``: the newest
    version's failure, if it failed."""

    action: str = "generate"
    status: str = ""
    progress: int = 0
    versions: int = 0
    active_id: str = ""
    latest_id: str = ""
    error: str = ""


def buttons_fields(models: model_gallery.SourceModels | model_gallery.GalleryItem) -> dict[str, Any]:
    """The :class:`ModelButtonsRow` fields of one source's models, as keyword arguments."""
    latest, active = models.latest, models.active
    return {
        "action": model_gallery.card_action(models), "status": latest.status if latest else "",
        "progress": latest.progress if latest else 0, "versions": models.versions,
        "active_id": active.id if active else "", "latest_id": latest.id if latest else "",
        "error": latest.task_error if latest and latest.status == "FAILED" else "",
    }


def downloads_of(model_id: str, files: dict[str, str]) -> list[Download]:
    """The viewer's download links for the formats a model really has (no "coming soon")."""
    return [Download(f"Download {label}", file_url(model_id, fmt)) for label, fmt in DOWNLOADS if fmt in files]


class ModelActions(rx.State, mixin=True):
    """Confirmation, status check and viewer of 3D models (a mixin; see the module docstring)."""

    confirm_kind: str = "product"
    confirm_id: str = ""
    confirm_name: str = ""
    starting: bool = False

    viewer_open: bool = False
    viewer_model: str = ""
    viewer_title: str = ""
    viewer_src: str = ""
    viewer_ios_src: str = ""
    downloads: list[Download] = []

    @rx.var
    def model_cost(self) -> str:
        """The price of a 3D model, e.g. "10 credits"."""
        return format_credits(get_settings().prices.model_3d)

    async def _after_change(self, uid: int) -> list[Any]:
        """Reload what the page shows after a generation started, a status check or a version change;
        returns events to send after it (another state's reload)."""
        raise NotImplementedError

    async def _viewer_downloads(self, uid: int) -> list[Download] | None:
        """The open viewer's downloads, read again (exports finish after the model), or None when closed."""
        if not (self.viewer_open and self.viewer_model):
            return None
        try:
            model = await asyncio.to_thread(m3.get_owned, uid, uuid.UUID(self.viewer_model))
        except OperationError:
            return []
        return downloads_of(self.viewer_model, model.model_files or {})

    @rx.event
    def ask_generate(self, source_id: str, name: str, kind: str = "product"):
        """Open the confirmation that shows the cost of a model of product or collection ``source_id``."""
        self.confirm_kind = kind if kind in SOURCE_KINDS else "product"
        self.confirm_id, self.confirm_name = source_id, name

    @rx.event
    def cancel_generate(self):
        """Close the confirmation; nothing is spent."""
        self.confirm_id = self.confirm_name = ""

    @rx.event(background=True)
    async def confirm_generate(self):
        """Hold the price and start the 3D generation of the confirmed source."""
        from genpire_app.backend.jobs.runner import new_intent
        from genpire_app.backend.services import model_generation

        uid = await self._uid()
        async with self:
            if self.starting or not self.confirm_id:
                return
            self.starting = True
            kind, source_id = self.confirm_kind, self.confirm_id
        try:
            await asyncio.to_thread(model_generation.start, user_id=uid,
                                    source=m3.Source(kind, uuid.UUID(source_id)), intent=new_intent())
            toast = rx.toast.success("3D model started. This page updates by itself when it is ready.")
        except OperationError as err:
            toast = rx.toast.error(err.message)
        async with self:
            self.starting = False
            self.confirm_id = self.confirm_name = ""
        yield [toast, *await self._after_change(uid)]

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
        yield [toast, *await self._after_change(uid)]

    @rx.event(background=True)
    async def view(self, model_id: str, title: str):
        """Open the viewer on a model, with the downloads it has."""
        uid = await self._uid()
        try:
            model = await asyncio.to_thread(m3.get_owned, uid, uuid.UUID(model_id))
        except (OperationError, ValueError):
            yield rx.toast.error("This 3D model no longer exists.")
            return
        files = model.model_files or {}
        async with self:
            self.viewer_title = f"{title} · version {model.version}"
            self.viewer_src = file_url(model_id, "glb", inline=True)
            self.viewer_ios_src = file_url(model_id, "usdz", inline=True) if "usdz" in files else ""
            self.downloads = downloads_of(model_id, files)
            self.viewer_model = model_id
            self.viewer_open = True

    @rx.event
    def set_viewer_open(self, value: bool):
        """The viewer dialog opened or closed (Esc, close button)."""
        self.viewer_open = value
