"""The dashboard's "Start from photos" tab (issue 10 item 1): a product name and one photo per view (front
required; back, side, top, bottom optional), each uploaded and validated as soon as it is chosen
(``state.uploads.receive_image`` -> ``services.staging``), then "Create product" makes revision 0 from them
(``services.photo_start``, free) and opens the product in the AI Designer.
"""

from __future__ import annotations

import reflex as rx

from genpire_app.backend.config import get_settings
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import VIEWS
from genpire_app.backend.services import photo_start, staging
from genpire_app.backend.services.ratelimit import RateLimited, limiter
from genpire_app.state.dashboard import UploadField
from genpire_app.state.session import SessionState
from genpire_app.state.uploads import receive_image


class PhotoStartState(SessionState):
    """Name, the five photo fields (one :class:`UploadField` per view), errors and the busy flag."""

    photo_name: str = ""
    name_error: str = ""
    photo_error: str = ""
    photo_creating: bool = False
    front_photo: UploadField = UploadField()
    back_photo: UploadField = UploadField()
    side_photo: UploadField = UploadField()
    top_photo: UploadField = UploadField()
    bottom_photo: UploadField = UploadField()
    #: view -> staged storage key of the chosen photo.
    _photo_keys: dict[str, str] = {}

    def _field(self, view: str) -> UploadField:
        return getattr(self, f"{view}_photo")

    def _show(self, view: str, shown: UploadField) -> None:
        setattr(self, f"{view}_photo", shown)

    @rx.event
    def set_photo_name(self, value: str):
        """Controlled input: the product name."""
        self.photo_name = value
        if value.strip():
            self.name_error = ""

    async def _stage(self, chunks: rx.UploadChunkIterator, view: str) -> None:
        """Validate and keep the photo of ``view`` (PNG/JPG, at most ``Settings.max_design_bytes``)."""
        uid = await self._uid()
        async with self:
            self._field(view).busy, self._field(view).error = True, ""
        staged, error = await receive_image(chunks, user_id=uid, max_bytes=get_settings().max_design_bytes,
                                            label=photo_start.PHOTO_LABELS[view].lower())
        async with self:
            self._show(view, UploadField(staged.label, staged.preview) if staged else UploadField(error=error))
            old = self._photo_keys.get(view, "")
            self._photo_keys = {**self._photo_keys, view: staged.key if staged else ""}
            if staged is not None:
                self.photo_error = ""
        await staging.discard(old)

    @rx.event(background=True)
    async def stage_front(self, chunks: rx.UploadChunkIterator):
        """The front photo (required)."""
        await self._stage(chunks, "front")

    @rx.event(background=True)
    async def stage_back(self, chunks: rx.UploadChunkIterator):
        """The back photo (optional)."""
        await self._stage(chunks, "back")

    @rx.event(background=True)
    async def stage_side(self, chunks: rx.UploadChunkIterator):
        """The side photo (optional)."""
        await self._stage(chunks, "side")

    @rx.event(background=True)
    async def stage_top(self, chunks: rx.UploadChunkIterator):
        """The top photo (optional)."""
        await self._stage(chunks, "top")

    @rx.event(background=True)
    async def stage_bottom(self, chunks: rx.UploadChunkIterator):
        """The bottom photo (optional)."""
        await self._stage(chunks, "bottom")

    @rx.event(background=True)
    async def clear_photo(self, view: str):
        """"Remove" on a photo field."""
        if view not in VIEWS:
            return
        async with self:
            old = self._photo_keys.get(view, "")
            self._photo_keys = {**self._photo_keys, view: ""}
            self._show(view, UploadField())
        await staging.discard(old)

    @rx.event(background=True)
    async def create_from_photos(self):
        """"Create product": the photos become revision 0's views (free); then open the product."""
        uid = await self._uid()
        async with self:
            if self.photo_creating:
                return
            self.photo_creating = True
            self.name_error = self.photo_error = ""
            name, photos = self.photo_name, dict(self._photo_keys)
        product = None
        error = ""
        try:
            limiter("generation", get_settings().generation_rate_per_minute).hit(f"user:{uid}")
            product = await photo_start.create_from_photos(uid, name=name, photos=photos)
        except (OperationError, RateLimited) as err:
            error = getattr(err, "message", str(err))
        if product is None:
            async with self:
                self.photo_creating = False
                if not name.strip() or "name" in error:
                    self.name_error = error
                elif not photos.get("front"):
                    self.front_photo.error = error
                else:
                    self.photo_error = error
            yield rx.toast.error(error or "The product could not be created.")
            return
        async with self:
            self.photo_creating = False
            self.photo_name, self._photo_keys = "", {}
            for view in VIEWS:
                self._show(view, UploadField())
        yield rx.redirect(f"/ai-designer?projectId={product.id}")


__all__ = ["PhotoStartState"]
