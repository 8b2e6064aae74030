"""E-mailed links: e-mail verification (with the sign-up credits) and password reset (issue 7 item 2;
DESIGN.md §10: "Sign-up credits after email verification").

A link carries a single-use secret: ``secrets.token_urlsafe(32)`` (256 bits); ``email_tokens`` keeps only
its SHA-256 hex, its purpose (``verify`` | ``reset``) and its expiry (``VERIFY_LINK_HOURS``, default 48 h;
``RESET_LINK_MINUTES``, default 30 min). Using a link is one conditional update, ``UPDATE email_tokens SET
used_at = now WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > now``: of any
number of concurrent uses exactly one wins.

- Verification: the winner sets ``localuser.email_verified_at`` (only while it is null) and, when a mail
  server is configured (``Settings.verification_required``), grants the sign-up credits with
  ``source_ref = "signup:<user id>"``, in the same transaction. The ledger's ``UNIQUE(kind, source_ref)``
  and ``credits.grant``'s idempotency make a second grant impossible; a replayed link says "already
  verified" and grants nothing. Without a mail server the credits were granted at sign-up.
- Password reset: a request answers the same whatever the address (no enumeration) and takes at least
  :data:`RESET_ANSWER_SECONDS`; it writes a mail only for an enabled account and invalidates that
  account's earlier unused reset links. Using the link sets a new bcrypt hash and revokes every session.

Mail goes through the outbox (``services.mail``), written in the transaction that issues the token.
Every function takes ``now`` (aware UTC) so tests inject the clock.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import bcrypt
from sqlalchemy import update
from sqlmodel import Session, select

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.db.account_models import EmailToken, LocalUser
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import CreditGrant, utcnow
from genpire_app.backend.services import credits, mail, sessions, throttle

VERIFY, RESET = "verify", "reset"
#: A password-reset request answers no sooner than this, seconds (same time for unknown addresses).
RESET_ANSWER_SECONDS = 0.25
#: Reset requests per client IP, and per e-mail address, per hour.
RESET_PER_IP_PER_HOUR = 10
RESET_PER_ADDRESS_PER_HOUR = 3
#: The one answer to every accepted reset request.
RESET_REQUESTED = "If an account exists for that address, we sent a link to reset its password."
LINK_INVALID = "This link has expired or was already used. Please ask for a new one."


class LinkError(ValueError):
    """A link or form was refused; ``message`` is user-facing. ``field`` is ``"token"`` for an unknown,
    expired or used link and ``"password"`` for a new password that breaks the sign-up rules."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class VerifyResult:
    """What following a verification link did.

    ``status``: ``"verified"`` (this use of the link verified the address), ``"already"`` (the link was
    used before and the address is verified) or ``"invalid"`` (unknown or expired link). ``granted``:
    hundredths of a credit granted by this use (0 unless the sign-up credits were granted now).
    """

    status: str
    granted: int = 0
    user_id: int | None = None

    @property
    def message(self) -> str:
        """The sentence the verification page shows."""
        if self.status == "verified":
            extra = f" — {format_credits(self.granted)} added to your account." if self.granted else "."
            return "Your email is verified" + extra
        if self.status == "already":
            return "Your email is already verified. This link was used before, so no credits were added again."
        return "This verification link has expired or is not valid."


def digest(token: str) -> str:
    """SHA-256 hex of a link secret (what ``email_tokens`` stores)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, *, user_id: int, purpose: str, ttl: timedelta, now: datetime | None = None) -> str:
    """Create a single-use link secret for ``user_id`` in the caller's write ``session``; returns the secret
    (only its digest is stored). ``purpose``: :data:`VERIFY` or :data:`RESET`; valid for ``ttl``."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(EmailToken(user_id=user_id, purpose=purpose, token_hash=digest(token), created_at=now,
                           expires_at=now + ttl))
    session.flush()
    return token


def consume(session: Session, *, token: str, purpose: str, now: datetime | None = None) -> int | None:
    """Use a link secret in the caller's write ``session``: the owner's user id when this call used it,
    None when it is unknown, of another purpose, expired or already used (including by a concurrent
    caller: the conditional update lets exactly one win)."""
    if not token:
        return None
    now = now or utcnow()
    h = digest(token)
    won = session.execute(
        update(EmailToken)
        .where(EmailToken.token_hash == h, EmailToken.purpose == purpose, EmailToken.used_at.is_(None),
               EmailToken.expires_at > now)
        .values(used_at=now)
    ).rowcount
    if not won:
        return None
    return session.exec(select(EmailToken.user_id).where(EmailToken.token_hash == h)).one()


def _link(path: str, token: str) -> str:
    return f"{get_settings().public_url}{path}?token={token}"


def send_verification(session: Session, *, user_id: int, email: str, now: datetime | None = None) -> uuid.UUID:
    """Issue a verification link and write its mail to the outbox, in the caller's write ``session``.

    Returns the outbox id: after the commit pass it to ``mail.send_soon``.
    """
    settings = get_settings()
    hours = settings.verify_link_hours
    token = issue_token(session, user_id=user_id, purpose=VERIFY, ttl=timedelta(hours=hours), now=now)
    if settings.verification_required and settings.signup_credits > 0:
        why = f"Confirm your email address to receive your {format_credits(settings.signup_credits)} sign-up credits:"
    else:
        why = "Please confirm your email address:"
    body = (f"Welcome to Genpire!\n\n{why}\n\n{_link('/verify-email', token)}\n\n"
            f"The link works once and expires in {hours} hours. If you did not create an account, you can "
            "ignore this email.\n")
    return mail.enqueue(session, user_id=user_id, kind=VERIFY, to=email, subject="Confirm your email for Genpire",
                        body=body, now=now)


def _signup_granted(session: Session, user_id: int) -> bool:
    return session.exec(select(CreditGrant.id).where(CreditGrant.source_ref == f"signup:{user_id}")).first() is not None


def verify_email(token: str, *, now: datetime | None = None) -> VerifyResult:
    """Follow a verification link (see the module docstring): marks the address verified and, when a mail
    server is configured, grants the sign-up credits exactly once. Never raises for a bad link."""
    from genpire_app.backend.jobs import push

    now = now or utcnow()
    settings = get_settings()
    granted = 0
    with write_session() as s:
        user_id = consume(s, token=token, purpose=VERIFY, now=now)
        if user_id is None:
            used = s.exec(select(EmailToken.user_id).join(LocalUser, LocalUser.id == EmailToken.user_id).where(
                EmailToken.token_hash == digest(token or ""), EmailToken.purpose == VERIFY,
                EmailToken.used_at.is_not(None), LocalUser.email_verified_at.is_not(None))).first()
            return VerifyResult("already", user_id=used) if used is not None else VerifyResult("invalid")
        s.execute(update(LocalUser).where(LocalUser.id == user_id, LocalUser.email_verified_at.is_(None))
                  .values(email_verified_at=now))
        amount = settings.signup_credits
        if settings.verification_required and amount > 0 and not _signup_granted(s, user_id):
            credits.grant(user_id=user_id, source="signup", amount=amount, source_ref=f"signup:{user_id}", session=s)
            granted = amount
    if granted:
        push.publish(user_id, push.Topic.BALANCE)
    return VerifyResult("verified", granted=granted, user_id=user_id)


def _pad(started: float) -> None:
    left = RESET_ANSWER_SECONDS - (time.monotonic() - started)
    if left > 0:
        time.sleep(left)


def request_password_reset(email: str, *, ip: str, now: datetime | None = None) -> str:
    """Ask for a password-reset link for ``email`` (the "Forgot password" form).

    For an enabled account: invalidates its earlier unused reset links, issues a new one (valid
    ``RESET_LINK_MINUTES``) and writes the mail, in one transaction, then queues the mail. For any other
    address nothing is written. Either way the answer is :data:`RESET_REQUESTED`, given no sooner than
    :data:`RESET_ANSWER_SECONDS` after the call (blocking: call it in a thread).

    Raises:
        throttle.Throttled: over :data:`RESET_PER_IP_PER_HOUR` requests from this IP, or over
            :data:`RESET_PER_ADDRESS_PER_HOUR` for this address (counted the same for unknown addresses,
            so the refusal reveals nothing either).
        LinkError: (field ``"email"``) the address is not an e-mail address at all.
    """
    from genpire_app.backend.services import accounts

    started = time.monotonic()
    now = now or utcnow()
    address = accounts.normalise_email(email)
    if not accounts.EMAIL_RE.match(address) or len(address) > 254:
        raise LinkError("email", "Enter a valid email address.")
    try:
        throttle.hit("reset-" + throttle.ip_key(ip), limit=RESET_PER_IP_PER_HOUR, window=timedelta(hours=1), now=now)
        throttle.hit("reset-" + throttle.account_key(address), limit=RESET_PER_ADDRESS_PER_HOUR,
                     window=timedelta(hours=1), now=now)
    except throttle.Throttled:
        _pad(started)
        raise
    outbox_id = None
    minutes = get_settings().reset_link_minutes
    with write_session() as s:
        user = s.exec(select(LocalUser).where(LocalUser.username == address, LocalUser.enabled.is_(True))).first()
        if user is not None and user.id is not None:
            s.execute(update(EmailToken).where(EmailToken.user_id == user.id, EmailToken.purpose == RESET,
                                               EmailToken.used_at.is_(None)).values(used_at=now))
            token = issue_token(s, user_id=user.id, purpose=RESET, ttl=timedelta(minutes=minutes), now=now)
            body = (f"Someone (hopefully you) asked to reset the password of your Genpire account.\n\n"
                    f"Choose a new password here:\n\n{_link('/reset-password', token)}\n\n"
                    f"The link works once and expires in {minutes} minutes. If you did not ask for this, you "
                    "can ignore this email: your password stays the same.\n")
            outbox_id = mail.enqueue(s, user_id=user.id, kind=RESET, to=address,
                                     subject="Reset your Genpire password", body=body, now=now)
    mail.send_soon(outbox_id)
    _pad(started)
    return RESET_REQUESTED


def _open_reset(token: str, now: datetime) -> LocalUser | None:
    if not token:
        return None
    with read_session() as s:
        return s.exec(
            select(LocalUser).join(EmailToken, EmailToken.user_id == LocalUser.id).where(
                EmailToken.token_hash == digest(token), EmailToken.purpose == RESET, EmailToken.used_at.is_(None),
                EmailToken.expires_at > now, LocalUser.enabled.is_(True))
        ).first()


def reset_link_valid(token: str, *, now: datetime | None = None) -> bool:
    """Whether ``token`` is an unused, unexpired reset link of an enabled account (read-only; the reset
    page checks it before asking for a password)."""
    return _open_reset(token, now or utcnow()) is not None


def reset_password(token: str, new_password: str, *, now: datetime | None = None) -> int:
    """Use a reset link: set ``new_password`` (bcrypt), use up the link and every other unused reset link of
    the account, then revoke every session of the account (every tab is told at once).

    The password is checked before the link is used, so a refused password leaves the link usable.

    Returns:
        The account's user id.

    Raises:
        LinkError: ``field="token"`` for an unknown, expired or used link; ``field="password"`` when the
            password breaks the sign-up rules (8 to 72 bytes).
    """
    from genpire_app.backend.jobs import push
    from genpire_app.backend.services import accounts

    now = now or utcnow()
    user = _open_reset(token, now)
    if user is None or user.id is None:
        raise LinkError("token", LINK_INVALID)
    try:
        accounts.validate_signup(user.username, new_password)
    except accounts.AccountError as err:
        raise LinkError("password", err.message) from err
    password_hash = bcrypt.hashpw(new_password.encode("utf-8"), bcrypt.gensalt())
    with write_session() as s:
        user_id = consume(s, token=token, purpose=RESET, now=now)
        if user_id is None:
            raise LinkError("token", LINK_INVALID)
        s.execute(update(LocalUser).where(LocalUser.id == user_id).values(password_hash=password_hash))
        s.execute(update(EmailToken).where(EmailToken.user_id == user_id, EmailToken.purpose == RESET,
                                           EmailToken.used_at.is_(None)).values(used_at=now))
    sessions.revoke_all(user_id=user_id, now=now)
    push.publish(user_id, push.Topic.SESSION)
    return user_id


__all__ = [
    "LINK_INVALID", "RESET", "RESET_REQUESTED", "VERIFY", "LinkError", "VerifyResult", "consume", "digest",
    "issue_token", "request_password_reset", "reset_link_valid",
    "reset_password", "send_verification", "verify_email",
]
