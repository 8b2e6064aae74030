"""The Stripe webhook (issue 9 item 8; DESIGN.md §8; seed 003 "Stripe Webhook Handler"): a completed
checkout session becomes exactly one order, however often or late its events arrive.

``POST /api/webhooks/stripe`` passes the raw body and the ``Stripe-Signature`` header to :func:`handle`:
the signature is checked on the raw body (Stripe's scheme, 300 s tolerance) before anything is stored; the
event is recorded in ``external_events`` once (its ``evt_`` id) and handled in ONE transaction with the
business writes it causes, so a duplicate, a replay or a retry after a crash changes nothing twice.

Events and what they do:

- ``checkout.session.completed``: the order (from the session's snapshot, not from the cart now). Paid
  (``payment_status`` paid or no_payment_required): PAID and fulfilled at once. Unpaid (an asynchronous
  method such as a bank debit): PENDING, fulfilled on ``checkout.session.async_payment_succeeded``,
  FAILED on ``..._failed``.
- fulfilment (:func:`fulfil`): order items; purchased credits granted (``purchase`` grants, in the same
  transaction); a plan started with its first period's credits; other kinds by their registered
  fulfillers (prints, digital models); the bought lines removed from the cart; a notification and an order
  mail in the outbox.
- ``checkout.session.expired``: the session is marked expired (nothing was paid).
- ``charge.refunded``: the order's refunded amount; credits bought with it are clawed back in proportion,
  only down to what is unspent (``services.credit_refunds``), never below zero.
- ``invoice.paid`` (renewals), ``customer.subscription.updated`` / ``.deleted``: the plan follows.

Statuses never move backwards (a late ``completed`` after ``async_payment_succeeded`` changes nothing).
Money in cents, credits in hundredths.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sqlmodel import Session, select

from genpire_app.backend.config import format_credits, get_settings
from genpire_app.backend.db.commerce_models import CheckoutSession, Order, OrderItem
from genpire_app.backend.db.engine import write_session
from genpire_app.backend.db.models import utcnow
from genpire_app.backend.services import cart, external_events, mail, notifications

log = logging.getLogger(__name__)

SOURCE = "stripe"
ORDERS_LINK = "/orders"
#: Order statuses by progress: an event may only move an order to a higher rank (refunds aside).
_RANK = {"PENDING": 0, "FAILED": 1, "PAID": 2, "FULFILLED": 3, "PARTIALLY_REFUNDED": 4, "REFUNDED": 5}

#: ``fulfiller(session, order, item)`` for kinds beyond packs and plans (prints, digital models), run inside
#: the webhook's transaction; it may return a callable to run once that transaction has committed (e.g. to
#: queue work that must only start when the order exists).
Fulfiller = Callable[[Session, Order, OrderItem], "Callable[[], None] | None"]
_FULFILLERS: dict[str, Fulfiller] = {}


def register_fulfiller(kind: str, fulfiller: Fulfiller) -> None:
    """Fulfil order items of ``kind`` with ``fulfiller(session, order, item)`` inside the webhook's transaction
    (its optional return value runs after the commit)."""
    _FULFILLERS[kind] = fulfiller


class Outcome:
    """What a handled event leaves to do after its commit: mail to send and users to push to."""

    def __init__(self) -> None:
        self.mail: list[Any] = []
        self.users: set[int] = set()
        self.after: list[Callable[[], None]] = []
        self.result = "ignored"


async def handle(payload: bytes, signature: str) -> str:
    """Verify and handle one delivery. Returns what happened (``"order_paid"``, ``"duplicate"``,
    ``"ignored"`` ...).

    Raises:
        stripe_signature.InvalidSignature: a missing, wrong or stale signature, or a body that is not an
            event (the route answers 400; nothing is stored).
    """
    from genpire_app.backend.providers import stripe_signature

    event = stripe_signature.verify(payload, signature, get_settings().stripe_webhook_secret_value())
    return await asyncio.to_thread(apply_event, event)


def apply_event(event: dict[str, Any]) -> str:
    """Record and handle a verified event in one transaction, then send its mail and pushes."""
    from genpire_app.backend.jobs import push
    from genpire_app.backend.jobs.push import Topic

    out = Outcome()
    with write_session() as s:
        event_id, seen = external_events.record(
            s, external_events.Delivery(SOURCE, str(event.get("id", "")), event), handled=False)
        if seen:
            return "duplicate"
        handler = _HANDLERS.get(str(event.get("type", "")))
        if handler is not None:
            handler(s, event, (event.get("data") or {}).get("object") or {}, out)
        external_events.mark_handled(s, event_id)
    mail.send_soon(*out.mail)
    for task in out.after:
        try:
            task()
        except Exception:  # noqa: BLE001 - the order is committed; a failed follow-up is logged, not re-raised
            log.exception("stripe webhook: a follow-up of event %s failed", event.get("id"))
    for user_id in out.users:
        push.publish(user_id, Topic.BALANCE, Topic.NOTIFICATIONS)
    return out.result


# ------------------------------------------------------------------------------------------------- orders


def _session_row(s: Session, obj: dict[str, Any]) -> CheckoutSession | None:
    row = s.exec(select(CheckoutSession).where(CheckoutSession.id == str(obj.get("id", ""))).with_for_update()).first()
    if row is None:
        log.warning("stripe event for unknown checkout session %s", obj.get("id"))
        return None
    meta_user = str((obj.get("metadata") or {}).get("user_id") or obj.get("client_reference_id") or "")
    if meta_user and meta_user != str(row.user_id):
        log.warning("stripe session %s names user %s, ours is %s: ignored", row.id, meta_user, row.user_id)
        return None
    return row


def _shipping(obj: dict[str, Any]) -> dict[str, Any]:
    details = (obj.get("collected_information") or {}).get("shipping_details") or obj.get("shipping_details") or {}
    address = details.get("address") or {}
    if not address:
        return {}
    keys = ("line1", "line2", "city", "postal_code", "state", "country")
    return {"name": details.get("name") or "", **{k: address.get(k) or "" for k in keys}}


def _order(s: Session, row: CheckoutSession, obj: dict[str, Any], status: str) -> tuple[Order, bool]:
    """The session's order (created with ``status`` if missing). Returns (order, created)."""
    order = s.exec(select(Order).where(Order.checkout_session_id == row.id).with_for_update()).first()
    if order is not None:
        return order, False
    totals = obj.get("total_details") or {}
    order = Order(
        user_id=row.user_id, checkout_session_id=row.id, payment_intent_id=obj.get("payment_intent") or None,
        status=status, amount_subtotal_cents=int(obj.get("amount_subtotal") or row.subtotal_cents),
        amount_shipping_cents=int(totals.get("amount_shipping") or 0),
        amount_total_cents=int(obj.get("amount_total") or row.subtotal_cents), currency=row.currency,
        email=str((obj.get("customer_details") or {}).get("email") or ""), shipping=_shipping(obj),
    )
    s.add(order)
    s.flush()
    return order, True


def _advance(s: Session, order: Order, status: str) -> bool:
    """Move the order forward to ``status`` (never back); returns whether it moved."""
    if _RANK[status] <= _RANK[order.status]:
        return False
    order.status, order.updated_at = status, utcnow()
    s.add(order)
    return True


def fulfil(s: Session, order: Order, row: CheckoutSession, obj: dict[str, Any], out: Outcome) -> None:
    """Order items, credits, plan, registered fulfillers, cart, notification and mail (see module docstring)."""
    from genpire_app.backend.services import credits, subscriptions

    cart.load_sellers()
    granted = 0
    for index, line in enumerate(row.items):
        item = OrderItem(order_id=order.id, user_id=order.user_id, kind=line["kind"], ref_id=line["ref_id"],
                         name=line["name"], quantity=int(line["quantity"]), unit_cents=int(line["unit_cents"]),
                         total_cents=int(line["total_cents"]), credits=int(line.get("credits") or 0) * int(line["quantity"]))
        if item.kind == "credit_pack":
            item.grant_ref = f"order:{order.id}:{index}"
            credits.grant(user_id=order.user_id, source="purchase", amount=item.credits, source_ref=item.grant_ref,
                          session=s)
            granted += item.credits
        elif item.kind == "plan":
            now = utcnow()
            replaced = subscriptions.live_provider_ids(s, order.user_id)  # an upgrade: the old plan stops renewing
            if replaced:
                out.after.append(lambda ids=tuple(replaced): subscriptions.stop_renewals(ids))
            sub = subscriptions.begin(s, user_id=order.user_id, plan_id=_uuid(item.ref_id),
                                      provider_id=obj.get("subscription") or None, customer_id=obj.get("customer") or None,
                                      period_start=now, period_end=now + subscriptions.PERIOD)
            item.grant_ref = credits.period_source_ref(str(sub.id), now)
            granted += item.credits
        elif item.kind in _FULFILLERS:
            follow_up = _FULFILLERS[item.kind](s, order, item)
            if follow_up is not None:
                out.after.append(follow_up)
        s.add(item)
    cart.clear(s, order.user_id, [(line["kind"], line["ref_id"]) for line in row.items])
    total = f"${order.amount_total_cents / 100:,.2f}"
    extra = f" {format_credits(granted)} added to your balance." if granted else ""
    notifications.notify(s, user_id=order.user_id, type="order_paid", title="Order confirmed",
                         message=f"Order {str(order.id)[:8]} · {total}.{extra}", link=f"{ORDERS_LINK}/{order.id}")
    lines = "\n".join(f"- {line['quantity']} × {line['name']}: ${line['total_cents'] / 100:,.2f}" for line in row.items)
    if order.email:
        out.mail.append(mail.enqueue(
            s, user_id=order.user_id, kind="order", to=order.email, subject=f"Your Genpire order {str(order.id)[:8]}",
            body=f"Thank you for your order.\n\n{lines}\n\nTotal: {total}\n{extra.strip()}\n\n"
                 f"{get_settings().public_url}{ORDERS_LINK}/{order.id}\n"))
    out.users.add(order.user_id)


def _uuid(value: str):
    import uuid

    return uuid.UUID(value)


def _completed(s: Session, event: dict[str, Any], obj: dict[str, Any], out: Outcome) -> None:
    row = _session_row(s, obj)
    if row is None:
        return
    row.status = "complete"
    s.add(row)
    paid = obj.get("payment_status") in ("paid", "no_payment_required")
    order, created = _order(s, row, obj, "PAID" if paid else "PENDING")
    if created and paid:
        fulfil(s, order, row, obj, out)
        out.result = "order_paid"
    elif created:
        out.result, out.users = "order_pending", {order.user_id}
    else:
        out.result = "order_exists"


def _async_succeeded(s: Session, event: dict[str, Any], obj: dict[str, Any], out: Outcome) -> None:
    row = _session_row(s, obj)
    if row is None:
        return
    row.status = "complete"
    s.add(row)
    order, created = _order(s, row, obj, "PAID")
    if created or _advance(s, order, "PAID"):
        fulfil(s, order, row, obj, out)
        out.result = "order_paid"


def _async_failed(s: Session, event: dict[str, Any], obj: dict[str, Any], out: Outcome) -> None:
    row = _session_row(s, obj)
    if row is None:
        return
    order, _ = _order(s, row, obj, "FAILED")
    if order.status in ("PENDING", "FAILED"):
        order.status = "FAILED"
        s.add(order)
        notifications.notify(s, user_id=order.user_id, type="order_failed", title="Payment failed",
                             message="Your payment did not go through; nothing was charged.", link="/cart")
        out.users.add(order.user_id)
        out.result = "order_failed"


def _expired(s: Session, event: dict[str, Any], obj: dict[str, Any], out: Outcome) -> None:
    row = _session_row(s, obj)
    if row is not None and row.status == "open":
        row.status = "expired"
        s.add(row)
        out.result = "session_expired"


def _refunded(s: Session, event: dict[str, Any], obj: dict[str, Any], out: Outcome) -> None:
    from genpire_app.backend.services import credit_refunds

    intent = obj.get("payment_intent")
    order = s.exec(select(Order).where(Order.payment_intent_id == intent).with_for_update()).first() if intent else None
    if order is None or order.amount_total_cents <= 0:
        return
    refunded = min(int(obj.get("amount_refunded") or 0), order.amount_total_cents)
    if refunded <= order.refunded_cents:
        return
    for item in s.exec(select(OrderItem).where(OrderItem.order_id == order.id, OrderItem.grant_ref.is_not(None))).all():
        target = item.credits * refunded // order.amount_total_cents  # credits refunded so far, in proportion
        before = item.credits * order.refunded_cents // order.amount_total_cents
        if target > before:
            credit_refunds.claw_back(user_id=order.user_id, source_ref=item.grant_ref, amount=target - before,
                                     reason_ref=f"{event.get('id')}:{item.id}", session=s)
    order.refunded_cents = refunded
    order.status = "REFUNDED" if refunded >= order.amount_total_cents else "PARTIALLY_REFUNDED"
    order.updated_at = utcnow()
    s.add(order)
    out.users.add(order.user_id)
    out.result = "order_refunded"


def _period(obj: dict[str, Any]) -> tuple[datetime, datetime] | None:
    lines = ((obj.get("lines") or {}).get("data") or [{}])
    period = (lines[0] or {}).get("period") or {}
    if not period.get("start") or not period.get("end"):
        return None
    return (datetime.fromtimestamp(int(period["start"]), timezone.utc),
            datetime.fromtimestamp(int(period["end"]), timezone.utc))


def _invoice_paid(s: Session, event: dict[str, Any], obj: dict[str, Any], out: Outcome) -> None:
    from genpire_app.backend.services import subscriptions

    provider_id = obj.get("subscription") or ((obj.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    period = _period(obj)
    if obj.get("billing_reason") == "subscription_create" or not provider_id or period is None:
        return  # the first period came with the checkout
    row = subscriptions.renew(s, provider_id=str(provider_id), period_start=period[0], period_end=period[1])
    if row is not None:
        out.users.add(row.user_id)
        out.result = "plan_renewed"


def _subscription_changed(s: Session, event: dict[str, Any], obj: dict[str, Any], out: Outcome) -> None:
    from genpire_app.backend.services import subscriptions

    deleted = event.get("type") == "customer.subscription.deleted"
    subscriptions.set_status(s, provider_id=str(obj.get("id", "")), status="canceled" if deleted else str(obj.get("status", "")),
                             cancel_at_period_end=None if deleted else bool(obj.get("cancel_at_period_end")))
    out.result = "plan_updated"


_HANDLERS: dict[str, Callable[[Session, dict[str, Any], dict[str, Any], Outcome], None]] = {
    "checkout.session.completed": _completed,
    "checkout.session.async_payment_succeeded": _async_succeeded,
    "checkout.session.async_payment_failed": _async_failed,
    "checkout.session.expired": _expired,
    "charge.refunded": _refunded,
    "invoice.paid": _invoice_paid,
    "customer.subscription.updated": _subscription_changed,
    "customer.subscription.deleted": _subscription_changed,
}


__all__ = ["SOURCE", "apply_event", "fulfil", "handle", "register_fulfiller"]
