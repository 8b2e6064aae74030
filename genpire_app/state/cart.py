"""The cart page (``/cart``; issue 9 item 6) and the local test checkout page (``/checkout/test/[session_id]``;
item 8): lines with quantities, subtotal and total in cents, "Proceed to Checkout" (a Stripe Checkout
Session, or our test checkout), and the test checkout's "Pay"."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import reflex as rx

from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.providers.base import ProviderError
from genpire_app.backend.services import cart, checkout, test_payment
from genpire_app.state.buy_credits import money
from genpire_app.state.session import SessionState

KIND_LABELS = {"credit_pack": "Credit pack", "plan": "Monthly plan", "digital_model": "3D model download",
               "print": "3D print"}


@dataclasses.dataclass
class CartRow:
    """A cart line as shown: id, kind label, name, quantity, unit and line price, and whether the quantity
    can change (packs and prints)."""

    id: str = ""
    kind: str = ""
    name: str = ""
    quantity: int = 1
    unit: str = ""
    total: str = ""
    adjustable: bool = True


def _rows(c: cart.Cart) -> list[CartRow]:
    return [CartRow(line.id, KIND_LABELS.get(line.kind, line.kind), line.priced.name, line.quantity,
                    money(line.priced.unit_cents), money(line.total_cents), line.kind == "credit_pack")
            for line in c.lines]


class CartState(SessionState):
    """The cart page."""

    rows: list[CartRow] = []
    subtotal: str = "$0.00"
    shipping_note: str = ""
    cart_loaded: bool = False
    checking_out: bool = False

    async def _show(self, c: cart.Cart) -> list[Any]:
        async with self:
            self.rows, self.subtotal, self.cart_loaded = _rows(c), money(c.subtotal_cents), True
            self.shipping_note = "Shipping is added at checkout." if c.needs_shipping else ""
            self.cart_count = len(c.lines)
        return [rx.toast.info(n) for n in c.dropped]

    @rx.event(background=True)
    async def load(self):
        """Page load: session, header, the cart."""
        uid = await self._open_page()
        for toast in await self._show(await asyncio.to_thread(cart.get_cart, uid)):
            yield toast

    @rx.event(background=True)
    async def on_push(self, event: dict[str, Any]):
        """Balance or notifications changed (an order paid in another tab): header and cart again."""

        async def reload(uid: int) -> None:
            await self._show(await asyncio.to_thread(cart.get_cart, uid))

        await self._handle_push(event, reload)

    @rx.event(background=True)
    async def set_quantity(self, line_id: str, value: str):
        """A quantity field changed (1-100)."""
        uid = await self._uid()
        try:
            quantity = int(value)
            c = await asyncio.to_thread(cart.set_quantity, uid, line_id, quantity)
        except ValueError:
            yield rx.toast.error("Enter a whole number between 1 and 100.")
            return
        except OperationError as err:
            yield rx.toast.error(err.message)
            return
        await self._show(c)

    @rx.event(background=True)
    async def remove(self, line_id: str):
        """Remove a line."""
        uid = await self._uid()
        await self._show(await asyncio.to_thread(cart.remove, uid, line_id))
        yield rx.toast.success("Removed from your cart.")

    @rx.event(background=True)
    async def proceed(self):
        """"Proceed to Checkout": a checkout session of the cart, then its page (Stripe's or ours)."""
        uid = await self._uid()
        async with self:
            if self.checking_out:
                return
            self.checking_out = True
        try:
            session = await checkout.start(uid)
            target = rx.redirect(session.url, is_external=session.url.startswith("http"))
        except (OperationError, ProviderError) as err:
            target = rx.toast.error(err.message)
        async with self:
            self.checking_out = False
        yield target


@dataclasses.dataclass
class SummaryRow:
    """A line of the test checkout's order summary."""

    name: str = ""
    quantity: int = 1
    total: str = ""


class TestCheckoutState(SessionState):
    """The local test checkout page: the session's summary, a shipping form when a print is in it, "Pay"."""

    summary: list[SummaryRow] = []
    total: str = ""
    needs_shipping: bool = False
    status: str = "loading"
    paying: bool = False
    pay_error: str = ""

    @rx.event(background=True)
    async def load(self):
        """Page load: the session of the URL, if it is the user's."""
        uid = await self._open_page()
        async with self:
            session_id = self.router.page.params.get("session_id", "")
        try:
            row = await asyncio.to_thread(checkout.get_owned, uid, session_id)
        except OperationError:
            async with self:
                self.status = "not_found"
            return
        async with self:
            self.summary = [SummaryRow(i["name"], int(i["quantity"]), money(int(i["total_cents"]))) for i in row.items]
            self.total, self.needs_shipping = money(row.subtotal_cents), row.needs_shipping
            self.status = row.status if row.provider == "test" else "not_found"
            self.pay_error = ""

    @rx.event(background=True)
    async def pay(self, form: dict[str, Any]):
        """"Pay": our webhook receives the signed completed event; then the orders page."""
        uid = await self._uid()
        async with self:
            if self.paying:
                return
            self.paying, self.pay_error = True, ""
            session_id, email = self.router.page.params.get("session_id", ""), self.user_email
        try:
            await test_payment.pay(uid, session_id, email=email,
                                   shipping={k: str(form.get(k, "")) for k in test_payment.SHIPPING_KEYS})
            done = rx.redirect(f"/orders?session_id={session_id}")
        except OperationError as err:
            done = None
            async with self:
                self.pay_error = err.message
        async with self:
            self.paying = False
        if done is not None:
            yield done
