"""Tech pack page state (seed 000 §3 Phase 6 "Tech Pack Display", Phase 7 exports, §7.3 SVG).

The PDF and the workbook were rendered by the tech pack's job on the queue worker; "Download" hands out
a signed link to the stored file (no rendering in the web process). Each view's "Download SVG" is the AI
Designer's: a signed link to the traced SVG when the view was traced before, else the free tracing job
(``services.vectors.ViewSvg``) on the worker, waited for here, then the link.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import reflex as rx

from genpire_app.backend.config import get_settings
from genpire_app.backend.exports.money import format_cents
from genpire_app.backend.jobs import runner
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.jobs.kinds import JobKind
from genpire_app.backend.jobs.wait import StillRunning, wait_for_job
from genpire_app.backend.services import operations, techpacks, vectors
from genpire_app.backend.services.ratelimit import RateLimited, limiter
from genpire_app.backend.services.techpacks import TechPackView
from genpire_app.backend.services.vectors import SvgPlan
from genpire_app.backend.storage import sign_path
from genpire_app.state.designer import VIEW_LABELS, parse_id
from genpire_app.state.rows import ViewItem
from genpire_app.state.session import SessionState


#: Seconds the page waits for a view's SVG tracing job (about a second on the worker).
SVG_WAIT_S = 90.0


@dataclasses.dataclass
class MaterialRow:
    """A bill-of-materials line as shown (money formatted from integer cents)."""

    component: str = ""
    material: str = ""
    specification: str = ""
    quantity: str = ""
    unit_cost: str = ""


@dataclasses.dataclass
class SwatchRow:
    """A colorway swatch: name, hex (#RRGGBB), type and Pantone-style reference."""

    name: str = ""
    hex: str = ""
    type: str = ""
    pantone: str = ""


@dataclasses.dataclass
class MeasurementRow:
    """One measurement of a size, in millimetres with its tolerance."""

    size: str = ""
    name: str = ""
    value: str = ""
    tolerance: str = ""


@dataclasses.dataclass
class FeatureRow:
    """A construction detail: name and details."""

    name: str = ""
    details: str = ""


@dataclasses.dataclass
class QualityRow:
    """A quality standard: aspect, requirement and test method."""

    aspect: str = ""
    requirement: str = ""
    test_method: str = ""


@dataclasses.dataclass
class Overview:
    """The overview block: text, suggested retail price, lead time, care instructions."""

    overview: str = ""
    price: str = ""
    lead_time: str = ""
    care: str = ""


@dataclasses.dataclass
class PackagingInfo:
    """Packaging: description, type, dimensions, branding, sustainability."""

    description: str = ""
    type: str = ""
    dimensions: str = ""
    branding: str = ""
    sustainability: str = ""


class TechPackState(SessionState):
    """The sections of one tech pack, as display rows."""

    techpack_id: str = ""
    found: bool = True
    loaded: bool = False
    product_id: str = ""
    product_name: str = ""
    revision_label: str = ""
    revision_number: int = 0
    created: str = ""
    overview: Overview = Overview()
    materials: list[MaterialRow] = []
    palette: list[SwatchRow] = []
    sizes: str = ""
    size_description: str = ""
    measurements: list[MeasurementRow] = []
    construction_description: str = ""
    construction: list[FeatureRow] = []
    hardware_description: str = ""
    hardware: list[str] = []
    packaging: PackagingInfo = PackagingInfo()
    quality: list[QualityRow] = []
    production_notes: str = ""
    views: list[ViewItem] = []
    svg_tracing: str = ""  # the row id of the view whose SVG is being traced
    _files: dict[str, str] = {}

    def _show(self, view: TechPackView) -> None:
        tp = view.tech_pack
        self.found, self.techpack_id, self.product_id = True, view.id, view.product_id
        self.product_name = tp.product_name or view.product_name
        self.revision_label, self.revision_number = f"Revision {view.revision_number}", view.revision_number
        self.created = view.created_at.strftime("%d %b %Y, %H:%M UTC")
        self.overview = Overview(tp.product_overview, format_cents(tp.price_cents, tp.currency), tp.estimated_lead_time,
                                 tp.care_instructions)
        self.materials = [MaterialRow(m.component, m.material, m.specification, f"{m.quantity} {m.unit}".strip(),
                                      format_cents(m.unit_cost_cents, tp.currency)) for m in tp.materials]
        self.palette = [SwatchRow(c.name, c.hex.upper(), c.type, c.pantone) for c in tp.color_palette]
        self.sizes, self.size_description = ", ".join(tp.size_range), tp.size_description
        self.measurements = [MeasurementRow(s.size, m.name, f"{m.value_mm} mm", f"± {m.tolerance_mm} mm")
                             for s in tp.dimensions for m in s.measurements]
        self.construction_description = tp.construction_description
        self.construction = [FeatureRow(f.feature_name, f.details) for f in tp.construction_features]
        self.hardware_description, self.hardware = tp.hardware_description, list(tp.hardware)
        p = tp.packaging
        self.packaging = PackagingInfo(p.description, p.type, p.dimensions, p.branding, p.sustainability)
        self.quality = [QualityRow(q.aspect, q.requirement, q.test_method) for q in tp.quality_standards]
        self.production_notes = tp.production_notes
        self.views = [ViewItem(name, VIEW_LABELS[name], sign_path(view.view_keys[name]), "", str(view.revision_number),
                               view.view_row_ids.get(name, "")) for name in VIEW_LABELS if name in view.view_keys]
        self._files = dict(view.files)

    @rx.event(background=True)
    async def load(self):
        """Page load: read the id from the path and fill every section."""
        uid = await self._open_page()
        async with self:
            self.loaded = False
            raw = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            tp_id = uuid.UUID(raw)
        except ValueError:
            tp_id = None
        view = await asyncio.to_thread(techpacks.get_tech_pack, user_id=uid, tech_pack_id=tp_id) if tp_id else None
        async with self:
            if view is None:
                self.found = False
            else:
                self._show(view)
            self.loaded = True

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """A push event: only the header can change on this page."""
        await self._handle_push(event, None)

    def _download(self, fmt: str):
        key = self._files.get(fmt)
        if not key:
            return rx.toast.error("This tech pack has no file to download; generate it again.")
        filename = techpacks.export_filename(self.product_name, self.revision_number, fmt)
        return rx.download(url=sign_path(key, ttl_seconds=600, disposition=filename), filename=filename)

    @rx.event
    def download_pdf(self):
        """"Download PDF": a signed, short-lived link to the PDF rendered with the tech pack."""
        return self._download("pdf")

    @rx.event
    def download_excel(self):
        """"Download Excel": a signed, short-lived link to the workbook rendered with the tech pack."""
        return self._download("xlsx")

    @rx.event(background=True)
    async def download_view_svg(self, row_id: str):
        """"Download SVG" of one view (free): the traced SVG's signed link, tracing it first on the worker when
        it never was (waited for at most :data:`SVG_WAIT_S` seconds here; the job keeps running after that)."""
        uid, row = await self._uid(), parse_id(row_id)
        if row is None:
            yield rx.toast.error("This view cannot be exported.")
            return
        try:
            ready = await asyncio.to_thread(vectors.svg_download, user_id=uid, row_id=row)
        except OperationError as err:
            yield rx.toast.error(err.message)
            return
        if ready.key:
            yield rx.download(url=sign_path(ready.key, disposition=ready.filename), filename=ready.filename)
            return
        async with self:
            if self.svg_tracing:
                return
            self.svg_tracing = row_id
        yield rx.toast.info("Tracing the view to SVG…")
        try:
            yield await self._trace(uid, row)
        finally:
            async with self:
                self.svg_tracing = ""

    async def _trace(self, uid: int, row: uuid.UUID) -> Any:
        """Submit the free tracing job, wait for it and return the download (or the error toast)."""
        try:
            limiter("generation", get_settings().generation_rate_per_minute).hit(f"user:{uid}")
            submitted = await asyncio.to_thread(runner.submit, operations.get(JobKind.VIEW_SVG.value), user_id=uid,
                                                plan=SvgPlan(row_id=row), intent=runner.new_intent())
            job = await wait_for_job(submitted.job_id, timeout_s=SVG_WAIT_S)
        except (OperationError, RateLimited) as err:
            return rx.toast.error(getattr(err, "message", str(err)))
        except StillRunning:
            return rx.toast.info("The SVG is still being traced. Try “Download SVG” again in a moment.")
        key, filename = str(job.result.get("svg_key") or ""), str(job.result.get("filename") or "view.svg")
        if job.status == "failed" or not key:
            return rx.toast.error(job.error or "The view could not be traced. Try again.")
        return rx.download(url=sign_path(key, disposition=filename), filename=filename)
