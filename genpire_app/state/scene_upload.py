"""The "Add scene" dialog of the Mockups tab (issue 11 item 1): upload a background image (validated and
staged at once: ``state.uploads.receive_image`` -> ``services.staging``; the bytes then go to
``create_user_scene``, which validates and stores them again), draw the placement rectangle on
the preview (``assets/placement.js`` fills the X, Y, Width and Height inputs, in pixels of the image), the
optional perspective corners, a name; "Save scene" calls ``services.mockup_scenes.create_user_scene``.
"""

from __future__ import annotations

import reflex as rx

from genpire_app.backend.config import get_settings
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import staging
from genpire_app.backend.storage import get_storage
from genpire_app.state.session import SessionState
from genpire_app.state.uploads import receive_image

#: Side of the preview the placement is drawn on, pixels (the coordinates stay in the image's pixels).
PREVIEW_PX = 960
RECT_FIELDS = ("px", "py", "pw", "ph")
#: Smallest placement side, pixels (``services.mockup_scenes.MIN_PLACEMENT``).
MIN_SIDE = 32
CORNER_FIELDS = ("c1x", "c1y", "c2x", "c2y", "c3x", "c3y", "c4x", "c4y")


def _int(value: object) -> int | None:
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return int(round(number)) if number == number and abs(number) < 1e7 else None


def parse_placement(form: dict, width: int, height: int) -> tuple[dict | None, list | None, str]:
    """The placement and corners of the form (pixels of a ``width`` x ``height`` image).

    Returns:
        ``(placement {x, y, width, height}, corners [[x, y] x4] | None, "")`` or ``(None, None, error)``.
    """
    x, y, w, h = (_int(form.get(k)) for k in RECT_FIELDS)
    if None in (x, y, w, h):
        return None, None, "Draw the placement on the image, or enter X, Y, Width and Height in pixels."
    if w < MIN_SIDE or h < MIN_SIDE:
        return None, None, f"The placement must be at least {MIN_SIDE} × {MIN_SIDE} pixels."
    if x < 0 or y < 0 or x + w > width or y + h > height:
        return None, None, f"The placement must lie inside the image ({width} × {height} pixels)."
    values = [_int(form.get(k)) for k in CORNER_FIELDS]
    raw = [str(form.get(k) or "").strip() for k in CORNER_FIELDS]
    if not any(raw):
        return {"x": x, "y": y, "width": w, "height": h}, None, ""
    if None in values:
        return None, None, "Fill in all four perspective corners (x and y), or leave them all empty."
    corners = [[values[i], values[i + 1]] for i in range(0, 8, 2)]
    if any(not (0 <= cx <= width and 0 <= cy <= height) for cx, cy in corners):
        return None, None, f"The corners must lie inside the image ({width} × {height} pixels)."
    return {"x": x, "y": y, "width": w, "height": h}, corners, ""


class SceneUploadState(SessionState):
    """The dialog: open flag, the chosen background (name, preview, pixel size), errors and the busy flags."""

    open: bool = False
    file_name: str = ""
    preview: str = ""
    img_w: int = 0
    img_h: int = 0
    upload_error: str = ""
    uploading: bool = False
    name_error: str = ""
    placement_error: str = ""
    saving: bool = False
    _key: str = ""

    @rx.event(background=True)
    async def set_open(self, value: bool):
        """Open or close the dialog; closing discards a background that was not saved."""
        async with self:
            self.open = value
            old = "" if value else self._key
            if not value:
                self._reset()
        await staging.discard(old)

    def _reset(self) -> None:
        self.file_name = self.preview = self.upload_error = self.name_error = self.placement_error = ""
        self.img_w = self.img_h = 0
        self._key = ""

    @rx.event(background=True)
    async def stage(self, chunks: rx.UploadChunkIterator):
        """The background image (PNG/JPG, at most ``Settings.max_design_bytes``), validated and staged."""
        uid = await self._uid()
        async with self:
            self.uploading, self.upload_error = True, ""
        staged, error = await receive_image(chunks, user_id=uid, max_bytes=get_settings().max_design_bytes,
                                            label="background image", preview_px=PREVIEW_PX)
        async with self:
            self.uploading = False
            old = self._key
            if staged is None:
                self._key = ""
                self.file_name, self.preview, self.img_w, self.img_h = "", "", 0, 0
                self.upload_error = error
            else:
                self._key = staged.key
                self.file_name, self.preview = staged.label, staged.preview
                self.img_w, self.img_h = staged.width, staged.height
                self.placement_error = ""
        if old and old != (staged.key if staged else ""):
            await staging.discard(old)

    @rx.event(background=True)
    async def clear(self):
        """"Remove" the chosen background."""
        async with self:
            old = self._key
            self._key = ""
            self.file_name, self.preview, self.img_w, self.img_h = "", "", 0, 0
        await staging.discard(old)

    @rx.event(background=True)
    async def save(self, form: dict):
        """"Save scene": validate the form and create the user's scene."""
        from genpire_app.backend.services import mockup_scenes
        from genpire_app.state.mockups import MockupsState

        uid = await self._uid()
        async with self:
            if self.saving:
                return
            key, width, height = self._key, self.img_w, self.img_h
        name = str(form.get("scene_name") or "").strip()
        name_error = "" if name else "Give the scene a name."
        upload_error = "" if key else "Choose a background image."
        placement, corners, placement_error = (parse_placement(form, width, height) if key
                                               else (None, None, ""))
        if name_error or upload_error or placement_error:
            async with self:
                self.name_error, self.placement_error = name_error, placement_error
                self.upload_error = upload_error or self.upload_error
            return
        async with self:
            self.saving = True
        try:
            background = await get_storage().get(key)
            await mockup_scenes.create_user_scene(
                uid, name, background, (placement["x"], placement["y"], placement["width"], placement["height"]),
                [(cx, cy) for cx, cy in corners] if corners else None, filename=key.rsplit("/", 1)[-1],
                declared_mime="image/png" if key.endswith(".png") else "image/jpeg")
        except (OperationError, LookupError) as err:
            message = getattr(err, "message", "") or "The background is no longer available; choose it again."
            async with self:
                self.saving = False
                self.placement_error = message
            yield rx.toast.error(message)
            return
        async with self:
            self.saving = False
            self.open = False
            self._reset()
        await staging.discard(key)
        yield [rx.toast.success(f"Scene “{name}” added."), MockupsState.refresh]


__all__ = ["SceneUploadState", "parse_placement"]
