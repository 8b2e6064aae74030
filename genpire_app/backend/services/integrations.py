"""Store connections (issue 11 item 6; DESIGN.md §6 "shop", §10 "secrets"): a user's Shopify shop domain,
Admin API token and webhook secret, stored encrypted at rest in ``integrations``.

Encryption: Fernet (AES-128-CBC + HMAC-SHA256, ``cryptography``) with the key of
``get_settings().integrations_key_value()`` (``INTEGRATIONS_KEY``, or derived from ``SECRET_KEY``). The token
is decrypted only to build a :class:`~genpire_app.backend.providers.shopify.ShopifyAdmin` or to verify a
webhook; what leaves this module for pages is a :class:`ConnectionView` with a hint of the token's last four
characters, never the token.

Clients are built by a factory (:func:`set_client_factory`), so tests and the e2e tier inject a fake shop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete
from sqlmodel import Session, select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.fields import as_utc, utcnow
from genpire_app.backend.db.marketing_models import Integration
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.shopify import ShopifyAdmin, normalize_shop_domain

log = logging.getLogger(__name__)

PROVIDER = "shopify"
#: Prefixes of Shopify Admin API tokens (custom app, custom app via partner, private app).
TOKEN_PREFIXES = ("shpat_", "shpca_", "shppa_")
#: A token without a known prefix must be at least this long.
MIN_TOKEN_LENGTH = 20
MAX_SECRET_LENGTH = 500

#: ``factory(shop_domain, token, api_version) -> ShopifyAdmin`` (or anything with its async methods).
ClientFactory = Callable[[str, str, str], Any]


class IntegrationError(ValueError):
    """A connection was refused; ``str(err)`` is a user-safe sentence (never contains the token)."""


@dataclass(frozen=True)
class ConnectionView:
    """What a page may show of a connection.

    Attributes:
        shop_domain: ``<name>.myshopify.com``.
        connected_at: when the connection was first made (UTC).
        token_hint: ``"••••"`` + the token's last four characters.
        shop_name: the shop's name when just verified (None when read back later).
        webhooks_enabled: whether a webhook secret is stored (Shopify webhooks are verified with it).
        needs_reconnect: the stored token cannot be decrypted any more (the key changed): connect again.
    """

    shop_domain: str
    connected_at: datetime
    token_hint: str
    shop_name: str | None = None
    webhooks_enabled: bool = False
    needs_reconnect: bool = False


def _default_factory(shop_domain: str, token: str, api_version: str) -> ShopifyAdmin:
    return ShopifyAdmin(shop_domain, token, api_version=api_version)


_factory: ClientFactory = _default_factory


def set_client_factory(fn: ClientFactory | None) -> None:
    """Build Shopify clients with ``fn(shop_domain, token, api_version)`` from now on (None: the real
    :class:`ShopifyAdmin`). Tests and the e2e tier inject a fake shop this way."""
    global _factory
    _factory = fn or _default_factory


# ------------------------------------------------------------------------------------------- crypto


def _fernet() -> Fernet:
    return Fernet(get_settings().integrations_key_value())


def encrypt(text: str) -> str:
    """``text`` encrypted with the integrations key (a Fernet token, urlsafe base64)."""
    return _fernet().encrypt(text.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """The clear text of :func:`encrypt`'s output.

    Raises:
        IntegrationError: the key changed or the ciphertext was altered (the user reconnects).
    """
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except (InvalidToken, ValueError):
        raise IntegrationError("The stored Shopify connection cannot be read any more. Please connect again.") from None


def _hint(token: str) -> str:
    return "••••" + token[-4:]


# ------------------------------------------------------------------------------------------- checks


def check_token(raw: str) -> str:
    """The stripped Admin API token if plausible: a ``shpat_``/``shpca_``/``shppa_`` prefix or at least
    :data:`MIN_TOKEN_LENGTH` characters, no whitespace inside.

    Raises:
        IntegrationError: empty or implausible.
    """
    token = (raw or "").strip()
    if not token:
        raise IntegrationError("Enter the Admin API token.")
    plausible = token.startswith(TOKEN_PREFIXES) or len(token) >= MIN_TOKEN_LENGTH
    if not plausible or any(c.isspace() for c in token) or len(token) > MAX_SECRET_LENGTH:
        raise IntegrationError("That does not look like a Shopify Admin API token (it starts with shpat_).")
    return token


def _check_secret(raw: str | None) -> str | None:
    secret = (raw or "").strip()
    if len(secret) > MAX_SECRET_LENGTH:
        raise IntegrationError("The webhook secret is too long.")
    return secret or None


# ------------------------------------------------------------------------------------------- service


async def connect_shopify(user_id: int, *, shop_domain: str, admin_token: str,
                          webhook_secret: str | None = None) -> ConnectionView:
    """Check the input, verify it against Shopify (``shop_name()``), then store the connection encrypted
    (replacing the user's previous one). Nothing is stored when any step fails.

    Args:
        user_id: the owner.
        shop_domain: ``x.myshopify.com`` (``https://x.myshopify.com/`` accepted).
        admin_token: the custom app's Admin API access token.
        webhook_secret: the app's secret Shopify signs webhooks with (optional: no webhooks without it).

    Returns:
        The stored connection's :class:`ConnectionView`, with the verified ``shop_name``.

    Raises:
        IntegrationError: bad domain or token, or Shopify refused the connection (its user-safe reason).
    """
    try:
        domain = normalize_shop_domain(shop_domain)
    except ValueError as err:
        raise IntegrationError(str(err)) from None
    token = check_token(admin_token)
    secret = _check_secret(webhook_secret)
    try:
        client = _factory(domain, token, get_settings().shopify_api_version)
        name = await client.shop_name()
    except ProviderError as err:
        log.info("shopify connect for user %s to %s refused: %s", user_id, domain, err.detail or err.message)
        raise IntegrationError(f"Could not connect to {domain}: {err.message}") from None
    except (ValueError, OSError) as err:
        log.info("shopify connect for user %s to %s failed: %s", user_id, domain, type(err).__name__)
        raise IntegrationError(f"Could not connect to {domain}. Check the domain and the token.") from None
    token_ct, secret_ct = encrypt(token), (encrypt(secret) if secret else None)
    row = await asyncio.to_thread(_store, user_id, domain, token_ct, secret_ct)
    log.info("shopify connected for user %s: %s", user_id, domain)
    return ConnectionView(shop_domain=domain, connected_at=as_utc(row.created_at), token_hint=_hint(token),
                          shop_name=name, webhooks_enabled=secret is not None)


def _store(user_id: int, domain: str, token_ct: str, secret_ct: str | None) -> Integration:
    with write_session() as s:
        row = _row(s, user_id)
        now = utcnow()
        if row is None:
            row = Integration(user_id=user_id, provider=PROVIDER, shop_domain=domain, token_ciphertext=token_ct,
                              webhook_secret_ciphertext=secret_ct, created_at=now, updated_at=now)
        else:
            if row.shop_domain != domain:
                row.created_at = now  # a different shop: a new connection
            row.shop_domain, row.token_ciphertext = domain, token_ct
            row.webhook_secret_ciphertext, row.updated_at = secret_ct, now
        s.add(row)
        s.flush()
        return row


def _row(s: Session, user_id: int) -> Integration | None:
    return s.exec(select(Integration).where(Integration.user_id == user_id, Integration.provider == PROVIDER)).first()


def disconnect(user_id: int) -> bool:
    """Delete the user's Shopify connection (token and secret with it). Returns whether one existed."""
    with write_session() as s:
        result = s.execute(delete(Integration).where(Integration.user_id == user_id, Integration.provider == PROVIDER))
        removed = bool(result.rowcount)
    if removed:
        log.info("shopify disconnected for user %s", user_id)
    return removed


def connection(user_id: int) -> ConnectionView | None:
    """The user's Shopify connection as a page may show it, or None. ``shop_name`` is None here; a token
    that cannot be decrypted any more gives ``needs_reconnect`` and the hint ``"••••"``."""
    with read_session() as s:
        row = _row(s, user_id)
    if row is None:
        return None
    try:
        hint, broken = _hint(decrypt(row.token_ciphertext)), False
    except IntegrationError:
        hint, broken = "••••", True
    return ConnectionView(shop_domain=row.shop_domain, connected_at=as_utc(row.created_at), token_hint=hint,
                          webhooks_enabled=row.webhook_secret_ciphertext is not None, needs_reconnect=broken)


def is_connected(user_id: int) -> bool:
    """Whether the user has a Shopify connection (no decryption)."""
    with read_session() as s:
        return _row(s, user_id) is not None


def shopify_client(user_id: int) -> Any | None:
    """A Shopify client for the user's connection (built by the client factory), or None when not
    connected. Reads one row (call from a worker thread or accept ~1 ms on the loop).

    Raises:
        ProviderError: the stored token cannot be decrypted any more (the key changed; not retryable,
            user-safe message asking to connect again).
    """
    with read_session() as s:
        row = _row(s, user_id)
    if row is None:
        return None
    try:
        token = decrypt(row.token_ciphertext)
    except IntegrationError as err:
        raise ProviderError(str(err), provider=PROVIDER, retryable=False, detail="token cannot be decrypted") from None
    return _factory(row.shop_domain, token, get_settings().shopify_api_version)


def webhook_secrets(shop_domain: str) -> list[tuple[int, str]]:
    """``(user_id, webhook secret)`` of every connection to ``shop_domain`` that has a secret (used to
    verify ``X-Shopify-Hmac-Sha256``). Unreadable secrets are skipped (logged)."""
    with read_session() as s:
        rows = list(s.exec(select(Integration).where(Integration.provider == PROVIDER,
                                                     Integration.shop_domain == shop_domain,
                                                     Integration.webhook_secret_ciphertext.is_not(None))))
    out = []
    for row in rows:
        try:
            out.append((row.user_id, decrypt(row.webhook_secret_ciphertext or "")))
        except IntegrationError:
            log.warning("shopify webhook secret of user %s cannot be decrypted", row.user_id)
    return out


__all__ = [
    "ConnectionView", "IntegrationError", "check_token", "connect_shopify", "connection", "decrypt",
    "disconnect", "encrypt", "is_connected", "set_client_factory", "shopify_client", "webhook_secrets",
]
