"""The server-side cart (issue 9 item 6; seed 003 "Cart Management": server-side, "Cart Page"): digital
models, configured prints, credit packs and monthly plans, with quantities, subtotal and total in integer
cents.

A cart line stores only what and how many (``cart_items``); its name and price are read from the
catalogue each time (:func:`price_line`), so a price change shows at once and a line whose thing is gone
(an inactive pack, a deleted asset) is dropped with a notice instead of being sold. Each kind has a
*pricer*; packs and plans are priced here, digital models and prints register theirs
(:func:`register_pricer`) when those modules are imported. Owner checks: every function takes the user.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, select

from genpire_app.backend.config import format_credits
from genpire_app.backend.db.commerce_models import ITEM_KINDS, CartItem, CreditPack, SubscriptionPlan
from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.jobs.errors import OperationError

#: Most units of one line (packs; a print's quantity lives in its configuration).
MAX_QUANTITY = 100
#: Most lines in a cart.
MAX_LINES = 50
#: Kinds whose line always has quantity 1 (a plan; a digital model; a print, whose quantity and price live in
#: its ``print_job_configs`` row).
SINGLE_KINDS = ("plan", "digital_model", "print")
#: Modules that register the pricers (and webhook fulfillers) of the kinds sold beyond packs and plans,
#: imported on first use so every process (web, worker, webhook) knows every kind.
SELLER_MODULES = ("genpire_app.backend.services.digital_models", "genpire_app.backend.services.print_configs")


@dataclass(frozen=True)
class Priced:
    """What a line sells, priced now: its name, the price of one unit in cents, the credits one unit grants
    (hundredths; packs and plans), whether it ships (prints) and whether it recurs monthly (plans)."""

    name: str
    unit_cents: int
    credits: int = 0
    ships: bool = False
    monthly: bool = False
    stripe_price_id: str | None = None


@dataclass(frozen=True)
class Line:
    """A cart line as shown: its id, kind, reference, quantity and price (cents)."""

    id: str
    kind: str
    ref_id: str
    quantity: int
    priced: Priced

    @property
    def total_cents(self) -> int:
        """``unit_cents * quantity``."""
        return self.priced.unit_cents * self.quantity


@dataclass(frozen=True)
class Cart:
    """The user's cart: lines, subtotal (cents), whether a print needs shipping, whether a plan is in it,
    and notices about lines that were dropped (their thing is no longer for sale)."""

    lines: tuple[Line, ...]
    dropped: tuple[str, ...] = ()

    @property
    def subtotal_cents(self) -> int:
        """Sum of the lines' totals in cents."""
        return sum(line.total_cents for line in self.lines)

    @property
    def needs_shipping(self) -> bool:
        """Whether a line ships (a print)."""
        return any(line.priced.ships for line in self.lines)

    @property
    def has_plan(self) -> bool:
        """Whether a monthly plan is in the cart (the checkout is then a subscription)."""
        return any(line.priced.monthly for line in self.lines)


Pricer = Callable[[Session, int, str], Priced | None]
_PRICERS: dict[str, Pricer] = {}


def register_pricer(kind: str, pricer: Pricer) -> None:
    """Price lines of ``kind`` with ``pricer(session, user_id, ref_id) -> Priced | None`` (None: not for sale
    to this user, e.g. a private asset of another user).

    Raises:
        ValueError: an unknown kind.
    """
    if kind not in ITEM_KINDS:
        raise ValueError(f"unknown cart item kind {kind!r}")
    _PRICERS[kind] = pricer


def _uuid(ref_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref_id)
    except (ValueError, TypeError):
        return None


def _pack(session: Session, user_id: int, ref_id: str) -> Priced | None:
    pack = session.get(CreditPack, _uuid(ref_id)) if _uuid(ref_id) else None
    if pack is None or not pack.active:
        return None
    total = pack.credits + pack.bonus_credits
    return Priced(name=f"{pack.name} pack · {format_credits(total)}", unit_cents=pack.price_cents, credits=total,
                  stripe_price_id=pack.stripe_price_id)


def _plan(session: Session, user_id: int, ref_id: str) -> Priced | None:
    plan = session.get(SubscriptionPlan, _uuid(ref_id)) if _uuid(ref_id) else None
    if plan is None or not plan.active:
        return None
    return Priced(name=f"{plan.name} plan · {format_credits(plan.monthly_credits)} a month",
                  unit_cents=plan.price_cents, credits=plan.monthly_credits, monthly=True,
                  stripe_price_id=plan.stripe_price_id)


register_pricer("credit_pack", _pack)
register_pricer("plan", _plan)


def load_sellers() -> None:
    """Import :data:`SELLER_MODULES` (idempotent): their pricers and fulfillers register themselves."""
    import importlib

    for name in SELLER_MODULES:
        importlib.import_module(name)


def price_line(session: Session, user_id: int, kind: str, ref_id: str) -> Priced | None:
    """The line's price now, or None when it is not for sale to ``user_id`` (or its kind has no pricer)."""
    if kind not in _PRICERS:
        load_sellers()
    pricer = _PRICERS.get(kind)
    return pricer(session, user_id, ref_id) if pricer else None


def get_cart(user_id: int) -> Cart:
    """The user's cart, oldest line first, priced now; lines no longer for sale are removed (and named in
    ``dropped``)."""
    with read_session() as s:
        rows = s.exec(select(CartItem).where(CartItem.user_id == user_id).order_by(CartItem.created_at, CartItem.id)).all()
        lines, gone = [], []
        for row in rows:
            priced = price_line(s, user_id, row.kind, row.ref_id)
            if priced is None:
                gone.append(row.id)
            else:
                lines.append(Line(str(row.id), row.kind, row.ref_id, row.quantity, priced))
    if gone:
        with write_session() as s:
            s.execute(delete(CartItem).where(CartItem.user_id == user_id, CartItem.id.in_(gone)))
    notice = ("An item is no longer available and was removed from your cart.",) if gone else ()
    return Cart(tuple(lines), notice)


def add(user_id: int, kind: str, ref_id: str, quantity: int = 1) -> Cart:
    """Add ``quantity`` of a thing (the same thing again adds to its line; :data:`SINGLE_KINDS` stay at 1). Returns the cart.

    Raises:
        OperationError: ``invalid_input`` (unknown kind, quantity out of 1..100, a second plan, too many
        lines), ``not_found`` (not for sale to this user).
    """
    if kind not in ITEM_KINDS or not 1 <= quantity <= MAX_QUANTITY:
        raise OperationError("invalid_input", "Choose a quantity between 1 and 100.")
    with write_session() as s:
        priced = price_line(s, user_id, kind, ref_id)
        if priced is None:
            raise OperationError("not_found", "This item is not available.")
        rows = s.exec(select(CartItem).where(CartItem.user_id == user_id)).all()
        if priced.monthly and any(r.kind == "plan" and r.ref_id != ref_id for r in rows):
            raise OperationError("invalid_input", "Only one plan can be in the cart. Remove the other plan first.")
        line = next((r for r in rows if r.kind == kind and r.ref_id == ref_id), None)
        single = kind in SINGLE_KINDS
        if line is None:
            if len(rows) >= MAX_LINES:
                raise OperationError("invalid_input", "Your cart is full. Check out or remove an item first.")
            s.add(CartItem(user_id=user_id, kind=kind, ref_id=ref_id, quantity=1 if single else quantity))
        elif not single:
            line.quantity = min(MAX_QUANTITY, line.quantity + quantity)
            s.add(line)
    return get_cart(user_id)


def set_quantity(user_id: int, line_id: str, quantity: int) -> Cart:
    """Set a line's quantity (1..100; plans, digital models and prints stay at 1: a print's quantity is set on
    its print page).

    Raises:
        OperationError: ``invalid_input`` (out of range), ``not_found`` (not the user's line).
    """
    if not 1 <= quantity <= MAX_QUANTITY:
        raise OperationError("invalid_input", "Choose a quantity between 1 and 100.")
    with write_session() as s:
        row = s.get(CartItem, _uuid(line_id)) if _uuid(line_id) else None
        if row is None or row.user_id != user_id:
            raise OperationError("not_found", "This item is not in your cart.")
        if row.kind not in SINGLE_KINDS:
            row.quantity = quantity
            s.add(row)
    return get_cart(user_id)


def remove(user_id: int, line_id: str) -> Cart:
    """Remove a line (nothing happens for a line that is not the user's or already gone)."""
    line = _uuid(line_id)
    if line is not None:
        with write_session() as s:
            s.execute(delete(CartItem).where(CartItem.user_id == user_id, CartItem.id == line))
    return get_cart(user_id)


def clear(session: Session, user_id: int, lines: list[tuple[str, str]]) -> None:
    """Remove the given ``(kind, ref_id)`` lines of the user's cart in ``session`` (what an order bought;
    lines added after the checkout started stay)."""
    for kind, ref_id in lines:
        session.execute(delete(CartItem).where(CartItem.user_id == user_id, CartItem.kind == kind,
                                               CartItem.ref_id == ref_id))


def count(user_id: int) -> int:
    """Number of lines in the user's cart (the header's cart badge)."""
    from sqlalchemy import func

    with read_session() as s:
        return int(s.exec(select(func.count()).select_from(CartItem).where(CartItem.user_id == user_id)).one())


__all__ = ["MAX_LINES", "MAX_QUANTITY", "SELLER_MODULES", "SINGLE_KINDS", "load_sellers", "Cart", "Line", "Priced", "add", "clear", "count", "get_cart",
           "price_line", "register_pricer", "remove", "set_quantity"]
