"""Cart, checkout and Stripe webhook cases (issue 9 items 6-8, "Done means": webhook on SQLite and
PostgreSQL), shared by ``tests/services/test_stripe_webhook.py`` and ``tests/pg/test_stripe_webhook_pg.py``.

Events are built by ``providers.offline.stripe_events`` (Stripe's shapes) and go through the real entry point
(``stripe_webhook.handle``: signature on the raw body, then one transaction)."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import func
from sqlmodel import select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.commerce_models import CheckoutSession, CreditPack, Order, OrderItem, SubscriptionPlan
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.db.external_models import ExternalEvent
from genpire_app.backend.db.models import as_utc
from genpire_app.backend.providers.offline import stripe_events
from genpire_app.backend.providers.offline.test_checkout import signed_body
from genpire_app.backend.services import cart, checkout, credits, stripe_webhook, subscriptions

STARTER = "5b0c6a4e-2d7f-4b7e-9a51-0c3f1e6a0001"  # 10 credits, $9.00 (seeded by the migration)
CREATOR = "5b0c6a4e-2d7f-4b7e-9a51-0c3f1e6a0002"  # 50 + 5 credits, $39.00
PRO_PLAN = "5b0c6a4e-2d7f-4b7e-9a51-0c3f1e6a0101"  # 100 credits a month, $29.00
STUDIO_PLAN = "5b0c6a4e-2d7f-4b7e-9a51-0c3f1e6a0102"  # 300 credits a month, $79.00


def ensure_catalogue() -> None:
    """The migration's packs and plans (tables built by ``create_all`` have none): add them if missing."""
    import uuid

    from genpire_app.backend.db.engine import write_session

    with write_session() as s:
        if s.get(CreditPack, uuid.UUID(STARTER)) is None:
            s.add(CreditPack(id=uuid.UUID(STARTER), name="Starter", credits=1000, bonus_credits=0, price_cents=900))
            s.add(CreditPack(id=uuid.UUID(CREATOR), name="Creator", credits=5000, bonus_credits=500, price_cents=3900))
            s.add(SubscriptionPlan(id=uuid.UUID(PRO_PLAN), name="Pro", monthly_credits=10000, price_cents=2900))
            s.add(SubscriptionPlan(id=uuid.UUID(STUDIO_PLAN), name="Studio", monthly_credits=30000, price_cents=7900,
                                   sort_order=1))


def checkout_of(user: int, *lines: tuple[str, str, int]) -> CheckoutSession:
    """Put ``(kind, ref_id, quantity)`` lines in the user's cart and start its checkout (test provider)."""
    for kind, ref, quantity in lines:
        cart.add(user, kind, ref, quantity)
    return asyncio.run(checkout.start(user))


def deliver(event: dict, *, secret: str | None = None, tamper: bool = False) -> str:
    """POST-equivalent: the signed raw body through ``stripe_webhook.handle``."""
    body, header = signed_body(event, secret or get_settings().stripe_webhook_secret_value())
    if tamper:
        body = body.replace(b'"amount_total":', b'"amount_total":1', 1)
    return asyncio.run(stripe_webhook.handle(body, header))


def completed(session: CheckoutSession, user: int, **kw) -> dict:
    """A ``checkout.session.completed`` event of our session (paid unless ``payment_status`` says)."""
    return stripe_events.completed_event(
        session.id, user_id=user, amount_subtotal=session.subtotal_cents, amount_total=session.subtotal_cents,
        currency="usd", mode=session.mode, email="buyer@example.com", shipping=None,
        metadata={"user_id": str(user)}, **kw)


def orders_of(user: int) -> list[Order]:
    with read_session() as s:
        return list(s.exec(select(Order).where(Order.user_id == user)).all())


def events(event_id: str) -> int:
    with read_session() as s:
        return s.exec(select(func.count()).select_from(ExternalEvent).where(ExternalEvent.external_id == event_id)).one()


def exact(user: int) -> int:
    """The balance, after checking the ledger sums to it."""
    balance = credits.balance(user_id=user)
    assert credits.ledger_sum(user_id=user) == balance
    return balance


# --------------------------------------------------------------------------------------------------- cases


def case_same_completed_event_five_times_and_late(make_user) -> None:
    """5 deliveries of one completed event (and 3 concurrent ones), then the same session's event again
    after a newer one: one order, credits granted once, cart cleared."""
    ensure_catalogue()
    user = make_user("payer@example.com", credits=None)
    session = checkout_of(user, ("credit_pack", CREATOR, 2))
    assert session.subtotal_cents == 7800 and exact(user) == 0
    event = completed(session, user)
    assert deliver(event) == "order_paid"
    for _ in range(4):
        assert deliver(event) == "duplicate"
    threads = [threading.Thread(target=deliver, args=(event,)) for _ in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert exact(user) == 2 * 5500
    assert events(event["id"]) == 1
    deliver(stripe_events.expired_event(session.id, user_id=user, amount_subtotal=7800, amount_total=7800,
                                        currency="usd", mode="payment", metadata={"user_id": str(user)}))
    # (a newer event about the same session: a paid session never expires, nothing changes)
    assert deliver(completed(session, user)) == "order_exists"  # the same session completed again, late
    [order] = orders_of(user)
    assert (order.status, order.amount_total_cents) == ("PAID", 7800)
    with read_session() as s:
        items = s.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    assert [(i.kind, i.quantity, i.credits) for i in items] == [("credit_pack", 2, 11000)]
    assert cart.get_cart(user).lines == () and exact(user) == 11000


def case_tampered_signature_changes_nothing(make_user) -> None:
    """A tampered body, a wrong secret and a missing header are refused (400) and store nothing."""
    import pytest

    from genpire_app.backend.providers.stripe_signature import InvalidSignature

    ensure_catalogue()
    user = make_user("tamper@example.com", credits=None)
    session = checkout_of(user, ("credit_pack", STARTER, 1))
    event = completed(session, user)
    with pytest.raises(InvalidSignature):
        deliver(event, tamper=True)
    with pytest.raises(InvalidSignature):
        deliver(event, secret="whsec_" + "0" * 32)
    with pytest.raises(InvalidSignature):
        asyncio.run(stripe_webhook.handle(b"{}", ""))
    assert events(event["id"]) == 0 and orders_of(user) == [] and exact(user) == 0
    assert len(cart.get_cart(user).lines) == 1


def case_refund_after_half_spent_claws_back_only_the_rest(make_user) -> None:
    """A full refund after half the pack's credits were spent takes back only the unspent half; the balance
    never goes negative; a partial refund first takes its share."""
    ensure_catalogue()
    user = make_user("refund@example.com", credits=None)
    session = checkout_of(user, ("credit_pack", STARTER, 1))
    event = completed(session, user)
    deliver(event)
    [order] = orders_of(user)
    hold = credits.reserve(user_id=user, amount=500, operation="spend", key="spend-half", ttl_seconds=600)
    credits.capture(hold_id=hold.id)
    assert exact(user) == 500
    intent = order.payment_intent_id
    assert intent
    partial = stripe_events.charge_refunded_event(payment_intent_id=intent, amount=900, amount_refunded=225,
                                                  currency="usd")
    deliver(partial)
    assert exact(user) == 250  # a quarter of the money back: a quarter of the credits (250) taken
    full = stripe_events.charge_refunded_event(payment_intent_id=intent, amount=900, amount_refunded=900,
                                               currency="usd", previously_refunded=225)
    assert deliver(full) == "order_refunded"
    assert deliver(full) == "duplicate"
    assert exact(user) == 0  # only the unspent rest could be taken, never below zero
    [order] = orders_of(user)
    assert (order.status, order.refunded_cents) == ("REFUNDED", 900)


def case_async_payment_then_success_or_failure(make_user) -> None:
    """An unpaid completion makes a PENDING order without credits; success grants them once; a failure of
    another session grants nothing; a late unpaid completion never moves a paid order back."""
    ensure_catalogue()
    user = make_user("async@example.com", credits=None)
    session = checkout_of(user, ("credit_pack", STARTER, 1))
    pending = completed(session, user, payment_status="unpaid")
    assert deliver(pending) == "order_pending" and exact(user) == 0
    assert [o.status for o in orders_of(user)] == ["PENDING"]
    succeeded = stripe_events.async_payment_succeeded_event(pending["data"]["object"])
    assert deliver(succeeded) == "order_paid" and exact(user) == 1000
    deliver(completed(session, user, payment_status="unpaid"))  # late, a new event id: changes nothing
    assert [o.status for o in orders_of(user)] == ["PAID"] and exact(user) == 1000

    other = checkout_of(user, ("credit_pack", CREATOR, 1))
    unpaid = completed(other, user, payment_status="unpaid")
    deliver(unpaid)
    failed = stripe_events.async_payment_failed_event(unpaid["data"]["object"])
    assert deliver(failed) == "order_failed"
    assert sorted(o.status for o in orders_of(user)) == ["FAILED", "PAID"] and exact(user) == 1000


def case_plan_grants_each_period_once(make_user) -> None:
    """A plan bought through checkout starts with its first period's credits; a renewal invoice grants the
    next period once; subscription credits are spent first."""
    from datetime import timedelta

    ensure_catalogue()
    user = make_user("plan@example.com", credits=None)
    session = checkout_of(user, ("plan", PRO_PLAN, 1))
    assert session.mode == "subscription"
    deliver(completed(session, user, subscription_id="sub_test_1", customer_id="cus_test_1"))
    sub = subscriptions.live(user)
    assert sub is not None and sub.stripe_subscription_id == "sub_test_1" and exact(user) == 10000
    start = sub.current_period_end
    invoice = stripe_events.invoice_paid_event(subscription_id="sub_test_1", customer_id="cus_test_1",
                                               amount_paid=2900, currency="usd",
                                               period_start=int(as_utc(start).timestamp()),
                                               period_end=int((as_utc(start) + timedelta(days=30)).timestamp()))
    assert deliver(invoice) == "plan_renewed"
    deliver(invoice)
    assert exact(user) == 20000
