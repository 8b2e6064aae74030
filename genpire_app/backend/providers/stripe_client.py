"""Real payments provider: Stripe Checkout through the official ``stripe`` SDK (v16, ``StripeClient``).

Source: issue 9 item 8 (checkout of digital models, prints, credit packs and monthly plans), DESIGN.md §6
("payments": Stripe Checkout; real clients have timeouts, retries with backoff on 429/5xx and map errors to
one ``ProviderError`` with a user-safe message) and §8 (the order is made by the signed webhook, never by the
redirect: see ``providers.stripe_signature``).

The API as used here (Stripe API reference, "Checkout Sessions" and "Customer Portal Sessions"):

* ``POST https://api.stripe.com/v1/checkout/sessions``, form-encoded with bracketed keys
  (``line_items[0][price_data][unit_amount]=999``), ``Authorization: Bearer <secret key>`` and our
  ``Idempotency-Key`` (the same key never creates two sessions; Stripe replays the first answer).
* ``POST https://api.stripe.com/v1/billing_portal/sessions`` with ``customer`` and ``return_url``.
* Errors answer ``{"error": {"type", "code", "message", ...}}``; the SDK raises ``CardError`` (402),
  ``RateLimitError`` (429), ``AuthenticationError`` (401), ``PermissionError`` (403), ``InvalidRequestError``
  / ``IdempotencyError`` (400/404), ``APIError`` (other statuses, 5xx) and ``APIConnectionError`` (network).
  Stripe's text goes to the log and ``ProviderError.detail``; the user sees our own sentence.

Transport: the SDK's own ``HTTPXClient`` builds its ``httpx.AsyncClient`` internally with no way to pass a
transport, so this module plugs in :class:`_HttpxTransportClient`, a subclass of the SDK's documented
extension point ``stripe.HTTPClient``, which sends each request with a short-lived ``httpx.AsyncClient`` on
an injectable transport (tests: ``httpx.MockTransport``) and routes the SDK's retry sleeps through an
injectable ``sleep``. Only the async SDK methods (``create_async``) are used; no thread pool.

Retries: the SDK retries network errors, 409 and 5xx ``max_network_retries`` times (default 2, exponential
backoff 0.5 s .. 5 s with jitter) reusing the same idempotency key, so a retried POST can never create two
sessions. The SDK does not retry 429 (unless Stripe sends ``Stripe-Should-Retry: true``); this client retries
a ``RateLimitError`` ``rate_limit_retries`` more times itself (same idempotency key; Stripe stores no result
for a rate-limited request), waiting ``backoff_base_s * 2**n`` times a jitter in ``[0.5, 1]``.

The secret key never appears in logs, error messages, ``ProviderError.detail`` or ``repr``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import httpx
import stripe

from .base import ProviderError
from .payments import MODES, CheckoutRequest, CreatedSession
from .transport import SharedTransport

logger = logging.getLogger(__name__)

PROVIDER = "stripe"
#: Countries a print can be shipped to (ISO 3166-1 alpha-2), sent as
#: ``shipping_address_collection[allowed_countries]`` when the cart holds a print.
SHIPPING_COUNTRIES: tuple[str, ...] = (
    "US", "CA", "GB", "IE", "DE", "FR", "NL", "BE", "LU", "AT", "CH", "ES", "PT", "IT", "DK", "SE", "NO", "FI",
    "PL", "CZ", "AU", "NZ", "JP", "SG",
)
MAX_QUANTITY = 100

# User-safe messages (shown in the UI as they are).
MSG_CONFIG = "Payments are not configured correctly. Please contact support."
MSG_CARD = "The payment was declined. Please check your card details or use another payment method."
MSG_BUSY = "The payment service is busy right now. Please try again in a minute."
MSG_UNAVAILABLE = "The payment service is temporarily unavailable. Please try again in a minute."
MSG_TIMEOUT = "The payment service took too long to answer. Please try again."
MSG_REJECTED = "The payment service could not start this checkout. Please try again or contact support."
MSG_CONFLICT = "This checkout was already started with different contents. Please start the checkout again."
MSG_PORTAL = "The billing portal could not be opened. Please try again or contact support."
MSG_BAD_RESPONSE = "The payment service returned an unexpected answer. Please try again."

Sleep = Callable[[float], Awaitable[Any]]


# ---------------------------------------------------------------------------------------------- helpers


def session_params(
    request: CheckoutRequest, *, shipping_countries: tuple[str, ...] = SHIPPING_COUNTRIES
) -> dict[str, Any]:
    """The ``POST /v1/checkout/sessions`` parameters for ``request`` (before the SDK form-encodes them).

    * ``line_items``: ``{"price": stripe_price_id, "quantity"}`` when the line has a Stripe Price, else
      ``price_data`` with ``currency``, ``unit_amount`` (cents), ``product_data`` (``name``, ``metadata``
      ``kind``/``ref_id``) and ``recurring[interval]=month`` for monthly lines.
    * ``shipping_address_collection[allowed_countries]`` only when ``needs_shipping``.
    * ``customer`` when ``customer_id`` is given, else ``customer_email`` (and, in payment mode,
      ``customer_creation=always`` so the buyer gets a Stripe customer for the billing portal).
    * ``client_reference_id`` and ``metadata[user_id]`` carry our user id; the metadata is copied to
      ``payment_intent_data`` (payment mode: refunds and charges carry it) or ``subscription_data``
      (subscription mode: renewal invoices carry it).

    Source: issue 9 item 8; Stripe API reference "Create a Checkout Session".

    Raises:
        ValueError: unknown ``mode``, no items, a quantity outside 1-100, a non-positive price, a monthly
            line in payment mode, or a subscription without a monthly line.
    """
    if request.mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    if not request.items:
        raise ValueError("a checkout needs at least one item")
    currency = request.currency.lower()
    line_items: list[dict[str, Any]] = []
    for item in request.items:
        if not 1 <= item.quantity <= MAX_QUANTITY:
            raise ValueError(f"quantity must be 1-{MAX_QUANTITY}")
        if item.monthly and request.mode != "subscription":
            raise ValueError("a monthly item needs subscription mode")
        if item.stripe_price_id:
            line_items.append({"price": item.stripe_price_id, "quantity": item.quantity})
            continue
        if item.unit_cents <= 0:
            raise ValueError("unit_cents must be > 0")
        price_data: dict[str, Any] = {
            "currency": currency,
            "unit_amount": item.unit_cents,
            "product_data": {"name": item.name, "metadata": {"kind": item.kind, "ref_id": item.ref_id}},
        }
        if item.monthly:
            price_data["recurring"] = {"interval": "month"}
        line_items.append({"price_data": price_data, "quantity": item.quantity})
    if request.mode == "subscription" and not any(i.monthly or i.stripe_price_id for i in request.items):
        raise ValueError("subscription mode needs a monthly item")

    metadata = {**request.metadata, "user_id": str(request.user_id)}
    params: dict[str, Any] = {
        "mode": request.mode,
        "line_items": line_items,
        "client_reference_id": str(request.user_id),
        "metadata": metadata,
        "success_url": request.success_url,
        "cancel_url": request.cancel_url,
    }
    if request.customer_id:
        params["customer"] = request.customer_id
    else:
        params["customer_email"] = request.email
        if request.mode == "payment":
            params["customer_creation"] = "always"
    if request.needs_shipping:
        params["shipping_address_collection"] = {"allowed_countries": list(shipping_countries)}
    if request.mode == "subscription":
        params["subscription_data"] = {"metadata": dict(metadata)}
    else:
        params["payment_intent_data"] = {"metadata": dict(metadata)}
    return params


class _HttpxTransportClient(stripe.HTTPClient):
    """The SDK's HTTP layer over httpx with an injectable transport and sleep (async only).

    Each request uses its own ``httpx.AsyncClient``, so one :class:`StripeCheckout` is safe to share between
    event loops and needs no closing. Network errors become ``stripe.APIConnectionError(should_retry=True)``:
    every POST carries an idempotency key, so the SDK's retry cannot create a second session.
    """

    name = "httpx"

    def __init__(self, *, transport: httpx.AsyncBaseTransport | None, timeout: httpx.Timeout, sleep: Sleep) -> None:
        super().__init__()
        self._transport = transport
        self._timeout = timeout
        self._sleep = sleep

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        content = post_data.encode() if isinstance(post_data, str) else post_data
        transport = SharedTransport(self._transport) if self._transport is not None else None
        try:
            async with httpx.AsyncClient(transport=transport, timeout=self._timeout, follow_redirects=False) as http:
                response = await http.request(method.upper(), url, headers=dict(headers), content=content)
        except httpx.HTTPError as exc:
            raise stripe.APIConnectionError(f"network error: {type(exc).__name__}", should_retry=True) from exc
        return response.content, response.status_code, response.headers

    async def request_stream_async(self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None):
        raise NotImplementedError("streaming is not used")

    def request(self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None):
        raise NotImplementedError("StripeCheckout only uses the SDK's async methods")

    def sleep_async(self, secs: float) -> Awaitable[Any]:
        return self._sleep(secs)

    def close(self) -> None:
        return None

    async def close_async(self) -> None:
        return None


# ----------------------------------------------------------------------------------------------- client


class StripeCheckout:
    """Stripe Checkout as a :class:`~.payments.PaymentProvider` (``name`` ``"stripe"``).

    Args:
        api_key: Stripe secret key (``STRIPE_SECRET_KEY``, ``sk_...`` or ``rk_...``). Required; never logged.
        transport: httpx transport to send requests with (tests: ``httpx.MockTransport``); default httpx's.
        sleep: awaited with every backoff delay in seconds (the SDK's and ours; tests inject a recorder).
        max_network_retries: the SDK's retries of network errors, 409 and 5xx (default 2).
        rate_limit_retries: our extra attempts after a 429 (default 2).
        timeout_s: read/write timeout of one attempt, seconds; ``connect_timeout_s`` for connecting.
        backoff_base_s / backoff_max_s: 429 backoff, seconds (module docstring).
        shipping_countries: allowed shipping countries when the cart holds a print.
        stripe_version: API version to pin; default the SDK's own (``stripe.api_version``).

    Source: issue 9 item 8, DESIGN.md §6 ("payments" row; retries and ``ProviderError`` mapping).

    Raises:
        ValueError: when ``api_key`` is empty or a retry count is negative.
    """

    name = PROVIDER

    def __init__(
        self,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        max_network_retries: int = 2,
        rate_limit_retries: int = 2,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 10.0,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 8.0,
        shipping_countries: tuple[str, ...] = SHIPPING_COUNTRIES,
        stripe_version: str | None = None,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ValueError("StripeCheckout needs a secret key")
        if max_network_retries < 0 or rate_limit_retries < 0:
            raise ValueError("retry counts must be >= 0")
        self._secret = api_key.strip()
        self._sleep = sleep
        self.rate_limit_retries = int(rate_limit_retries)
        self.backoff_base_s = float(backoff_base_s)
        self.backoff_max_s = float(backoff_max_s)
        self.shipping_countries = tuple(shipping_countries)
        http = _HttpxTransportClient(
            transport=transport, timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s), sleep=sleep
        )
        self._client = stripe.StripeClient(
            self._secret, http_client=http, max_network_retries=int(max_network_retries), stripe_version=stripe_version
        )

    def __repr__(self) -> str:  # never show the key
        return f"StripeCheckout(max_rate_limit_retries={self.rate_limit_retries})"

    # -------------------------------------------------------------------------------- public API

    async def create_checkout(self, request: CheckoutRequest) -> CreatedSession:
        """Create a Stripe Checkout Session for ``request`` (amounts in cents; parameters: :func:`session_params`),
        sent with ``request.idempotency_key`` as Stripe's ``Idempotency-Key``.

        Source: issue 9 item 8, DESIGN.md §6.

        Returns:
            ``CreatedSession(id="cs_...", url=<Stripe-hosted page>, expires_at=<UTC datetime>)``.

        Raises:
            ValueError: an invalid request (see :func:`session_params`) or an empty idempotency key.
            ProviderError: 401/403 (configuration), 402 (card), 429 or 5xx after retries, 400 (rejected or
                idempotency conflict), network errors or timeouts, or an answer without id/url. Nothing was
                charged: a Checkout Session is only a payment page.
        """
        if not request.idempotency_key:
            raise ValueError("an idempotency key is required")
        params = session_params(request, shipping_countries=self.shipping_countries)
        options: Any = {"idempotency_key": request.idempotency_key}

        def call() -> Awaitable[Any]:
            return self._client.v1.checkout.sessions.create_async(params, options)

        session = await self._call("create checkout", call, rejected=MSG_REJECTED)
        session_id, url, expires_at = (getattr(session, k, None) for k in ("id", "url", "expires_at"))
        if not isinstance(session_id, str) or not isinstance(url, str) or not isinstance(expires_at, int):
            raise self._error(MSG_BAD_RESPONSE, retryable=True, detail="create checkout: no id, url or expires_at")
        logger.info(
            "stripe created checkout session %s mode=%s items=%d user=%s",
            session_id, request.mode, len(request.items), request.user_id,
        )
        return CreatedSession(id=session_id, url=url, expires_at=datetime.fromtimestamp(expires_at, tz=timezone.utc))

    async def portal_url(self, customer_id: str, return_url: str) -> str | None:
        """A Stripe billing-portal URL for ``customer_id`` (``cus_...``) that returns to ``return_url``.
        Source: issue 9 item 7 (manage the plan); Stripe API reference "Create a portal session".

        Raises:
            ValueError: an empty ``customer_id``.
            ProviderError: as :meth:`create_checkout` (a 400, e.g. no portal configuration in the Stripe
                dashboard, gives ``MSG_PORTAL``).
        """
        if not customer_id:
            raise ValueError("a customer id is required")
        params: Any = {"customer": customer_id, "return_url": return_url}

        def call() -> Awaitable[Any]:
            return self._client.v1.billing_portal.sessions.create_async(params)

        session = await self._call("portal", call, rejected=MSG_PORTAL)
        url = getattr(session, "url", None)
        if not isinstance(url, str):
            raise self._error(MSG_BAD_RESPONSE, retryable=True, detail="portal: no url")
        return url

    async def cancel_at_period_end(self, subscription_id: str) -> None:
        """Set ``cancel_at_period_end`` on a Stripe subscription (``sub_...``): the plan ends when the paid
        period does. Source: issue 9 item 7; Stripe API reference "Update a subscription".

        Raises:
            ValueError: an empty ``subscription_id``.
            ProviderError: as :meth:`create_checkout`.
        """
        if not subscription_id:
            raise ValueError("a subscription id is required")
        params: Any = {"cancel_at_period_end": True}

        def call() -> Awaitable[Any]:
            return self._client.v1.subscriptions.update_async(subscription_id, params)

        await self._call("cancel subscription", call, rejected=MSG_REJECTED)

    # ---------------------------------------------------------------------------------- plumbing

    async def _call(self, operation: str, call: Callable[[], Awaitable[Any]], *, rejected: str) -> Any:
        """Run one SDK call, retrying 429 ourselves (the SDK retries network errors, 409 and 5xx)."""
        started = time.perf_counter()
        attempt = 0
        while True:
            try:
                result = await call()
            except stripe.RateLimitError as exc:
                if attempt < self.rate_limit_retries:
                    delay = min(self.backoff_base_s * (2**attempt) * random.uniform(0.5, 1.0), self.backoff_max_s)
                    logger.warning(
                        "stripe %s: HTTP 429, retry %d/%d in %.3fs",
                        operation, attempt + 1, self.rate_limit_retries, delay,
                    )
                    await self._sleep(delay)
                    attempt += 1
                    continue
                raise self._map(exc, operation, rejected=rejected) from None
            except stripe.StripeError as exc:
                raise self._map(exc, operation, rejected=rejected) from None
            duration_ms = int((time.perf_counter() - started) * 1000)
            logger.info("stripe %s ok attempts=%d ms=%d", operation, attempt + 1, duration_ms)
            return result

    def _map(self, exc: stripe.StripeError, operation: str, *, rejected: str) -> ProviderError:
        """The ``ProviderError`` for a final SDK error; Stripe's message is logged, never shown."""
        status = getattr(exc, "http_status", None)
        code = getattr(exc, "code", None)
        if isinstance(exc, stripe.CardError):
            message, retryable = MSG_CARD, False
        elif isinstance(exc, stripe.RateLimitError):
            message, retryable = MSG_BUSY, True
        elif isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)):
            message, retryable = MSG_CONFIG, False
        elif isinstance(exc, stripe.IdempotencyError):
            message, retryable = MSG_CONFLICT, False
        elif isinstance(exc, stripe.InvalidRequestError):
            message, retryable = rejected, False
        elif isinstance(exc, stripe.APIConnectionError):
            timeout = isinstance(exc.__cause__, httpx.TimeoutException)
            message, retryable = (MSG_TIMEOUT if timeout else MSG_UNAVAILABLE), True
        elif isinstance(exc, stripe.APIError) and (status is None or status >= 500 or status == 409):
            message, retryable = MSG_UNAVAILABLE, True
        else:
            message, retryable = rejected, False
        stripe_text = self._scrub(getattr(exc, "user_message", None) or str(exc))
        detail = (
            f"{operation}: {type(exc).__name__} HTTP {status} code={code} "
            f"request_id={getattr(exc, 'request_id', None)}: {stripe_text}"
        )
        logger.warning("stripe %s failed: %s", operation, detail)
        return self._error(message, retryable=retryable, status=status, detail=detail)

    def _error(self, message: str, *, retryable: bool, status: int | None = None, detail: str = "") -> ProviderError:
        return ProviderError(
            message, provider=PROVIDER, retryable=retryable, status_code=status, detail=self._scrub(detail)
        )

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***")[:500]


__all__ = ["PROVIDER", "SHIPPING_COUNTRIES", "StripeCheckout", "session_params"]
