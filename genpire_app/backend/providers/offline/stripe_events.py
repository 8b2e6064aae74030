"""Builders of Stripe-format webhook events for the local test checkout (and for tests).

Source: issue 9 item 8, DESIGN.md §6 ("payments": the test checkout's "Pay" posts a Stripe-format, correctly
signed event to our own Stripe webhook route) and §8 (Stripe webhooks). The shapes follow Stripe's API
reference for the API version the SDK pins (``stripe.api_version``, 2025+ "basil" and later):

* ``checkout.session`` has no top-level ``shipping_details`` any more: the address is in
  ``collected_information.shipping_details``;
* ``invoice`` has no top-level ``subscription`` any more: it is in ``parent.subscription_details``
  (``subscription`` and the subscription's ``metadata``) and on each line
  (``lines.data[i].parent.subscription_item_details.subscription``). Read it with
  :func:`invoice_subscription_id`, which also understands the older top-level field;
* ``charge.refunded`` carries the charge (``amount_refunded``, ``refunded``, ``payment_intent``) and
  ``data.previous_attributes``.

All builders are pure (ids are random unless given) and return plain dicts ready for ``json.dumps``. Money
is integer cents; currencies ISO 4217 lowercase; times unix seconds.
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Mapping
from typing import Any

import stripe

from ..stripe_client import SHIPPING_COUNTRIES

#: The API version stamped on events (the one the SDK, and so :class:`StripeCheckout`, pins).
API_VERSION: str = stripe.api_version
SESSION_LIFETIME_S = 24 * 3600
_ALPHABET = string.ascii_letters + string.digits
_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def new_id(prefix: str, length: int = 24) -> str:
    """A random Stripe-style id: ``prefix`` followed by ``length`` letters and digits (``evt_1aB...``).
    Source: DESIGN.md §6 (test checkout ids look like Stripe's)."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _address(address: Mapping[str, Any] | None) -> dict[str, Any]:
    given = address or {}
    return {key: given.get(key) for key in _ADDRESS_KEYS}


def event(
    type_: str,
    obj: Mapping[str, Any],
    *,
    event_id: str | None = None,
    created: int | None = None,
    previous_attributes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A Stripe ``event`` envelope (``id`` ``evt_...``, ``object`` ``"event"``, ``type``, ``created``,
    ``data.object``; ``data.previous_attributes`` for ``*.updated``-style events) around ``obj``.
    Source: DESIGN.md §8; Stripe API reference "The Event object"."""
    data: dict[str, Any] = {"object": dict(obj)}
    if previous_attributes is not None:
        data["previous_attributes"] = dict(previous_attributes)
    return {
        "id": event_id or new_id("evt_1"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()) if created is None else int(created),
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type_,
    }


def checkout_session(
    session_id: str,
    *,
    user_id: int,
    amount_subtotal: int,
    amount_total: int,
    currency: str,
    mode: str,
    email: str | None,
    shipping: Mapping[str, Any] | None,
    metadata: Mapping[str, str],
    payment_status: str = "paid",
    status: str = "complete",
    created: int | None = None,
    subscription_id: str | None = None,
    customer_id: str | None = None,
    payment_intent_id: str | None = None,
) -> dict[str, Any]:
    """A ``checkout.session`` object as Stripe sends it in events.

    ``shipping`` is ``{"name": ..., "address": {"line1", "line2", "city", "state", "postal_code",
    "country"}}`` (missing address keys become ``None``) or ``None``; the shipping amount is
    ``amount_total - amount_subtotal`` (tax 0). A complete payment-mode session gets a ``pi_...`` payment
    intent; a complete subscription-mode session a ``sub_...``, an ``in_...`` invoice and a ``cus_...``
    customer (Stripe always creates one) unless given. An expired session has neither, nor customer details.

    Source: DESIGN.md §6, §8; Stripe API reference "The Checkout Session object".
    """
    created_at = int(time.time()) if created is None else int(created)
    complete = status == "complete"
    subscription = mode == "subscription"
    if complete and subscription:
        subscription_id = subscription_id or new_id("sub_1")
        customer_id = customer_id or new_id("cus_", 14)
    if complete and not subscription:
        payment_intent_id = payment_intent_id or new_id("pi_3")
    name = shipping.get("name") if shipping else None
    details = None
    if complete:
        details = {
            "address": _address(shipping.get("address") if shipping else None),
            "email": email,
            "name": name,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        }
    shipping_details = {"address": _address(shipping.get("address")), "name": name} if shipping else None
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": amount_subtotal,
        "amount_total": amount_total,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "client_reference_id": str(user_id),
        "collected_information": {
            "business_name": None, "individual_name": None, "shipping_details": shipping_details,
        } if complete else None,
        "created": created_at,
        "currency": currency.lower(),
        "customer": customer_id,
        "customer_creation": None if subscription else "if_required",
        "customer_details": details,
        "customer_email": email,
        "expires_at": created_at + SESSION_LIFETIME_S,
        "invoice": new_id("in_1") if complete and subscription else None,
        "livemode": False,
        "locale": None,
        "metadata": dict(metadata),
        "mode": mode,
        "payment_intent": payment_intent_id if complete and not subscription else None,
        "payment_method_types": ["card"],
        "payment_status": payment_status,
        "shipping_address_collection": {"allowed_countries": list(SHIPPING_COUNTRIES)} if shipping else None,
        "shipping_cost": None,
        "status": status,
        "subscription": subscription_id if complete and subscription else None,
        "total_details": {
            "amount_discount": 0, "amount_shipping": max(0, amount_total - amount_subtotal), "amount_tax": 0,
        },
        "ui_mode": "hosted",
        "url": None,
    }


def completed_event(
    session_id: str,
    *,
    user_id: int,
    amount_subtotal: int,
    amount_total: int,
    currency: str,
    mode: str,
    email: str,
    shipping: dict | None,
    metadata: dict[str, str],
    payment_status: str = "paid",
    event_id: str | None = None,
    created: int | None = None,
    subscription_id: str | None = None,
    customer_id: str | None = None,
) -> dict[str, Any]:
    """A ``checkout.session.completed`` event for a paid (or, with ``payment_status="unpaid"``, an
    asynchronously paid, still pending) session; amounts in cents. See :func:`checkout_session`.
    Source: issue 9 item 8, DESIGN.md §6 (the test checkout's "Pay" posts it) and §8."""
    session = checkout_session(
        session_id, user_id=user_id, amount_subtotal=amount_subtotal, amount_total=amount_total,
        currency=currency, mode=mode, email=email, shipping=shipping, metadata=metadata,
        payment_status=payment_status, created=created, subscription_id=subscription_id, customer_id=customer_id,
    )
    return event("checkout.session.completed", session, event_id=event_id, created=created)


def async_payment_succeeded_event(
    session: Mapping[str, Any], *, event_id: str | None = None, created: int | None = None
) -> dict[str, Any]:
    """``checkout.session.async_payment_succeeded`` for ``session`` (the ``data.object`` of an earlier
    ``completed_event(..., payment_status="unpaid")``), now ``payment_status`` ``"paid"``.
    Source: DESIGN.md §8 (delayed payment methods)."""
    return event(
        "checkout.session.async_payment_succeeded", {**session, "payment_status": "paid"},
        event_id=event_id, created=created,
    )


def async_payment_failed_event(
    session: Mapping[str, Any], *, event_id: str | None = None, created: int | None = None
) -> dict[str, Any]:
    """``checkout.session.async_payment_failed`` for ``session``: still ``status`` ``"complete"``,
    ``payment_status`` ``"unpaid"`` (the bank debit or voucher failed). Source: DESIGN.md §8."""
    return event(
        "checkout.session.async_payment_failed", {**session, "payment_status": "unpaid"},
        event_id=event_id, created=created,
    )


def expired_event(
    session_id: str,
    *,
    user_id: int,
    amount_subtotal: int,
    amount_total: int,
    currency: str,
    mode: str,
    metadata: dict[str, str],
    email: str | None = None,
    event_id: str | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    """``checkout.session.expired``: the buyer never paid (``status`` ``"expired"``, ``payment_status``
    ``"unpaid"``, no payment intent, subscription or customer details). Source: DESIGN.md §8."""
    session = checkout_session(
        session_id, user_id=user_id, amount_subtotal=amount_subtotal, amount_total=amount_total,
        currency=currency, mode=mode, email=email, shipping=None, metadata=metadata,
        payment_status="unpaid", status="expired", created=created,
    )
    return event("checkout.session.expired", session, event_id=event_id, created=created)


def charge_refunded_event(
    *,
    payment_intent_id: str,
    amount: int,
    amount_refunded: int,
    currency: str,
    previously_refunded: int = 0,
    customer_id: str | None = None,
    metadata: dict[str, str] | None = None,
    charge_id: str | None = None,
    event_id: str | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    """``charge.refunded``: the charge of ``payment_intent_id`` (``pi_...``) of ``amount`` cents, of which
    ``amount_refunded`` cents are now refunded in total (``refunded`` is true when all of it is);
    ``data.previous_attributes.amount_refunded`` is ``previously_refunded``. Source: issue 9 item 8 (refunds),
    DESIGN.md §8; Stripe API reference "The Charge object".

    Raises:
        ValueError: ``amount_refunded`` not in ``(previously_refunded, amount]``.
    """
    if not previously_refunded < amount_refunded <= amount:
        raise ValueError("amount_refunded must be > previously_refunded and <= amount")
    created_at = int(time.time()) if created is None else int(created)
    charge = {
        "id": charge_id or new_id("ch_3"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "balance_transaction": new_id("txn_3"),
        "captured": True,
        "created": created_at,
        "currency": currency.lower(),
        "customer": customer_id,
        "disputed": False,
        "livemode": False,
        "metadata": dict(metadata or {}),
        "paid": True,
        "payment_intent": payment_intent_id,
        "payment_method": new_id("pm_1"),
        "refunded": amount_refunded == amount,
        "status": "succeeded",
    }
    previous = {"amount_refunded": previously_refunded, "refunded": False}
    return event("charge.refunded", charge, event_id=event_id, created=created_at, previous_attributes=previous)


def invoice_paid_event(
    *,
    subscription_id: str,
    customer_id: str,
    amount_paid: int,
    currency: str,
    period_start: int,
    period_end: int,
    billing_reason: str = "subscription_cycle",
    email: str | None = None,
    metadata: dict[str, str] | None = None,
    description: str = "1 × Monthly plan",
    price_id: str | None = None,
    invoice_id: str | None = None,
    event_id: str | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    """``invoice.paid`` for one period of ``subscription_id`` (``sub_...``): ``amount_paid`` cents for the
    service period ``[period_start, period_end)`` (unix seconds, on ``lines.data[0].period``);
    ``billing_reason`` is ``subscription_create`` for the first invoice, ``subscription_cycle`` for renewals.
    ``metadata`` is the subscription's (``parent.subscription_details.metadata``, e.g. ``user_id``).

    Source: issue 9 item 7 (monthly plans), DESIGN.md §8; Stripe API reference "The Invoice object".

    Raises:
        ValueError: ``period_end`` not after ``period_start``.
    """
    if period_end <= period_start:
        raise ValueError("period_end must be after period_start")
    created_at = int(time.time()) if created is None else int(created)
    inv_id = invoice_id or new_id("in_1")
    sub_meta = dict(metadata or {})
    line = {
        "id": new_id("il_1"),
        "object": "line_item",
        "amount": amount_paid,
        "currency": currency.lower(),
        "description": description,
        "invoice": inv_id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None, "proration": False, "proration_details": {"credited_items": None},
                "subscription": subscription_id, "subscription_item": new_id("si_", 14),
            },
            "type": "subscription_item_details",
        },
        "period": {"end": period_end, "start": period_start},
        "pricing": {
            "price_details": {"price": price_id or new_id("price_1"), "product": new_id("prod_", 14)},
            "type": "price_details",
            "unit_amount_decimal": str(amount_paid),
        },
        "quantity": 1,
        "subscription": subscription_id,
        "subtotal": amount_paid,
        "taxes": [],
    }
    invoice = {
        "id": inv_id,
        "object": "invoice",
        "amount_due": amount_paid,
        "amount_paid": amount_paid,
        "amount_remaining": 0,
        "attempt_count": 1,
        "attempted": True,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "created": created_at,
        "currency": currency.lower(),
        "customer": customer_id,
        "customer_email": email,
        "hosted_invoice_url": None,
        "lines": {"object": "list", "data": [line], "has_more": False, "total_count": 1,
                  "url": f"/v1/invoices/{inv_id}/lines"},
        "livemode": False,
        "metadata": {},
        "number": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {"metadata": sub_meta, "subscription": subscription_id},
            "type": "subscription_details",
        },
        "period_end": created_at,
        "period_start": created_at,
        "status": "paid",
        "status_transitions": {"finalized_at": created_at, "marked_uncollectible_at": None,
                               "paid_at": created_at, "voided_at": None},
        "subtotal": amount_paid,
        "total": amount_paid,
    }
    return event("invoice.paid", invoice, event_id=event_id, created=created_at)


def invoice_subscription_id(invoice: Mapping[str, Any]) -> str | None:
    """The subscription id (``sub_...``) of an invoice object: ``parent.subscription_details.subscription``
    (API 2025-03-31 and later), else the first line's, else the older top-level ``subscription``.
    Source: DESIGN.md §8; Stripe changelog 2025-03-31 ("invoice.subscription" moved under ``parent``)."""
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") if isinstance(parent, Mapping) else None
    if isinstance(details, Mapping) and isinstance(details.get("subscription"), str):
        return details["subscription"]
    lines = (invoice.get("lines") or {}).get("data") or []
    if lines and isinstance(lines[0], Mapping) and isinstance(lines[0].get("subscription"), str):
        return lines[0]["subscription"]
    legacy = invoice.get("subscription")
    return legacy if isinstance(legacy, str) else None


def session_shipping(session: Mapping[str, Any]) -> dict[str, Any] | None:
    """The shipping ``{"name", "address"}`` of a checkout.session object: ``collected_information.
    shipping_details`` (API 2025-03-31 and later), else the older top-level ``shipping_details``.
    Source: DESIGN.md §8; Stripe changelog 2025-03-31."""
    collected = session.get("collected_information") or {}
    details = collected.get("shipping_details") if isinstance(collected, Mapping) else None
    details = details or session.get("shipping_details")
    return dict(details) if isinstance(details, Mapping) else None


__all__ = [
    "API_VERSION", "async_payment_failed_event", "async_payment_succeeded_event", "charge_refunded_event",
    "checkout_session", "completed_event", "event", "expired_event", "invoice_paid_event",
    "invoice_subscription_id", "new_id", "session_shipping",
]
