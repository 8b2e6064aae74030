"""The Settings page's "Brand DNA" section (issue 11 item 8; seed 000 §3 Phase 1): brand name, palette (hex
colors, shown as swatches), fonts, tone words and logo. Business rules live in ``services.brand``; this state
reads the inputs, calls it off the event loop and assigns (DESIGN.md §3).

The logo goes through the app's validated upload path: the file is staged as soon as it is chosen
(``state.uploads.receive_image``: size limit while streaming, magic bytes, re-encoding) and read back on "Save".
"""

from __future__ import annotations

import asyncio

import reflex as rx

from genpire_app.backend.config import get_settings
from genpire_app.backend.services import brand, products, staging
from genpire_app.backend.storage import get_storage, sign_path
from genpire_app.state.session import SessionState
from genpire_app.state.uploads import receive_image

def swatches(text: str) -> list[str]:
    """The valid ``#RRGGBB`` colors in what the user typed, in order, without duplicates (at most 8)."""
    out: list[str] = []
    for item in brand.parse_list(text, spaces=True):
        try:
            color = brand.normalize_hex(item)
        except brand.BrandError:
            continue
        if color not in out:
            out.append(color)
    return out[: brand.MAX_PALETTE]


class BrandState(SessionState):
    """The form of the Brand DNA section, its inline errors and the saved logo's preview."""

    brand_name: str = ""
    palette_text: str = ""
    fonts_text: str = ""
    tone_text: str = ""
    #: Signed URL of the saved logo ("" without one); the newly chosen file's preview is ``logo_preview``.
    logo_url: str = ""
    logo_name: str = ""
    logo_preview: str = ""
    logo_busy: bool = False
    remove_logo: bool = False
    errors: dict[str, str] = {}
    has_brand: bool = False
    brand_loaded: bool = False
    saving: bool = False
    _staged_logo: str = ""

    @rx.var
    def palette_swatches(self) -> list[str]:
        """The colors of the palette field, as the swatches show them."""
        return swatches(self.palette_text)

    @rx.var
    def name_error(self) -> str:
        """The brand name's error ("" when fine)."""
        return self.errors.get("name", "")

    @rx.var
    def palette_error(self) -> str:
        """The palette's error."""
        return self.errors.get("palette", "")

    @rx.var
    def fonts_error(self) -> str:
        """The fonts' error."""
        return self.errors.get("fonts", "")

    @rx.var
    def tone_error(self) -> str:
        """The tone words' error."""
        return self.errors.get("tone", "")

    @rx.var
    def logo_error(self) -> str:
        """The logo's error."""
        return self.errors.get("logo", "")

    def _show(self, saved: brand.Brand | None) -> None:
        if saved is None:
            self.has_brand = False
            return
        self.has_brand = True
        self.brand_name = saved.name
        self.palette_text = ", ".join(saved.palette)
        self.fonts_text = ", ".join(saved.fonts)
        self.tone_text = ", ".join(saved.tone)
        self.logo_url = sign_path(saved.logo_key) if saved.logo_key else ""
        self.remove_logo = False

    @rx.event(background=True)
    async def load_brand(self):
        """The section's on_mount: the saved profile, if any."""
        uid = await self._uid()
        saved = await asyncio.to_thread(brand.get_brand, uid)
        async with self:
            self._show(saved)
            self.errors, self.brand_loaded = {}, True

    def _clear_error(self, field: str) -> None:
        if field in self.errors:
            self.errors = {k: v for k, v in self.errors.items() if k != field}

    @rx.event
    def set_brand_name(self, value: str):
        """Controlled input: brand name."""
        self.brand_name = value
        self._clear_error("name")

    @rx.event
    def set_palette_text(self, value: str):
        """Controlled input: palette (hex colors separated by commas or spaces)."""
        self.palette_text = value
        self._clear_error("palette")

    @rx.event
    def set_fonts_text(self, value: str):
        """Controlled input: fonts (comma-separated)."""
        self.fonts_text = value
        self._clear_error("fonts")

    @rx.event
    def set_tone_text(self, value: str):
        """Controlled input: tone words (comma-separated)."""
        self.tone_text = value
        self._clear_error("tone")

    @rx.event(background=True)
    async def stage_logo(self, chunks: rx.UploadChunkIterator):
        """Validate and keep the chosen logo (PNG/JPG, at most 2 MB) until "Save"."""
        uid = await self._uid()
        async with self:
            self.logo_busy = True
            self._clear_error("logo")
        staged, error = await receive_image(chunks, user_id=uid, max_bytes=get_settings().max_logo_bytes,
                                            label="logo")
        async with self:
            old = self._staged_logo
            self._staged_logo = staged.key if staged else ""
            self.logo_name = staged.label if staged else ""
            self.logo_preview = staged.preview if staged else ""
            self.logo_busy = False
            if error:
                self.errors = {**self.errors, "logo": error}
        await staging.discard(old)

    @rx.event(background=True)
    async def clear_logo(self):
        """Remove the chosen (not yet saved) logo, or mark the saved one for removal on "Save"."""
        async with self:
            old = self._staged_logo
            if old:
                self._staged_logo, self.logo_name, self.logo_preview = "", "", ""
            else:
                self.remove_logo, self.logo_url = True, ""
            self._clear_error("logo")
        await staging.discard(old)

    @rx.event(background=True)
    async def save_brand(self):
        """"Save Brand DNA": validate everything, store the logo, save the profile; field errors inline."""
        uid = await self._uid()
        async with self:
            if self.saving:
                return
            self.saving = True
            name, palette_text, fonts, tone = self.brand_name, self.palette_text, self.fonts_text, self.tone_text
            staged, remove = self._staged_logo, self.remove_logo
        errors: dict[str, str] = {}
        saved: brand.Brand | None = None
        try:
            logo = None
            if staged:
                mime = "image/png" if staged.endswith(".png") else "image/jpeg"
                logo = products.UploadedFile(await get_storage().get(staged), f"logo.{staged.rsplit('.', 1)[-1]}",
                                             mime)
            saved = await brand.save_brand(uid, name=name, palette=brand.parse_list(palette_text, spaces=True),
                                           fonts=brand.parse_list(fonts), tone=brand.parse_list(tone), logo=logo,
                                           remove_logo=remove)
        except brand.BrandError as err:
            errors = err.errors
        if saved is None:
            async with self:
                self.saving, self.errors = False, errors
            yield rx.toast.error("Check the highlighted Brand DNA fields; nothing was saved.")
            return
        async with self:
            self._show(saved)
            self.saving, self.errors = False, {}
            self._staged_logo, self.logo_name, self.logo_preview = "", "", ""
        await staging.discard(staged)
        yield rx.toast.success("Brand DNA saved. Switch on “Use Brand DNA” when you create a product.")


__all__ = ["BrandState", "swatches"]
