"""Tech pack page state (seed 000 §3 Phase 6 "Tech Pack Display", Phase 7 exports)."""

from __future__ import annotations

import asyncio
import uuid

import reflex as rx

from genpire_app.backend.api.exports import export_url
from genpire_app.backend.exports.money import format_cents
from genpire_app.backend.services import techpacks
from genpire_app.backend.storage import sign_path
from genpire_app.state.designer import VIEW_LABELS
from genpire_app.state.session import SessionState


class TechPackState(SessionState):
    """The sections of one tech pack, as display strings."""

    techpack_id: str = ""
    found: bool = True
    loaded: bool = False
    product_id: str = ""
    product_name: str = ""
    revision_label: str = ""
    revision_number: int = 0
    created: str = ""
    overview: dict[str, str] = {}
    materials: list[dict[str, str]] = []
    palette: list[dict[str, str]] = []
    sizes: str = ""
    size_description: str = ""
    measurements: list[dict[str, str]] = []
    construction_description: str = ""
    construction: list[dict[str, str]] = []
    hardware_description: str = ""
    hardware: list[str] = []
    packaging: dict[str, str] = {}
    quality: list[dict[str, str]] = []
    production_notes: str = ""
    views: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        """Page load: read the id from the path and fill every section."""
        uid = self.user_id
        if uid is None:
            return
        await self._refresh_header()
        self.loaded = False
        raw = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            tp_id = uuid.UUID(raw)
        except ValueError:
            self.found, self.loaded = False, True
            return
        view = await asyncio.to_thread(techpacks.get_tech_pack, user_id=uid, tech_pack_id=tp_id)
        if view is None:
            self.found, self.loaded = False, True
            return
        tp = view.tech_pack
        self.found = True
        self.techpack_id = view.id
        self.product_id = view.product_id
        self.product_name = tp.product_name or view.product_name
        self.revision_label = f"Revision {view.revision_number}"
        self.revision_number = view.revision_number
        self.created = view.created_at.strftime("%d %b %Y, %H:%M UTC")
        self.overview = {
            "overview": tp.product_overview,
            "price": format_cents(tp.price_cents, tp.currency),
            "lead_time": tp.estimated_lead_time,
            "care": tp.care_instructions,
        }
        self.materials = [
            {
                "component": m.component,
                "material": m.material,
                "specification": m.specification,
                "quantity": f"{m.quantity} {m.unit}".strip(),
                "unit_cost": format_cents(m.unit_cost_cents, tp.currency),
            }
            for m in tp.materials
        ]
        self.palette = [{"name": c.name, "hex": c.hex.upper(), "type": c.type, "pantone": c.pantone} for c in tp.color_palette]
        self.sizes = ", ".join(tp.size_range)
        self.size_description = tp.size_description
        self.measurements = [
            {"size": s.size, "name": m.name, "value": f"{m.value_mm} mm", "tolerance": f"± {m.tolerance_mm} mm"}
            for s in tp.dimensions
            for m in s.measurements
        ]
        self.construction_description = tp.construction_description
        self.construction = [{"name": f.feature_name, "details": f.details} for f in tp.construction_features]
        self.hardware_description = tp.hardware_description
        self.hardware = list(tp.hardware)
        self.packaging = {
            "description": tp.packaging.description,
            "type": tp.packaging.type,
            "dimensions": tp.packaging.dimensions,
            "branding": tp.packaging.branding,
            "sustainability": tp.packaging.sustainability,
        }
        self.quality = [
            {"aspect": q.aspect, "requirement": q.requirement, "test_method": q.test_method} for q in tp.quality_standards
        ]
        self.production_notes = tp.production_notes
        order = list(VIEW_LABELS)
        self.views = [
            {"view": name, "label": VIEW_LABELS[name], "url": sign_path(view.view_keys[name])}
            for name in order
            if name in view.view_keys
        ]
        self.loaded = True

    def _download(self, fmt: str):
        uid = self.user_id
        if uid is None or not self.techpack_id:
            return rx.toast.error("Open a tech pack first.")
        url = export_url(tech_pack_id=self.techpack_id, fmt=fmt, user_id=uid)
        filename = techpacks.export_filename(self.product_name, self.revision_number, fmt)
        return rx.download(url=url, filename=filename)

    @rx.event
    def download_pdf(self):
        """"Download PDF": a signed, short-lived link to the PDF export."""
        return self._download("pdf")

    @rx.event
    def download_excel(self):
        """"Download Excel": a signed, short-lived link to the XLSX export."""
        return self._download("xlsx")
