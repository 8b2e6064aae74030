"""The Account page's "API tokens" section (issue 10 item 8): list the live personal API tokens, create one
(its secret is shown once, in a dialog), revoke one. Business rules live in ``services.api_tokens``; this
state reads inputs, calls it off the event loop and assigns (DESIGN.md §3).

The new secret sits in :attr:`ApiTokensState.secret` only while its dialog is open; closing the dialog
clears it, and nothing can show it again.
"""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from genpire_app.backend.db.models import utcnow
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import api_tokens
from genpire_app.state.account import ago
from genpire_app.state.session import SessionState


@dataclasses.dataclass
class TokenItem:
    """One live token as listed: id, name, the secret's first characters ("gp_Xc81aZ…"), created date
    ("02 Dec 2025") and last use ("last used 5 min ago" | "never used")."""

    id: str = ""
    name: str = ""
    prefix: str = ""
    created: str = ""
    last_used: str = ""


def token_items(user_id: int) -> list[TokenItem]:
    """The rows of ``user_id``'s live tokens, newest first (blocking: call in a thread)."""
    now = utcnow()
    return [TokenItem(str(t.id), t.name, t.prefix + "…", t.created_at.strftime("%d %b %Y"),
                      f"last used {ago(t.last_used_at, now)}" if t.last_used_at else "never used")
            for t in api_tokens.list_tokens(user_id)]


class ApiTokensState(SessionState):
    """Live tokens, the create form, and the once-shown secret of the token just created."""

    tokens: list[TokenItem] = []
    tokens_loaded: bool = False
    new_name: str = ""
    name_error: str = ""
    creating: bool = False
    #: The secret of the token just created ("" once its dialog is closed).
    secret: str = ""
    secret_name: str = ""

    @rx.var
    def limit_label(self) -> str:
        """The per-account limit, e.g. "up to 20 tokens"."""
        return f"up to {api_tokens.MAX_LIVE} tokens"

    async def _read(self, uid: int) -> None:
        rows = await asyncio.to_thread(token_items, uid)
        async with self:
            self.tokens, self.tokens_loaded = rows, True

    @rx.event(background=True)
    async def load_tokens(self):
        """The section's on_mount."""
        await self._read(await self._uid())

    @rx.event
    def set_new_name(self, value: str):
        """Controlled input: the new token's name."""
        self.new_name = value
        if value.strip():
            self.name_error = ""

    @rx.event(background=True)
    async def create_token(self, form: dict):
        """"Create token" (the form's submit; ``form["name"]``, else the typed name): create it and open the
        dialog showing its secret once."""
        uid = await self._uid()
        async with self:
            if self.creating:
                return
            self.creating, self.name_error = True, ""
            name = str((form or {}).get("name") or self.new_name)
        try:
            row, secret = await asyncio.to_thread(api_tokens.create, uid, name)
        except OperationError as err:
            async with self:
                self.creating, self.name_error = False, err.message
            yield rx.toast.error(err.message)
            return
        async with self:
            self.creating, self.new_name = False, ""
            self.secret, self.secret_name = secret, row.name
        await self._read(uid)

    @rx.event
    def close_secret(self, open_: bool = False):
        """The secret dialog closed ("Done", Escape or outside click): forget the secret."""
        if not open_:
            self.secret = self.secret_name = ""

    @rx.event
    def copied(self):
        """After "Copy": confirm (the browser copies the text)."""
        return rx.toast.success("Token copied to the clipboard.")

    @rx.event(background=True)
    async def revoke_token(self, token_id: str):
        """"Revoke" (after the confirmation): scripts using the token get 401 from their next request."""
        uid = await self._uid()
        done = await asyncio.to_thread(api_tokens.revoke, uid, token_id)
        await self._read(uid)
        yield (rx.toast.success("Token revoked.") if done else rx.toast.error("That token no longer exists."))


__all__ = ["ApiTokensState", "TokenItem", "token_items"]
