"""Accounts: sign-up with the signup credit grant, and password checks.

Accounts are ``LocalUser`` rows (bcrypt hashes); the user name is the e-mail address. A signed-in browser
holds a random session token (``secrets``, 256 bits); the database keeps only its SHA-256 digest.
Source: issue 2 item 3; DESIGN.md §10 (passwords hashed with a maintained library).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import bcrypt
from sqlalchemy import delete
from sqlmodel import select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import LocalAuthSession, LocalUser, utcnow
from genpire_app.backend.services import credits

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 72  # bcrypt's limit, bytes
#: A hash to compare against when the account does not exist, so timing does not reveal which e-mails exist.
_DUMMY_HASH = bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt())


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


def create_account(*, email: str, password: str, signup_credits: int | None = None) -> int:
    """Create an enabled account and grant its signup credits, in one transaction.

    Args:
        signup_credits: hundredths of a credit to grant; default ``Settings.signup_credits`` (2000 = 20
            credits); ``0`` grants nothing.

    Returns:
        The new user's id.

    Raises:
        AccountError: invalid input, or the e-mail is already registered.
    """
    email = validate_signup(email, password)
    amount = get_settings().signup_credits if signup_credits is None else signup_credits
    password_hash = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt())
    with write_session() as s:
        if s.exec(select(LocalUser.id).where(LocalUser.username == email)).first() is not None:
            raise AccountError("email", "An account with this email already exists. Sign in instead.")
        user = LocalUser(username=email, password_hash=password_hash, enabled=True)
        s.add(user)
        s.flush()
        assert user.id is not None
        if amount > 0:
            credits.grant(user_id=user.id, source="signup", amount=amount, source_ref=f"signup:{user.id}", session=s)
        return user.id


def authenticate(email: str, password: str) -> int | None:
    """The user id when ``password`` matches the enabled account of ``email``; otherwise None."""
    email = normalise_email(email)
    with read_session() as s:
        user = s.exec(select(LocalUser).where(LocalUser.username == email)).first()
    if user is None or not user.enabled or user.id is None:
        bcrypt.checkpw((password or "x").encode("utf-8")[:MAX_PASSWORD], _DUMMY_HASH)
        return None
    if not password or not bcrypt.checkpw(password.encode("utf-8")[:MAX_PASSWORD], user.password_hash):
        return None
    return user.id


def get_email(user_id: int) -> str:
    """The e-mail address of an account ("" when unknown)."""
    with read_session() as s:
        user = s.get(LocalUser, user_id)
        return user.username if user else ""


#: How long a session lasts after sign-in.
SESSION_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class SignedIn:
    """The account behind a session token: id and e-mail address."""

    user_id: int
    email: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(user_id: int) -> str:
    """Create a session for ``user_id`` and return its token (only the digest is stored)."""
    token = secrets.token_urlsafe(32)
    with write_session() as s:
        s.add(LocalAuthSession(user_id=user_id, session_id=_digest(token), expiration=utcnow() + SESSION_LIFETIME))
    return token


def session_user(token: str) -> SignedIn | None:
    """The enabled account of an unexpired session token, or None."""
    if not token:
        return None
    with read_session() as s:
        row = s.exec(
            select(LocalUser.id, LocalUser.username)
            .join(LocalAuthSession, LocalAuthSession.user_id == LocalUser.id)
            .where(LocalAuthSession.session_id == _digest(token), LocalAuthSession.expiration > utcnow(),
                   LocalUser.enabled.is_(True))
        ).first()
    return SignedIn(int(row[0]), str(row[1])) if row is not None else None


def end_session(token: str) -> None:
    """Revoke a session token (sign-out); unknown tokens are ignored."""
    if token:
        with write_session() as s:
            s.execute(delete(LocalAuthSession).where(LocalAuthSession.session_id == _digest(token)))
