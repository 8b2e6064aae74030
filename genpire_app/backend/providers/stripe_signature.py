"""Stripe webhook signatures: sign an event body (the local test checkout) and verify one (our webhook route).

Source: issue 9 item 8, DESIGN.md §6 ("payments": the test checkout's "Pay" posts a Stripe-format, correctly
signed event to our own Stripe webhook route) and §8 (verify ``Stripe-Signature`` on the raw body with
``stripe.Webhook.construct_event``, tolerance 300 s).

Stripe's scheme ("Check the webhook signatures", Stripe docs): the header is
``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the endpoint secret (whsec_...)>``;
several ``v1=`` entries may be present (secret rolling), any match is accepted, and a timestamp older than
the tolerance is refused (replay protection).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import stripe

#: Seconds a signature stays valid (DESIGN.md §8; Stripe's default).
DEFAULT_TOLERANCE_S = 300
HEADER = "Stripe-Signature"


class InvalidSignature(ValueError):
    """The webhook body is not a genuine, fresh Stripe event: no or malformed ``Stripe-Signature`` header,
    no matching ``v1`` signature, a timestamp older than the tolerance, or a body that is not a JSON event.
    The message is for logs; the route answers 400 without details. Source: DESIGN.md §8."""


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload`` signed with ``secret`` at ``timestamp`` (unix
    seconds; default now): ``t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<payload>")>``.
    Source: DESIGN.md §6 (the test checkout signs its events); Stripe docs "Verify webhook signatures".

    Raises:
        ValueError: an empty ``secret``.
    """
    if not secret:
        raise ValueError("a webhook secret is required")
    t = int(time.time()) if timestamp is None else int(timestamp)
    mac = hmac.new(secret.encode("utf-8"), f"{t}.".encode() + payload, hashlib.sha256)
    return f"t={t},v1={mac.hexdigest()}"


def verify(payload: bytes, header: str | None, secret: str, tolerance_s: int = DEFAULT_TOLERANCE_S) -> dict[str, Any]:
    """Check ``header`` against the raw ``payload`` with ``stripe.Webhook.construct_event`` and return the
    event as a plain ``dict`` (``id``, ``type``, ``created``, ``data.object`` ...): ``json.loads`` of the
    verified body, so nested values are ordinary dicts and lists. Source: DESIGN.md §8 (tolerance 300 s).

    Args:
        payload: the raw request body, unmodified (re-serialised JSON would not match).
        header: the ``Stripe-Signature`` header value (``None`` when missing).
        secret: the endpoint's signing secret (``STRIPE_WEBHOOK_SECRET``, ``whsec_...``).
        tolerance_s: maximum age of the signature's timestamp, seconds (> 0).

    Raises:
        InvalidSignature: missing/malformed header, no matching signature, stale timestamp, a body that is not
            UTF-8 JSON, or not an event object (``"object": "event"`` with ``id`` and ``type``).
        ValueError: an empty ``secret`` or a non-positive ``tolerance_s`` (configuration errors).
    """
    if not secret:
        raise ValueError("a webhook secret is required")
    if tolerance_s <= 0:
        raise ValueError("tolerance_s must be > 0")
    if not header:
        raise InvalidSignature(f"missing {HEADER} header")
    try:
        stripe.Webhook.construct_event(payload, header, secret, tolerance=tolerance_s)
        data = json.loads(payload)  # the same body, as plain dicts and lists (not StripeObjects)
    except stripe.SignatureVerificationError as exc:
        raise InvalidSignature(exc.user_message or "signature verification failed") from None
    except (ValueError, TypeError, AttributeError) as exc:  # bad UTF-8 or JSON, or JSON that is not an object
        raise InvalidSignature(f"body is not a JSON event: {type(exc).__name__}") from None
    if not isinstance(data, dict) or data.get("object") != "event" or not data.get("id") or not data.get("type"):
        raise InvalidSignature("body is not a Stripe event object")
    return data


__all__ = ["DEFAULT_TOLERANCE_S", "HEADER", "InvalidSignature", "sign", "verify"]
