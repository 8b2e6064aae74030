"""Checkout (issue 9 item 8; seed 003 "Cart & Checkout"; DESIGN.md §6 "payments"): the user's cart becomes a
checkout session of the payment provider — a Stripe Checkout Session with ``STRIPE_SECRET_KEY``, else the
local test checkout — and a ``checkout_sessions`` row holding the snapshot the order will be made from.

Nothing is charged or granted here: the Stripe webhook (``services.stripe_webhook``) makes the order when
the session completes. "Proceed to Checkout" twice on the same cart returns the same open session (the
snapshot's hash is part of the idempotency key sent to Stripe, and an open session with the same snapshot
is reused).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from genpire_app.backend.config import get_settings
from genpire_app.backend.db.account_models import LocalUser
from genpire_app.backend.db.commerce_models import CheckoutSession, Subscription
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import as_utc, utcnow
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.payments import CheckoutRequest, LineItem
from genpire_app.backend.services import cart as carts

#: A session the provider did not report an expiry for is treated as expiring after this long.
DEFAULT_TTL = timedelta(hours=24)


def _snapshot(cart: carts.Cart) -> list[dict]:
    """The cart's lines as stored in ``checkout_sessions.items`` (cents; credits in hundredths per unit)."""
    return [{"kind": line.kind, "ref_id": line.ref_id, "name": line.priced.name, "quantity": line.quantity,
             "unit_cents": line.priced.unit_cents, "total_cents": line.total_cents, "credits": line.priced.credits,
             "ships": line.priced.ships, "monthly": line.priced.monthly} for line in cart.lines]


def _digest(user_id: int, items: list[dict]) -> str:
    return hashlib.sha256(json.dumps([user_id, items], sort_keys=True).encode()).hexdigest()[:32]


def _open_session(user_id: int, digest: str) -> CheckoutSession | None:
    """The user's open, unexpired session with this snapshot, if any."""
    with read_session() as s:
        rows = s.exec(select(CheckoutSession).where(CheckoutSession.user_id == user_id,
                                                    CheckoutSession.status == "open",
                                                    CheckoutSession.idempotency_key.startswith(f"checkout:{user_id}:{digest}:"))).all()
    now = utcnow()
    return next((r for r in rows if as_utc(r.expires_at) > now + timedelta(minutes=5)), None)


def _attempt(user_id: int) -> int:
    """How many sessions the user has started: part of the idempotency key, so a new checkout of the same
    cart after one completed or expired is a new session, while a double click is not."""
    from sqlalchemy import func

    with read_session() as s:
        return int(s.exec(select(func.count()).select_from(CheckoutSession).where(CheckoutSession.user_id == user_id)).one())


def _customer(user_id: int) -> str | None:
    with read_session() as s:
        return s.exec(select(Subscription.stripe_customer_id).where(Subscription.user_id == user_id,
                                                                     Subscription.stripe_customer_id.is_not(None))).first()


async def start(user_id: int) -> CheckoutSession:
    """Start (or resume) the checkout of the user's cart; returns the session row (``url``: where to send the
    buyer).

    Raises:
        OperationError: ``invalid_state`` (empty cart, a plan already active), ``not_found`` (no such user).
        ProviderError: the payment provider refused or is unreachable (nothing was charged).
    """
    from genpire_app.backend.providers.registry import get_providers

    cart = await asyncio.to_thread(carts.get_cart, user_id)
    if not cart.lines:
        raise OperationError("invalid_state", "Your cart is empty.")
    if cart.has_plan:
        from genpire_app.backend.services import subscriptions

        live = await asyncio.to_thread(subscriptions.live, user_id)
        wanted = next(line.ref_id for line in cart.lines if line.priced.monthly)
        if live is not None and str(live.plan_id) == wanted:
            raise OperationError("invalid_state", "You already have this plan. Remove it from the cart, or choose "
                                                  "another plan to change to.")
    items = _snapshot(cart)
    digest = _digest(user_id, items)
    existing = await asyncio.to_thread(_open_session, user_id, digest)
    if existing is not None:
        return existing
    with read_session() as s:
        user = s.get(LocalUser, user_id)
    if user is None:
        raise OperationError("not_found", "Sign in again to check out.")
    settings = get_settings()
    provider = get_providers().payments
    key = f"checkout:{user_id}:{digest}:{await asyncio.to_thread(_attempt, user_id)}"
    request = CheckoutRequest(
        user_id=user_id, email=user.username,
        items=tuple(LineItem(name=line.priced.name, unit_cents=line.priced.unit_cents, quantity=line.quantity,
                             kind=line.kind, ref_id=line.ref_id, monthly=line.priced.monthly,
                             stripe_price_id=line.priced.stripe_price_id) for line in cart.lines),
        mode="subscription" if cart.has_plan else "payment", needs_shipping=cart.needs_shipping,
        success_url=f"{settings.public_url}/orders?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{settings.public_url}/cart", idempotency_key=key,
        metadata={"user_id": str(user_id)}, customer_id=await asyncio.to_thread(_customer, user_id),
    )
    created = await provider.create_checkout(request)
    row = CheckoutSession(
        id=created.id, user_id=user_id, provider=provider.name, mode=request.mode, items=items,
        subtotal_cents=cart.subtotal_cents, needs_shipping=cart.needs_shipping, url=created.url,
        idempotency_key=key, expires_at=created.expires_at or utcnow() + DEFAULT_TTL,
    )

    def save() -> CheckoutSession:
        try:
            with write_session() as s:
                s.add(row)
            return row
        except IntegrityError:  # the same session stored by a concurrent click
            with read_session() as s:
                return s.get(CheckoutSession, created.id) or row

    return await asyncio.to_thread(save)


def get_owned(user_id: int, session_id: str) -> CheckoutSession:
    """The user's checkout session.

    Raises:
        OperationError: ``not_found`` (missing or another user's).
    """
    with read_session() as s:
        row = s.get(CheckoutSession, session_id)
    if row is None or row.user_id != user_id:
        raise OperationError("not_found", "This checkout does not exist.")
    return row


__all__ = ["DEFAULT_TTL", "get_owned", "start"]
