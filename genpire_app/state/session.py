"""Session state shared by every signed-in page: who is signed in, the live header, live push.

The browser keeps a random session token in local storage (``auth_token``); the database keeps only its
digest (``services.accounts``). Every page resolves the session in its ``on_load`` (``_open_page``), which
also loads the header numbers and registers the tab for push events (``genpire_app.live``). Handlers
that touch the database or storage are background events: the work happens outside ``async with self``,
which only assigns (DESIGN.md §3).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import reflex as rx

from genpire_app import live
from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.services import accounts, credits, notifications
from genpire_app.backend.services.accounts import SignedIn


@dataclasses.dataclass
class NotificationItem:
    """One notification in the bell's list."""

    id: str = ""
    title: str = ""
    message: str = ""
    link: str = ""
    time: str = ""
    unread: bool = False


@dataclasses.dataclass(frozen=True)
class Header:
    """What the header shows: balance in hundredths of a credit, unread count, offline capabilities."""

    balance: int
    unread: int
    offline: tuple[str, ...]


def load_header(user_id: int) -> Header:
    """The header numbers of ``user_id`` (blocking: call in a thread)."""
    return Header(credits.balance(user_id=user_id), notifications.unread_count(user_id=user_id),
                  tuple(get_providers().offline))


class SessionState(rx.State):
    """Signed-in user, header data (balance, unread notifications, offline banner) and push registration."""

    auth_token: str = rx.LocalStorage(name="_auth_token")
    signed_in: bool = False
    session_checked: bool = False
    user_email: str = ""
    balance: int = 0
    unread: int = 0
    offline: list[str] = []
    notifications: list[NotificationItem] = []
    notifications_open: bool = False

    @rx.var
    def balance_label(self) -> str:
        """The balance as the header shows it, e.g. "15 credits"."""
        return format_credits(self.balance)

    @rx.var
    def low_balance(self) -> bool:
        """Whether the balance is below the minimum needed to create a product (here, on the state that owns
        the balance, so a balance change on another page does not load the dashboard's state)."""
        return self.balance < get_settings().prices.minimum_to_create

    @rx.var
    def offline_label(self) -> str:
        """Banner text naming the offline capabilities ("" when all are real)."""
        if not self.offline:
            return ""
        names = {"image": "image generation", "vision": "image analysis", "text": "text"}
        listed = ", ".join(names.get(c, c) for c in self.offline)
        return f"Offline providers: {listed} run on built-in offline implementations (no AI service is called)."

    async def _who(self) -> SignedIn | None:
        """The account of this tab's session token, checked against the database (off the event loop)."""
        return await asyncio.to_thread(accounts.session_user, self.auth_token)

    async def _uid(self) -> int | None:
        """The signed-in user's id, or None."""
        who = await self._who()
        return who.user_id if who is not None else None

    def _apply_header(self, header: Header) -> None:
        """Assign the header numbers that changed (under the lock)."""
        if self.balance != header.balance:
            self.balance = header.balance
        if self.unread != header.unread:
            self.unread = header.unread
        if self.offline != list(header.offline):
            self.offline = list(header.offline)

    async def _open_page(self) -> int | None:
        """Start of every protected page's ``on_load`` (background): resolve the session, load the header,
        register for push. Returns the user id, or None after sending the tab to the sign-in page."""
        who = await self._who()
        header = await asyncio.to_thread(load_header, who.user_id) if who is not None else None
        async with self:
            self.session_checked = True
            self.signed_in = who is not None
            self.user_email = who.email if who is not None else ""
            if header is not None:
                self._apply_header(header)
            if who is not None:
                live.register(who.user_id, self.router.session.client_token, f"{self.get_full_name()}.on_push")
        return who.user_id if who is not None else None

    async def _reload_header(self, user_id: int) -> None:
        header = await asyncio.to_thread(load_header, user_id)
        async with self:
            self._apply_header(header)

    async def _pushed(self, event: dict[str, Any]) -> None:
        """Every ``on_push`` ends with this: ``genpire_app.live`` may then send the next (folded) event."""
        full = any(topic != "job" for topic in event.get("topics") or ())
        await live.finished(self.router.session.client_token, full=full)

    async def _handle_push(self, event: dict[str, Any], reload: Callable[[int], Awaitable[None]] | None) -> None:
        """The body of a page's ``on_push``: on anything beyond job progress, reload the header and then
        ``reload(user_id)``; always tell ``genpire_app.live`` the tab is free again."""
        try:
            if set(event.get("topics") or ()) - {"job"} and (uid := await self._uid()) is not None:
                await self._reload_header(uid)
                if reload is not None:
                    await reload(uid)
        finally:
            await self._pushed(event)

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """A push event for this tab's user: reload the header numbers. Every page declares its own
        ``on_push`` (Reflex runs an inherited handler on the state that declares it)."""
        await self._handle_push(event, None)

    @rx.event(background=True)
    async def toggle_notifications(self, open_: bool):
        """Open the bell: load the newest notifications and mark them read (the count drops to 0)."""
        async with self:
            self.notifications_open = open_
        uid = await self._uid()
        if not open_ or uid is None:
            return

        def load() -> list[NotificationItem]:
            rows = notifications.list_recent(user_id=uid, limit=15)
            notifications.mark_all_read(user_id=uid)
            return [NotificationItem(str(n.id), n.title, n.message, n.link or "", n.created_at.strftime("%d %b, %H:%M"),
                                     n.read_at is None) for n in rows]

        items = await asyncio.to_thread(load)
        async with self:
            self.notifications = items
            self.unread = 0

    @rx.event
    def open_notification(self, link: str):
        """Follow a notification's link."""
        self.notifications_open = False
        if link:
            return rx.redirect(link)

    @rx.event(background=True)
    async def sign_out(self):
        """Revoke this session and go to the sign-in page."""
        token = self.auth_token
        await asyncio.to_thread(accounts.end_session, token)
        async with self:
            live.forget(self.router.session.client_token)
            self.auth_token = ""
            self.signed_in = False
            self.user_email = ""
            self.balance = self.unread = 0
            self.notifications = []
        yield [rx.redirect("/login"), rx.toast.info("You are signed out.")]
