"""The Products tab's "Pricing" section (issue 11 item 5; seed 004 Step 10.1 ``product_pricing``): the
user's effective price table (system defaults, the user's overrides marked), edited as dollars per size
(base / framed / digital / cost), a new size, "Save pricing". Rules and storage: ``services.store_pricing``.

Money typed by the user is parsed to integer cents exactly by :func:`parse_money` (string arithmetic, never
float); the same parser serves the product editor's "Price" and "Compare-at price" inputs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re

import reflex as rx

from genpire_app.backend.jobs.errors import OperationError
from genpire_app.backend.services import store_pricing
from genpire_app.state.session import SessionState

#: Largest price accepted from an input, cents ($100,000.00).
MAX_CENTS = 10_000_000
_MONEY = re.compile(r"^\$?\s*(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d*))?$")


def parse_money(text: str, label: str, *, required: bool) -> int | None:
    """Dollars as typed ("24.99", "$24.9", "1,299", "24") -> integer cents (2499, 2490, 129900, 2400).

    Empty text gives ``None`` when not ``required``. Exact: digits are combined as integers, never through
    a float. Source: issue 11 item 5 ("compare-at price and cost"; money is integer cents).

    Raises:
        ValueError: with a sentence naming ``label`` — empty but required, not a number, a minus sign,
            more than 2 decimals, or more than $100,000.00.
    """
    cleaned = (text or "").strip()
    if not cleaned:
        if required:
            raise ValueError(f"{label}: enter an amount in dollars, e.g. 24.99.")
        return None
    if cleaned.startswith("-"):
        raise ValueError(f"{label}: the amount cannot be negative.")
    match = _MONEY.match(cleaned)
    if match is None or not (match.group(1) or match.group(2)):
        raise ValueError(f"{label}: “{cleaned[:20]}” is not an amount in dollars (e.g. 24.99).")
    whole, frac = match.group(1).replace(",", "") or "0", match.group(2) or ""
    if len(frac) > 2:
        raise ValueError(f"{label}: use at most 2 decimals (cents), e.g. 24.99.")
    cents = int(whole) * 100 + int((frac + "00")[:2])
    if cents > MAX_CENTS:
        raise ValueError(f"{label}: at most $100,000.00.")
    return cents


def dollars(cents: int | None) -> str:
    """Cents as an input shows them: ``2499`` -> ``"24.99"``; ``None`` -> ``""`` (exact integer arithmetic)."""
    if cents is None:
        return ""
    return f"{cents // 100}.{cents % 100:02d}"


@dataclasses.dataclass
class PriceEdit:
    """One size of the pricing table as edited: dollars as typed, whether it is the user's override
    (``custom``) and the row's error message ("" when valid)."""

    size: str = ""
    base: str = ""
    framed: str = ""
    digital: str = ""
    cost: str = ""
    custom: bool = False
    error: str = ""


_FIELDS = {"base": "Price", "framed": "Framed price", "digital": "Digital price", "cost": "Cost"}


def _edit(row: store_pricing.PriceRow) -> PriceEdit:
    return PriceEdit(row.size, dollars(row.base_cents), dollars(row.framed_cents), dollars(row.digital_cents),
                     dollars(row.cost_cents), row.source == "custom")


def parse_rows(rows: list[PriceEdit]) -> tuple[list[store_pricing.PriceRow], list[PriceEdit]]:
    """The edited rows as the service takes them (cents), and the rows with their error messages set.
    The first list is only usable when no row has an error."""
    parsed: list[store_pricing.PriceRow] = []
    checked: list[PriceEdit] = []
    for row in rows:
        try:
            cents = {f: parse_money(getattr(row, f), f"{row.size} {label.lower()}", required=f == "base")
                     for f, label in _FIELDS.items()}
            parsed.append(store_pricing.PriceRow(row.size, cents["base"], cents["framed"], cents["digital"],  # type: ignore[arg-type]
                                                 cents["cost"]))
            checked.append(dataclasses.replace(row, error=""))
        except ValueError as err:
            checked.append(dataclasses.replace(row, error=str(err)))
    return parsed, checked


class StorePricingState(SessionState):
    """The pricing table being edited, the "Add size" input and the save flag."""

    price_rows: list[PriceEdit] = []
    pricing_loaded: bool = False
    new_size: str = ""
    size_error: str = ""
    saving_pricing: bool = False

    @rx.var
    def pricing_has_errors(self) -> bool:
        """Whether a row shows an error (the save button says so)."""
        return any(r.error for r in self.price_rows)

    async def _read(self, uid: int) -> None:
        rows = await asyncio.to_thread(store_pricing.pricing_table, uid)
        async with self:
            self.price_rows, self.pricing_loaded = [_edit(r) for r in rows], True

    @rx.event(background=True)
    async def load_pricing(self):
        """The section's on_mount: the user's effective table."""
        await self._read(await self._uid())

    @rx.event
    def set_price_cell(self, size: str, field: str, value: str):
        """A price input changed (``field``: base | framed | digital | cost); the row's error clears."""
        if field not in _FIELDS:
            return
        self.price_rows = [dataclasses.replace(r, **{field: value, "error": ""}) if r.size == size else r
                           for r in self.price_rows]

    @rx.event
    def set_new_size(self, value: str):
        """The "New size" input."""
        self.new_size, self.size_error = value, ""

    @rx.event
    def add_size(self, _form: dict | None = None):
        """"Add size": a new empty row (saved with "Save pricing")."""
        size = " ".join(self.new_size.split())
        if not 1 <= len(size) <= store_pricing.MAX_SIZE_CHARS:
            self.size_error = f"A size has 1 to {store_pricing.MAX_SIZE_CHARS} characters, e.g. 20x30."
            return
        if any(r.size.casefold() == size.casefold() for r in self.price_rows):
            self.size_error = f"Size {size} is already in the table."
            return
        self.price_rows = [*self.price_rows, PriceEdit(size=size, custom=True)]
        self.new_size, self.size_error = "", ""

    @rx.event(background=True)
    async def save_pricing(self):
        """"Save pricing": parse every row to cents (rows with bad input show why, nothing is saved), then
        ``store_pricing.save_pricing``; a row equal to the default drops the override."""
        uid = await self._uid()
        async with self:
            rows = list(self.price_rows)
            self.saving_pricing = True
        parsed, checked = parse_rows(rows)
        if any(r.error for r in checked):
            async with self:
                self.price_rows, self.saving_pricing = checked, False
            yield rx.toast.error("Some prices are not valid amounts; fix the rows marked in red.")
            return
        try:
            await asyncio.to_thread(store_pricing.save_pricing, uid, parsed)
            toast = rx.toast.success("Pricing saved. New variants use these prices.")
        except OperationError as err:
            toast = rx.toast.error(err.message)
        await self._read(uid)
        async with self:
            self.saving_pricing = False
        yield toast
