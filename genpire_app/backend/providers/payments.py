"""The payments capability (issue 9 item 8; DESIGN.md §6 "payments", §8): what the checkout needs from a
payment provider, whichever it is — Stripe Checkout (``providers.stripe_client``) with
``STRIPE_SECRET_KEY``, else the local test checkout (``providers.offline.test_checkout``), whose "Pay" posts
a Stripe-format event, signed with Stripe's scheme, to our own Stripe webhook route.

Money is integer cents; currencies are ISO 4217 lowercase (``"usd"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

#: Checkout modes (Stripe's): one-time payment, or a subscription (a monthly plan in the cart).
MODES = ("payment", "subscription")


@dataclass(frozen=True)
class LineItem:
    """One line of a checkout.

    Attributes:
        name: what the buyer sees ("Starter pack · 50 credits").
        unit_cents: price of one unit in cents, > 0.
        quantity: units, 1-100.
        kind: ``digital_model`` | ``print`` | ``credit_pack`` | ``plan`` (``db.commerce_models.ITEM_KINDS``).
        ref_id: our id of the thing sold (asset, print config, pack or plan).
        monthly: a monthly recurring price (plans; only in ``subscription`` mode).
        stripe_price_id: a Stripe Price to use instead of price data, if the catalogue row has one.
    """

    name: str
    unit_cents: int
    quantity: int
    kind: str
    ref_id: str
    monthly: bool = False
    stripe_price_id: str | None = None


@dataclass(frozen=True)
class CheckoutRequest:
    """A checkout session to create.

    Attributes:
        user_id: our buyer (sent as ``client_reference_id`` and in metadata).
        email: the buyer's e-mail (prefills Stripe's form).
        items: 1+ lines.
        mode: ``payment`` or ``subscription`` (:data:`MODES`).
        needs_shipping: collect a shipping address (only when a print is in it).
        success_url / cancel_url: absolute URLs the buyer returns to (``{CHECKOUT_SESSION_ID}`` allowed).
        idempotency_key: the same key never creates two sessions.
        currency: ISO 4217, lowercase.
        metadata: string key/values echoed back in the webhook events (e.g. ``{"user_id": "42"}``).
        customer_id: an existing Stripe customer of the user, if any.
    """

    user_id: int
    email: str
    items: tuple[LineItem, ...]
    mode: str
    needs_shipping: bool
    success_url: str
    cancel_url: str
    idempotency_key: str
    currency: str = "usd"
    metadata: dict[str, str] = field(default_factory=dict)
    customer_id: str | None = None


@dataclass(frozen=True)
class CreatedSession:
    """A checkout session the provider created: its id (``cs_...``), the URL to send the buyer to, and
    when it expires (UTC)."""

    id: str
    url: str
    expires_at: datetime


@runtime_checkable
class PaymentProvider(Protocol):
    """Creates checkout sessions and customer-portal links, and cancels subscriptions at period end.
    ``name``: ``"stripe"`` or ``"test"``."""

    name: str

    async def create_checkout(self, request: CheckoutRequest) -> CreatedSession:
        """Create a checkout session.

        Raises:
            ProviderError: refused or unreachable (user-safe message); nothing was charged.
        """
        ...

    async def portal_url(self, customer_id: str, return_url: str) -> str | None:
        """A customer-portal URL for the customer (payment methods, invoices, plan), or None when the
        provider has none (the test checkout)."""
        ...

    async def cancel_at_period_end(self, subscription_id: str) -> None:
        """End the provider's subscription when its paid period ends (nothing to do for the test checkout).

        Raises:
            ProviderError: refused or unreachable.
        """
        ...


__all__ = ["MODES", "CheckoutRequest", "CreatedSession", "LineItem", "PaymentProvider"]
