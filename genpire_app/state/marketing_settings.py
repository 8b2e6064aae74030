"""The "Mockup guardrails & approvals" settings card (issue 11 items 3-4; seed 004 ``user_settings``): the
annual render budget, the monthly soft limit, the global approval mode and its per-module overrides.

Reads and writes go through ``services.guardrails`` (``usage``, ``approval_modes``, ``update_guardrails``,
``set_approval_mode``). The card loads itself when it mounts (:meth:`MarketingSettingsState.load`).
"""

from __future__ import annotations

import asyncio

import reflex as rx

from genpire_app.backend.jobs.errors import OperationError
from genpire_app.state.session import SessionState

#: Choice of a module's override select: follow the global mode.
FOLLOW = "global"
MODULES = ("mockups", "products")


def _whole(value: object) -> int | None:
    text = str(value or "").strip().replace(",", "").replace("\u202f", "").replace(" ", "")
    return int(text) if text.isdigit() else None


class MarketingSettingsState(SessionState):
    """The card's fields (text of the number inputs, the modes) and their inline errors."""

    annual_budget: str = ""
    monthly_limit: str = ""
    mode: str = "supervised"
    mockups_mode: str = FOLLOW
    products_mode: str = FOLLOW
    budget_error: str = ""
    modes_error: str = ""
    saving: bool = False
    loaded: bool = False

    @rx.event(background=True)
    async def load(self):
        """Read the user's guardrails and approval modes (the card's on_mount)."""
        from genpire_app.backend.services import guardrails

        uid = await self._uid()
        usage, modes = await asyncio.gather(asyncio.to_thread(guardrails.usage, uid),
                                            asyncio.to_thread(guardrails.approval_modes, uid))
        async with self:
            self.annual_budget, self.monthly_limit = str(usage.annual_budget), str(usage.monthly_limit)
            self.mode = modes.mode
            self.mockups_mode = modes.overrides.get("mockups") or FOLLOW
            self.products_mode = modes.overrides.get("products") or FOLLOW
            self.budget_error = self.modes_error = ""
            self.loaded = True

    @rx.event
    def set_annual_budget(self, value: str):
        """Controlled input: the annual render budget."""
        self.annual_budget, self.budget_error = value, ""

    @rx.event
    def set_monthly_limit(self, value: str):
        """Controlled input: the monthly soft limit."""
        self.monthly_limit, self.budget_error = value, ""

    @rx.event
    def set_mode(self, value: str | list[str]):
        """The global approval mode (supervised | autopilot)."""
        self.mode = "autopilot" if value == "autopilot" else "supervised"

    @rx.event
    def set_mockups_mode(self, value: str):
        """The Mockups override (global | supervised | autopilot)."""
        self.mockups_mode = value if value in (FOLLOW, "supervised", "autopilot") else FOLLOW

    @rx.event
    def set_products_mode(self, value: str):
        """The Store products override (global | supervised | autopilot)."""
        self.products_mode = value if value in (FOLLOW, "supervised", "autopilot") else FOLLOW

    @rx.event(background=True)
    async def save(self):
        """Save the guardrails and the approval modes; errors stay inline next to their fields."""
        from genpire_app.backend.services import guardrails

        uid = await self._uid()
        async with self:
            if self.saving:
                return
            self.saving = True
            annual, monthly = _whole(self.annual_budget), _whole(self.monthly_limit)
            mode = self.mode
            overrides = {"mockups": self.mockups_mode, "products": self.products_mode}
        budget_error = modes_error = ""
        if annual is None or monthly is None:
            budget_error = "Enter whole numbers of renders."
        else:
            try:
                await asyncio.to_thread(guardrails.update_guardrails, uid, annual_budget=annual,
                                        monthly_limit=monthly)
            except OperationError as err:
                budget_error = err.message
        try:
            await asyncio.to_thread(guardrails.set_approval_mode, uid, mode,
                                    {m: (None if v == FOLLOW else v) for m, v in overrides.items()})
        except OperationError as err:
            modes_error = err.message
        async with self:
            self.saving = False
            self.budget_error, self.modes_error = budget_error, modes_error
            if annual is not None and monthly is not None and not budget_error:
                self.annual_budget, self.monthly_limit = str(annual), str(monthly)
        if budget_error or modes_error:
            yield rx.toast.error(budget_error or modes_error)
        else:
            yield rx.toast.success("Guardrails and approvals saved.")


__all__ = ["MarketingSettingsState"]
