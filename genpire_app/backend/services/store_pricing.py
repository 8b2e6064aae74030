"""Store pricing: seed 004's system price table, per-user overrides per size, variant prices and SKUs.

Source: issue 11 item 5 ("prices from the pricing table (seed 004's system defaults, user overrides per
size) with compare-at price and cost"; "the SKU rule of seed 004 (prefix configurable)"), seed 004
Step 10.1 (``product_pricing`` and its default rows) and Step 10.2 (``generateSku``, the price choice).

Money is integer **cents** (USD) everywhere. Rules:

- A size's row has ``base_cents`` (unframed / standard), ``framed_cents``, ``digital_cents`` and
  ``cost_cents``. The system rows (``user_id`` NULL) are seeded by :func:`ensure_system_pricing`
  (idempotent); a user's row for a size overrides the system row for that user.
- :func:`price_for`: finish ``None`` / ``""`` / ``"Unframed"`` -> ``base_cents``; any other finish (e.g.
  ``"Black frame"``) -> ``framed_cents``; digital -> ``digital_cents``. No row (or no price of that kind)
  -> :class:`NoPrice`. Unlike the seed, there is no silent $24.99 fallback.
- Compare-at prices are set per variant (``services.store_variants``), not in this table.
- SKU (seed 004 ``generateSku``): ``<prefix>-<first 8 hex of the product id, upper>-<size, letters and
  digits only>-<first 3 letters of the finish, upper, or UNF>``; a digital variant ends in ``DIG``.
  The prefix is ``user_settings.sku_prefix`` (default ``GP``; the seed's ``HH``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from genpire_app.backend.db.engine import read_session, write_session
from genpire_app.backend.db.fields import utcnow
from genpire_app.backend.db.marketing_models import UserSettings
from genpire_app.backend.db.store_models import ProductPricing
from genpire_app.backend.jobs.errors import OperationError

#: Longest size label, characters (``product_pricing.size``).
MAX_SIZE_CHARS = 40
#: Most override rows one user may keep.
MAX_USER_ROWS = 100
#: The SKU prefix when the user has none (seed 004 used its shop's "HH").
DEFAULT_SKU_PREFIX = "GP"
#: Finishes priced as the base (unframed) price; compared case-insensitively.
UNFRAMED = frozenset({"", "unframed"})


@dataclass(frozen=True)
class SystemPrice:
    """One system default row (cents)."""

    size: str
    base_cents: int
    framed_cents: int
    digital_cents: int
    cost_cents: int


#: Seed 004 Step 10.1's default table, in cents (e.g. 8x10: $24.99 print, $49.99 framed, $9.99 digital,
#: $8.00 cost).
SYSTEM_PRICING: tuple[SystemPrice, ...] = (
    SystemPrice("8x10", 2499, 4999, 999, 800),
    SystemPrice("11x14", 3499, 6999, 1299, 1200),
    SystemPrice("16x20", 4999, 9999, 1499, 1800),
    SystemPrice("12x16", 3999, 7999, 1299, 1400),
    SystemPrice("18x24", 5999, 11999, 1699, 2200),
    SystemPrice("12x18", 4499, 8999, 1499, 1600),
    SystemPrice("16x24", 5499, 10999, 1699, 2000),
    SystemPrice("24x36", 7999, 15999, 1999, 3000),
    SystemPrice("A4", 2999, 5999, 999, 1000),
    SystemPrice("A3", 4499, 8999, 1299, 1500),
)


@dataclass(frozen=True)
class PriceRow:
    """One size of a user's effective table (cents; ``None``: no price of that kind).

    ``source``: ``"system"`` (the default row) or ``"custom"`` (the user's override).
    """

    size: str
    base_cents: int
    framed_cents: int | None = None
    digital_cents: int | None = None
    cost_cents: int | None = None
    source: str = "custom"


@dataclass(frozen=True)
class Quote:
    """What one variant costs the buyer (``price_cents``) and the seller (``cost_cents``, may be None)."""

    price_cents: int
    cost_cents: int | None


class NoPrice(OperationError):
    """No price for this size (and kind) in the user's table (code ``invalid_input``)."""

    def __init__(self, size: str, kind: str = "") -> None:
        what = f"No {kind} price" if kind else "No price"
        super().__init__("invalid_input", f"{what} for size {size} — set one under Pricing.")
        self.size = size


# ------------------------------------------------------------------------------------------- seeding


def ensure_system_pricing() -> int:
    """Insert the :data:`SYSTEM_PRICING` rows that are missing (idempotent; existing rows are left as they
    are). Returns how many rows were inserted (0 when the table is complete). Safe to race: a concurrent
    insert of the same size hits the partial unique index and is ignored."""
    wanted = {p.size: p for p in SYSTEM_PRICING}
    with read_session() as s:
        present = set(s.exec(select(ProductPricing.size).where(ProductPricing.user_id.is_(None))).all())
    missing = [p for size, p in wanted.items() if size not in present]
    if not missing:
        return 0
    try:
        with write_session() as s:
            present = set(s.exec(select(ProductPricing.size).where(ProductPricing.user_id.is_(None))).all())
            rows = [ProductPricing(user_id=None, size=p.size, base_cents=p.base_cents, framed_cents=p.framed_cents,
                                   digital_cents=p.digital_cents, cost_cents=p.cost_cents, is_system=True)
                    for p in missing if p.size not in present]
            s.add_all(rows)
            return len(rows)
    except IntegrityError:  # another process seeded meanwhile
        return 0


# ------------------------------------------------------------------------------------------- reading


def _key(size: str) -> str:
    return size.strip().casefold()


def _rows(session: Session, user_id: int) -> dict[str, ProductPricing]:
    """The effective active rows by folded size: system rows, then the user's on top."""
    rows = session.exec(
        select(ProductPricing).where(
            ((ProductPricing.user_id == user_id) | ProductPricing.user_id.is_(None)),
            ProductPricing.is_active.is_(True),
        )
    ).all()
    table: dict[str, ProductPricing] = {}
    for row in sorted(rows, key=lambda r: r.user_id is not None):  # system first, overrides replace them
        table[_key(row.size)] = row
    return table


def _as_row(row: ProductPricing) -> PriceRow:
    return PriceRow(size=row.size, base_cents=int(row.base_cents), framed_cents=row.framed_cents,
                    digital_cents=row.digital_cents, cost_cents=row.cost_cents,
                    source="system" if row.user_id is None else "custom")


def pricing_table(user_id: int) -> list[PriceRow]:
    """The user's effective table: every system size (in the seed's order, overridden where the user set
    a price) followed by the user's own extra sizes (alphabetically). Seeds the system rows if needed."""
    ensure_system_pricing()
    with read_session() as s:
        table = _rows(s, user_id)
    order = {_key(p.size): i for i, p in enumerate(SYSTEM_PRICING)}
    keys = sorted(table, key=lambda k: (order.get(k, len(order)), k))
    return [_as_row(table[k]) for k in keys]


def is_framed(finish: str | None) -> bool:
    """Whether ``finish`` is priced as framed: anything but None, ``""`` and ``"Unframed"``."""
    return (finish or "").strip().casefold() not in UNFRAMED


def quote(session: Session, user_id: int, size: str, finish: str | None, is_digital: bool) -> Quote:
    """Price and cost of one variant from the user's table (see :func:`price_for`).

    Raises:
        NoPrice: no active row for ``size``, or the row has no price of the needed kind.
    """
    row = _rows(session, user_id).get(_key(size or ""))
    if row is None:
        raise NoPrice(size)
    if is_digital:
        price, kind = row.digital_cents, "digital"
    elif is_framed(finish):
        price, kind = row.framed_cents, "framed"
    else:
        price, kind = row.base_cents, ""
    if price is None:
        raise NoPrice(size, kind)
    return Quote(int(price), None if row.cost_cents is None else int(row.cost_cents))


def price_for(session: Session, user_id: int, size: str, finish: str | None, is_digital: bool) -> int:
    """The price in cents of a variant of ``size`` and ``finish`` for ``user_id`` (seed 004 Step 10.2).

    The user's override row for the size wins over the system row. Finish None / "" / "Unframed" ->
    ``base_cents``; any other finish -> ``framed_cents``; ``is_digital`` -> ``digital_cents``.

    Raises:
        NoPrice (``OperationError`` "invalid_input"): "No price for size X — set one under Pricing."
    """
    return quote(session, user_id, size, finish, is_digital).price_cents


# ------------------------------------------------------------------------------------------- writing


def _cents(value: object, label: str, size: str, *, optional: bool) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise OperationError("invalid_input", f"{label} for size {size} must be a whole number of cents, 0 or more.")
    return value


def _clean_size(size: object) -> str:
    cleaned = " ".join(str(size or "").split())
    if not 1 <= len(cleaned) <= MAX_SIZE_CHARS:
        raise OperationError("invalid_input", f"A size has 1 to {MAX_SIZE_CHARS} characters.")
    return cleaned


def _validated(rows: Iterable[PriceRow]) -> list[PriceRow]:
    seen: set[str] = set()
    out: list[PriceRow] = []
    for row in rows:
        size = _clean_size(row.size)
        if _key(size) in seen:
            raise OperationError("invalid_input", f"Size {size} appears twice.")
        seen.add(_key(size))
        out.append(PriceRow(
            size=size,
            base_cents=_cents(row.base_cents, "The price", size, optional=False),  # type: ignore[arg-type]
            framed_cents=_cents(row.framed_cents, "The framed price", size, optional=True),
            digital_cents=_cents(row.digital_cents, "The digital price", size, optional=True),
            cost_cents=_cents(row.cost_cents, "The cost", size, optional=True),
        ))
    return out


def _same(row: PriceRow, system: ProductPricing) -> bool:
    return (row.base_cents, row.framed_cents, row.digital_cents, row.cost_cents) == (
        system.base_cents, system.framed_cents, system.digital_cents, system.cost_cents)


def save_pricing(user_id: int, rows: Sequence[PriceRow]) -> None:
    """Save the user's prices for the sizes in ``rows`` ("Save pricing"; cents).

    A row equal to the system row of its size removes the user's override (the size follows the defaults
    again); any other row creates or updates the override. Sizes not in ``rows`` are left as they are.
    Sizes are matched case-insensitively, whitespace collapsed.

    Raises:
        OperationError: ``invalid_input`` when a size is empty or longer than 40 characters, appears twice,
            a price or cost is not an integer >= 0 (``base_cents`` is required; the others may be None),
            or the user would keep more than :data:`MAX_USER_ROWS` sizes of their own.
    """
    cleaned = _validated(rows)
    ensure_system_pricing()
    now = utcnow()
    with write_session() as s:
        existing = s.exec(select(ProductPricing).where(
            (ProductPricing.user_id == user_id) | ProductPricing.user_id.is_(None))).all()
        system = {_key(r.size): r for r in existing if r.user_id is None}
        mine = {_key(r.size): r for r in existing if r.user_id == user_id}
        for row in cleaned:
            key = _key(row.size)
            current = mine.get(key)
            if key in system and _same(row, system[key]):
                if current is not None:
                    s.delete(current)
                    del mine[key]
                continue
            if current is None:
                current = ProductPricing(user_id=user_id, size=row.size, base_cents=row.base_cents)
                mine[key] = current
            current.base_cents, current.framed_cents = row.base_cents, row.framed_cents
            current.digital_cents, current.cost_cents = row.digital_cents, row.cost_cents
            current.is_active, current.updated_at = True, now
            s.add(current)
        if len(mine) > MAX_USER_ROWS:
            raise OperationError("invalid_input", f"Keep at most {MAX_USER_ROWS} sizes of your own.")


# ------------------------------------------------------------------------------------------- SKUs


def sku_prefix(session: Session, user_id: int) -> str:
    """The user's SKU prefix (``user_settings.sku_prefix``), default :data:`DEFAULT_SKU_PREFIX`."""
    row = session.get(UserSettings, user_id)
    prefix = (row.sku_prefix if row is not None else "") or ""
    prefix = re.sub(r"[^A-Za-z0-9]", "", prefix).upper()
    return prefix or DEFAULT_SKU_PREFIX


def get_sku_prefix(user_id: int) -> str:
    """The user's SKU prefix (issue 11 item 5 "prefix configurable"), e.g. ``"GP"``."""
    with read_session() as s:
        return sku_prefix(s, user_id)


def set_sku_prefix(user_id: int, prefix: str) -> str:
    """Save the user's SKU prefix and return it cleaned (upper case). New variants use it; existing SKUs
    stay as they are (a SKU is an identity other systems may hold).

    Raises:
        OperationError: ``invalid_input`` unless the prefix is 1-12 letters or digits.
    """
    from genpire_app.backend.services.guardrails import get_settings_row

    cleaned = (prefix or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{1,12}", cleaned):
        raise OperationError("invalid_input", "A SKU prefix has 1 to 12 letters or digits.")
    with write_session() as s:
        row = get_settings_row(s, user_id, lock=True)
        row.sku_prefix, row.updated_at = cleaned, utcnow()
        s.add(row)
    return cleaned


def sku(prefix: str, product_id: uuid.UUID, size: str, finish: str | None, *, is_digital: bool = False) -> str:
    """A variant's SKU (seed 004 ``generateSku``).

    ``f"{prefix}-{product_id.hex[:8].upper()}-{alnum(size)}-{finish[:3].upper() or 'UNF'}"``; a digital
    variant ends in ``DIG``. Example: ``sku("GP", UUID("1a2b3c4d-..."), "8x10", "Black frame")`` ->
    ``"GP-1A2B3C4D-8x10-BLA"``; ``finish`` None or "" -> ``"...-UNF"``.
    """
    size_part = re.sub(r"[^a-zA-Z0-9]", "", size or "")
    if is_digital:
        finish_part = "DIG"
    else:
        finish_part = (finish or "").strip()[:3].upper() or "UNF"
    return f"{prefix}-{product_id.hex[:8].upper()}-{size_part}-{finish_part}"


__all__ = [
    "DEFAULT_SKU_PREFIX",
    "NoPrice",
    "PriceRow",
    "Quote",
    "SYSTEM_PRICING",
    "SystemPrice",
    "ensure_system_pricing",
    "is_framed",
    "price_for",
    "pricing_table",
    "quote",
    "save_pricing",
    "sku",
    "sku_prefix",
]
