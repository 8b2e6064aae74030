"""The local test checkout's "Pay" (issue 9 item 8; DESIGN.md §6 "payments", offline column): without
``STRIPE_SECRET_KEY`` a checkout session is ours (``/checkout/test/<id>``), and paying it POSTs a
``checkout.session.completed`` event in Stripe's format, signed with Stripe's scheme and our webhook secret,
to our own ``/api/webhooks/stripe`` route — the same route and code path Stripe's events take.

The POST goes to ``API_URL`` (a worker or another host reaching the web tier), else the public URL.
"""

from __future__ import annotations

import os

import httpx

from genpire_app.backend.config import get_settings
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.offline import stripe_events
from genpire_app.backend.providers.offline.test_checkout import signed_body
from genpire_app.backend.services import checkout

#: Where the test shipping address comes from when the buyer leaves the form empty (prints only).
SHIPPING_KEYS = ("name", "line1", "line2", "city", "postal_code", "state", "country")


def webhook_url() -> str:
    """Our Stripe webhook route on the web tier."""
    base = (os.environ.get("API_URL", "").strip() or get_settings().public_url).rstrip("/")
    return f"{base}/api/webhooks/stripe"


async def pay(user_id: int, session_id: str, *, email: str, shipping: dict[str, str] | None = None,
              transport: httpx.AsyncBaseTransport | None = None) -> str:
    """Pay the user's open test session: post its signed completed event to our webhook. Returns the
    webhook's result (``"order_paid"``; ``"duplicate"`` when paid twice).

    Args:
        shipping: the address form's fields (:data:`SHIPPING_KEYS`), required when a print is in the session.

    Raises:
        OperationError: ``not_found`` (not the user's session or not a test session), ``invalid_state``
            (expired or already paid), ``invalid_input`` (a shipping address is needed), ``unavailable``
            (our webhook did not accept the event).
    """
    row = checkout.get_owned(user_id, session_id)
    if row.provider != "test":
        raise OperationError("not_found", "This checkout does not exist.")
    if row.status != "open":
        raise OperationError("invalid_state", "This checkout is already paid or has expired.")
    address = None
    if row.needs_shipping:
        address = {k: (shipping or {}).get(k, "").strip() for k in SHIPPING_KEYS}
        if not all(address[k] for k in ("name", "line1", "city", "postal_code", "country")):
            raise OperationError("invalid_input", "Enter the shipping address: name, street, city, postcode, country.")
    event = stripe_events.completed_event(
        row.id, user_id=user_id, amount_subtotal=row.subtotal_cents, amount_total=row.subtotal_cents,
        currency=row.currency, mode=row.mode, email=email, metadata={"user_id": str(user_id)},
        shipping={"name": address.pop("name"), "address": address} if address else None,
        subscription_id=stripe_events.new_id("sub_test_") if row.mode == "subscription" else None,
        customer_id=stripe_events.new_id("cus_test_") if row.mode == "subscription" else None,
    )
    body, signature = signed_body(event, get_settings().stripe_webhook_secret_value())
    async with httpx.AsyncClient(transport=transport, timeout=30) as client:
        response = await client.post(webhook_url(), content=body,
                                     headers={"Stripe-Signature": signature, "Content-Type": "application/json"})
    if response.status_code != 200:
        raise OperationError("unavailable", "The payment could not be recorded. Please try again.")
    return str(response.json().get("result", ""))


__all__ = ["SHIPPING_KEYS", "pay", "webhook_url"]
