"""Monthly plans (issue 9 item 7; DESIGN.md §5 "subscription first"): a paid period grants the plan's credits,
expiring at the period's end and spent before one-time credits; a plan can be cancelled at period end.

Rows change only from the Stripe webhook (``services.stripe_webhook``: the first period when the checkout
completes, the next ones on ``invoice.paid``) and from the account page (cancel at period end). Periods are
UTC; credits are hundredths.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session, select

from genpire_app.backend.db.commerce_models import Subscription, SubscriptionPlan
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.models import as_utc, utcnow
from genpire_app.backend.jobs.errors import OperationError

#: Length of a period when the provider does not say (the local test checkout): 30 days.
PERIOD = timedelta(days=30)


def live(user_id: int) -> Subscription | None:
    """The user's plan that is not cancelled (active or past due), or None."""
    with read_session() as s:
        return s.exec(select(Subscription).where(Subscription.user_id == user_id,
                                                 Subscription.status != "canceled")).first()


def plan_of(subscription: Subscription) -> SubscriptionPlan | None:
    """The plan row of a subscription."""
    with read_session() as s:
        return s.get(SubscriptionPlan, subscription.plan_id)


def begin(session: Session, *, user_id: int, plan_id: uuid.UUID, provider_id: str | None, customer_id: str | None,
          period_start: datetime, period_end: datetime) -> Subscription:
    """The user's new plan, in the caller's transaction (the webhook's), with its first period's credits.
    A live plan of the user is replaced (cancelled first: one live plan per user).

    Raises:
        OperationError: ``not_found`` for an unknown plan.
    """
    from genpire_app.backend.services import credits

    plan = session.get(SubscriptionPlan, plan_id)
    if plan is None:
        raise OperationError("not_found", "This plan does not exist.")
    for old in session.exec(select(Subscription).where(Subscription.user_id == user_id,
                                                       Subscription.status != "canceled")).all():
        old.status, old.updated_at = "canceled", utcnow()
        session.add(old)
    session.flush()
    row = Subscription(user_id=user_id, plan_id=plan.id, status="active", current_period_start=period_start,
                       current_period_end=period_end, stripe_subscription_id=provider_id,
                       stripe_customer_id=customer_id)
    session.add(row)
    session.flush()
    credits.grant_period(user_id=user_id, subscription_id=str(row.id), period_start=period_start,
                         period_end=period_end, amount=plan.monthly_credits, session=session)
    return row


def renew(session: Session, *, provider_id: str, period_start: datetime, period_end: datetime) -> Subscription | None:
    """A paid renewal (``invoice.paid``): the new period and its credits, once per period. Returns the row,
    or None for a subscription we do not know."""
    from genpire_app.backend.services import credits

    row = session.exec(select(Subscription).where(Subscription.stripe_subscription_id == provider_id)).first()
    if row is None:
        return None
    plan = session.get(SubscriptionPlan, row.plan_id)
    if as_utc(period_end) > as_utc(row.current_period_end):
        row.current_period_start, row.current_period_end = period_start, period_end
    row.status, row.updated_at = "active", utcnow()
    session.add(row)
    if plan is not None:
        credits.grant_period(user_id=row.user_id, subscription_id=str(row.id), period_start=period_start,
                             period_end=period_end, amount=plan.monthly_credits, session=session)
    return row


def set_status(session: Session, *, provider_id: str, status: str, cancel_at_period_end: bool | None = None) -> None:
    """Follow the provider's subscription status (``customer.subscription.updated`` / ``.deleted``)."""
    row = session.exec(select(Subscription).where(Subscription.stripe_subscription_id == provider_id)).first()
    if row is None or row.status == "canceled":
        return
    if status in ("active", "past_due", "canceled"):
        row.status = status
    if cancel_at_period_end is not None:
        row.cancel_at_period_end = cancel_at_period_end
    row.updated_at = utcnow()
    session.add(row)


def cancel_at_period_end(user_id: int) -> Subscription:
    """The account page's "Cancel plan": the plan ends when the paid period does (its credits stay until then).

    Raises:
        OperationError: ``not_found`` when the user has no plan.
    """
    with write_session() as s:
        row = s.exec(select(Subscription).where(Subscription.user_id == user_id,
                                                Subscription.status != "canceled")).first()
        if row is None:
            raise OperationError("not_found", "You have no plan to cancel.")
        row.cancel_at_period_end, row.updated_at = True, utcnow()
        s.add(row)
        return row


async def request_cancel(user_id: int) -> Subscription:
    """The account page's "Cancel plan": the payment provider is told first (Stripe: ``cancel_at_period_end``),
    then our row (:func:`cancel_at_period_end`). Credits of the paid period stay until its end.

    Raises:
        OperationError: ``not_found`` when the user has no plan. ProviderError: the provider refused (the
            plan is unchanged).
    """
    import asyncio

    from genpire_app.backend.providers.registry import get_providers

    row = await asyncio.to_thread(live, user_id)
    if row is None:
        raise OperationError("not_found", "You have no plan to cancel.")
    if row.stripe_subscription_id:
        await get_providers().payments.cancel_at_period_end(row.stripe_subscription_id)
    return await asyncio.to_thread(cancel_at_period_end, user_id)


def live_provider_ids(session: Session, user_id: int) -> list[str]:
    """Stripe subscription ids of the user's live plans (in the caller's transaction): those a new plan
    replaces (an upgrade or a change of plan, :func:`begin`)."""
    rows = session.exec(select(Subscription.stripe_subscription_id).where(
        Subscription.user_id == user_id, Subscription.status != "canceled",
        Subscription.stripe_subscription_id.is_not(None))).all()
    return [str(r) for r in rows]


def stop_renewals(provider_ids: tuple[str, ...]) -> None:
    """After a plan change has committed: tell the provider the replaced subscriptions end at their period's
    end (no further charge; the period already paid is not refunded). Blocking; errors propagate (the
    webhook logs them)."""
    from genpire_app.backend.aio import run_sync
    from genpire_app.backend.providers.registry import get_providers

    payments = get_providers().payments
    for provider_id in provider_ids:
        run_sync(lambda pid=provider_id: payments.cancel_at_period_end(pid))


def end_due(now: datetime | None = None) -> int:
    """Cancel plans marked to end whose period is over (the sweep). Returns how many ended."""
    now = now or utcnow()
    with write_session() as s:
        rows = s.exec(select(Subscription).where(Subscription.status != "canceled",
                                                 Subscription.cancel_at_period_end.is_(True))).all()
        ended = [r for r in rows if as_utc(r.current_period_end) <= now]
        for r in ended:
            r.status, r.updated_at = "canceled", now
            s.add(r)
    return len(ended)


__all__ = ["PERIOD", "begin", "cancel_at_period_end", "end_due", "live", "live_provider_ids", "plan_of", "renew",
           "request_cancel", "set_status", "stop_renewals"]
