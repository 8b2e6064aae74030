"""The local test checkout: the payments provider used when ``STRIPE_SECRET_KEY`` is not set.

Source: issue 9 item 8 and DESIGN.md §6 ("payments", offline column): a local test checkout page whose "Pay"
posts a Stripe-format, correctly signed event to our own Stripe webhook route, so orders, credits and
subscriptions go through exactly the code path real Stripe events take (DESIGN.md §8).

* :class:`TestCheckout` creates ``cs_test_...`` sessions whose URL is our own page ``/checkout/test/<id>``.
* The event builders live in :mod:`.stripe_events` (:func:`completed_event` is re-exported here);
  :func:`signed_body` turns an event into the raw body and ``Stripe-Signature`` header to POST to
  ``/api/webhooks/stripe``.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from ..payments import CheckoutRequest, CreatedSession
from ..stripe_client import session_params
from ..stripe_signature import sign
from .stripe_events import SESSION_LIFETIME_S, completed_event, new_id

PROVIDER = "test"
#: Idempotency keys remembered per process (oldest forgotten first).
MAX_REMEMBERED_KEYS = 1024


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class TestCheckout:
    """The local test checkout as a :class:`~..payments.PaymentProvider` (``name`` ``"test"``).

    Args:
        clock: the current UTC time (tests inject a fixed one).

    Sessions are not stored here (the caller keeps its ``checkout_sessions`` row); only the idempotency keys
    of this process are remembered, so the same key returns the same session, like Stripe.

    Source: issue 9 item 8, DESIGN.md §6 ("payments", offline column).
    """

    __test__ = False  # not a pytest test class despite its name
    name = PROVIDER

    def __init__(self, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self._clock = clock
        self._by_key: OrderedDict[str, CreatedSession] = OrderedDict()

    async def create_checkout(self, request: CheckoutRequest) -> CreatedSession:
        """A session ``cs_test_<24 letters/digits>`` with URL ``/checkout/test/<id>`` (our own page),
        expiring 24 hours from now (UTC). The same ``idempotency_key`` returns the same session.

        Raises:
            ValueError: the request Stripe would refuse (same checks as
                :func:`~..stripe_client.session_params`) or an empty idempotency key.
        """
        if not request.idempotency_key:
            raise ValueError("an idempotency key is required")
        session_params(request)  # validate exactly as the Stripe client does
        known = self._by_key.get(request.idempotency_key)
        if known is not None:
            return known
        session_id = new_id("cs_test_", 24)
        created = CreatedSession(
            id=session_id,
            url=f"/checkout/test/{session_id}",
            expires_at=self._clock() + timedelta(seconds=SESSION_LIFETIME_S),
        )
        self._by_key[request.idempotency_key] = created
        while len(self._by_key) > MAX_REMEMBERED_KEYS:
            self._by_key.popitem(last=False)
        return created

    async def portal_url(self, customer_id: str, return_url: str) -> str | None:
        """None: the test checkout has no customer portal."""
        return None

    async def cancel_at_period_end(self, subscription_id: str) -> None:
        """Nothing to tell: a test subscription lives only in our table (Source: issue 9 item 7)."""
        return None


def signed_body(event: dict[str, Any], secret: str, *, timestamp: int | None = None) -> tuple[bytes, str]:
    """The raw JSON body of ``event`` and its ``Stripe-Signature`` header value, signed with ``secret`` (the
    webhook secret our route verifies with) at ``timestamp`` (unix seconds; default now). Source: DESIGN.md
    §6 (the "Pay" button posts a correctly signed event) and §8.

    Raises:
        ValueError: an empty ``secret``.
    """
    body = json.dumps(event, separators=(",", ":")).encode("utf-8")
    return body, sign(body, secret, timestamp)


__all__ = ["PROVIDER", "TestCheckout", "completed_event", "signed_body"]
