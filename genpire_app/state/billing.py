"""The Account page's billing section (issue 9 items 7 and 10): the plan (credits a month, renews or ends on),
"Cancel plan" (at period end), the Stripe customer portal when Stripe is configured, and the payment
history (the newest orders)."""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from genpire_app.backend.config import format_credits
from genpire_app.backend.db.models import as_utc
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.services import orders, subscriptions
from genpire_app.state.buy_credits import money
from genpire_app.state.orders import STATUS_LABELS
from genpire_app.state.session import SessionState

HISTORY = 5


@dataclasses.dataclass
class Payment:
    """A row of the payment history: order id, date, what, amount, status."""

    id: str = ""
    date: str = ""
    what: str = ""
    amount: str = ""
    status: str = ""


@dataclasses.dataclass
class PlanView:
    """The user's plan as shown ("" name: none)."""

    name: str = ""
    credits: str = ""
    price: str = ""
    period: str = ""
    ending: bool = False


def _plan(user_id: int) -> tuple[PlanView, str | None]:
    row = subscriptions.live(user_id)
    if row is None:
        return PlanView(), None
    plan = subscriptions.plan_of(row)
    end = as_utc(row.current_period_end).strftime("%d %b %Y")
    return PlanView(plan.name if plan else "Plan", format_credits(plan.monthly_credits) + " a month" if plan else "",
                    money(plan.price_cents) + " / month" if plan else "",
                    f"Ends on {end}" if row.cancel_at_period_end else f"Renews on {end}",
                    row.cancel_at_period_end), row.stripe_customer_id


def _history(user_id: int) -> list[Payment]:
    from genpire_app.backend.db.commerce_models import OrderItem
    from genpire_app.backend.db.engine import read_session
    from sqlmodel import select

    page = orders.list_orders(user_id, limit=HISTORY)
    rows = []
    with read_session() as s:
        for order in page.items:
            names = s.exec(select(OrderItem.name).where(OrderItem.order_id == order.id)).all()
            what = names[0] + (f" and {len(names) - 1} more" if len(names) > 1 else "") if names else "Order"
            rows.append(Payment(str(order.id), order.created_at.strftime("%d %b %Y"), what,
                                money(order.amount_total_cents, order.currency), STATUS_LABELS.get(order.status, order.status)))
    return rows


class BillingState(SessionState):
    """Plan, cancel, portal and payment history of the signed-in user."""

    plan: PlanView = PlanView()
    payments: list[Payment] = []
    portal: bool = False
    billing_loaded: bool = False
    cancelling: bool = False

    async def _read(self, uid: int) -> None:
        from genpire_app.backend.providers.registry import get_providers

        (plan, customer), history = await asyncio.to_thread(_plan, uid), await asyncio.to_thread(_history, uid)
        async with self:
            self.plan, self.payments, self.billing_loaded = plan, history, True
            self.portal = bool(customer) and get_providers().payments.name == "stripe"

    @rx.event(background=True)
    async def load_billing(self):
        """The section's on_mount."""
        await self._read(await self._uid())

    @rx.event(background=True)
    async def cancel_plan(self):
        """"Cancel plan": ends at the paid period's end."""
        uid = await self._uid()
        async with self:
            if self.cancelling:
                return
            self.cancelling = True
        try:
            row = await subscriptions.request_cancel(uid)
            toast = rx.toast.success(f"Your plan ends on {as_utc(row.current_period_end).strftime('%d %b %Y')}.")
        except (OperationError, ProviderError) as err:
            toast = rx.toast.error(err.message)
        async with self:
            self.cancelling = False
        await self._read(uid)
        yield toast

    @rx.event(background=True)
    async def open_portal(self):
        """The Stripe customer portal (payment methods, invoices)."""
        from genpire_app.backend.config import get_settings
        from genpire_app.backend.providers.registry import get_providers

        uid = await self._uid()
        _, customer = await asyncio.to_thread(_plan, uid)
        try:
            url = await get_providers().payments.portal_url(customer or "", f"{get_settings().public_url}/account")
        except (ProviderError, ValueError) as err:
            yield rx.toast.error(getattr(err, "message", "The billing portal is not available."))
            return
        if url:
            yield rx.redirect(url, is_external=True)
