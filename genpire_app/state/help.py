"""The help page's state: only the signed-in shell (session, header, push), no data of its own."""

from __future__ import annotations

from typing import Any

import reflex as rx

from genpire_app.state.session import SessionState


class HelpState(SessionState):
    """``/help``."""

    @rx.event(background=True)
    async def load(self):
        """Page load: session and header."""
        await self._open_page()

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """Header numbers changed."""
        await self._handle_push(event, None)
