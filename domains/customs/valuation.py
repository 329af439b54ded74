"""Step 1 of the duty calculation: what a consignment is worth in the destination currency.

Pure: standard library only. FX is passed in as units of the destination currency per unit of
each other currency; nothing here fetches a rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from domains.customs.tables import ZERO, Money, hs_digits, quantum, round_half_up


@dataclass(frozen=True, slots=True)
class CustomsLine:
    """One declaration line: `value` is the line's customs value (unit value x quantity) in
    `currency`."""

    hs_code: str
    value: Decimal
    currency: str
    quantity: int = 1
    description: str = ""
    origin: str | None = None

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("a line's value is not negative")
        if self.quantity <= 0:
            raise ValueError("a line's quantity is positive")


def fx_rate(fx: Mapping[str, Decimal], currency: str, destination_currency: str) -> Decimal:
    """Units of `destination_currency` per unit of `currency`; a missing or non-positive rate is
    an error, never a guess."""
    if currency == destination_currency:
        return Decimal(1)
    try:
        rate = Decimal(fx[currency])
    except KeyError:
        raise ValueError(
            f"no fx rate for {currency} (units of {destination_currency} per {currency})"
        ) from None
    if rate <= 0:
        raise ValueError(f"fx rate for {currency} is not positive")
    return rate


@dataclass
class DestinationMoney:
    """Converts amounts into the destination currency, rounded to its minor unit, and keeps
    every rate it used: a result cites the rates it was computed with."""

    fx: Mapping[str, Decimal]
    currency: str
    exponent: int
    used: dict[str, str] = field(default_factory=dict)

    def rate_of(self, currency: str) -> Decimal:
        rate = fx_rate(self.fx, currency, self.currency)
        if currency != self.currency:
            self.used[currency] = str(rate)
        return rate

    def convert(self, amount: Decimal, currency: str) -> Decimal:
        return round_half_up(amount * self.rate_of(currency), self.exponent)

    def zero(self) -> Decimal:
        return round_half_up(ZERO, self.exponent)


def allocate(total: Decimal, weights: Sequence[Decimal], exponent: int) -> list[Decimal]:
    """Split `total` over `weights` pro rata in whole minor units; the largest remainders get
    the leftover units (ties: the earlier line), so the shares always add up to `total`."""
    n = len(weights)
    if n == 0:
        return []
    q = quantum(exponent)
    units = int((total / q).to_integral_value())
    weight_sum = sum(weights, ZERO)
    if weight_sum == 0:
        weights, weight_sum = [Decimal(1)] * n, Decimal(n)
    raw = [units * w / weight_sum for w in weights]
    shares = [int(r) for r in raw]  # non-negative, so int() floors
    leftover = units - sum(shares)
    for i in sorted(range(n), key=lambda i: (-(raw[i] - shares[i]), i))[:leftover]:
        shares[i] += 1
    return [Decimal(s) * q for s in shares]


@dataclass(frozen=True, slots=True)
class Valuation:
    """A consignment in the destination currency, per line and in total."""

    values: list[Decimal]  # each line's goods value
    freight: Decimal
    insurance: Decimal
    shares: list[Decimal]  # each line's part of freight + insurance
    digits: list[str]  # each line's HS code, digits only

    @property
    def goods_value(self) -> Decimal:
        return sum(self.values, ZERO)

    @property
    def cif_value(self) -> Decimal:
        return self.goods_value + self.freight + self.insurance


def value_consignment(
    lines: Sequence[CustomsLine],
    freight: Money | None,
    insurance: Money | None,
    money: DestinationMoney,
) -> Valuation:
    """Every line's value, the freight and the insurance in the destination currency, each
    rounded on its own; freight and insurance are spread over the lines pro rata to their value
    so that the shares add up to the amounts exactly."""
    values = [money.convert(ln.value, ln.currency) for ln in lines]
    freight_d = money.convert(freight.amount, freight.currency) if freight else money.zero()
    insurance_d = money.convert(insurance.amount, insurance.currency) if insurance else money.zero()
    return Valuation(
        values=values,
        freight=freight_d,
        insurance=insurance_d,
        shares=allocate(freight_d + insurance_d, values, money.exponent),
        digits=[hs_digits(ln.hs_code) for ln in lines],
    )
