"""Sign-up and sign-in forms (seed 000 §3 Phase 1 step 1; DESIGN.md §10)."""

from __future__ import annotations

import asyncio

import reflex as rx

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.services import accounts
from genpire_app.backend.services.ratelimit import RateLimited, limiter
from genpire_app.state.session import SessionState, load_header


class AuthState(SessionState):
    """Form errors and the submitting flag of the sign-up and sign-in pages."""

    error: str = ""
    email_error: str = ""
    password_error: str = ""
    submitting: bool = False

    def _rate_limited(self) -> str:
        """Count an auth attempt from this client; the error text when over the limit, else ""."""
        key = self.router.session.client_ip or self.router.session.client_token or "unknown"
        try:
            limiter("auth", get_settings().auth_rate_per_minute).hit(key)
        except RateLimited as err:
            return str(err)
        return ""

    @rx.event(background=True)
    async def clear_errors(self):
        """Page load: forget previous form errors; a signed-in visitor goes to the dashboard."""
        async with self:
            self.error = self.email_error = self.password_error = ""
            self.submitting = False
        if await self._who() is not None:
            yield rx.redirect("/dashboard")

    async def _signed_in(self, user_id: int) -> None:
        token = await asyncio.to_thread(accounts.start_session, user_id)
        header = await asyncio.to_thread(load_header, user_id)
        async with self:
            self.auth_token = token
            self.signed_in = True
            self._apply_header(header)

    async def _begin_submit(self) -> bool:
        """Start a form submission: False while one runs or when the client is over its auth rate."""
        async with self:
            if self.submitting:
                return False
            self.email_error = self.password_error = ""
            self.error = self._rate_limited()
            self.submitting = not self.error
            return self.submitting

    @rx.event(background=True)
    async def sign_up(self, form: dict):
        """Create the account (sign-up credits), sign in, open the dashboard."""
        if not await self._begin_submit():
            return
        try:
            user_id = await asyncio.to_thread(accounts.create_account, email=str(form.get("email", "")),
                                              password=str(form.get("password", "")))
        except accounts.AccountError as err:
            async with self:
                self.submitting = False
                if err.field == "email":
                    self.email_error = err.message
                else:
                    self.password_error = err.message
            return
        await self._signed_in(user_id)
        async with self:
            self.submitting = False
            balance = self.balance
        yield [rx.redirect("/dashboard"), rx.toast.success("Welcome! You have " + format_credits(balance) + ".")]

    @rx.event(background=True)
    async def sign_in(self, form: dict):
        """Check the password (bcrypt, off the event loop) and sign in."""
        if not await self._begin_submit():
            return
        user_id = await asyncio.to_thread(accounts.authenticate, str(form.get("email", "")),
                                          str(form.get("password", "")))
        if user_id is None:
            async with self:
                self.submitting = False
                self.error = "The email or password is not right. Please try again."
            yield rx.set_value("password", "")
            return
        await self._signed_in(user_id)
        async with self:
            self.submitting = False
        yield rx.redirect("/dashboard")
