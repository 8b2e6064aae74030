"""AI Designer editing state: chat edits, annotation micro-edits, revision history, rollback, per-revision
tech packs and SVG downloads (seed 000 §5.3-§5.6, §6.4, §7.3).

A state mixin: ``state.ai_designer.DesignerState`` joins it with the pipeline half, so push events,
loads and submits all run on one state instance and the effects of a finished job (clear the chat box,
close the dialog, start a download) reach the fields they change.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from genpire_app.backend.api.uploads import upload_token
from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import VIEWS
from genpire_app.backend.services import revisions, staging, techpacks, vectors
from genpire_app.backend.services.annotate import AnnotatePlan
from genpire_app.backend.services.designer import JobInfo
from genpire_app.backend.services.edits import EditPlan
from genpire_app.backend.services.vectors import SvgPlan
from genpire_app.backend.storage import sign_path
from genpire_app.state.designer import parse_id
from genpire_app.state.rows import RevisionItem, Thumb
from genpire_app.state.uploads import receive_image

VIEW_NAMES = {v: v.capitalize() for v in VIEWS}
ANNOTATION_UPLOAD_URL = "/api/uploads/annotations"


class EditorMixin(rx.State, mixin=True):
    """Inputs of the chat, the annotation tool and the revision dialogs."""

    message: str = ""
    message_error: str = ""
    chosen_views: list[str] = list(VIEWS)
    attach_name: str = ""
    attach_preview: str = ""
    attach_error: str = ""
    _attach_key: str = ""

    zoom_open: bool = False
    zoom_view: str = ""
    zoom_row: str = ""
    zoom_src: str = ""
    zoom_label: str = ""
    annotating: bool = False
    tool: str = "circle"
    note_text: str = "Change this"
    instruction: str = ""
    annotation_error: str = ""
    annotation_marks: int = 0
    clear_signal: int = 0
    undo_signal: int = 0
    submit_signal: int = 0
    uploading: bool = False
    upload_token: str = ""
    _annotation_intent: str = ""

    history_open: bool = False
    details_open: bool = False
    details_number: int = -1

    @rx.var
    def edit_cost_label(self) -> str:
        """Cost of sending the chat edit for the chosen views (0.5 each, at most 2)."""
        active = {v.view for v in self.views}
        count = len([v for v in self.chosen_views if v in active]) or len(active) or 1
        return format_credits(get_settings().prices.edit_cost(min(max(count, 1), 5)))

    @rx.var
    def annotate_cost_label(self) -> str:
        """Cost of an annotation micro-edit (one view)."""
        return format_credits(get_settings().prices.edit_cost(1))

    @rx.var
    def details(self) -> RevisionItem:
        """The revision shown in the details dialog."""
        return next((r for r in self.revisions if r.number == self.details_number), RevisionItem())

    @rx.var
    def details_thumbs(self) -> list[Thumb]:
        """The views of the revision in the details dialog, labelled "Front", "Back", ..."""
        return [Thumb(t.view.capitalize(), t.url) for t in self.details.thumbs]

    # ------------------------------------------------------------------ job outcomes

    def _on_success(self, action: str, info: JobInfo) -> list[Any]:
        events = super()._on_success(action, info)
        if action == "edit":
            self.message, self._attach_key, self.attach_name, self.attach_preview = "", "", "", ""
        elif action == "annotate":
            self.instruction, self.annotating, self.zoom_open = "", False, False
        elif action == "tech_pack":
            self.history_open = self.details_open = False
        elif action == "svg" and info.result.get("svg_key"):
            url = sign_path(str(info.result["svg_key"]), disposition=str(info.result.get("filename", "view.svg")))
            events.append(rx.download(url=url, filename=str(info.result.get("filename", "view.svg"))))
        return events

    # ------------------------------------------------------------------ chat

    @rx.event
    def set_message(self, value: str):
        """Controlled chat input."""
        self.message = value
        if value.strip():
            self.message_error = ""

    @rx.event
    def toggle_view(self, view: str, checked: bool):
        """Check or uncheck a view the edit applies to."""
        chosen = [v for v in self.chosen_views if v != view] + ([view] if checked else [])
        self.chosen_views = [v for v in VIEWS if v in chosen]

    @rx.event(background=True)
    async def stage_attachment(self, chunks: rx.UploadChunkIterator):
        """Validate and keep a reference image for the next message (PNG/JPG, at most 5 MB)."""
        uid = await self._uid()
        staged, error = await receive_image(chunks, user_id=uid, max_bytes=get_settings().max_design_bytes,
                                            label="attachment", preview_px=96)
        async with self:
            old = self._attach_key
            self.attach_error = error
            if staged is not None:
                self._attach_key, self.attach_name, self.attach_preview = staged.key, staged.filename, staged.preview
        if staged is not None:
            await staging.discard(old)

    @rx.event(background=True)
    async def clear_attachment(self):
        """Remove the staged attachment."""
        async with self:
            old = self._attach_key
            self._attach_key = self.attach_name = self.attach_preview = self.attach_error = ""
        await staging.discard(old)

    @rx.event(background=True)
    async def send(self, intent: str):
        """"Send": apply the message to the chosen views as a new revision (0.5 credit per view, max 2)."""

        def before() -> bool:
            if not self.message.strip():
                self.message_error = "Write what you want to change."
            elif not self.chosen_views:
                self.message_error = "Choose at least one view."
            return not self.message_error

        def plan() -> EditPlan:
            return EditPlan(product_id=parse_id(self.product_id), instruction=self.message.strip(),
                            views=tuple(self.chosen_views), attachment_key=self._attach_key or None)

        for event in await self._submit("edit", "edit", intent, plan, before):
            yield event

    # ------------------------------------------------------------------ view dialog and annotation

    @rx.event(background=True)
    async def open_view(self, row_id: str):
        """Open the view dialog on one view (zoom mode)."""
        uid = await self._uid()
        token = upload_token(user_id=uid)
        async with self:
            view = next((v for v in self.views if v.id == row_id), None)
            if view is None:
                return
            self.zoom_src, self.zoom_label, self.zoom_view, self.zoom_row = view.url, view.label, view.view, view.id
            self.annotating, self.zoom_open, self.upload_token = False, True, token

    @rx.event
    def view_dialog_open_change(self, value: bool):
        """Open/close the view dialog; closing it leaves drawing mode."""
        self.zoom_open = value
        if not value:
            self.annotating = False

    @rx.event
    def start_annotation(self):
        """"Annotate": switch the view dialog to drawing mode."""
        self.annotating, self.annotation_error, self.annotation_marks, self.uploading = True, "", 0, False

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
        """The canvas reports the number of marks after each change."""
        self.annotation_marks = int(payload.get("count") or 0)
        if self.annotation_marks:
            self.annotation_error = ""

    @rx.event
    def request_annotation(self, intent: str):
        """"Submit annotation": check the inputs, then ask the canvas to upload the marked image."""
        if self.uploading:
            return
        if self.annotation_marks == 0:
            self.annotation_error = "Draw a circle, arrow or note on the view to mark what to change."
        elif not self.instruction.strip():
            self.annotation_error = "Write what to change in the marked area."
        else:
            self._annotation_intent = intent
            self.uploading = True
            self.submit_signal += 1

    @rx.event(background=True)
    async def annotation_uploaded(self, payload: dict):
        """The canvas uploaded the marked image over HTTP: submit the micro-edit (0.5 credit)."""
        key, region, error = str(payload.get("key") or ""), payload.get("region") or [], str(payload.get("error") or "")
        async with self:
            self.uploading = False
            intent = self._annotation_intent
            if error or not key or len(region) != 4:
                self.annotation_error = error or "The marked image could not be uploaded. Try again."
                return

        def plan() -> AnnotatePlan:
            return AnnotatePlan(product_id=parse_id(self.product_id), view=self.zoom_view,
                                instruction=self.instruction.strip(), region=tuple(float(v) for v in region),
                                annotation_key=key)

        for event in await self._submit("annotate", "annotate", intent, plan):
            yield event

    # ------------------------------------------------------------------ SVG

    @rx.event(background=True)
    async def download_svg(self, intent: str):
        """"Download SVG" of the view in the dialog: a signed link when traced, else a free tracing job."""
        uid, row = await self._uid(), parse_id(self.zoom_row)
        if row is None:
            yield rx.toast.error("Open a view first.")
            return
        try:
            ready = await asyncio.to_thread(vectors.svg_download, user_id=uid, row_id=row)
        except OperationError as err:
            yield rx.toast.error(err.message)
            return
        if ready.key:
            yield rx.download(url=sign_path(ready.key, disposition=ready.filename), filename=ready.filename)
            return
        yield rx.toast.info("Tracing the view to SVG…")
        for event in await self._submit("svg", "view_svg", intent, lambda: SvgPlan(row_id=row)):
            yield event

    # ------------------------------------------------------------------ revisions

    @rx.event
    def set_history_open(self, value: bool):
        """Open or close "Revision history"."""
        self.history_open = value

    @rx.event
    def show_details(self, number: int):
        """Open the details of one revision."""
        self.details_number, self.details_open = number, True

    @rx.event
    def set_details_open(self, value: bool):
        """Close the details dialog."""
        self.details_open = value

    @rx.event(background=True)
    async def rollback(self, number: int):
        """"Rollback": make revision ``number`` current again (free; nothing is deleted)."""
        uid, pid = await self._uid(), parse_id(self.product_id)
        if pid is None or self.busy:
            return
        try:
            new = await asyncio.to_thread(revisions.rollback, user_id=uid, product_id=pid, revision_number=number)
        except OperationError as err:
            yield rx.toast.error(err.message)
            return
        async with self:
            self.details_open = False
        for event in await self._refresh():
            yield event
        yield rx.toast.success(f"Revision {number} is current again (saved as revision {new}).")

    @rx.event(background=True)
    async def make_tech_pack_active(self, tech_pack_id: str):
        """Switch the product's active tech pack."""
        uid, tp = await self._uid(), parse_id(tech_pack_id)
        if tp is None:
            return
        if not await asyncio.to_thread(techpacks.set_active_tech_pack, user_id=uid, tech_pack_id=tp):
            yield rx.toast.error("That tech pack was not found.")
            return
        for event in await self._refresh():
            yield event
        yield rx.toast.success("Active tech pack changed.")
