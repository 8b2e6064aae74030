"""The sign-up and sign-in pages' state (seed 000 §3 Phase 1 step 1; issue 7; DESIGN.md §10).

The forms post to the HTTP routes of ``backend/api/auth.py`` (the session cookie is HttpOnly, so only an
HTTP response can set it). A refused form comes back as ``?form=<signed note>``: this state shows the
note's error next to its field and fills the e-mail in again. ``?next=`` is kept for the sign-in form,
``?signed_out=1`` and ``?expired=1`` explain why the visitor is here.
"""

from __future__ import annotations

import reflex as rx

from genpire_app.backend.api.auth import read_note, safe_next
from genpire_app.backend.config import get_settings
from genpire_app.state.session import SessionState

EXPIRED = "Your session ended. Please sign in again."


class AuthState(SessionState):
    """Form errors, the e-mail typed and where to go after signing in."""

    error: str = ""
    email_error: str = ""
    password_error: str = ""
    notice: str = ""
    form_email: str = ""
    next_path: str = ""

    @rx.var
    def verification_off(self) -> bool:
        """Whether sign-up grants the credits at once (no mail server: e-mail verification is off)."""
        return not get_settings().verification_required

    @rx.event
    def set_form_email(self, value: str):
        """Keep the e-mail field's text (it is filled in again after a refused form)."""
        self.form_email = value

    @rx.event(background=True)
    async def open_form(self):
        """Page load of ``/login`` and ``/signup``: show the refused form's note; a signed-in visitor with
        nothing to fix goes on to the dashboard (or ``next``)."""
        params = self.router.url.query_parameters
        note = read_note(params.get("form", ""))
        async with self:
            self.error = self.email_error = self.password_error = self.notice = ""
            message, field = note.get("message", ""), note.get("field", "")
            if field == "email":
                self.email_error = message
            elif field == "password":
                self.password_error = message
            else:
                self.error = message
            self.form_email = note.get("email", "")
            wanted = note.get("next") or params.get("next", "")
            self.next_path = safe_next(wanted) if wanted else ""
            if params.get("expired") == "1":
                self.notice = EXPIRED
        if params.get("signed_out") == "1":
            yield rx.toast.info("You are signed out.")
        if not note and await self._who() is not None:
            yield rx.redirect(self.next_path or "/dashboard", replace=True)
