"""``/marketing`` (issue 11): the page state that owns the tab choice and the push subscription.

A tab registers one push handler (``genpire_app.live``), so this state's ``on_push`` fans a push out to
the three tab states (mockups, approval queue, store products), each of which reloads its rows from the
database.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from genpire_app.state.session import SessionState

#: The page's tabs (values of ``MarketingState.tab``).
TABS = ("mockups", "approvals", "products")


class MarketingState(SessionState):
    """The selected tab and the push fan-out of ``/marketing``."""

    tab: str = "mockups"

    @rx.event(background=True)
    async def load(self):
        """Page load: session and header, then every tab's rows (``?tab=`` selects the tab)."""
        await self._open_page()
        wanted = self.router.page.params.get("tab", "")
        async with self:
            if wanted in TABS:
                self.tab = wanted
        yield self._reloads()

    @staticmethod
    def _reloads() -> list[Any]:
        from genpire_app.state.approvals import ApprovalsState
        from genpire_app.state.mockups import MockupsState
        from genpire_app.state.store_products import StoreProductsState

        return [MockupsState.refresh, ApprovalsState.refresh, StoreProductsState.refresh]

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """A render moved, an approval was decided or a store product changed: reload the tabs' rows."""
        topics = set(event.get("topics") or ())
        await self._handle_push(event, None)
        if topics & {"mockups", "store", "balance"}:  # job progress alone changes nothing these tabs show
            yield self._reloads()

    @rx.event
    def set_tab(self, value: str):
        """Switch tabs (Mockups, Approval queue, Products)."""
        self.tab = value if value in TABS else "mockups"
