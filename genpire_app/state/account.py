"""The Account page's state: the signed-in user's active sessions, sign out one or all (issue 7 item 1)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import datetime
from typing import Any

import reflex as rx

from genpire_app.backend.db.models import utcnow
from genpire_app.backend.jobs import push
from genpire_app.backend.jobs.push import Topic
from genpire_app.backend.services import sessions
from genpire_app.state.session import SessionState


@dataclasses.dataclass
class SessionRow:
    """One active session as listed: device, address, when it signed in and was last used."""

    id: str = ""
    device: str = ""
    ip: str = ""
    signed_in: str = ""
    last_seen: str = ""
    current: bool = False


def ago(when: datetime, now: datetime) -> str:
    """"just now", "5 min ago", "3 h ago", "2 days ago"."""
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    return f"{days} day{'s' if days > 1 else ''} ago"


def session_rows(user_id: int, current: uuid.UUID | None) -> list[SessionRow]:
    """The rows of ``user_id``'s active sessions, this browser's first (blocking: call in a thread)."""
    now = utcnow()
    listed = sessions.list_active(user_id=user_id, now=now)
    rows = [SessionRow(str(s.id), sessions.device_label(s.user_agent), s.ip or "unknown",
                       s.created_at.strftime("%d %b %Y, %H:%M UTC"), ago(s.last_seen_at, now), s.id == current)
            for s in listed]
    return sorted(rows, key=lambda r: not r.current)


class AccountState(SessionState):
    """Active sessions of the signed-in user."""

    sessions: list[SessionRow] = []
    loaded: bool = False

    async def _load(self, _uid: int | None = None) -> None:
        who = await self._who()
        if who is None:
            raise self._signed_out()
        rows = await asyncio.to_thread(session_rows, who.user_id, who.session_id)
        async with self:
            self.sessions, self.loaded = rows, True

    @rx.event(background=True)
    async def load(self):
        """Page load."""
        await self._open_page()
        await self._load()

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """A push event: a session may have been revoked elsewhere."""
        await self._handle_push(event, self._load)

    @rx.event(background=True)
    async def revoke(self, session_id: str):
        """"Sign out" on one of the listed devices (not this one: that is the header's sign-out)."""
        uid = await self._uid()
        try:
            target = uuid.UUID(session_id)
        except ValueError:
            yield rx.toast.error("That session is no longer active.")
            return
        done = await asyncio.to_thread(sessions.revoke_id, user_id=uid, session_id=target)
        if done:
            push.publish(uid, Topic.SESSION)
        await self._load()
        yield (rx.toast.success("That device is signed out.") if done
               else rx.toast.error("That session is no longer active."))
