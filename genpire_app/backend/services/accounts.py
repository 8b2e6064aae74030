"""Accounts: sign-up (with the sign-up credits or a verification e-mail first), and password checks.

Accounts are ``LocalUser`` rows (bcrypt hashes); the user name is the e-mail address. Browser sessions
are ``services.sessions``; e-mailed links (verification, password reset) are ``services.email_links``.
Source: issue 2 item 3, issue 7 item 2; DESIGN.md §10 (passwords hashed with a maintained library, the same
answer and cost for an unknown account as for a wrong password, sign-up credits after e-mail verification).

Sign-up: with a mail server configured (``SMTP_URL``, ``Settings.verification_required``) a new account
starts unverified with no credits; the verification link grants them (exactly once). Without one
(embedded default) the credits are granted at once and the address counts as verified. Either way a
verification mail is written to the outbox in the sign-up transaction.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import bcrypt
from sqlmodel import select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.account_models import LocalUser
from genpire_app.backend.db.models import utcnow
from genpire_app.backend.services import credits, throttle

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 72  # bcrypt's limit, bytes
#: A hash to compare against when the account does not exist, so timing does not reveal which e-mails exist.
_DUMMY_HASH = bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt())
#: Verification e-mails one account may ask for again: one a minute, this many an hour.
RESEND_PER_HOUR = 5


class AccountError(ValueError):
    """Sign-up input was refused. ``field`` is "email" or "password"; ``message`` is user-facing."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normalise_email(email: str) -> str:
    """Trimmed, lower-cased e-mail address."""
    return (email or "").strip().lower()


def validate_signup(email: str, password: str) -> str:
    """Check sign-up input; returns the normalised e-mail.

    Raises:
        AccountError: invalid e-mail, or a password shorter than 8 or longer than 72 bytes.
    """
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise AccountError("email", "Enter a valid email address.")
    if len(password or "") < MIN_PASSWORD:
        raise AccountError("password", f"Use at least {MIN_PASSWORD} characters for your password.")
    if len(password.encode("utf-8")) > MAX_PASSWORD:
        raise AccountError("password", f"Use at most {MAX_PASSWORD} bytes for your password.")
    return email


def create_account(*, email: str, password: str, signup_credits: int | None = None,
                   now: datetime | None = None) -> int:
    """Create an enabled account, in one transaction with its sign-up credits or verification mail.

    With ``Settings.verification_required`` (``SMTP_URL`` set) the account starts with
    ``email_verified_at = None`` and no grant: the verification link grants ``Settings.signup_credits``.
    Otherwise the credits are granted now and ``email_verified_at`` is set. In both cases a verification
    mail is written to the outbox and, after the commit, queued for sending.

    Args:
        signup_credits: hundredths of a credit to grant at once when verification is not required; default
            ``Settings.signup_credits`` (2000 = 20 credits); ``0`` grants nothing.
        now: the sign-up time (aware UTC; tests inject the clock).

    Returns:
        The new user's id.

    Raises:
        AccountError: invalid input, or the e-mail is already registered.
    """
    from genpire_app.backend.services import email_links, mail

    email = validate_signup(email, password)
    now = now or utcnow()
    settings = get_settings()
    verify_first = settings.verification_required
    amount = settings.signup_credits if signup_credits is None else signup_credits
    password_hash = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt())
    with write_session() as s:
        if s.exec(select(LocalUser.id).where(LocalUser.username == email)).first() is not None:
            raise AccountError("email", "An account with this email already exists. Sign in instead.")
        user = LocalUser(username=email, password_hash=password_hash, enabled=True,
                         email_verified_at=None if verify_first else now)
        s.add(user)
        s.flush()
        assert user.id is not None
        if amount > 0 and not verify_first:
            credits.grant(user_id=user.id, source="signup", amount=amount, source_ref=f"signup:{user.id}", session=s)
        outbox_id = email_links.send_verification(s, user_id=user.id, email=email, now=now)
        user_id = user.id
    mail.send_soon(outbox_id)
    return user_id


def is_verified(user_id: int) -> bool:
    """Whether the account's e-mail address is verified (False for an unknown account)."""
    with read_session() as s:
        user = s.get(LocalUser, user_id)
        return user is not None and user.email_verified_at is not None


def resend_verification(user_id: int, *, now: datetime | None = None) -> str:
    """Send a new verification link to an unverified account; returns the address it went to.

    Earlier links stay valid until they expire. At most one request a minute and :data:`RESEND_PER_HOUR`
    an hour per account (``services.throttle``, shared by every worker).

    Raises:
        AccountError: ``field="email"``: the address is already verified or the account is unknown.
        throttle.Throttled: asked too often; ``retry_after`` in seconds, the message is user-facing.
    """
    from genpire_app.backend.services import email_links, mail

    now = now or utcnow()
    with read_session() as s:
        user = s.get(LocalUser, user_id)
    if user is None or not user.enabled:
        raise AccountError("email", "We could not find your account. Please sign in again.")
    if user.email_verified_at is not None:
        raise AccountError("email", "Your email is already verified.")
    throttle.hit(f"verify-resend-minute:{user_id}", limit=1, window=timedelta(minutes=1), now=now)
    throttle.hit(f"verify-resend-hour:{user_id}", limit=RESEND_PER_HOUR, window=timedelta(hours=1), now=now)
    with write_session() as s:
        outbox_id = email_links.send_verification(s, user_id=user_id, email=user.username, now=now)
    mail.send_soon(outbox_id)
    return user.username


def authenticate(email: str, password: str) -> int | None:
    """The user id when ``password`` matches the enabled account of ``email``; otherwise None.

    Costs one bcrypt check whatever the input (an unknown account, a disabled one or an empty password is
    checked against a dummy hash), so the answer time does not tell which e-mails have accounts.
    """
    email = normalise_email(email)
    with read_session() as s:
        user = s.exec(select(LocalUser).where(LocalUser.username == email)).first()
    known = user is not None and user.enabled and user.id is not None
    stored = user.password_hash if known and user is not None else _DUMMY_HASH
    matches = bcrypt.checkpw((password or "").encode("utf-8")[:MAX_PASSWORD], stored)
    if not (known and matches and password):
        return None
    assert user is not None
    return user.id


def get_email(user_id: int) -> str:
    """The e-mail address of an account ("" when unknown)."""
    with read_session() as s:
        user = s.get(LocalUser, user_id)
        return user.username if user else ""
