"""The "Buy Credits" dialog (issue 9 item 7; seed 003 "Buy Credits Modal"): opened by the "[+]" beside the
balance on every signed-in page; lists the active credit packs and monthly plans; choosing one adds it to the
cart and opens the cart."""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx
from sqlmodel import select

from genpire_app.backend.config import format_credits
from genpire_app.backend.db.commerce_models import CreditPack, SubscriptionPlan
from genpire_app.backend.db.engine import read_session
from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import cart
from genpire_app.state.session import SessionState


def money(cents: int, currency: str = "usd") -> str:
    """``900`` -> ``"$9.00"`` (other currencies: ``"9.00 EUR"``)."""
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    amount = f"{sign}{cents // 100:,}.{cents % 100:02d}"  # integer arithmetic: exact for any amount
    return f"${amount}" if currency == "usd" else f"{amount} {currency.upper()}"


@dataclasses.dataclass
class Offer:
    """A pack or plan as the dialog shows it: kind (``credit_pack`` | ``plan``), id, name, credits text,
    bonus text, price text."""

    kind: str = ""
    id: str = ""
    name: str = ""
    credits: str = ""
    bonus: str = ""
    price: str = ""


def offers() -> tuple[list[Offer], list[Offer]]:
    """The active packs and plans, in their sort order (blocking)."""
    with read_session() as s:
        packs = s.exec(select(CreditPack).where(CreditPack.active.is_(True)).order_by(CreditPack.sort_order)).all()
        plans = s.exec(select(SubscriptionPlan).where(SubscriptionPlan.active.is_(True))
                       .order_by(SubscriptionPlan.sort_order)).all()
    return (
        [Offer("credit_pack", str(p.id), p.name, format_credits(p.credits),
               f"+{format_credits(p.bonus_credits)} bonus" if p.bonus_credits else "", money(p.price_cents, p.currency))
         for p in packs],
        [Offer("plan", str(p.id), p.name, f"{format_credits(p.monthly_credits)} a month", "",
               f"{money(p.price_cents, p.currency)} / month") for p in plans],
    )


class BuyCreditsState(SessionState):
    """The dialog's open flag and offers."""

    buy_open: bool = False
    packs: list[Offer] = []
    plans: list[Offer] = []

    @rx.event(background=True)
    async def open_buy(self):
        """Open the dialog and load the offers."""
        packs, plans = await asyncio.to_thread(offers)
        async with self:
            self.packs, self.plans, self.buy_open = packs, plans, True

    @rx.event
    def set_buy_open(self, value: bool):
        """The dialog opened or closed (Esc, close button)."""
        self.buy_open = value

    @rx.event(background=True)
    async def choose(self, kind: str, ref_id: str):
        """Add the chosen pack or plan to the cart and open the cart."""
        uid = await self._uid()
        try:
            await asyncio.to_thread(cart.add, uid, kind, ref_id, 1)
        except OperationError as err:
            yield rx.toast.error(err.message)
            return
        async with self:
            self.buy_open = False
        yield rx.redirect("/cart")
