"""Contract tests of the payments providers (issue 9 item 8; DESIGN.md §6 "payments", §8 Stripe webhooks).

No network: ``StripeCheckout`` gets an ``httpx.MockTransport`` (through its own ``stripe.HTTPClient``) that
serves the JSON recordings in ``tests/contract/recordings/stripe`` and keeps every request, so what the
official SDK sends (URL, bearer key, ``Idempotency-Key``, the form-encoded body with bracketed keys) is
asserted as well as the parsing of the answers, the error mapping (402, 429, 401, 400, idempotency, 5xx,
network) and the retry counts and delays (through an injected sleep). Then the webhook signature scheme
(``stripe_signature``), the test checkout and its Stripe-format events.
"""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import stripe

from genpire_app.backend.providers import stripe_client
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.providers.offline import stripe_events as ev
from genpire_app.backend.providers.offline.test_checkout import TestCheckout, completed_event, signed_body
from genpire_app.backend.providers.payments import CheckoutRequest, CreatedSession, LineItem, PaymentProvider
from genpire_app.backend.providers.stripe_client import SHIPPING_COUNTRIES, StripeCheckout
from genpire_app.backend.providers.stripe_signature import InvalidSignature, sign, verify
from tests.contract.recorded import RecordedServer, Sleeps, load

KEY = "sk_test_fake_for_tests"
WHSEC = "whsec_test_fake_for_tests_0123456789abcdef"
CHECKOUT_URL = "https://api.stripe.com/v1/checkout/sessions"
PORTAL_URL = "https://api.stripe.com/v1/billing_portal/sessions"


def recording(name: str) -> dict[str, Any]:
    """The recorded exchange ``name``."""
    return load("stripe", name)


class Server(RecordedServer):
    """A mock Stripe API (``tests/contract/recorded.py``)."""

    provider = "stripe"

    def form(self, index: int = -1) -> dict[str, str]:
        pairs = parse_qsl(self.requests[index].content.decode(), keep_blank_values=True, strict_parsing=True)
        assert len({k for k, _ in pairs}) == len(pairs), "a form key was sent twice"
        return dict(pairs)


def client(server: Server, sleeps: Sleeps | None = None, **kwargs: Any) -> StripeCheckout:
    return StripeCheckout(
        KEY, transport=httpx.MockTransport(server), sleep=sleeps if sleeps is not None else Sleeps(), **kwargs
    )


def payment_request(**changes: Any) -> CheckoutRequest:
    """The cart of the ``checkout_session_payment`` recording: 2 prints, a digital model, a pack with a Price."""
    rec = recording("checkout_session_payment")["request"]
    fields: dict[str, Any] = dict(
        user_id=42,
        email="maya@example.test",
        items=(
            LineItem("Canvas tote · print", 2999, 2, "print", "cfg_7f3a91"),
            LineItem("Canvas tote · 3D model (GLB)", 999, 1, "digital_model", "asset_19c2e4"),
            LineItem("Starter pack · 50 credits", 1500, 1, "credit_pack", "pack_starter",
                     stripe_price_id="price_1QpK8vLkdIwHu7ixStarter50"),
        ),
        mode="payment",
        needs_shipping=True,
        success_url="https://app.genpire.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://app.genpire.test/cart",
        idempotency_key=rec["idempotency_key"],
        metadata={"checkout_session_id": "7d0c6a0e-5b8f-4c1e-9a7d-2f3b4c5d6e7f"},
    )
    fields.update(changes)
    return CheckoutRequest(**fields)


def plan_request(**changes: Any) -> CheckoutRequest:
    """The ``checkout_session_subscription`` recording: a monthly plan for an existing Stripe customer."""
    fields: dict[str, Any] = dict(
        user_id=42,
        email="maya@example.test",
        items=(LineItem("Creator plan · monthly", 1900, 1, "plan", "plan_creator", monthly=True),),
        mode="subscription",
        needs_shipping=False,
        success_url="https://app.genpire.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://app.genpire.test/pricing",
        idempotency_key=recording("checkout_session_subscription")["request"]["idempotency_key"],
        metadata={"checkout_session_id": "0b9e2f4d-1c3a-4e5f-8a6b-7c8d9e0f1a2b"},
        customer_id="cus_RkT5wQ8zVb2nLm",
    )
    fields.update(changes)
    return CheckoutRequest(**fields)


def assert_api_request(request: httpx.Request, url: str) -> None:
    assert request.method == "POST"
    assert str(request.url) == url
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["stripe-version"] == stripe.api_version
    assert KEY not in str(request.url) and KEY.encode() not in request.content


# ---------------------------------------------------------------------------------------- checkout


async def test_payment_checkout_posts_the_recorded_form_and_returns_the_session() -> None:
    server = Server("checkout_session_payment")
    rec = recording("checkout_session_payment")
    created = await client(server).create_checkout(payment_request())
    assert server.calls == 1
    sent = server.requests[0]
    assert_api_request(sent, CHECKOUT_URL)
    assert sent.headers["idempotency-key"] == rec["request"]["idempotency_key"]
    assert server.form() == rec["request"]["form"]
    body = rec["response"]["body"]
    assert created == CreatedSession(
        id=body["id"], url=body["url"], expires_at=datetime.fromtimestamp(body["expires_at"], tz=timezone.utc)
    )
    assert created.expires_at.tzinfo is not None and created.expires_at.utcoffset() == timedelta(0)


async def test_the_body_uses_literal_bracketed_keys() -> None:
    server = Server("checkout_session_payment")
    await client(server).create_checkout(payment_request())
    raw = server.requests[0].content.decode()
    assert "line_items[0][price_data][unit_amount]=2999" in raw
    assert "line_items[1][price_data][product_data][metadata][kind]=digital_model" in raw
    assert "line_items[2][price]=price_1QpK8vLkdIwHu7ixStarter50" in raw
    assert "%5B" not in raw


async def test_line_items_per_kind_price_data_or_a_stripe_price() -> None:
    server = Server("checkout_session_payment")
    await client(server).create_checkout(payment_request())
    form = server.form()
    assert form["line_items[0][price_data][product_data][metadata][kind]"] == "print"
    assert form["line_items[0][quantity]"] == "2"
    # A catalogue row with a Stripe Price sends only the price id: no price data, no recurring.
    assert not any(k.startswith("line_items[2][price_data]") for k in form)
    assert not any("recurring" in k for k in form)


async def test_subscription_checkout_sends_a_monthly_price_and_the_customer() -> None:
    server = Server("checkout_session_subscription")
    rec = recording("checkout_session_subscription")
    created = await client(server).create_checkout(plan_request())
    form = server.form()
    assert form == rec["request"]["form"]
    assert form["mode"] == "subscription"
    assert form["line_items[0][price_data][recurring][interval]"] == "month"
    assert form["customer"] == "cus_RkT5wQ8zVb2nLm" and "customer_email" not in form
    assert "customer_creation" not in form and not any(k.startswith("payment_intent_data") for k in form)
    assert form["subscription_data[metadata][user_id]"] == "42"
    assert not any(k.startswith("shipping_address_collection") for k in form)
    assert server.requests[0].headers["idempotency-key"] == rec["request"]["idempotency_key"]
    assert created.id == rec["response"]["body"]["id"]

    # A new subscriber: Stripe creates the customer itself (customer_creation is payment-mode only).
    await client(server).create_checkout(plan_request(customer_id=None))
    form = server.form()
    assert form["customer_email"] == "maya@example.test"
    assert "customer" not in form and "customer_creation" not in form


async def test_shipping_is_collected_only_when_a_print_is_in_the_cart() -> None:
    server = Server("checkout_session_payment")
    await client(server).create_checkout(payment_request())
    countries = [v for k, v in server.form().items() if k.startswith("shipping_address_collection[allowed_countries]")]
    assert countries == list(SHIPPING_COUNTRIES) and {"US", "CA", "GB", "DE", "FR", "NL", "AU"} <= set(countries)

    digital = (LineItem("Canvas tote · 3D model (GLB)", 999, 1, "digital_model", "asset_19c2e4"),)
    await client(server).create_checkout(payment_request(items=digital, needs_shipping=False))
    assert not any(k.startswith("shipping_address_collection") for k in server.form())


async def test_payment_mode_with_a_known_customer_sends_customer_not_email() -> None:
    server = Server("checkout_session_payment")
    await client(server).create_checkout(payment_request(customer_id="cus_RkT5wQ8zVb2nLm"))
    form = server.form()
    assert form["customer"] == "cus_RkT5wQ8zVb2nLm"
    assert "customer_email" not in form and "customer_creation" not in form
    assert form["client_reference_id"] == "42" and form["metadata[user_id]"] == "42"


async def test_the_user_id_in_metadata_is_ours_whatever_the_caller_passes() -> None:
    server = Server("checkout_session_payment")
    await client(server).create_checkout(payment_request(metadata={"user_id": "999", "cart": "c1"}))
    form = server.form()
    assert form["metadata[user_id]"] == "42" and form["payment_intent_data[metadata][user_id]"] == "42"
    assert form["metadata[cart]"] == "c1"


@pytest.mark.parametrize(
    "changes",
    [
        {"mode": "setup"},
        {"items": ()},
        {"items": (LineItem("Plan", 1900, 1, "plan", "p", monthly=True),)},  # monthly in payment mode
        {"items": (LineItem("Print", 2999, 0, "print", "p"),)},
        {"items": (LineItem("Print", 2999, 101, "print", "p"),)},
        {"items": (LineItem("Print", 0, 1, "print", "p"),)},
        {"mode": "subscription", "items": (LineItem("Print", 2999, 1, "print", "p"),)},
        {"idempotency_key": ""},
    ],
)
async def test_invalid_requests_are_refused_before_any_call(changes: dict[str, Any]) -> None:
    server = Server("checkout_session_payment")
    with pytest.raises(ValueError):
        await client(server).create_checkout(payment_request(**changes))
    with pytest.raises(ValueError):
        await TestCheckout().create_checkout(payment_request(**changes))
    assert server.calls == 0


async def test_portal_url_creates_a_billing_portal_session() -> None:
    server = Server("billing_portal_session")
    rec = recording("billing_portal_session")
    url = await client(server).portal_url("cus_RkT5wQ8zVb2nLm", "https://app.genpire.test/settings/billing")
    assert url == rec["response"]["body"]["url"]
    assert_api_request(server.requests[0], PORTAL_URL)
    assert server.form() == rec["request"]["form"]
    assert server.requests[0].headers["idempotency-key"]  # the SDK adds one to every POST


# ------------------------------------------------------------------------------------ retries, errors


async def test_429_is_retried_with_the_same_idempotency_key_then_succeeds() -> None:
    server, sleeps = Server("error_429", "error_429", "checkout_session_payment"), Sleeps()
    created = await client(server, sleeps, backoff_base_s=1.0).create_checkout(payment_request())
    assert created.id.startswith("cs_test_")
    assert server.calls == 3 and len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0
    keys = {r.headers["idempotency-key"] for r in server.requests}
    assert keys == {payment_request().idempotency_key}
    assert server.form(0) == server.form(2)


async def test_429_until_retries_run_out_is_a_busy_error() -> None:
    server, sleeps = Server("error_429"), Sleeps()
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps, rate_limit_retries=2).create_checkout(payment_request())
    err = info.value
    assert (err.status_code, err.message, err.retryable, err.provider) == (429, stripe_client.MSG_BUSY, True, "stripe")
    assert server.calls == 3 and len(sleeps) == 2


async def test_5xx_is_retried_by_the_sdk_with_backoff_then_succeeds() -> None:
    server, sleeps = Server("error_500", "error_503", "checkout_session_payment"), Sleeps()
    created = await client(server, sleeps).create_checkout(payment_request())
    assert created.url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert server.calls == 3 and len(sleeps) == 2
    assert all(0.5 <= s <= 1.0 for s in sleeps)  # the SDK's 0.5 s * 2**(n-1), jittered, at least 0.5 s
    assert {r.headers["idempotency-key"] for r in server.requests} == {payment_request().idempotency_key}


async def test_5xx_until_retries_run_out_is_an_unavailable_error() -> None:
    server, sleeps = Server("error_503"), Sleeps()
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps, max_network_retries=2).create_checkout(payment_request())
    err = info.value
    assert (err.status_code, err.message, err.retryable) == (503, stripe_client.MSG_UNAVAILABLE, True)
    assert server.calls == 3 and len(sleeps) == 2


async def test_402_card_error_is_not_retried() -> None:
    server, sleeps = Server("error_402_card", "checkout_session_payment"), Sleeps()
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps).create_checkout(payment_request())
    err = info.value
    assert (err.status_code, err.message, err.retryable) == (402, stripe_client.MSG_CARD, False)
    assert "card_declined" in err.detail
    assert server.calls == 1 and sleeps == []


async def test_401_is_a_configuration_error_and_the_key_never_leaks(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server, sleeps = Server("error_401", "checkout_session_payment"), Sleeps()
    checkout = client(server, sleeps)
    with pytest.raises(ProviderError) as info:
        await checkout.create_checkout(payment_request())
    err = info.value
    assert (err.status_code, err.message, err.retryable) == (401, stripe_client.MSG_CONFIG, False)
    assert server.calls == 1 and sleeps == []
    assert KEY not in err.message and KEY not in err.detail and KEY not in caplog.text and KEY not in repr(checkout)


async def test_key_echoed_in_an_error_is_scrubbed() -> None:
    echo = httpx.Response(400, json={"error": {"type": "invalid_request_error", "message": f"bad key {KEY}"}})
    with pytest.raises(ProviderError) as info:
        await client(Server(echo)).create_checkout(payment_request())
    assert KEY not in info.value.detail and "***" in info.value.detail


async def test_400_shows_our_message_and_logs_stripes(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="genpire_app.backend.providers.stripe_client")
    server, sleeps = Server("error_400"), Sleeps()
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps).create_checkout(payment_request())
    stripe_text = recording("error_400")["response"]["body"]["error"]["message"]
    err = info.value
    assert (err.status_code, err.message, err.retryable) == (400, stripe_client.MSG_REJECTED, False)
    assert stripe_text not in err.message and stripe_text in err.detail and stripe_text in caplog.text
    assert "req_Jk3lZx6cVb9nMq" in err.detail  # Stripe's request id, for support
    assert server.calls == 1 and sleeps == []


async def test_idempotency_conflict_asks_to_start_again() -> None:
    with pytest.raises(ProviderError) as info:
        await client(Server("error_400_idempotency")).create_checkout(payment_request())
    assert (info.value.message, info.value.retryable) == (stripe_client.MSG_CONFLICT, False)


async def test_portal_errors_have_their_own_message() -> None:
    with pytest.raises(ProviderError) as info:
        await client(Server("error_400")).portal_url("cus_missing", "https://app.genpire.test/settings/billing")
    assert info.value.message == stripe_client.MSG_PORTAL and not info.value.retryable


async def test_network_errors_are_retried_by_the_sdk_and_timeouts_mapped() -> None:
    server, sleeps = Server(httpx.ConnectError("refused"), "checkout_session_payment"), Sleeps()
    assert (await client(server, sleeps).create_checkout(payment_request())).id.startswith("cs_test_")
    assert server.calls == 2 and len(sleeps) == 1

    server, sleeps = Server(httpx.ReadTimeout("slow")), Sleeps()
    with pytest.raises(ProviderError) as info:
        await client(server, sleeps).create_checkout(payment_request())
    assert (info.value.message, info.value.retryable, info.value.status_code) == (stripe_client.MSG_TIMEOUT, True, None)
    assert server.calls == 3  # 1 + max_network_retries (same idempotency key: never two sessions)


async def test_an_answer_without_a_url_is_a_bad_response() -> None:
    body = {"id": "cs_test_x", "object": "checkout.session", "url": None, "expires_at": 1765518500}
    with pytest.raises(ProviderError) as info:
        await client(Server(httpx.Response(200, json=body))).create_checkout(payment_request())
    assert (info.value.message, info.value.retryable) == (stripe_client.MSG_BAD_RESPONSE, True)


def test_stripe_checkout_satisfies_the_payment_provider_protocol() -> None:
    checkout = client(Server("checkout_session_payment"))
    assert isinstance(checkout, PaymentProvider) and checkout.name == "stripe"
    with pytest.raises(ValueError):
        StripeCheckout("  ")


# ---------------------------------------------------------------------------------------- signatures


def test_sign_then_verify_round_trip_and_matches_the_sdk() -> None:
    body = json.dumps({"id": "evt_1", "object": "event", "type": "ping", "data": {"object": {}}}).encode()
    header = sign(body, WHSEC, 1765432100)
    assert re.fullmatch(r"t=1765432100,v1=[0-9a-f]{64}", header)
    assert header == stripe.WebhookSignature.generate_signature_header(body.decode(), WHSEC, 1765432100)
    assert verify(body, sign(body, WHSEC), WHSEC) == json.loads(body)


@pytest.mark.parametrize("case", ["tampered", "wrong secret", "stale", "missing", "empty", "malformed", "no v1"])
def test_bad_signatures_are_refused(case: str) -> None:
    body = json.dumps({"id": "evt_1", "object": "event", "type": "ping", "data": {"object": {}}}).encode()
    header: str | None = sign(body, WHSEC)
    if case == "tampered":
        body = body.replace(b"ping", b"pong")
    elif case == "wrong secret":
        header = sign(body, "whsec_someone_else")
    elif case == "stale":
        header = sign(body, WHSEC, int(time.time()) - 301)
    elif case == "missing":
        header = None
    elif case == "empty":
        header = ""
    elif case == "malformed":
        header = "garbage"
    else:
        header = header.replace("v1=", "v0=")
    with pytest.raises(InvalidSignature):
        verify(body, header, WHSEC)


def test_tolerance_is_300_seconds_by_default_and_can_be_changed() -> None:
    body = json.dumps({"id": "evt_1", "object": "event", "type": "ping", "data": {"object": {}}}).encode()
    header = sign(body, WHSEC, int(time.time()) - 290)
    assert verify(body, header, WHSEC)["id"] == "evt_1"
    with pytest.raises(InvalidSignature):
        verify(body, header, WHSEC, tolerance_s=60)
    with pytest.raises(ValueError):
        verify(body, header, "")


def test_a_rolled_secret_header_with_several_signatures_verifies() -> None:
    body = json.dumps({"id": "evt_1", "object": "event", "type": "ping", "data": {"object": {}}}).encode()
    t = int(time.time())
    old = sign(body, "whsec_old", t).split(",")[1]
    assert verify(body, f"t={t},{old},{sign(body, WHSEC, t).split(',')[1]}", WHSEC)["type"] == "ping"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"id": "x"}', b"\xff\xfe"])
def test_correctly_signed_bodies_that_are_not_events_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidSignature):
        verify(body, sign(body, WHSEC), WHSEC)


# ------------------------------------------------------------------------------------ test checkout


async def test_test_checkout_creates_local_sessions_idempotently() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    checkout = TestCheckout(clock=lambda: now)
    assert isinstance(checkout, PaymentProvider) and checkout.name == "test"
    created = await checkout.create_checkout(payment_request())
    assert re.fullmatch(r"cs_test_[A-Za-z0-9]{24}", created.id)
    assert created.url == f"/checkout/test/{created.id}"
    assert created.expires_at == now + timedelta(hours=24)
    assert await checkout.create_checkout(payment_request()) == created
    other = await checkout.create_checkout(payment_request(idempotency_key="checkout-other"))
    assert other.id != created.id
    assert await checkout.portal_url("cus_x", "https://app.genpire.test/settings/billing") is None


SHIPPING = {
    "name": "Maya Lopez",
    "address": {"line1": "1 Market St", "line2": None, "city": "San Francisco", "state": "CA",
                "postal_code": "94105", "country": "US"},
}


def paid_print_event(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = dict(
        user_id=42, amount_subtotal=8497, amount_total=9296, currency="usd", mode="payment",
        email="maya@example.test", shipping=SHIPPING, metadata={"checkout_session_id": "7d0c6a0e", "user_id": "42"},
        event_id="evt_1TestPaidPrint0000000000", created=1765432400,
    )
    fields.update(changes)
    return completed_event("cs_test_a1b2c3d4e5f6g7h8i9j0k1l2", **fields)


def test_completed_event_passes_stripes_own_verification_and_parsing() -> None:
    body, header = signed_body(paid_print_event(), WHSEC)
    parsed = stripe.Webhook.construct_event(body, header, WHSEC)
    assert parsed.type == "checkout.session.completed" and parsed.id == "evt_1TestPaidPrint0000000000"
    assert parsed.data.object.id == "cs_test_a1b2c3d4e5f6g7h8i9j0k1l2"
    assert parsed.data.object.amount_total == 9296
    constructed = stripe.Event.construct_from(json.loads(body), KEY)
    assert constructed.data.object.id == "cs_test_a1b2c3d4e5f6g7h8i9j0k1l2"
    assert verify(body, header, WHSEC) == json.loads(body)


def test_completed_event_has_stripes_checkout_session_shape() -> None:
    event = paid_print_event()
    assert (event["object"], event["type"], event["created"], event["livemode"]) == (
        "event", "checkout.session.completed", 1765432400, False,
    )
    session = event["data"]["object"]
    assert session["object"] == "checkout.session" and session["status"] == "complete"
    assert (session["payment_status"], session["mode"], session["currency"]) == ("paid", "payment", "usd")
    assert (session["amount_subtotal"], session["amount_total"]) == (8497, 9296)
    assert session["total_details"]["amount_shipping"] == 799
    assert session["client_reference_id"] == "42" and session["metadata"]["checkout_session_id"] == "7d0c6a0e"
    assert session["payment_intent"].startswith("pi_") and session["subscription"] is None
    assert session["customer_details"]["email"] == "maya@example.test"
    assert session["customer_details"]["address"]["postal_code"] == "94105"
    assert session["collected_information"]["shipping_details"] == SHIPPING
    assert "shipping_details" not in session  # moved under collected_information in API 2025-03-31
    assert ev.session_shipping(session) == SHIPPING
    assert ev.session_shipping({"shipping_details": SHIPPING}) == SHIPPING  # older API versions


def test_subscription_completed_event_has_a_subscription_and_a_customer() -> None:
    event = paid_print_event(mode="subscription", shipping=None, amount_subtotal=1900, amount_total=1900,
                             subscription_id="sub_1TestPlan", customer_id=None)
    session = event["data"]["object"]
    assert session["subscription"] == "sub_1TestPlan" and session["payment_intent"] is None
    assert session["customer"].startswith("cus_") and session["invoice"].startswith("in_")
    assert session["collected_information"]["shipping_details"] is None


def test_async_payment_and_expired_events() -> None:
    pending = paid_print_event(payment_status="unpaid")["data"]["object"]
    succeeded = ev.async_payment_succeeded_event(pending)
    failed = ev.async_payment_failed_event(pending)
    assert succeeded["type"] == "checkout.session.async_payment_succeeded"
    assert succeeded["data"]["object"]["payment_status"] == "paid"
    assert succeeded["data"]["object"]["payment_intent"] == pending["payment_intent"]
    assert failed["type"] == "checkout.session.async_payment_failed"
    assert (failed["data"]["object"]["status"], failed["data"]["object"]["payment_status"]) == ("complete", "unpaid")
    assert succeeded["id"] != failed["id"]

    expired = ev.expired_event("cs_test_x", user_id=42, amount_subtotal=999, amount_total=999, currency="usd",
                               mode="payment", metadata={"user_id": "42"}, email="maya@example.test")
    session = expired["data"]["object"]
    assert expired["type"] == "checkout.session.expired"
    assert (session["status"], session["payment_status"], session["payment_intent"]) == ("expired", "unpaid", None)
    assert session["customer_details"] is None and session["collected_information"] is None


def test_charge_refunded_event() -> None:
    partial = ev.charge_refunded_event(payment_intent_id="pi_3Test", amount=9296, amount_refunded=2999,
                                       currency="USD", metadata={"user_id": "42"})
    charge = partial["data"]["object"]
    assert partial["type"] == "charge.refunded" and charge["object"] == "charge"
    assert (charge["payment_intent"], charge["amount"], charge["amount_refunded"]) == ("pi_3Test", 9296, 2999)
    assert charge["refunded"] is False and charge["currency"] == "usd"
    assert partial["data"]["previous_attributes"]["amount_refunded"] == 0
    full = ev.charge_refunded_event(payment_intent_id="pi_3Test", amount=9296, amount_refunded=9296,
                                    previously_refunded=2999, currency="usd")
    assert full["data"]["object"]["refunded"] is True
    assert full["data"]["previous_attributes"]["amount_refunded"] == 2999
    with pytest.raises(ValueError):
        ev.charge_refunded_event(payment_intent_id="pi_3Test", amount=100, amount_refunded=101, currency="usd")


def test_invoice_paid_event_carries_the_subscription_and_the_period() -> None:
    start = 1765432400
    event = ev.invoice_paid_event(subscription_id="sub_1TestPlan", customer_id="cus_Test", amount_paid=1900,
                                  currency="usd", period_start=start, period_end=start + 31 * 86400,
                                  metadata={"user_id": "42"}, created=start)
    invoice = event["data"]["object"]
    assert event["type"] == "invoice.paid" and invoice["object"] == "invoice" and invoice["status"] == "paid"
    assert invoice["billing_reason"] == "subscription_cycle" and invoice["amount_paid"] == 1900
    line = invoice["lines"]["data"][0]
    assert (line["period"]["start"], line["period"]["end"]) == (start, start + 31 * 86400)
    assert invoice["parent"]["subscription_details"]["metadata"] == {"user_id": "42"}
    assert ev.invoice_subscription_id(invoice) == "sub_1TestPlan"
    assert ev.invoice_subscription_id({"subscription": "sub_old"}) == "sub_old"  # older API versions
    assert ev.invoice_subscription_id({"lines": {"data": []}}) is None
    body, header = signed_body(event, WHSEC)
    parsed = stripe.Webhook.construct_event(body, header, WHSEC)
    assert parsed.data.object.lines.data[0].period.end == start + 31 * 86400


def test_every_builder_output_verifies_after_signing() -> None:
    pending = paid_print_event(payment_status="unpaid")["data"]["object"]
    events = [
        paid_print_event(),
        ev.async_payment_succeeded_event(pending),
        ev.async_payment_failed_event(pending),
        ev.expired_event("cs_test_x", user_id=1, amount_subtotal=1, amount_total=1, currency="usd",
                         mode="payment", metadata={}),
        ev.charge_refunded_event(payment_intent_id="pi_3x", amount=10, amount_refunded=10, currency="usd"),
        ev.invoice_paid_event(subscription_id="sub_1x", customer_id="cus_x", amount_paid=1900, currency="usd",
                              period_start=1, period_end=2, billing_reason="subscription_create"),
    ]
    for event in events:
        body, header = signed_body(event, WHSEC)
        assert verify(body, header, WHSEC) == event
        assert re.fullmatch(r"evt_[A-Za-z0-9]+", event["id"]) and event["api_version"] == stripe.api_version


async def test_cancel_at_period_end_updates_the_subscription() -> None:
    server = Server("subscription_cancel_at_period_end")
    rec = recording("subscription_cancel_at_period_end")
    await client(server).cancel_at_period_end("sub_1QxR7bLkT9pWm3Ck")
    assert_api_request(server.requests[0], "https://api.stripe.com" + rec["request"]["path"])
    assert server.form() == rec["request"]["form"]
    with pytest.raises(ProviderError) as info:
        await client(Server("error_400")).cancel_at_period_end("sub_gone")
    assert info.value.message == stripe_client.MSG_REJECTED and not info.value.retryable
    with pytest.raises(ValueError):
        await client(Server("error_400")).cancel_at_period_end("")
