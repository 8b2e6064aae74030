"""The mail outbox: one table of e-mails, sent by SMTP from the task queue (issue 7 item 2; DESIGN.md §10).

Concern: every e-mail the app sends (verification and password-reset links) is first a row of
``email_outbox`` (``EmailOutbox``) written by :func:`enqueue` *inside the caller's transaction*, so a mail
exists exactly when its cause committed. After the commit the caller calls :func:`send_soon`, which puts
the row's id on the queue (actor ``send_mail`` in ``jobs/queue.py``); the actor calls :func:`deliver`.
The recovery sweep (``jobs/sweep.py``) calls :func:`requeue_due` for mail a lost message or a failed
attempt left behind. Delivery is at-least-once; an attempt claims its row with a conditional update, so
two copies of one message never both send.

Statuses of a row:
    - ``pending``: to be sent by SMTP (``SMTP_URL`` set when it was written);
    - ``sent``: the mail server accepted it; ``body`` no longer holds the link secret (:func:`redact`),
      so the outbox is not a store of live links;
    - ``failed``: given up after :data:`MAX_ATTEMPTS` attempts, or at once on a permanent refusal (5xx);
      ``last_error`` says why and ``body`` is redacted too;
    - ``held``: written while no mail server is configured (embedded default): never sent, kept readable
      on the development outbox page (``/dev/outbox``) so links can be followed locally.

Retries: attempt ``n`` (0-based) is due :data:`RETRY_DELAYS` ``[n]`` after the row was created (at once,
1 min, 5 min, 15 min, 1 h); after the last failed attempt the row is ``failed``. The sweep only picks up
rows older than :data:`SWEEP_GRACE` (the queue message normally sends them within milliseconds).

Sending uses the standard library's ``smtplib`` and ``email.message.EmailMessage``. ``SMTP_URL``:
``smtp://user:pass@host:port`` (plain, port 25), ``smtp://...?starttls=1`` (STARTTLS, port 587),
``smtps://...`` (TLS from the start, port 465); user and password are URL-decoded.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import update
from sqlmodel import Session, select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.account_models import EmailOutbox
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import as_utc, utcnow

log = logging.getLogger(__name__)

PENDING, SENT, FAILED, HELD = "pending", "sent", "failed", "held"
#: When attempt n (0-based) is due, counted from the row's creation.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(0), timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
)
#: Attempts before a mail is ``failed``.
MAX_ATTEMPTS = len(RETRY_DELAYS)
#: The sweep leaves younger pending mail to its queue message.
SWEEP_GRACE = timedelta(seconds=10)
#: Socket timeout of one SMTP conversation, seconds (below the 1 min between the first two attempts).
SMTP_TIMEOUT = 30.0
#: Link secrets in a body: the value of a ``token`` query parameter.
_SECRET_RE = re.compile(r"([?&]token=)[A-Za-z0-9_\-]+")
REDACTED = "[removed-after-sending]"


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to send: ``security`` is ``"none"``, ``"starttls"`` or ``"tls"``."""

    host: str
    port: int
    username: str
    password: str
    security: str


@dataclass(frozen=True)
class OutboxEntry:
    """One outbox row as the development page shows it (``created_at``/``sent_at`` aware UTC)."""

    id: uuid.UUID
    kind: str
    to: str
    subject: str
    body: str
    status: str
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None


def parse_smtp_url(url: str) -> SmtpTarget:
    """Parse ``SMTP_URL`` (module docstring).

    Raises:
        ValueError: not an ``smtp://`` or ``smtps://`` URL with a host.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:pass@host:port or smtps://...")
    starttls = (parse_qs(parts.query).get("starttls") or ["0"])[-1].lower() in ("1", "true", "yes")
    security = "tls" if scheme == "smtps" else "starttls" if starttls else "none"
    default_port = {"tls": 465, "starttls": 587, "none": 25}[security]
    return SmtpTarget(parts.hostname, parts.port or default_port, unquote(parts.username or ""),
                      unquote(parts.password or ""), security)


def redact(body: str) -> str:
    """``body`` with every link secret (``?token=...``) replaced by :data:`REDACTED`."""
    return _SECRET_RE.sub(lambda m: m.group(1) + REDACTED, body)


def enqueue(session: Session, *, user_id: int | None, kind: str, to: str, subject: str, body: str,
            now: datetime | None = None) -> uuid.UUID:
    """Write one mail to the outbox in the caller's (write) ``session``; nothing is sent yet.

    After the caller's transaction commits, pass the returned id to :func:`send_soon`. The row is
    ``pending`` when ``SMTP_URL`` is set, else ``held`` (never sent; see the module docstring).

    Args:
        kind: what the mail is for (``verify``, ``reset``), at most 32 characters.
        to: the recipient's address; subject: one line (at most 200 characters); body: plain text.

    Returns:
        The outbox row's id.
    """
    row = EmailOutbox(user_id=user_id, kind=kind[:32], to_address=to, subject=subject[:200], body=body,
                      status=PENDING if get_settings().smtp_url else HELD, created_at=now or utcnow())
    session.add(row)
    session.flush()
    return row.id


def send_soon(*outbox_ids: uuid.UUID | None) -> None:
    """Ask the queue to send these outbox rows (call after the transaction that wrote them committed).

    A no-op without ``SMTP_URL`` (the rows are ``held``) and for ``None`` ids. Never raises: a mail the
    queue did not take is sent by the recovery sweep.
    """
    if not get_settings().smtp_url:
        return
    from genpire_app.backend.jobs import queue

    for outbox_id in outbox_ids:
        if outbox_id is None:
            continue
        try:
            queue.send_mail(outbox_id)
        except Exception:  # pragma: no cover - broker down: the sweep sends it later
            log.warning("could not queue mail %s", outbox_id, exc_info=True)


def _due(row: EmailOutbox, now: datetime) -> bool:
    if row.attempts >= MAX_ATTEMPTS:
        return False
    if row.attempts == 0:  # the first attempt is due at once (whatever the clocks of web and worker say)
        return True
    created = as_utc(row.created_at) or now
    return created + RETRY_DELAYS[row.attempts] <= now


def _message(row: EmailOutbox) -> EmailMessage:
    settings = get_settings()
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = row.to_address
    msg["Subject"] = row.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or None
    msg["Message-ID"] = make_msgid(idstring=row.id.hex[:12], domain=domain)
    msg.set_content(row.body)
    return msg


def _smtp_send(target: SmtpTarget, msg: EmailMessage) -> None:
    """One SMTP conversation (stdlib ``smtplib``); raises what ``smtplib`` or the socket raise."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if target.security == "tls":
        client = smtplib.SMTP_SSL(target.host, target.port, timeout=SMTP_TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=SMTP_TIMEOUT)
    with client:
        if target.security == "starttls":
            client.starttls(context=context)
        if target.username:
            client.login(target.username, target.password)
        client.send_message(msg)


def _permanent(err: Exception) -> bool:
    """A refusal that retrying cannot fix (5xx for the sender, recipients or data; not authentication)."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return bool(err.recipients) and all(code >= 500 for code, _ in err.recipients.values())
    if isinstance(err, smtplib.SMTPAuthenticationError):
        return False
    return isinstance(err, smtplib.SMTPResponseException) and err.smtp_code >= 500


def deliver(outbox_id: uuid.UUID, *, now: datetime | None = None) -> str:
    """Make one SMTP attempt for a pending mail whose attempt is due (the ``send_mail`` actor).

    Claims the attempt with ``UPDATE ... SET attempts = attempts + 1 WHERE status = 'pending' AND attempts =
    <seen>`` so concurrent deliveries of one row send at most once per attempt. On success the row becomes
    ``sent`` with its link secrets redacted; on failure it stays ``pending`` (retried on the schedule) or
    becomes ``failed`` after :data:`MAX_ATTEMPTS` or a permanent refusal, with ``last_error`` set.

    Returns:
        The row's status after the attempt, or ``""`` when nothing was attempted (unknown row, not
        pending, not due yet, another delivery claimed it, or no ``SMTP_URL``). Never raises for SMTP
        errors.
    """
    now = now or utcnow()
    settings = get_settings()
    if not settings.smtp_url:
        return ""
    with read_session() as s:
        row = s.get(EmailOutbox, outbox_id)
    if row is None or row.status != PENDING or not _due(row, now):
        return ""
    with write_session() as s:
        claimed = s.execute(
            update(EmailOutbox)
            .where(EmailOutbox.id == outbox_id, EmailOutbox.status == PENDING, EmailOutbox.attempts == row.attempts)
            .values(attempts=row.attempts + 1)
        ).rowcount
    if not claimed:
        return ""
    attempts = row.attempts + 1
    try:
        _smtp_send(parse_smtp_url(settings.smtp_url), _message(row))
    except Exception as err:  # noqa: BLE001 - any failure is recorded on the row and retried
        status = FAILED if attempts >= MAX_ATTEMPTS or _permanent(err) else PENDING
        error = f"{type(err).__name__}: {err}"[:500]
        log.warning("mail %s attempt %d failed: %s", outbox_id, attempts, error)
        values: dict = {"status": status, "last_error": error}
        if status == FAILED:  # never sent: its link secrets serve nobody
            values["body"] = redact(row.body)
    else:
        status = SENT
        values = {"status": SENT, "sent_at": now, "last_error": "", "body": redact(row.body)}
    with write_session() as s:
        s.execute(update(EmailOutbox).where(EmailOutbox.id == outbox_id, EmailOutbox.attempts == attempts)
                  .values(**values))
    return status


def due_ids(*, now: datetime | None = None, limit: int = 200) -> list[uuid.UUID]:
    """Pending mail older than :data:`SWEEP_GRACE` whose next attempt is due, oldest first (at most
    ``limit``); empty without ``SMTP_URL``."""
    now = now or utcnow()
    if not get_settings().smtp_url:
        return []
    with read_session() as s:
        rows = s.exec(
            select(EmailOutbox).where(EmailOutbox.status == PENDING, EmailOutbox.created_at <= now - SWEEP_GRACE)
            .order_by(EmailOutbox.created_at).limit(limit)
        ).all()
    return [r.id for r in rows if _due(r, now)]


def requeue_due(*, now: datetime | None = None) -> int:
    """The recovery sweep's part: queue every mail of :func:`due_ids`; returns how many."""
    ids = due_ids(now=now)
    send_soon(*ids)
    return len(ids)


def recent(*, limit: int = 50) -> list[OutboxEntry]:
    """The newest outbox rows, newest first (the development outbox page)."""
    with read_session() as s:
        rows = s.exec(select(EmailOutbox).order_by(EmailOutbox.created_at.desc()).limit(limit)).all()
    return [OutboxEntry(r.id, r.kind, r.to_address, r.subject, r.body, r.status, r.attempts, r.last_error,
                        as_utc(r.created_at) or utcnow(), as_utc(r.sent_at)) for r in rows]


def _loopback(host: str) -> bool:
    host = (host or "").strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def dev_outbox_allowed(client_ip: str) -> bool:
    """Whether the development outbox page may show the outbox to a client at ``client_ip``.

    Yes when ``DEV_OUTBOX`` is set, or when all of these hold: no ``SMTP_URL`` (embedded default), the
    client is on a loopback address, and the app's public origin is a loopback host (a deployment behind a
    local reverse proxy sees every client as 127.0.0.1, but it must configure its real origin).
    """
    settings = get_settings()
    if getattr(settings, "dev_outbox", False):
        return True
    if settings.smtp_url or not _loopback(client_ip):
        return False
    return _loopback(urlsplit(settings.public_url).hostname or "")


__all__ = [
    "FAILED", "HELD", "MAX_ATTEMPTS", "PENDING", "REDACTED", "RETRY_DELAYS", "SENT", "SWEEP_GRACE",
    "OutboxEntry", "SmtpTarget", "deliver", "dev_outbox_allowed", "due_ids", "enqueue", "parse_smtp_url",
    "recent", "redact", "requeue_due", "send_soon",
]
