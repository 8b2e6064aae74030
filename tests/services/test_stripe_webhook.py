"""Cart, checkout and the Stripe webhook on SQLite (issue 9 items 6-8); the same cases run on PostgreSQL in
``tests/pg/test_stripe_webhook_pg.py``."""

from __future__ import annotations

import asyncio

import pytest

from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import cart, checkout
from tests import commerce_cases as cases


def test_the_same_completed_event_makes_one_order_and_grants_once(make_user):
    cases.case_same_completed_event_five_times_and_late(make_user)


def test_a_tampered_signature_gets_refused_and_changes_nothing(make_user):
    cases.case_tampered_signature_changes_nothing(make_user)


def test_a_refund_after_half_the_credits_are_spent_claws_back_only_the_rest(make_user):
    cases.case_refund_after_half_spent_claws_back_only_the_rest(make_user)


def test_asynchronous_payments_pending_then_paid_or_failed(make_user):
    cases.case_async_payment_then_success_or_failure(make_user)


def test_a_plan_grants_each_period_once(make_user):
    cases.case_plan_grants_each_period_once(make_user)


def test_cart_lines_quantities_and_owner_checks(make_user):
    cases.ensure_catalogue()
    user, other = make_user("cart@example.com", credits=None), make_user("other@example.com", credits=None)
    mine = cart.add(user, "credit_pack", cases.STARTER, 2)
    mine = cart.add(user, "credit_pack", cases.STARTER, 1)
    [line] = mine.lines
    assert (line.quantity, line.total_cents, mine.subtotal_cents) == (3, 2700, 2700)
    mine = cart.add(user, "plan", cases.PRO_PLAN, 5)
    assert [ln.quantity for ln in mine.lines] == [3, 1] and mine.has_plan and not mine.needs_shipping
    with pytest.raises(OperationError):
        cart.add(user, "credit_pack", cases.STARTER, 0)
    with pytest.raises(OperationError):
        cart.add(user, "credit_pack", "5b0c6a4e-2d7f-4b7e-9a51-000000000000", 1)  # not for sale
    with pytest.raises(OperationError):
        cart.set_quantity(other, line.id, 5)  # another user's line
    cart.remove(other, line.id)
    assert len(cart.get_cart(user).lines) == 2 and cart.get_cart(other).lines == ()
    assert cart.set_quantity(user, line.id, 7).subtotal_cents == 7 * 900 + 2900
    assert cart.remove(user, line.id).subtotal_cents == 2900 and cart.count(user) == 1


def test_checkout_of_the_same_cart_twice_is_one_session(make_user):
    cases.ensure_catalogue()
    user = make_user("twice@example.com", credits=None)
    with pytest.raises(OperationError):
        asyncio.run(checkout.start(user))  # empty cart
    first = cases.checkout_of(user, ("credit_pack", cases.STARTER, 1))
    again = asyncio.run(checkout.start(user))
    assert again.id == first.id and first.url == f"/checkout/test/{first.id}" and first.provider == "test"
    assert first.items[0]["unit_cents"] == 900 and first.items[0]["credits"] == 1000
    cart.add(user, "credit_pack", cases.STARTER, 1)  # a changed cart: a new session
    assert asyncio.run(checkout.start(user)).id != first.id
    with pytest.raises(OperationError):
        checkout.get_owned(make_user("third@example.com", credits=None), first.id)


def test_a_cancelled_plan_ends_with_its_period_and_keeps_its_credits_until_then(make_user):
    from datetime import timedelta

    from genpire_app.backend.db.models import as_utc
    from genpire_app.backend.jobs import sweep
    from genpire_app.backend.services import credits, subscriptions

    cases.case_plan_grants_each_period_once(make_user)  # plan@example.com: 2 periods paid, 200 credits
    user = make_user("plan2@example.com", credits=None)
    session = cases.checkout_of(user, ("plan", cases.PRO_PLAN, 1))
    cases.deliver(cases.completed(session, user, subscription_id="sub_test_2", customer_id="cus_test_2"))
    row = asyncio.run(subscriptions.request_cancel(user))
    assert row.cancel_at_period_end and credits.balance(user_id=user) == 10000
    with pytest.raises(OperationError):
        asyncio.run(subscriptions.request_cancel(make_user("noplan@example.com", credits=None)))
    end = as_utc(row.current_period_end)
    assert sweep.recovery_sweep(now=end - timedelta(minutes=1))["ended_plans"] == 0
    assert subscriptions.live(user) is not None
    assert sweep.recovery_sweep(now=end + timedelta(seconds=1))["ended_plans"] == 1
    assert subscriptions.live(user) is None and credits.balance(user_id=user) == 0  # the period's credits lapsed too


def test_the_route_checks_the_signature_on_the_raw_body(make_user):
    from fastapi.testclient import TestClient

    from genpire_app.backend.api.app import create_api
    from genpire_app.backend.api.webhooks import MAX_BODY_BYTES
    from genpire_app.backend.config import get_settings
    from genpire_app.backend.providers.offline.test_checkout import signed_body

    cases.ensure_catalogue()
    user = make_user("route@example.com", credits=None)
    session = cases.checkout_of(user, ("credit_pack", cases.STARTER, 1))
    body, header = signed_body(cases.completed(session, user), get_settings().stripe_webhook_secret_value())
    client = TestClient(create_api())
    url = "/api/webhooks/stripe"
    assert client.post(url, content=body.replace(b"900", b"1"), headers={"Stripe-Signature": header}).status_code == 400
    assert client.post(url, content=body).status_code == 400  # no signature
    assert client.post(url, content=b"x" * (MAX_BODY_BYTES + 1), headers={"Stripe-Signature": header}).status_code == 413
    assert cases.orders_of(user) == []
    answer = client.post(url, content=body, headers={"Stripe-Signature": header, "Content-Type": "application/json"})
    assert answer.status_code == 200 and answer.json() == {"result": "order_paid"}
    assert client.post(url, content=body, headers={"Stripe-Signature": header}).json() == {"result": "duplicate"}
    assert cases.exact(user) == 1000


def test_an_upgrade_replaces_the_plan_and_stops_the_old_one_renewing(make_user, monkeypatch):
    from genpire_app.backend.providers.registry import get_providers
    from genpire_app.backend.services import credits, subscriptions

    cases.ensure_catalogue()
    user = make_user("upgrade@example.com", credits=None)
    first = cases.checkout_of(user, ("plan", cases.PRO_PLAN, 1))
    cases.deliver(cases.completed(first, user, subscription_id="sub_pro", customer_id="cus_up"))
    stopped: list[str] = []

    async def stop(provider_id: str) -> None:
        stopped.append(provider_id)

    monkeypatch.setattr(get_providers().payments, "cancel_at_period_end", stop)
    second = cases.checkout_of(user, ("plan", cases.STUDIO_PLAN, 1))
    cases.deliver(cases.completed(second, user, subscription_id="sub_studio", customer_id="cus_up"))
    live = subscriptions.live(user)
    assert live is not None and live.stripe_subscription_id == "sub_studio"
    assert stopped == ["sub_pro"]  # the Pro subscription no longer renews at Stripe
    assert credits.balance(user_id=user) == 10000 + 30000  # Pro's paid month stays until its end, Studio's added
