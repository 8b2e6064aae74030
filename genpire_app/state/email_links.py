"""States of the e-mailed links: e-mail verification (page and dashboard banner), forgotten password,
password reset, and the development outbox (issue 7 item 2; DESIGN.md §10).

Thin, as DESIGN.md §3 asks: read the inputs (query ``token``, form fields, client IP), call
``services.email_links`` / ``services.accounts`` / ``services.mail`` in a thread, assign the outcome.
Every handler that touches the database is a background event; only assignments happen under
``async with self``. The link secret of a reset link is kept in a backend-only var (never sent back to
the browser).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re

import reflex as rx

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.services import accounts, email_links, mail, throttle
from genpire_app.state.session import SessionState

try:  # SessionState._uid raises SignedOut when the tab has no valid session (issue 7 item 1)
    from genpire_app.state.session import SignedOut
except ImportError:  # pragma: no cover - older SessionState returned None instead
    class SignedOut(Exception):  # type: ignore[no-redef]
        """Stand-in: never raised."""

#: An http(s) URL in a mail body, without a trailing sentence mark.
_URL_RE = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)]")


def _form_text(form: dict, name: str) -> str:
    return str(form.get(name, "") or "")


class VerifyState(SessionState):
    """The ``/verify-email`` page and the dashboard's verification banner.

    ``status``: ``checking`` | ``verified`` | ``already`` | ``invalid``. ``banner_visible``: the signed-in
    user still has to verify (only when a mail server is configured). ``can_resend``: a signed-in,
    unverified user may ask for a new link from the page.
    """

    status: str = "checking"
    message: str = ""
    can_resend: bool = False
    banner_visible: bool = False
    banner_email: str = ""
    resending: bool = False
    resend_note: str = ""
    resend_error: str = ""

    async def _optional_uid(self) -> int | None:
        """The signed-in user's id, or None for a visitor (this page works signed out too)."""
        try:
            return await self._uid()
        except SignedOut:
            return None

    async def _pending_email(self, uid: int | None) -> str:
        """The address still to verify of ``uid`` ("" when none is pending or no mail server is set)."""
        if uid is None or not get_settings().verification_required:
            return ""
        verified = await asyncio.to_thread(accounts.is_verified, uid)
        return "" if verified else await asyncio.to_thread(accounts.get_email, uid)

    @rx.event(background=True)
    async def check_link(self):
        """``/verify-email`` on_load: use the link's ``token`` and show what it did."""
        token = self.router.url.query_parameters.get("token", "")
        async with self:
            self.status, self.message, self.can_resend = "checking", "", False
            self.resend_note = self.resend_error = ""
        result = await asyncio.to_thread(email_links.verify_email, token)
        pending = await self._pending_email(await self._optional_uid())
        async with self:
            self.status = result.status
            self.message = result.message
            self.can_resend = bool(pending)
            self.banner_visible, self.banner_email = bool(pending), pending

    @rx.event(background=True)
    async def load_banner(self):
        """The banner's on_mount: show it while the signed-in user's address is unverified."""
        pending = await self._pending_email(await self._optional_uid())
        async with self:
            self.banner_visible, self.banner_email = bool(pending), pending
            self.resend_note = self.resend_error = ""

    @rx.event(background=True)
    async def resend(self):
        """Send a new verification link to the signed-in user (throttled: one a minute)."""
        async with self:
            if self.resending:
                return
            self.resending, self.resend_note, self.resend_error = True, "", ""
        note = error = ""
        try:
            uid = await self._optional_uid()
            if uid is None:
                error = "Please sign in to ask for a new link."
            else:
                address = await asyncio.to_thread(accounts.resend_verification, uid)
                note = f"We sent a new link to {address}. It may take a minute to arrive."
        except throttle.Throttled as err:
            error = f"You just asked for a link. Please try again in {err.retry_after} s."
        except accounts.AccountError as err:
            error = err.message
        finally:
            async with self:
                self.resending = False
                self.resend_note, self.resend_error = note, error

    @rx.var
    def signup_credits_label(self) -> str:
        """The sign-up credits in words, e.g. "20 credits"."""
        return format_credits(get_settings().signup_credits)


class ForgotPasswordState(rx.State):
    """``/forgot-password``: one e-mail field; the same answer whether or not the account exists."""

    sent_message: str = ""
    email_error: str = ""
    error: str = ""
    submitting: bool = False

    @rx.event
    def reset_form(self):
        """Page load: a fresh form."""
        self.sent_message = self.email_error = self.error = ""
        self.submitting = False

    @rx.event(background=True)
    async def submit(self, form: dict):
        """Ask for a reset link (``services.email_links.request_password_reset``)."""
        async with self:
            if self.submitting:
                return
            self.submitting, self.email_error, self.error = True, "", ""
        ip = self.router.session.client_ip or "unknown"
        sent = email_error = error = ""
        try:
            sent = await asyncio.to_thread(email_links.request_password_reset, _form_text(form, "email"), ip=ip)
        except email_links.LinkError as err:
            email_error = err.message
        except throttle.Throttled as err:
            error = f"Too many requests for a reset link. Please try again in {err.retry_after} s."
        async with self:
            self.submitting = False
            self.sent_message, self.email_error, self.error = sent, email_error, error


class ResetPasswordState(rx.State):
    """``/reset-password``: new password and confirmation for a valid link.

    ``link``: ``checking`` | ``ready`` | ``invalid`` | ``done``.
    """

    link: str = "checking"
    password_error: str = ""
    confirm_error: str = ""
    submitting: bool = False
    _token: str = ""

    @rx.event(background=True)
    async def check_link(self):
        """On load: keep the link's ``token`` (backend only) and say at once whether it still works."""
        token = self.router.url.query_parameters.get("token", "")
        async with self:
            self._token, self.link = token, "checking"
            self.password_error = self.confirm_error = ""
            self.submitting = False
        valid = await asyncio.to_thread(email_links.reset_link_valid, token)
        async with self:
            self.link = "ready" if valid else "invalid"

    @rx.event(background=True)
    async def submit(self, form: dict):
        """Set the new password; every session of the account is signed out."""
        password, confirm = _form_text(form, "password"), _form_text(form, "confirm")
        async with self:
            if self.submitting or self.link != "ready":
                return
            self.password_error = self.confirm_error = ""
            if password != confirm:
                self.confirm_error = "The two passwords are not the same."
                return
            self.submitting = True
            token = self._token
        link, password_error = "ready", ""
        try:
            await asyncio.to_thread(email_links.reset_password, token, password)
            link = "done"
        except email_links.LinkError as err:
            if err.field == "token":
                link = "invalid"
            else:
                password_error = err.message
        async with self:
            self.submitting = False
            self.link, self.password_error = link, password_error
            if link == "done":
                self._token = ""
        if password_error:  # the form stays: let the user type both fields again
            yield [rx.set_value("password", ""), rx.set_value("confirm", "")]


@dataclasses.dataclass
class BodyPart:
    """A piece of a mail body: plain text, or a link when ``href`` is set."""

    text: str = ""
    href: str = ""


@dataclasses.dataclass
class OutboxRow:
    """One mail on the development outbox page."""

    id: str = ""
    recipient: str = ""
    subject: str = ""
    time: str = ""
    status: str = ""
    error: str = ""
    parts: list[BodyPart] = dataclasses.field(default_factory=list)


def _parts(body: str) -> list[BodyPart]:
    """``body`` split into text and links (only http(s) URLs become links)."""
    parts: list[BodyPart] = []
    at = 0
    for found in _URL_RE.finditer(body):
        if found.start() > at:
            parts.append(BodyPart(body[at:found.start()]))
        parts.append(BodyPart(found.group(0), found.group(0)))
        at = found.end()
    if at < len(body):
        parts.append(BodyPart(body[at:]))
    return parts


def _outbox_rows() -> list[OutboxRow]:
    return [OutboxRow(str(e.id), e.to, e.subject, e.created_at.strftime("%d %b %Y, %H:%M:%S UTC"), e.status,
                      e.last_error, _parts(e.body)) for e in mail.recent(limit=50)]


class OutboxState(rx.State):
    """``/dev/outbox``: the newest mails, for following links locally (``mail.dev_outbox_allowed``)."""

    checked: bool = False
    allowed: bool = False
    mails: list[OutboxRow] = []

    @rx.event(background=True)
    async def load(self):
        """On load (and "Refresh"): check the page is allowed for this client, then list the mails."""
        allowed = mail.dev_outbox_allowed(self.router.session.client_ip or "")
        rows = await asyncio.to_thread(_outbox_rows) if allowed else []
        async with self:
            self.checked, self.allowed, self.mails = True, allowed, rows
