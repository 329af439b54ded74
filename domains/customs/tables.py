"""The customs rules as data: one `MarketRules` per destination and effective period, its
low-value `Relief`s, the restricted-goods lists, all gathered in a versioned `TariffTables`.

Pure: standard library only. Nothing here computes a duty; `domains.customs.duties` applies these
rules to a consignment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domains.common import DomainError

ZERO = Decimal("0")
VALUE_BASES = ("CIF", "FOB")
RELIEF_BASES = ("goods", "cif")
AT_SALE_BASES = ("goods", "goods_and_delivery")
SAMPLE_NOTE = "SAMPLE duty rates, not a published tariff: do not use for real declarations"


def hs_digits(hs_code: str) -> str:
    """'8471.30.01' -> '84713001'; spaces and dots are layout, not part of the code."""
    return "".join(ch for ch in hs_code if ch not in ". ")


def quantum(exponent: int) -> Decimal:
    return Decimal(1).scaleb(-exponent)


def round_half_up(value: Decimal, exponent: int) -> Decimal:
    """`value` in whole minor units (`exponent` digits), as customs round: ROUND_HALF_UP."""
    return value.quantize(quantum(exponent), rounding=ROUND_HALF_UP)


class NoTariffRules(DomainError):
    """No customs rules for this destination on this date: nothing is guessed."""

    def __init__(self, country: str, on: date) -> None:
        super().__init__(f"no customs rules for {country} in force on {on.isoformat()}")
        self.country = country
        self.on = on


# --- rules --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def as_dict(self) -> dict[str, str]:
        return {"amount": str(self.amount), "currency": self.currency}


@dataclass(frozen=True, kw_only=True)
class Relief:
    """A low-value rule of one market: consignments worth up to `threshold` (in `currency`)
    are treated differently. `code` names it in results ("IOSS", "UK_POS_VAT", ...).

    - value_basis: "goods" compares the intrinsic value (goods only); "cif" adds freight and
      insurance, as Thailand, Japan and Saudi Arabia count it.
    - inclusive: value <= threshold; False for rules written "less than".
    - b2c_only, ship_from (empty: from anywhere): who and what it is for.
    - excluded_prefixes: HS prefixes the rule never covers (excise goods, ...); other lines of
      the same consignment still get it.
    - relieves_duty: no duty on covered lines, or, with flat_duty_per_subheading, that flat
      amount (in `currency`) per distinct 6-digit subheading instead of the ad valorem duty.
    - relieves_border_tax: no import VAT/GST at the border on covered lines.
    - tax_at_sale: the seller charges the VAT/GST in the price (on the goods, or on goods and
      delivery) and remits it; implies no import tax at the border.
    - registration: the seller's registration the rule depends on ("ioss_number", ...). With
      registration_optional the rule applies only when the seller has it (a seller may use
      IOSS or not); otherwise the rule applies by law and a missing number is noted (and
      flagged on the declaration).
    A relief with no effect at all is still reported when it qualifies: that is how the US's
    suspended de minimis shows up."""

    code: str
    threshold: Decimal
    currency: str
    value_basis: str = "goods"
    inclusive: bool = True
    b2c_only: bool = False
    ship_from: frozenset[str] = frozenset()
    excluded_prefixes: tuple[str, ...] = ()
    relieves_duty: bool = False
    flat_duty_per_subheading: Decimal | None = None
    relieves_border_tax: bool = False
    tax_at_sale: bool = False
    tax_at_sale_base: str = "goods_and_delivery"
    registration: str | None = None
    registration_optional: bool = False
    effective_note: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if self.value_basis not in RELIEF_BASES:
            raise ValueError(f"relief {self.code}: value_basis must be one of {RELIEF_BASES}")
        if self.tax_at_sale_base not in AT_SALE_BASES:
            raise ValueError(f"relief {self.code}: tax_at_sale_base must be one of {AT_SALE_BASES}")
        if self.threshold < 0:
            raise ValueError(f"relief {self.code}: negative threshold")
        if self.flat_duty_per_subheading is not None and not self.relieves_duty:
            raise ValueError(f"relief {self.code}: a flat duty replaces the duty (relieves_duty)")
        object.__setattr__(
            self, "excluded_prefixes", tuple(hs_digits(p) for p in self.excluded_prefixes)
        )

    def covers(self, digits: str) -> bool:
        return not any(digits.startswith(p) for p in self.excluded_prefixes)

    def describe(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "threshold": str(self.threshold),
            "currency": self.currency,
            "value_basis": self.value_basis,
            "inclusive": self.inclusive,
            "b2c_only": self.b2c_only,
            "ship_from": sorted(self.ship_from),
            "excluded_prefixes": list(self.excluded_prefixes),
            "relieves_duty": self.relieves_duty,
            "flat_duty_per_subheading": None
            if self.flat_duty_per_subheading is None
            else str(self.flat_duty_per_subheading),
            "relieves_border_tax": self.relieves_border_tax,
            "tax_at_sale": self.tax_at_sale,
            "tax_at_sale_base": self.tax_at_sale_base if self.tax_at_sale else None,
            "registration": self.registration,
            "registration_optional": self.registration_optional,
            "effective_note": self.effective_note,
            "source": self.source,
        }


@dataclass(frozen=True, kw_only=True)
class MarketRules:
    """One destination's customs and import-tax rules over one effective period (both dates
    inclusive; effective_to None: open-ended)."""

    country: str
    effective_from: date
    effective_to: date | None = None
    currency: str
    money_exponent: int = 2  # minor-unit digits amounts are rounded to (JPY, IDR: 0)
    vat_rate: Decimal  # fraction: 0.19
    vat_name: str  # "VAT", "GST", "sales tax", "consumption tax"
    vat_basis: str | None  # the value import tax is charged on, plus duty; None: no import tax
    duty_basis: str  # "CIF" or "FOB"
    duty_rates: Mapping[str, Decimal] = field(default_factory=dict)  # HS prefix -> fraction
    default_duty_rate: Decimal = ZERO
    duty_table: str = ""
    duty_table_sample: bool = False
    reliefs: tuple[Relief, ...] = ()
    formal_entry_threshold: Money | None = None  # goods value above it: full declaration
    union: str | None = None  # "EU" for the member states
    version: str = ""  # the data version these rules were loaded from
    source: str = ""
    vat_source: str = ""
    notes: tuple[str, ...] = ()

    _lengths: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"{self.country}: effective_to is before effective_from")
        if not ZERO <= self.vat_rate < 1:
            raise ValueError(f"{self.country}: vat_rate is a fraction (0.19), got {self.vat_rate}")
        if self.duty_basis not in VALUE_BASES:
            raise ValueError(f"{self.country}: duty_basis must be one of {VALUE_BASES}")
        if self.vat_basis is not None and self.vat_basis not in VALUE_BASES:
            raise ValueError(f"{self.country}: vat_basis must be one of {VALUE_BASES} or None")
        rates = {hs_digits(k): v for k, v in self.duty_rates.items()}
        for prefix, rate in rates.items():
            if not prefix.isdigit() or not 2 <= len(prefix) <= 10:
                raise ValueError(f"{self.country}: duty prefix {prefix!r} is not 2-10 digits")
            if rate < 0:
                raise ValueError(f"{self.country}: negative duty rate for {prefix}")
        codes = [r.code for r in self.reliefs]
        if len(codes) != len(set(codes)):
            raise ValueError(f"{self.country}: two reliefs share a code")
        object.__setattr__(self, "duty_rates", rates)
        object.__setattr__(self, "_lengths", tuple(sorted({len(p) for p in rates}, reverse=True)))

    def effective_on(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def duty_rate_for(self, hs_code: str) -> tuple[Decimal, str]:
        """The ad valorem rate and the prefix it came from ("default" when none matched).

        Longest prefix wins: a subheading's rate overrides its heading's, which overrides its
        chapter's."""
        digits = hs_digits(hs_code)
        for n in self._lengths:
            if len(digits) >= n:
                rate = self.duty_rates.get(digits[:n])
                if rate is not None:
                    return rate, digits[:n]
        return self.default_duty_rate, "default"

    def describe(self) -> dict[str, Any]:
        return {
            "country": self.country,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": None if self.effective_to is None else self.effective_to.isoformat(),
            "currency": self.currency,
            "vat_rate": str(self.vat_rate),
            "vat_name": self.vat_name,
            "vat_basis": self.vat_basis,
            "duty_basis": self.duty_basis,
            "default_duty_rate": str(self.default_duty_rate),
            "duty_table": self.duty_table,
            "duty_table_sample": self.duty_table_sample,
            "formal_entry_threshold": None
            if self.formal_entry_threshold is None
            else self.formal_entry_threshold.as_dict(),
            "union": self.union,
            "version": self.version,
            "source": self.source,
            "vat_source": self.vat_source,
        }


@dataclass(frozen=True, slots=True)
class GoodsRestriction:
    """Goods under `hs_prefix` are prohibited (never accepted) or restricted (need a licence,
    permit or carrier approval) for one destination."""

    hs_prefix: str
    category: str
    reason: str
    level: str = "prohibited"  # or "restricted"


@dataclass(frozen=True, kw_only=True)
class TariffTables:
    """Every market's rule versions, the restricted-goods lists, and the data version they were
    loaded from (results cite it)."""

    version: str
    markets: tuple[MarketRules, ...]
    restrictions: Mapping[str, tuple[GoodsRestriction, ...]] = field(default_factory=dict)
    restrictions_version: str = ""
    money_exponents: Mapping[str, int] = field(default_factory=dict)  # currency -> digits
    sources: Mapping[str, str] = field(default_factory=dict)
    # Customs territories: country -> territory code (a country in none is its own territory),
    # with the version of the territory table they were loaded from.
    territories: Mapping[str, str] = field(default_factory=dict)
    territories_version: str = ""

    _by_country: dict[str, tuple[MarketRules, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_country: dict[str, list[MarketRules]] = {}
        for rules in self.markets:
            by_country.setdefault(rules.country, []).append(rules)
        for country, versions in by_country.items():
            versions.sort(key=lambda r: r.effective_from)
            for earlier, later in zip(versions, versions[1:], strict=False):
                if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
                    raise ValueError(
                        f"{country}: rules from {earlier.effective_from} and "
                        f"{later.effective_from} overlap"
                    )
        object.__setattr__(self, "_by_country", {c: tuple(v) for c, v in by_country.items()})

    def countries(self) -> tuple[str, ...]:
        return tuple(sorted(self._by_country))

    def rules_for(self, country: str, on: date) -> MarketRules:
        for rules in self._by_country.get(country.upper(), ()):
            if rules.effective_on(on):
                return rules
        raise NoTariffRules(country.upper(), on)

    def restrictions_for(self, country: str, hs_code: str) -> list[GoodsRestriction]:
        digits = hs_digits(hs_code)
        return [
            r
            for r in self.restrictions.get(country.upper(), ())
            if digits.startswith(hs_digits(r.hs_prefix))
        ]

    def exponent(self, currency: str) -> int:
        return self.money_exponents.get(currency, 2)

    def territory_of(self, country: str) -> str:
        """The customs territory `country` lies in: its code in the territory table ("EU" for
        the member states), or the country itself when the table does not list it."""
        country = country.upper()
        return self.territories.get(country, country)

    def has_rules_for(self, country: str, on: date) -> bool:
        return any(r.effective_on(on) for r in self._by_country.get(country.upper(), ()))


def market_rules_for(rules: TariffTables | MarketRules, destination: str, on: date) -> MarketRules:
    """The destination's rules in force on `on`, from the whole tables or from one market's
    rules (which must be that destination's, in force that day)."""
    if isinstance(rules, TariffTables):
        return rules.rules_for(destination, on)
    if rules.country != destination.upper():
        raise ValueError(f"rules are for {rules.country}, not {destination}")
    if not rules.effective_on(on):
        raise NoTariffRules(rules.country, on)
    return rules
