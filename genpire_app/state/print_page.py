"""The print configuration page (``/print/[asset_id]``; issue 9 item 5, seed 003 §2 "Print Configuration
Page", §4 "Print Configuration & Cart/Checkout"): technology, material, colour, surface finish, quantity,
remarks and the target size in millimetres (proportions locked by default), with a price breakdown that
follows every change. The mesh is measured once when the page opens (``services.print_configs.load_mesh``);
each change only re-prices it (``print_configs.price``: arithmetic, microseconds). "Add Configured Print to
Cart" saves a ``print_job_configs`` row and adds it to the cart; "Save & Back to Workspace" saves it."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import reflex as rx

from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import assets, print_configs, print_pricing
from genpire_app.backend.services.print_pricing import QuoteRefused
from genpire_app.state.buy_credits import money
from genpire_app.state.session import SessionState

#: Dimension fields in the order of ``scale_for`` / ``target_mm``: width, depth, height.
AXES = ("width", "depth", "height")


@dataclasses.dataclass
class PriceLine:
    """A line of the breakdown: its label and amount ("$3.00")."""

    label: str = ""
    amount: str = ""


def _mm(value: float) -> str:
    """Millimetres as typed in the fields: one decimal, no trailing ".0"."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _number(text: str) -> float | None:
    try:
        value = float(str(text).replace(",", ".").strip())
    except ValueError:
        return None
    return value


class PrintPageState(SessionState):
    """One print configuration of one of the user's assets."""

    print_status: str = "loading"  # loading | measuring | ready | not_found | refused
    print_prompt: str = ""
    asset_href: str = "/workspace"
    model_size: str = ""
    technologies: list[str] = []
    materials: list[str] = []
    colors: list[str] = []
    finishes: list[str] = []
    technology: str = ""
    material: str = ""
    color: str = ""
    finish: str = ""
    quantity: str = "1"
    remarks: str = ""
    lock_aspect: bool = True
    width: str = ""
    depth: str = ""
    height: str = ""
    lines: list[PriceLine] = []
    total: str = ""
    lead: str = ""
    refusal: str = ""
    saving: bool = False
    _info: print_pricing.MeshInfo | None = None
    _model_id: str = ""
    _config_id: str = ""

    def _asset_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.router.page.params.get("asset_id", ""))
        except ValueError:
            return None

    # ------------------------------------------------------------------------------------------ options

    def _models(self) -> tuple[print_pricing.PricingModel, ...]:
        return print_configs.catalogue()

    def _fill_options(self) -> None:
        """The option lists for the chosen technology and material (keeping choices that still exist)."""
        models = self._models()
        self.technologies = list(dict.fromkeys(m.technology for m in models))
        if self.technology not in self.technologies:
            self.technology = self.technologies[0] if self.technologies else ""
        self.materials = [m.material for m in models if m.technology == self.technology]
        if self.material not in self.materials:
            self.material = self.materials[0] if self.materials else ""
        chosen = next((m for m in models if m.technology == self.technology and m.material == self.material), None)
        self.colors = list(chosen.colors) if chosen else []
        self.finishes = [name for name, _ in chosen.finishes] if chosen else []
        if self.color not in self.colors:
            self.color = self.colors[0] if self.colors else ""
        if self.finish not in self.finishes:
            self.finish = self.finishes[0] if self.finishes else ""

    def _target(self) -> tuple[float, float, float] | None:
        values = tuple(_number(v) for v in (self.width, self.depth, self.height))
        return None if any(v is None for v in values) else values  # type: ignore[return-value]

    def _quantity(self) -> int | None:
        value = _number(self.quantity)
        return int(value) if value is not None and value == int(value) else None

    def _requote(self) -> None:
        """The breakdown for the current options (or the reason there is none)."""
        target, quantity = self._target(), self._quantity()
        self.lines, self.total, self.lead = [], "", ""
        if self._info is None:
            return
        if target is None:
            self.refusal = "Enter the width, depth and height in millimetres."
            return
        if quantity is None:
            self.refusal = "The quantity must be a whole number from 1 to 100."
            return
        try:
            quote = print_configs.price(self._info, technology=self.technology, material=self.material,
                                        color=self.color, finish=self.finish, quantity=quantity, target_mm=target)
        except QuoteRefused as err:
            self.refusal = err.reason
            return
        self.refusal = ""
        self.lines = [PriceLine(label, money(cents)) for label, cents in quote.lines]
        self.total, self.lead = money(quote.total_cents), f"Ships in about {quote.lead_days} working days"

    # ------------------------------------------------------------------------------------------ loading

    @rx.event(background=True)
    async def load(self):
        """Page load: the model's measurement (queued on the worker the first time: "Measuring your model…"
        until its push); start from the saved draft, else the model's own size."""
        uid = await self._open_page()
        asset_id = self._asset_id()
        async with self:
            self.print_status, self.refusal, self._config_id, self._info = "loading", "", "", None
            self.asset_href = f"/assets/{asset_id}" if asset_id else "/workspace"
        await self._measure(uid)

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """A job of the user ended (the measurement): read it if the page is still waiting for it."""

        async def reload(uid: int) -> None:
            if self.print_status == "measuring":
                await self._measure(uid)

        await self._handle_push(event, reload)

    async def _measure(self, uid: int) -> None:
        asset_id = self._asset_id()
        try:
            if asset_id is None:
                raise OperationError("not_found", "This model does not exist.")
            prompt = (await asyncio.to_thread(assets.get_owned, uid, asset_id)).prompt
            measured = await print_configs.load_mesh(uid, asset_id)
            draft = await asyncio.to_thread(print_configs.latest_draft, uid, asset_id) if measured else None
        except OperationError as err:
            async with self:
                self.print_status, self.refusal = "not_found", err.message
            return
        async with self:
            self.print_prompt = prompt
            if measured is None:
                self.print_status = "measuring"
                return
            self._start(measured, draft)

    def _start(self, measured: print_configs.Measured, draft: print_configs.PrintConfigRow | None) -> None:
        """Fill the form from the draft (or the model's size) and price it."""
        info = measured.info
        self._info, self._model_id = info, str(measured.model_id)
        self.model_size = " × ".join(_mm(v) for v in info.extents_mm) + " mm (W × D × H)"
        size = info.extents_mm
        if draft is not None:
            self._config_id = str(draft.id)
            self.technology, self.material, self.color, self.finish = (draft.technology, draft.material,
                                                                       draft.color, draft.finish)
            self.quantity, self.remarks, self.lock_aspect = str(draft.quantity), draft.remarks, draft.lock_aspect
            size = draft.target_mm
        else:
            self.technology = self.material = self.color = self.finish = ""
            self.quantity, self.remarks, self.lock_aspect = "1", "", True
        self.width, self.depth, self.height = (_mm(v) for v in size)
        self._fill_options()
        self._requote()
        self.print_status = "ready" if info.watertight else "refused"
        if not info.watertight:
            self.refusal = info.reason or "This model cannot be printed."

    # ------------------------------------------------------------------------------------------ changes

    @rx.event
    def set_technology(self, value: str):
        """Technology changed: its materials, colours and finishes."""
        self.technology = value
        self._fill_options()
        self._requote()

    @rx.event
    def set_material(self, value: str):
        """Material changed: its colours and finishes."""
        self.material = value
        self._fill_options()
        self._requote()

    @rx.event
    def set_color(self, value: str):
        """Colour changed."""
        self.color = value
        self._requote()

    @rx.event
    def set_finish(self, value: str):
        """Surface finish changed."""
        self.finish = value
        self._requote()

    @rx.event
    def set_quantity(self, value: str):
        """Quantity typed."""
        self.quantity = value
        self._requote()

    @rx.event
    def set_remarks(self, value: str):
        """Remarks for the print shop."""
        self.remarks = value[:1000]

    @rx.event
    def set_lock(self, value: bool):
        """The proportions lock."""
        self.lock_aspect = bool(value)

    @rx.event
    def type_dimension(self, axis: str, value: str):
        """A dimension field while typing (applied when it loses focus or on Enter)."""
        if axis in AXES:
            setattr(self, axis, value)

    @rx.event
    def apply_dimension(self, axis: str):
        """A dimension field was left: with the proportions locked, the other two follow; then re-price."""
        if self._info is None or axis not in AXES:
            return
        typed = _number(getattr(self, axis))
        if typed is None:
            self.refusal, self.lines, self.total = f"The {axis} must be a number of millimetres.", [], ""
            return
        given = tuple(typed if a == axis else (None if self.lock_aspect else _number(getattr(self, a))) for a in AXES)
        try:
            size = print_pricing.scale_for(self._info.extents_mm, given, lock_aspect=self.lock_aspect)
        except ValueError as err:
            self.refusal, self.lines, self.total = str(err), [], ""
            return
        self.width, self.depth, self.height = (_mm(v) for v in size)
        self._requote()

    # ------------------------------------------------------------------------------------------ saving

    async def _save(self, to_cart: bool) -> str | None:
        """Save the configuration (and add it to the cart); returns an error message or None."""
        uid = await self._uid()
        async with self:
            if self.saving or self._info is None:
                return None
            target, quantity = self._target(), self._quantity()
            if target is None or quantity is None or self.refusal:
                return self.refusal or "Check the size and the quantity."
            self.saving = True
            args = dict(config_id=uuid.UUID(self._config_id) if self._config_id else None,
                        technology=self.technology, material=self.material, color=self.color, finish=self.finish,
                        quantity=quantity, remarks=self.remarks, target_mm=target, lock_aspect=self.lock_aspect,
                        info=self._info, model_id=uuid.UUID(self._model_id))
        fn = print_configs.add_to_cart if to_cart else print_configs.save
        try:
            result = await asyncio.to_thread(fn, uid, self._asset_id(), **args)
        except OperationError as err:
            async with self:
                self.saving = False
            return err.message
        row = result[0] if isinstance(result, tuple) else result
        async with self:
            self.saving, self._config_id = False, "" if to_cart else str(row.id)
        if to_cart:
            await self._reload_header(uid)
        return None

    @rx.event(background=True)
    async def add_to_cart(self):
        """"Add Configured Print to Cart": save, add, open the cart."""
        error = await self._save(True)
        if error:
            yield rx.toast.error(error)
        else:
            yield rx.redirect("/cart")

    @rx.event(background=True)
    async def save_and_exit(self):
        """"Save & Back to Workspace"."""
        error = await self._save(False)
        if error:
            yield rx.toast.error(error)
        else:
            yield rx.toast.success("Print configuration saved.")
            yield rx.redirect("/workspace")
