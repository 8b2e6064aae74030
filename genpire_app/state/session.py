"""Session state shared by every signed-in page: the account, the live credit balance, the offline banner.

Built on reflex-local-auth's ``LocalAuthState`` (sessions keyed by a token in local storage; bcrypt
password hashes). Page states subclass ``SessionState`` so every handler can check ``self.user_id``.
"""

from __future__ import annotations

import asyncio

import reflex as rx
import reflex_local_auth

from genpire_app.backend.config import format_credits
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.services import accounts, credits, notifications
from genpire_app.backend.services.ratelimit import RateLimited, limiter
from genpire_app.backend.config import get_settings

reflex_local_auth.set_login_route("/login")
reflex_local_auth.set_register_route("/signup")


class SessionState(reflex_local_auth.LocalAuthState):
    """Header data: balance in hundredths of a credit, unread notifications, offline capabilities."""

    balance: int = 0
    unread: int = 0
    offline: list[str] = []
    notifications: list[dict[str, str]] = []
    notifications_open: bool = False

    @rx.var
    def balance_label(self) -> str:
        """The balance as the header shows it, e.g. "15 credits"."""
        return format_credits(self.balance)

    @rx.var
    def offline_label(self) -> str:
        """Banner text naming the offline capabilities ("" when all are real)."""
        if not self.offline:
            return ""
        names = {"image": "image generation", "vision": "image analysis", "text": "text"}
        listed = ", ".join(names.get(c, c) for c in self.offline)
        return f"Offline providers: {listed} run on built-in offline implementations (no AI service is called)."

    @rx.var(cache=True)
    def user_email(self) -> str:
        """The signed-in user's e-mail address."""
        return self.authenticated_user.username if self.is_authenticated else ""

    @property
    def user_id(self) -> int | None:
        """The signed-in user's id, or None."""
        uid = self.authenticated_user.id
        return uid if uid is not None and uid >= 0 else None

    async def _refresh_header(self) -> None:
        """Reload the balance and unread count from the database (call inside ``async with self`` in
        background tasks, or directly in normal handlers)."""
        uid = self.user_id
        if uid is None:
            return
        self.balance, self.unread = await asyncio.to_thread(
            lambda: (credits.balance(user_id=uid), notifications.unread_count(user_id=uid))
        )
        self.offline = list(get_providers().offline)

    @rx.event
    async def refresh_header(self):
        """Event: reload the header numbers."""
        await self._refresh_header()

    @rx.event
    async def toggle_notifications(self, open_: bool):
        """Open the bell: load the newest notifications and mark them read (the count drops to 0)."""
        self.notifications_open = open_
        uid = self.user_id
        if not open_ or uid is None:
            return
        rows = await asyncio.to_thread(notifications.list_recent, user_id=uid, limit=15)
        self.notifications = [
            {
                "id": str(n.id),
                "title": n.title,
                "message": n.message,
                "type": n.type,
                "link": n.link or "",
                "time": n.created_at.strftime("%d %b, %H:%M"),
                "unread": "yes" if n.read_at is None else "",
            }
            for n in rows
        ]
        await asyncio.to_thread(notifications.mark_all_read, user_id=uid)
        self.unread = 0

    @rx.event
    def open_notification(self, link: str):
        """Follow a notification's link."""
        self.notifications_open = False
        if link:
            return rx.redirect(link)

    @rx.event
    def sign_out(self):
        """Sign out and go to the sign-in page (where a protected page would send the user anyway)."""
        self.do_logout()
        self.balance = 0
        self.unread = 0
        self.notifications = []
        return [rx.redirect("/login"), rx.toast.info("You are signed out.")]


class AuthState(SessionState):
    """Sign-up and sign-in forms."""

    error: str = ""
    email_error: str = ""
    password_error: str = ""
    submitting: bool = False

    def _rate_limited(self) -> bool:
        """Count an auth attempt from this client; sets ``error`` and returns True when over the limit."""
        key = self.router.session.client_ip or self.router.session.client_token or "unknown"
        try:
            limiter("auth", get_settings().auth_rate_per_minute).hit(key)
        except RateLimited as err:
            self.error = str(err)
            return True
        return False

    @rx.event
    def clear_errors(self):
        """Forget previous form errors (on page load)."""
        self.error = self.email_error = self.password_error = ""
        self.submitting = False
        if self.is_hydrated and self.is_authenticated:
            return rx.redirect("/dashboard")

    @rx.event
    async def sign_up(self, form: dict):
        """Create the account (20 signup credits), sign in, open the dashboard."""
        self.error = self.email_error = self.password_error = ""
        if self._rate_limited():
            return
        email = str(form.get("email", ""))
        password = str(form.get("password", ""))
        try:
            user_id = await asyncio.to_thread(accounts.create_account, email=email, password=password)
        except accounts.AccountError as err:
            if err.field == "email":
                self.email_error = err.message
            else:
                self.password_error = err.message
            return
        await asyncio.to_thread(self._login, user_id)  # writes the session row off the event loop
        await self._refresh_header()
        return [rx.redirect("/dashboard"), rx.toast.success("Welcome! You have " + format_credits(self.balance) + ".")]

    @rx.event
    async def sign_in(self, form: dict):
        """Check the password and sign in."""
        self.error = self.email_error = self.password_error = ""
        if self._rate_limited():
            return
        user_id = await asyncio.to_thread(
            accounts.authenticate, str(form.get("email", "")), str(form.get("password", ""))
        )
        if user_id is None:
            self.error = "The email or password is not right. Please try again."
            return rx.set_value("password", "")
        await asyncio.to_thread(self._login, user_id)  # writes the session row off the event loop
        await self._refresh_header()
        return rx.redirect("/dashboard")
