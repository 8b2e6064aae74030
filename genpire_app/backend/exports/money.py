"""Money formatting shared by the tech pack exports (PDF and XLSX).

Source: seed 000 §3 Phase 6 ("price": "$45.00", "unitCost": "$2.50 per yard") and §7.1/§7.2, with
DESIGN.md's rule that money is exact: amounts are integer cents (hundredths of the currency unit) and are
never put through float arithmetic. Display strings are built with integer ``divmod``; spreadsheet values
are exact ``Decimal`` values with two places.
"""

from __future__ import annotations

import re
from decimal import Decimal

__all__ = ["CURRENCY_SYMBOLS", "cents_to_decimal", "currency_affixes", "format_cents", "normalize_currency"]

#: Currencies shown with a symbol in front ("$45.00"). Every other code is shown after the amount
#: ("1,234.56 CAD"), which is unambiguous for a factory reading the document anywhere in the world.
CURRENCY_SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£"}

_CODE_RE = re.compile(r"^[A-Z]{3}$")


def normalize_currency(currency: str | None) -> str:
    """Return ``currency`` as an upper-case code with surrounding blanks removed ("usd " -> "USD").

    ``None`` or blank gives ``""``. Codes that are not three letters (a model may write "US$" or "dollars")
    are kept, upper-cased, with double quotes and control characters removed so they are safe to embed in
    an Excel number format; callers show them after the amount. Never raises.
    """
    if not currency:
        return ""
    cleaned = "".join(ch for ch in str(currency) if ch.isprintable() and ch != '"').strip()
    return cleaned.upper()


def currency_affixes(currency: str | None) -> tuple[str, str]:
    """Return the ``(prefix, suffix)`` put around a formatted amount of ``currency``.

    ``("$", "")`` for USD, ``("€", "")`` for EUR, ``("£", "")`` for GBP, ``("", " CAD")`` for any other code,
    ``("", "")`` when no currency is given. Used by :func:`format_cents` and by the XLSX number formats so
    the two exports always agree. Never raises.
    """
    code = normalize_currency(currency)
    if not code:
        return "", ""
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol is not None:
        return symbol, ""
    return "", f" {code}"


def format_cents(cents: int, currency: str) -> str:
    """Format an amount of integer ``cents`` (hundredths of the currency unit) for display.

    Examples: ``format_cents(4500, "USD") == "$45.00"``, ``format_cents(1250, "EUR") == "€12.50"``,
    ``format_cents(123456, "CAD") == "1,234.56 CAD"``, ``format_cents(-4500, "USD") == "-$45.00"``,
    ``format_cents(5, "") == "0.05"``. Thousands are separated with commas; there are always two decimals
    (every currency is treated as having hundredths, as the tech pack model stores it). Exact: integer
    arithmetic only.

    Raises:
        TypeError: when ``cents`` is not an ``int`` (floats and bools are refused so an inexact amount
            never reaches a document).
    """
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"cents must be an int, got {type(cents).__name__}")
    sign = "-" if cents < 0 else ""
    units, hundredths = divmod(abs(cents), 100)
    prefix, suffix = currency_affixes(currency)
    return f"{sign}{prefix}{units:,}.{hundredths:02d}{suffix}"


def cents_to_decimal(cents: int) -> Decimal:
    """Return integer ``cents`` as an exact ``Decimal`` amount with two places (``250 -> Decimal("2.50")``).

    Used for spreadsheet cells, which need a number: the Decimal is written to the file as its exact
    decimal text, so no binary rounding happens on the way.

    Raises:
        TypeError: when ``cents`` is not an ``int`` (bools refused too).
    """
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"cents must be an int, got {type(cents).__name__}")
    return Decimal(cents).scaleb(-2)
