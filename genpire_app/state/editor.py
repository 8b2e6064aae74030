"""AI Designer editing state: chat edits, annotation micro-edits, revision history, rollback, per-revision
tech packs and SVG downloads (seed 000 §5.3-§5.6, §6.4, §7.3; issue 3)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import reflex as rx

from genpire_app.backend import imaging
from genpire_app.backend.api.exports import view_svg_url
from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.providers.base import VIEWS
from genpire_app.backend.services import edits, generation, staging, techpacks
from genpire_app.backend.services.products import UploadedFile
from genpire_app.backend.storage import get_storage
from genpire_app.state.designer import DesignerState, _parse_id

VIEW_NAMES = {v: v.capitalize() for v in VIEWS}


class EditorState(DesignerState):
    """Inputs of the chat, the annotation tool and the revision dialogs."""

    message: str = ""
    message_error: str = ""
    chosen_views: list[str] = list(VIEWS)
    attach_name: str = ""
    attach_preview: str = ""
    attach_error: str = ""
    _attach_key: str = ""
    _attach_mime: str = ""

    annotating: bool = False
    tool: str = "circle"
    note_text: str = "Change this"
    instruction: str = ""
    annotation_error: str = ""
    annotation_marks: int = 0
    clear_signal: int = 0
    undo_signal: int = 0
    _annotation_data_url: str = ""
    _annotation_region: list[float] = []

    history_open: bool = False
    details_open: bool = False
    details_number: int = -1

    @rx.var
    def edit_cost_label(self) -> str:
        """Cost of sending the chat edit for the chosen views (0.5 each, at most 2)."""
        active = {v["view"] for v in self.views}
        count = len([v for v in self.chosen_views if v in active]) or len(active) or 1
        return format_credits(get_settings().prices.edit_cost(min(max(count, 1), 5)))

    @rx.var
    def annotate_cost_label(self) -> str:
        """Cost of an annotation micro-edit (one view)."""
        return format_credits(get_settings().prices.edit_cost(1))

    @rx.var
    def details(self) -> dict[str, Any]:
        """The revision shown in the details dialog."""
        for r in self.revisions:
            if r.number == self.details_number:
                return {
                    "title": r.title,
                    "label": r.label,
                    "kind": r.kind,
                    "date": r.date,
                    "edited": r.edited,
                    "active": r.active,
                }
        return {"title": "", "label": "", "kind": "", "date": "", "edited": "", "active": False}

    @rx.var
    def details_thumbs(self) -> list[dict[str, str]]:
        """The views of the revision in the details dialog."""
        for r in self.revisions:
            if r.number == self.details_number:
                return [{"view": t.view.capitalize(), "url": t.url} for t in r.thumbs]
        return []

    # ------------------------------------------------------------------ chat inputs

    @rx.event
    def set_message(self, value: str):
        """Controlled chat input."""
        self.message = value
        if value.strip():
            self.message_error = ""

    @rx.event
    def toggle_view(self, view: str, checked: bool):
        """Check or uncheck a view the edit applies to."""
        chosen = [v for v in self.chosen_views if v != view]
        if checked:
            chosen.append(view)
        self.chosen_views = [v for v in VIEWS if v in chosen]

    @rx.event
    async def stage_attachment(self, files: list[rx.UploadFile]):
        """Validate and keep a reference image for the next message (PNG/JPG, at most 5 MB)."""
        self.attach_error = ""
        if not files or self.user_id is None:
            return
        upload = files[0]
        try:
            staged = await staging.stage_image(
                user_id=self.user_id,
                data=await upload.read(),
                filename=upload.name or "attachment",
                declared_mime=upload.content_type,
                max_bytes=get_settings().max_design_bytes,
                label="attachment",
                preview_px=96,
            )
        except imaging.ImageValidationError as err:
            self.attach_error = err.message
            return
        await staging.discard(self._attach_key)
        self._attach_key, self._attach_mime = staged.key, staged.mime_type
        self.attach_name = staged.filename
        self.attach_preview = staged.preview

    @rx.event
    async def clear_attachment(self):
        """Remove the staged attachment."""
        await staging.discard(self._attach_key)
        self._attach_key = self.attach_name = self.attach_preview = self.attach_error = ""

    @rx.event(background=True)
    async def send(self):
        """"Send": apply the message to the chosen views as a new revision (0.5 credit per view, max 2)."""
        request: dict[str, Any] = {}

        async def load_attachment() -> UploadedFile | None:
            if not request.get("key"):
                return None
            data = await get_storage().get(request["key"])
            return UploadedFile(data, "attachment." + ("png" if request["key"].endswith(".png") else "jpg"),
                                request["mime"])

        def prepare() -> bool:
            if not self.message.strip():
                self.message_error = "Write what you want to change."
                return False
            if not self.chosen_views:
                self.message_error = "Choose at least one view."
                return False
            request.update(text=self.message, views=list(self.chosen_views), key=self._attach_key,
                           mime=self._attach_mime)
            self.progress = {v: "queued" for v in self.chosen_views}
            return True

        def on_success(_outcome: generation.Outcome) -> None:
            self.message = ""
            if request.get("key"):
                self._attach_key = self.attach_name = self.attach_preview = ""

        async def call(uid: int, pid: uuid.UUID) -> generation.Outcome:
            return await edits.edit_views(
                user_id=uid,
                product_id=pid,
                instruction=request["text"],
                views=request["views"],
                attachment=await load_attachment(),
                progress=self._progress_callback(),
            )

        async for event in self._operate("edit", call, prepare=prepare, on_success=on_success):
            yield event
        if request.get("key"):
            async with self:
                if not self._attach_key:
                    await staging.discard(request["key"])

    # ------------------------------------------------------------------ annotation

    @rx.event
    def open_view(self, view: dict[str, str]):
        """Open the view dialog on one view (zoom mode)."""
        self.zoom_src = view["url"]
        self.zoom_label = view["label"]
        self.zoom_view = view["view"]
        self.zoom_row = view.get("id", "")
        self.annotating = False
        self.zoom_open = True

    @rx.event
    def view_dialog_open_change(self, value: bool):
        """Open/close the view dialog; closing it leaves drawing mode."""
        self.zoom_open = value
        if not value:
            self.annotating = False

    @rx.event
    def start_annotation(self):
        """"Annotate": switch the zoom dialog to drawing mode."""
        self.annotating = True
        self.annotation_error = ""
        self.annotation_marks = 0
        self._annotation_data_url = ""
        self._annotation_region = []

    @rx.event
    def stop_annotation(self):
        """Leave drawing mode without spending anything."""
        self.annotating = False

    @rx.event
    def set_tool(self, tool: str):
        """Choose circle, arrow or text."""
        self.tool = tool if tool in ("circle", "arrow", "text") else "circle"

    @rx.event
    def set_note_text(self, value: str):
        """Text placed by the text tool."""
        self.note_text = value[:80]

    @rx.event
    def set_instruction(self, value: str):
        """Controlled instruction input of the micro-edit."""
        self.instruction = value
        if value.strip():
            self.annotation_error = ""

    @rx.event
    def undo_mark(self):
        """Remove the last mark."""
        self.undo_signal += 1

    @rx.event
    def clear_marks(self):
        """Remove every mark."""
        self.clear_signal += 1

    @rx.event
    def annotation_changed(self, payload: dict):
        """The canvas reports the annotated image (PNG data URL) and the marked area after each change."""
        self._annotation_data_url = str(payload.get("dataUrl") or "")
        region = payload.get("region")
        self._annotation_region = [float(v) for v in region] if region else []
        self.annotation_marks = int(payload.get("count") or 0)
        if self.annotation_marks:
            self.annotation_error = ""

    @rx.event(background=True)
    async def submit_annotation(self):
        """"Submit annotation": change the marked area of this view (0.5 credit)."""
        request: dict[str, Any] = {}

        def prepare() -> bool:
            if self.annotation_marks == 0 or not self._annotation_region:
                self.annotation_error = "Draw a circle, arrow or note on the view to mark what to change."
                return False
            if not self.instruction.strip():
                self.annotation_error = "Write what to change in the marked area."
                return False
            request.update(
                view=self.zoom_view,
                text=self.instruction,
                data_url=self._annotation_data_url,
                region=tuple(self._annotation_region),
            )
            return True

        def on_success(_outcome: generation.Outcome) -> None:
            self.instruction = ""
            self.annotating = False
            self.zoom_open = False

        async def call(uid: int, pid: uuid.UUID) -> generation.Outcome:
            png = edits.decode_png_data_url(request["data_url"], max_bytes=get_settings().max_design_bytes * 2)
            return await edits.annotate_view(
                user_id=uid,
                product_id=pid,
                view=request["view"],
                instruction=request["text"],
                annotated_png=png,
                region=request["region"],
            )

        async for event in self._operate("annotate", call, prepare=prepare, on_success=on_success):
            yield event

    # ------------------------------------------------------------------ SVG

    @rx.event
    def download_svg(self):
        """"Download SVG" of the view in the zoom dialog (traced to vector paths)."""
        uid = self.user_id
        if uid is None or not self.zoom_row:
            return rx.toast.error("Open a view first.")
        name = "".join(c if c.isalnum() else "_" for c in self.name).strip("_") or "Product"
        return rx.download(url=view_svg_url(row_id=self.zoom_row, user_id=uid), filename=f"{name}_{self.zoom_view}.svg")

    # ------------------------------------------------------------------ revisions

    @rx.event
    def set_history_open(self, value: bool):
        """Open or close "Revision history"."""
        self.history_open = value

    @rx.event
    def show_details(self, number: int):
        """Open the details of one revision."""
        self.details_number = number
        self.details_open = True

    @rx.event
    def set_details_open(self, value: bool):
        """Close the details dialog."""
        self.details_open = value

    @rx.event
    async def rollback(self, number: int):
        """"Rollback": make revision ``number`` current again (free; nothing is deleted)."""
        uid, pid = self.user_id, _parse_id(self.product_id)
        if uid is None or pid is None or self.busy:
            return
        try:
            new = await asyncio.to_thread(edits.rollback, user_id=uid, product_id=pid, revision_number=number)
        except generation.GenerationError as err:
            return rx.toast.error(err.message)
        self.details_open = False
        await self._reload()
        return rx.toast.success(f"Revision {number} is current again (saved as revision {new}).")

    @rx.event(background=True)
    async def tech_pack_for(self, number: int):
        """"Generate Tech Pack" for one revision (1 credit); opens it when ready."""
        created: list[str] = []

        def on_success(outcome: generation.Outcome) -> None:
            created.append(outcome.approval_id or "")
            self.history_open = False
            self.details_open = False

        async for event in self._operate(
            "tech_pack",
            lambda uid, pid: techpacks.generate_tech_pack(user_id=uid, product_id=pid, revision_number=number),
            on_success=on_success,
        ):
            yield event
        if created and created[0]:
            yield rx.redirect(f"/techpacks/{created[0]}")

    @rx.event
    async def make_tech_pack_active(self, tech_pack_id: str):
        """Switch the product's active tech pack."""
        uid, tp = self.user_id, _parse_id(tech_pack_id)
        if uid is None or tp is None:
            return
        if await asyncio.to_thread(techpacks.set_active_tech_pack, user_id=uid, tech_pack_id=tp):
            await self._reload()
            return rx.toast.success("Active tech pack changed.")
        return rx.toast.error("That tech pack was not found.")
