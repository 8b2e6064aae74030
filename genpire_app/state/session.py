"""Session state shared by every signed-in page: who is signed in, the live header, live push.

The browser holds the session secret in an HttpOnly cookie set by the HTTP sign-in route (``api/auth.py``);
JavaScript cannot read it, and Reflex's websocket handshake carries it, so a state reads it from its
connection's headers (:meth:`SessionState._who`) and checks it against the database (``services.sessions``)
on every event that reads or spends: a session revoked in another tab, idle for 24 h or 30 days old is
refused at the tab's next event, which raises :class:`SignedOut`; the app's backend exception handler
(:func:`signed_out_handler`) sends the tab to the sign-in page. Every page resolves the session in its
``on_load`` (``_open_page``), which also loads the header numbers and registers the tab for push events
(``genpire_app.live``). Handlers that touch the database or storage are background events: the work happens
outside ``async with self``, which only assigns (DESIGN.md §3).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import reflex as rx
from reflex.app import default_backend_exception_handler
from reflex.event import EventSpec

from genpire_app import live
from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.providers.registry import get_providers
from genpire_app.backend.services import credits, notifications, sessions
from genpire_app.backend.services.sessions import SignedIn


class SignedOut(Exception):
    """This tab has no valid session: never had one, or it was revoked or expired (``had_session``).

    ``next_path`` is where the tab was (the sign-in page returns there)."""

    def __init__(self, next_path: str = "", had_session: bool = False) -> None:
        super().__init__("signed out")
        self.next_path = next_path
        self.had_session = had_session

    @property
    def login_url(self) -> str:
        """The sign-in page, with ``next`` and ``expired=1`` when a session ended under the tab."""
        query: dict[str, str] = {}
        if self.next_path.startswith("/") and not self.next_path.startswith(("//", "/login")):
            path, sep, rest = self.next_path.partition("?")
            query["next"] = (path.rstrip("/") or "/") + sep + rest  # "/dashboard/" (static redirect) -> "/dashboard"
        if self.had_session:
            query["expired"] = "1"
        return "/login" + (f"?{urlencode(query)}" if query else "")


def signed_out_handler(exception: Exception) -> EventSpec:
    """The app's backend exception handler: a :class:`SignedOut` sends the tab to the sign-in page;
    anything else gets Reflex's default handling (logged, a generic toast)."""
    if isinstance(exception, SignedOut):
        return rx.redirect(exception.login_url, replace=True)
    return default_backend_exception_handler(exception)


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
    """What the header shows: balance in hundredths of a credit, unread count, offline capabilities, and the
    number of lines in the cart."""

    balance: int
    unread: int
    offline: tuple[str, ...]
    cart: int = 0


def load_header(user_id: int) -> Header:
    """The header numbers of ``user_id`` (blocking: call in a thread)."""
    from genpire_app.backend.services import cart

    return Header(credits.balance(user_id=user_id), notifications.unread_count(user_id=user_id),
                  tuple(get_providers().offline), cart.count(user_id))


class SessionState(rx.State):
    """Signed-in user, header data (balance, unread notifications, offline banner) and push registration."""

    signed_in: bool = False
    session_checked: bool = False
    user_email: str = ""
    balance: int = 0
    unread: int = 0
    offline: list[str] = []
    cart_count: int = 0
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
        from genpire_app.backend.providers.registry import CAPABILITY_LABELS

        listed = ", ".join(CAPABILITY_LABELS.get(c, c) for c in self.offline)
        return f"Offline providers: {listed} run on built-in offline implementations (no outside service is called)."

    def _session_token(self) -> str:
        """The session secret from the cookie this tab's websocket connected with ("" when none)."""
        return sessions.token_from_cookies(self.router.headers.cookie or "")

    async def _who(self) -> SignedIn | None:
        """The account of this tab's session, checked against the database (off the event loop)."""
        return await asyncio.to_thread(sessions.resolve, self._session_token())

    def _signed_out(self) -> SignedOut:
        url = self.router.url
        path = url.path + (f"?{url.query}" if getattr(url, "query", "") else "")
        return SignedOut(path, had_session=bool(self._session_token()))

    async def _uid(self) -> int:
        """The signed-in user's id.

        Raises:
            SignedOut: no valid session (the tab then goes to the sign-in page).
        """
        who = await self._who()
        if who is None:
            raise self._signed_out()
        return who.user_id

    def _apply_header(self, header: Header) -> None:
        """Assign the header numbers that changed (under the lock)."""
        if self.balance != header.balance:
            self.balance = header.balance
        if self.unread != header.unread:
            self.unread = header.unread
        if self.offline != list(header.offline):
            self.offline = list(header.offline)
        if self.cart_count != header.cart:
            self.cart_count = header.cart

    async def _open_page(self) -> int:
        """Start of every protected page's ``on_load`` (background): resolve the session, load the header,
        register for push. Returns the user id.

        Raises:
            SignedOut: no valid session (the tab goes to the sign-in page).
        """
        who = await self._who()
        if who is None:
            async with self:
                self.signed_in, self.user_email = False, ""
            raise self._signed_out()
        header = await asyncio.to_thread(load_header, who.user_id)
        async with self:
            self.session_checked = True
            self.signed_in = True
            self.user_email = who.email
            self._apply_header(header)
            live.register(who.user_id, self.router.session.client_token, f"{self.get_full_name()}.on_push")
        return who.user_id

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
            if set(event.get("topics") or ()) - {"job"}:
                uid = await self._uid()
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
        if not open_:
            return
        uid = await self._uid()

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
