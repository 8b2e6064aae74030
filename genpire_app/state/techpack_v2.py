"""The Tech Pack V2 page (``/tech-pack-v2/[product_id]``; issue 10 item 7, seed 001): a stepper Category ->
Base views -> Close-ups -> Sketches -> Review, each step runnable and re-runnable with its cost on its
button, updated by push while its job runs on the queue; confidence badges, editable fields (by hand, free,
or by instruction, 1 credit), "Regenerate view" (1 credit) and sketches with a callout overlay that can be
toggled."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

import reflex as rx

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import v2_analysis, v2_closeups, v2_document, v2_exports, v2_sketches, v2_status
from genpire_app.backend.storage import sign_path
from genpire_app.state.session import SessionState

STEPS = (("category", "Category"), ("base_views", "Base views"), ("close_ups", "Close-ups"),
         ("sketches", "Sketches"), ("review", "Review"))
VIEW_NAMES = {"front": "Front", "back": "Back", "side": "Side", "top": "Top", "bottom": "Bottom"}


@dataclasses.dataclass
class StepRow:
    """A step of the stepper: key, label, status text (Done, Running, Failed, To do, Out of date)."""

    key: str = ""
    label: str = ""
    status: str = ""


@dataclasses.dataclass
class ViewCard:
    """An analysed view: name, image URL, confidence ("82%") and its level (high, medium, low)."""

    view: str = ""
    label: str = ""
    image: str = ""
    confidence: str = ""
    level: str = ""


@dataclasses.dataclass
class FieldRow:
    """An editable field of the document: path ("materials.lining"), section, name and value."""

    path: str = ""
    section: str = ""
    name: str = ""
    value: str = ""


@dataclasses.dataclass
class CloseUpCard:
    """A close-up: image URL, title, focus and source view."""

    image: str = ""
    title: str = ""
    focus: str = ""
    source: str = ""


@dataclasses.dataclass
class SketchCard:
    """A technical sketch: view label, drawing URL and the callout overlay (an SVG data URL)."""

    label: str = ""
    drawing: str = ""
    overlay: str = ""


def _product_name(user_id: int, product_id: uuid.UUID) -> str:
    from genpire_app.backend.db.engine import read_session
    from genpire_app.backend.db.repo import owned_product

    with read_session() as s:
        row = owned_product(s, user_id=user_id, product_id=product_id)
        return row.name if row is not None else "Product"


def _level(confidence: float) -> str:
    return "high" if confidence >= 0.75 else "medium" if confidence >= 0.5 else "low"


def _pct(confidence: float) -> str:
    return f"{round(confidence * 100)}%"


def _overlay(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


class TechPackV2State(SessionState):
    """One product's Tech Pack V2."""

    v2_status: str = "loading"  # loading | ready | not_found
    product_label: str = ""
    step: str = "category"
    steps: list[StepRow] = []
    category: str = ""
    subcategory: str = ""
    category_confidence: str = ""
    category_source: str = ""
    view_cards: list[ViewCard] = []
    field_rows: list[FieldRow] = []
    close_ups: list[CloseUpCard] = []
    sketches: list[SketchCard] = []
    show_callouts: bool = True
    exports: dict[str, str] = {}
    running: list[str] = []
    errors: dict[str, str] = {}
    cache_rule: str = v2_analysis.CACHE_RULE
    edit_path: str = ""
    edit_instruction: str = ""
    edit_value: str = ""
    regen_view: str = "front"
    regen_instruction: str = ""
    _intents: dict[str, str] = {}

    @rx.var
    def costs(self) -> dict[str, str]:
        """The cost of each paid step, e.g. ``{"base_views": "3 credits"}``."""
        p = get_settings().prices
        return {"category": "Free", "base_views": format_credits(p.v2_base_views),
                "close_ups": format_credits(p.v2_close_ups), "sketches": format_credits(p.v2_sketches),
                "edit": format_credits(p.v2_edit), "regenerate": format_credits(p.v2_regenerate)}

    def _product_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.router.page.params.get("product_id", ""))
        except ValueError:
            return None

    async def _read(self, uid: int) -> None:
        product_id = self._product_id()
        try:
            if product_id is None:
                raise OperationError("not_found", "")
            doc = await asyncio.to_thread(v2_document.document_of, uid, product_id)
        except OperationError:
            async with self:
                self.v2_status = "not_found"
            return
        close = await asyncio.to_thread(v2_closeups.latest_close_ups, uid, product_id)
        files = await asyncio.to_thread(v2_exports.latest_exports, uid, product_id) or {}
        name = await asyncio.to_thread(_product_name, uid, product_id)
        sketch_set = await asyncio.to_thread(v2_sketches.latest_sketches, uid, product_id)
        jobs = await asyncio.to_thread(v2_status.step_jobs, uid, product_id)
        async with self:
            self._show(doc, close, sketch_set, jobs)
            number = doc.revision_number or 0
            self.exports = {fmt: sign_path(key, ttl_seconds=600, disposition=v2_exports.export_filename(name, number, fmt))
                            for fmt, key in files.items() if fmt in ("pdf", "xlsx") and key}

    def _show(self, doc: v2_document.V2Document, close: Any, sketch_set: Any, jobs: dict[str, Any]) -> None:
        self.v2_status = "ready"
        self.category, self.subcategory = doc.category, doc.subcategory
        self.category_confidence = _pct(doc.category_confidence) if doc.category else ""
        self.category_source = doc.category_source
        self.view_cards = [
            ViewCard(view, VIEW_NAMES.get(view, view.title()), sign_path(doc.view_keys[view]) if view in doc.view_keys
                     else "", _pct(float(data.get("confidence", 0))), _level(float(data.get("confidence", 0))))
            for view, data in sorted(doc.views.items(), key=lambda kv: list(VIEW_NAMES).index(kv[0])
                                     if kv[0] in VIEW_NAMES else 9)]
        self.field_rows = [FieldRow(f"{section}.{name}", section.replace("_", " ").title(),
                                    name.replace("_", " "), str(value))
                           for section, values in doc.fields.items() if isinstance(values, dict)
                           for name, value in values.items()]
        if self.edit_path:  # the hand-edit box shows the field's value as it is now
            self.edit_value = next((r.value for r in self.field_rows if r.path == self.edit_path), "")
        self.close_ups = [CloseUpCard(sign_path(c.thumbnail_key or c.image_key), c.title, c.focus,
                                      VIEW_NAMES.get(c.source_view, c.source_view)) for c in (close.shots if close else ())]
        self.sketches = [SketchCard(VIEW_NAMES.get(s.view_type, s.view_type), sign_path(s.image_key),
                                    _overlay(s.overlay_svg)) for s in (sketch_set.sketches if sketch_set else ())]
        done = {"category": bool(doc.category), "base_views": doc.step_done("base_views"),
                "close_ups": bool(self.close_ups), "sketches": bool(self.sketches),
                "review": doc.step_done("base_views")}
        self.running = [step for step, job in jobs.items() if job.running]
        self.errors = {step: job.error for step, job in jobs.items() if job.error and not job.running}
        rows = []
        for key, label in STEPS:
            stale = (doc.steps.get(key) or {}).get("status") == "stale"
            status = ("Running" if key in self.running else "Failed" if key in self.errors and not done[key]
                      else "Out of date" if stale else "Done" if done[key] else "To do")
            rows.append(StepRow(key, label, status))
        self.steps = rows

    @rx.event(background=True)
    async def load(self):
        """Page load: the document, close-ups, sketches and running steps."""
        uid = await self._open_page()
        async with self:
            self.v2_status, self._intents = "loading", {}
        await self._read(uid)

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """A job of the user moved: read everything again (a step finished, failed or progressed)."""
        try:
            uid = await self._uid()
            if set(event.get("topics") or ()) - {"job"}:
                await self._reload_header(uid)
            await self._read(uid)
        finally:
            await self._pushed(event)

    @rx.event
    def set_step(self, value: str):
        """The stepper's tab."""
        self.step = value

    @rx.event
    def set_show_callouts(self, value: bool):
        """"Show callouts" on the sketches."""
        self.show_callouts = bool(value)

    async def _submit(self, step: str, start: Callable[..., Any], *args: Any) -> Any:
        """Submit a step's job once per click (the step's intent token), then read the page again."""
        uid = await self._uid()
        product_id = self._product_id()
        async with self:
            if step in self.running:
                return None
            intent = self._intents.get(step) or uuid.uuid4().hex
            self._intents = {**self._intents, step: intent}
            self.running = self.running + [step]
        try:
            await asyncio.to_thread(start, uid, product_id, *args, intent)
            toast = None
        except OperationError as err:
            toast = rx.toast.error(err.message)
        async with self:
            self._intents = {k: v for k, v in self._intents.items() if k != step}
        await self._reload_header(uid)
        await self._read(uid)
        return toast

    @rx.event(background=True)
    async def detect_category(self):
        """"Detect category" (free)."""
        toast = await self._submit("category", v2_analysis.start_category)
        if toast is not None:
            yield toast

    @rx.event(background=True)
    async def analyze(self):
        """"Analyze base views" (3 credits)."""
        toast = await self._submit("base_views", v2_analysis.start_base_views)
        if toast is not None:
            yield toast

    @rx.event(background=True)
    async def generate_close_ups(self):
        """"Generate close-ups" (3 credits)."""
        toast = await self._submit("close_ups", v2_closeups.start_close_ups)
        if toast is not None:
            yield toast

    @rx.event(background=True)
    async def generate_sketches(self):
        """"Generate sketches" (3 credits)."""
        toast = await self._submit("sketches", v2_sketches.start_sketches)
        if toast is not None:
            yield toast

    @rx.event
    def set_edit_path(self, value: str):
        """The field chosen for editing (its current value prefills the hand edit)."""
        self.edit_path = value
        self.edit_value = next((r.value for r in self.field_rows if r.path == value), "")

    @rx.event
    def set_edit_instruction(self, value: str):
        """The instruction of an AI edit."""
        self.edit_instruction = value

    @rx.event
    def set_edit_value(self, value: str):
        """The value typed for an edit by hand."""
        self.edit_value = value

    @rx.event
    def set_regen_view(self, value: str):
        """The view to regenerate."""
        self.regen_view = value

    @rx.event
    def set_regen_instruction(self, value: str):
        """The instruction of a view regeneration."""
        self.regen_instruction = value

    @rx.event(background=True)
    async def edit_field(self):
        """"Edit field": the chosen field changed by instruction (1 credit)."""
        from genpire_app.backend.services import v2_edits

        async with self:
            path, instruction = self.edit_path, self.edit_instruction.strip()
        if not path or not instruction:
            yield rx.toast.error("Choose a field and describe the change.")
            return
        toast = await self._submit("review", lambda uid, pid, intent: v2_edits.start_edit(uid, pid, path, instruction,
                                                                                          intent))
        if toast is not None:
            yield toast
        else:
            async with self:
                self.edit_instruction = ""

    @rx.event(background=True)
    async def save_value(self):
        """"Save value": the chosen field set by hand (free)."""
        from genpire_app.backend.services import v2_edits

        uid = await self._uid()
        async with self:
            path, value = self.edit_path, self.edit_value
        try:
            await asyncio.to_thread(v2_edits.edit_by_hand, uid, self._product_id(), path, value)
            yield rx.toast.success("Saved.")
        except OperationError as err:
            yield rx.toast.error(err.message)
        await self._read(uid)

    @rx.event(background=True)
    async def regenerate_view(self):
        """"Regenerate view": one view made again with the instruction, as a new revision (1 credit)."""
        from genpire_app.backend.services import v2_edits

        async with self:
            view, instruction = self.regen_view, self.regen_instruction.strip()
        toast = await self._submit("review", lambda uid, pid, intent: v2_edits.start_regenerate(uid, pid, view,
                                                                                                instruction, intent))
        if toast is not None:
            yield toast

    @rx.event(background=True)
    async def export(self):
        """"Export PDF and Excel" (free): rendered on the worker; the links appear when it ends."""
        toast = await self._submit("export", v2_exports.start_exports)
        if toast is not None:
            yield toast

    @rx.event(background=True)
    async def save_category(self, form: dict[str, Any]):
        """The category corrected by hand (free)."""
        uid = await self._uid()
        try:
            await asyncio.to_thread(v2_document.set_category, uid, self._product_id(),
                                    str(form.get("category", "")).strip(), str(form.get("subcategory", "")).strip())
            yield rx.toast.success("Category saved.")
        except OperationError as err:
            yield rx.toast.error(err.message)
        await self._read(uid)
