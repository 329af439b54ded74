"""Reading what a channel says the buyer pays, and the order-level facts beside it.

Each native money field is converted where it stands (a bad one is named by its native path),
summed into its canonical part, and `Amounts.attach` builds the canonical `amounts` block
(domains/orders/amounts.py: the channel's total, a mismatch recorded when its own parts do not
add up), `cancelled` and `marketplace_id`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domains.orders.amounts import (
    build_amounts,
    complete_amounts,
    lines_subtotal,
    minor_units,
    money,
)

from .base import NONE, ROOT_LOC, Invalid, MappedOrder, Reading, Val, format_price, to_money

ZERO = Decimal(0)


class Amounts:
    def __init__(self, reading: Reading, currency: str | None) -> None:
        self.reading = reading
        self.currency = currency
        self.places = minor_units(currency)
        self.parts: dict[str, Decimal] = {}
        self.sources: dict[str, str] = {}

    def read(self, val: Val) -> Decimal | None:
        """One native amount; None when absent, or bad (then reported at its path)."""
        if val.value is None:
            return None
        try:
            amount = to_money(val.value)
            exponent = amount.as_tuple().exponent
            if not isinstance(exponent, int) or exponent < -self.places:
                format_price(amount, self.currency)  # refuses decimals the currency lacks
        except Invalid as exc:
            self.reading.fail(val.loc or ROOT_LOC, str(exc))
            return None
        return amount

    def add(self, part: str, *vals: Val, sign: int = 1) -> Decimal | None:
        """Native amounts added to (sign -1: taken off) a canonical part; their sum (None when
        all are absent)."""
        total: Decimal | None = None
        for val in vals:
            amount = self.read(val)
            if amount is None:
                continue
            total = (total or ZERO) + amount
            if val.loc is not None:
                self.sources.setdefault(f"amounts.{part}", val.loc)
        if total is not None:
            self.parts[part] = self.parts.get(part, ZERO) + sign * total
        return total

    def line_value(self, amount: Decimal | None, loc: str | None) -> Val:
        """A line's discount or tax as the canonical decimal string."""
        return NONE if amount is None else Val(money(amount, self.currency), loc)

    def attach(
        self,
        mapped: MappedOrder,
        *,
        tax_included: bool,
        total: Val,
        marketplace_id: Val = NONE,
        cancelled: dict[str, Any] | None = None,
    ) -> MappedOrder:
        """The order-level facts added to the assembled order. Amounts are only built when
        everything read well: the caller raises the reading's errors next."""
        c = mapped.canonical
        reported = self.read(total)
        if not self.reading.errors:
            parts = {**self.parts, "items_subtotal": lines_subtotal(c["lines"])}
            c["amounts"] = build_amounts(self.currency, parts, tax_included, reported)
            if total.loc is not None and reported is not None:
                mapped.source_paths["amounts.total"] = total.loc
            mapped.source_paths.update(self.sources)
        c["cancelled"] = cancelled
        c["marketplace_id"] = marketplace_id.value
        complete_amounts(c)
        return mapped
