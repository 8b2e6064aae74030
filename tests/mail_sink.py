"""A real SMTP server for tests (aiosmtpd on a free local port) that records what it receives.

Waiting is on a condition with a timeout, never a sleep. Recipients starting with ``bounce@`` are refused
with a permanent ``550``, so tests can see how the outbox treats a permanent refusal.
"""

from __future__ import annotations

import re
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpSink:
    """aiosmtpd handler + controller: ``start()``, ``url``, ``messages``, ``wait_for(n)``, ``stop()``."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._cond = threading.Condition()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        """``SMTP_URL`` of this sink."""
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd hook)
        if address.startswith("bounce@"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self._cond:
            self.messages.append(msg)  # type: ignore[arg-type]
            self._cond.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Block until at least ``count`` mails arrived (AssertionError after ``timeout`` seconds)."""
        with self._cond:
            arrived = self._cond.wait_for(lambda: len(self.messages) >= count, timeout)
        assert arrived, f"expected {count} mail(s), the SMTP sink got {len(self.messages)}"
        return list(self.messages)


    def wait_for_mail_to(self, address: str, timeout: float = 30.0) -> EmailMessage:
        """Block until a mail to ``address`` arrived and return the newest one (AssertionError after
        ``timeout`` seconds)."""
        def newest() -> EmailMessage | None:
            return next((m for m in reversed(self.messages) if address in str(m["To"])), None)

        with self._cond:
            self._cond.wait_for(lambda: newest() is not None, timeout)
            found = newest()
        assert found is not None, f"no mail to {address} reached the SMTP sink"
        return found


def link_token(msg: EmailMessage, path: str) -> str:
    """The ``token`` of the link to ``path`` (e.g. ``/verify-email``) in a received mail's text."""
    body = msg.get_content()
    found = re.search(re.escape(path) + r"\?token=([A-Za-z0-9_\-]+)", body)
    assert found, f"no {path} link in the mail:\n{body}"
    return found.group(1)
