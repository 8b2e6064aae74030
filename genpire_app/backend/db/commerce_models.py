"""Commerce tables (issue 9 items 6-9; seed 003 "Cart & Checkout", "Orders", "Credits & Purchase Flow";
DESIGN.md §4 "quick 3D and commerce", §8): credit packs and plans for sale, the server-side cart, checkout
sessions, orders and subscriptions.

Money is integer **cents** (USD unless ``currency`` says otherwise); credits are integer **hundredths of a
credit** (DESIGN.md §5). Prices are snapshotted where money changes hands: a checkout session stores its
line items, so the order made from it does not depend on the cart or the catalogue any more.

Differences from seed 003 (its Prisma models are implied by the flows):

- ``CreditPurchaseOption`` is ``credit_packs`` (DESIGN.md §4); monthly plans are ``subscription_plans``, a
  user's plan is a ``subscriptions`` row (issue 9 item 7).
- ``checkout_sessions`` is ours: the session's snapshot (items, amounts, whether shipping is needed) for
  Stripe Checkout and for the local test checkout alike; the Stripe webhook turns a completed session into
  exactly one order (``orders.checkout_session_id`` unique).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from genpire_app.backend.db.fields import json_field as _json
from genpire_app.backend.db.fields import ts_field, user_fk

#: What a cart item or an order item is: a digital model (an asset's files), a configured print, a credit
#: pack, or a monthly plan.
ITEM_KINDS = ("digital_model", "print", "credit_pack", "plan")
#: Order statuses: PENDING (paid asynchronously, not yet settled), PAID, FULFILLED (prints shipped),
#: FAILED (asynchronous payment failed), REFUNDED (fully) and PARTIALLY_REFUNDED.
ORDER_STATUSES = ("PENDING", "PAID", "FULFILLED", "FAILED", "PARTIALLY_REFUNDED", "REFUNDED")
#: Checkout session statuses (Stripe's): open, complete, expired.
SESSION_STATUSES = ("open", "complete", "expired")
#: Subscription statuses (Stripe's, those we act on).
SUBSCRIPTION_STATUSES = ("active", "past_due", "canceled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class CreditPack(SQLModel, table=True):
    """A credit pack for sale (seed 003 ``CreditPurchaseOption``): ``credits`` plus ``bonus_credits``
    (hundredths) for ``price_cents``; ``stripe_price_id`` when the pack has a Stripe Price (else the
    checkout sends price data)."""

    __tablename__ = "credit_packs"
    __table_args__ = (CheckConstraint("price_cents > 0 AND credits > 0 AND bonus_credits >= 0", name="ck_credit_packs_amounts"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_type=String(80))
    credits: int = Field(sa_type=BigInteger)
    bonus_credits: int = Field(default=0, sa_type=BigInteger)
    price_cents: int = Field(sa_type=BigInteger)
    currency: str = Field(default="usd", sa_type=String(3))
    stripe_price_id: str | None = Field(default=None, sa_type=String(120))
    active: bool = Field(default=True)
    sort_order: int = Field(default=0)
    created_at: datetime = ts_field()


class SubscriptionPlan(SQLModel, table=True):
    """A monthly plan: ``monthly_credits`` (hundredths) granted each paid period, expiring at its end
    (spent before one-time credits: ``services.credits.SOURCE_PRIORITY``)."""

    __tablename__ = "subscription_plans"
    __table_args__ = (CheckConstraint("price_cents > 0 AND monthly_credits > 0", name="ck_subscription_plans_amounts"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_type=String(80))
    monthly_credits: int = Field(sa_type=BigInteger)
    price_cents: int = Field(sa_type=BigInteger)
    currency: str = Field(default="usd", sa_type=String(3))
    stripe_price_id: str | None = Field(default=None, sa_type=String(120))
    active: bool = Field(default=True)
    sort_order: int = Field(default=0)
    created_at: datetime = ts_field()


class Subscription(SQLModel, table=True):
    """A user's plan. One live row per user (``status`` active or past_due); ``cancel_at_period_end``: the
    plan ends when the paid period does. Periods are UTC."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint(_in("status", SUBSCRIPTION_STATUSES), name="ck_subscriptions_status"),
        Index("uq_subscriptions_live_user", "user_id", unique=True,
              sqlite_where=text("status != 'canceled'"), postgresql_where=text("status != 'canceled'")),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    plan_id: uuid.UUID = Field(foreign_key="subscription_plans.id", index=True)
    status: str = Field(default="active", sa_type=String(20))
    current_period_start: datetime = Field(sa_type=DateTime(timezone=True))
    current_period_end: datetime = Field(sa_type=DateTime(timezone=True))
    cancel_at_period_end: bool = Field(default=False)
    stripe_subscription_id: str | None = Field(default=None, sa_type=String(120), unique=True)
    stripe_customer_id: str | None = Field(default=None, sa_type=String(120))
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


class CartItem(SQLModel, table=True):
    """One line of a user's server-side cart (seed 003 "Cart Management": server-side). Exactly one of
    ``asset_id`` (digital model), ``print_config_id`` (print), ``credit_pack_id`` (pack) or ``plan_id``
    (plan) is set, as ``kind`` says; ``quantity`` >= 1 (a print's quantity lives in its config)."""

    __tablename__ = "cart_items"
    __table_args__ = (
        CheckConstraint(_in("kind", ITEM_KINDS), name="ck_cart_items_kind"),
        CheckConstraint("quantity >= 1 AND quantity <= 100", name="ck_cart_items_quantity"),
        UniqueConstraint("user_id", "kind", "ref_id", name="uq_cart_items_user_kind_ref"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    kind: str = Field(sa_type=String(20))
    #: The id of the asset, print config, credit pack or plan (by ``kind``), as text.
    ref_id: str = Field(sa_type=String(64))
    quantity: int = Field(default=1)
    created_at: datetime = ts_field()


class CheckoutSession(SQLModel, table=True):
    """A checkout of a cart (Stripe Checkout Session, or the local test checkout: ``provider``).

    ``id`` is the provider's session id (``cs_...``). ``items``: the snapshot of the cart's lines, each
    ``{"kind", "ref_id", "name", "quantity", "unit_cents", "total_cents", "credits"}`` (``credits``:
    hundredths granted per unit, packs only); ``mode``: ``payment`` or ``subscription``;
    ``needs_shipping``: a print is in it. ``idempotency_key``: sent to Stripe with the create call.
    """

    __tablename__ = "checkout_sessions"
    __table_args__ = (CheckConstraint(_in("status", SESSION_STATUSES), name="ck_checkout_sessions_status"),)

    id: str = Field(primary_key=True, sa_type=String(200))
    user_id: int = user_fk()
    provider: str = Field(sa_type=String(20))
    mode: str = Field(default="payment", sa_type=String(20))
    status: str = Field(default="open", sa_type=String(20))
    items: list[dict[str, Any]] = _json(list)
    subtotal_cents: int = Field(sa_type=BigInteger)
    currency: str = Field(default="usd", sa_type=String(3))
    needs_shipping: bool = Field(default=False)
    url: str = Field(default="", sa_type=Text)
    idempotency_key: str = Field(sa_type=String(120), unique=True)
    created_at: datetime = ts_field()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))


class Order(SQLModel, table=True):
    """An order, made once from a completed checkout session (``checkout_session_id`` unique; DESIGN.md §8).

    ``amount_*_cents``: what was paid; ``refunded_cents``: refunded so far. ``shipping``: the address
    Stripe collected (name, line1, line2, city, postal_code, state, country), prints only. ``email``: the
    buyer's address for the order mail."""

    __tablename__ = "orders"
    __table_args__ = (CheckConstraint(_in("status", ORDER_STATUSES), name="ck_orders_status"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: int = user_fk()
    checkout_session_id: str = Field(sa_type=String(200), unique=True)
    payment_intent_id: str | None = Field(default=None, sa_type=String(200), index=True)
    status: str = Field(default="PAID", sa_type=String(24))
    amount_subtotal_cents: int = Field(sa_type=BigInteger)
    amount_shipping_cents: int = Field(default=0, sa_type=BigInteger)
    amount_total_cents: int = Field(sa_type=BigInteger)
    refunded_cents: int = Field(default=0, sa_type=BigInteger)
    currency: str = Field(default="usd", sa_type=String(3))
    email: str = Field(default="", sa_type=String(320))
    shipping: dict[str, Any] = _json(dict)
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


class OrderItem(SQLModel, table=True):
    """A line of an order: the session snapshot's line, plus what fulfilment made of it (``grant_ref``: the
    credit grant of a pack; ``model_id``: the scaled model version of a print)."""

    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint(_in("kind", ITEM_KINDS), name="ck_order_items_kind"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    user_id: int = user_fk()
    kind: str = Field(sa_type=String(20))
    ref_id: str = Field(sa_type=String(64), index=True)
    name: str = Field(sa_type=String(200))
    quantity: int = Field(default=1)
    unit_cents: int = Field(sa_type=BigInteger)
    total_cents: int = Field(sa_type=BigInteger)
    credits: int = Field(default=0, sa_type=BigInteger)
    grant_ref: str | None = Field(default=None, sa_type=String(200))
    model_id: uuid.UUID | None = Field(default=None)
    created_at: datetime = ts_field()


__all__ = [
    "ITEM_KINDS", "ORDER_STATUSES", "SESSION_STATUSES", "SUBSCRIPTION_STATUSES", "CartItem", "CheckoutSession",
    "CreditPack", "Order", "OrderItem", "Subscription", "SubscriptionPlan",
]
