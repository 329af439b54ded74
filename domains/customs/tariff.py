"""Import duty and VAT/GST on a consignment, per destination market and date.

Pure: standard library only. The rules are data (`MarketRules`, one per destination country
and effective period, gathered in a versioned `TariffTables`); the functions here only apply
them. FX is passed in as units of the destination currency per unit of each other currency:
nothing here fetches a rate.

The calculation, for one consignment (`compute_duties`):
  1. Every line's value, freight and insurance are converted into the destination currency and
     rounded to its minor unit (ROUND_HALF_UP). Freight and insurance are spread over the lines
     pro rata to their value, in whole minor units (largest remainder), so the shares add up to
     the amounts exactly.
  2. Low-value reliefs (`Relief`) are tested against the consignment: its value on the relief's
     basis (the goods alone, "goods", or goods + freight + insurance, "cif") against the
     threshold converted into the destination currency; B2C-only reliefs, reliefs for
     consignments shipped from given countries (Canada's CUSMA thresholds) and reliefs that
     need a registration the seller does not have (an IOSS number) do not apply. A relief that
     applies covers every line except those whose HS code starts with one of its excluded
     prefixes (excise goods, mostly).
  3. Duty per line: the market's ad valorem rate for the longest matching HS prefix (chapter,
     heading, subheading, national digits) or its default rate, on the line's value at the
     market's duty basis: CIF (goods + freight + insurance: EU, GB, SA, ID, JP, ...) or FOB
     (goods only: US, CA, AU). A covering relief either waives it or replaces it with a flat
     amount per distinct 6-digit subheading (the EU's interim EUR 3 from 2026-07-01), which is
     charged on the first line of each subheading.
  4. Tax per line: "at_sale" when a covering relief has the seller charge VAT/GST in the price
     (IOSS, UK point-of-sale VAT, AU/SG/MY low-value goods regimes): no import tax at the
     border, and the VAT is computed on the price (goods, plus delivery where the regime taxes
     it); "relieved" when a covering relief waives the import tax; "none" in a market without
     an import tax (US); otherwise "border": import VAT on the line's value at the market's
     VAT basis plus its duty.
  5. Totals are sums of rounded line amounts; each VAT is rounded once on its total base.
  6. The scheme reported: the at-sale regime when one applies; FORMAL_ENTRY when the goods
     value is over the market's formal-entry threshold; otherwise the first relief that applied
     (US_DE_MINIMIS_SUSPENDED is a relief that relieves nothing, so it can be reported);
     otherwise STANDARD (duty and taxes at the border, simplified clearance).

Who pays the border amounts follows the Incoterm: DDP the seller, DAP the buyer. VAT at sale is
always collected by the seller from the buyer in the price.

Not modelled, said in each result's notes where it matters: excise duties, US state/local
sales tax and merchandise processing fees, additional tariffs (US Section 122/232/301), anti-
dumping duties, preferential (FTA) rates, customs' own valuation uplifts (JP's 60% rule for
personal imports, imputed insurance).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domains.common import DomainError

ZERO = Decimal("0")
PAYERS = {"DDP": "seller", "DAP": "buyer"}
VALUE_BASES = ("CIF", "FOB")
RELIEF_BASES = ("goods", "cif")
AT_SALE_BASES = ("goods", "goods_and_delivery")
SAMPLE_NOTE = "SAMPLE duty rates, not a published tariff: do not use for real declarations"


def hs_digits(hs_code: str) -> str:
    """'8471.30.01' -> '84713001'; spaces and dots are layout, not part of the code."""
    return "".join(ch for ch in hs_code if ch not in ". ")


def quantum(exponent: int) -> Decimal:
    return Decimal(1).scaleb(-exponent)


def _round(value: Decimal, exponent: int) -> Decimal:
    return value.quantize(quantum(exponent), rounding=ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    """0.190 -> '0.19', 150.00 -> '150': figures in notes read like a person wrote them."""
    return format(value.normalize(), "f")


def _pct(rate: Decimal) -> str:
    return _plain(rate * 100) + "%"


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


# --- a consignment and its duties ---------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class DutyLine:
    index: int
    hs_code: str
    quantity: int
    value: Decimal  # the goods, destination currency
    freight_share: Decimal  # freight + insurance allocated to the line
    dutiable_value: Decimal  # value (+ freight_share where duty is on CIF)
    duty_rate: Decimal | None  # the ad valorem rate charged; None: relieved or flat
    rate_source: str  # the matched HS prefix, "default", or the relief's code
    duty: Decimal
    duty_treatment: str  # ad_valorem | relieved | flat_per_subheading | flat_counted
    tax_treatment: str  # border | at_sale | relieved | none
    vat_base: Decimal  # what this line adds to the border or at-sale VAT base

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "hs_code": self.hs_code,
            "quantity": self.quantity,
            "value": str(self.value),
            "freight_share": str(self.freight_share),
            "dutiable_value": str(self.dutiable_value),
            "duty_rate": None if self.duty_rate is None else str(self.duty_rate),
            "rate_source": self.rate_source,
            "duty": str(self.duty),
            "duty_treatment": self.duty_treatment,
            "tax_treatment": self.tax_treatment,
            "vat_base": str(self.vat_base),
        }


@dataclass(frozen=True, kw_only=True)
class DutyResult:
    """Duties and taxes on one consignment, all amounts in `currency` (the destination's)."""

    destination: str
    currency: str
    on: date
    incoterm: str
    payer: str  # who pays the border duty and import tax: seller (DDP) or buyer (DAP)
    lines: tuple[DutyLine, ...]
    goods_value: Decimal
    freight: Decimal
    insurance: Decimal
    customs_value: Decimal  # goods, plus freight and insurance where duty is on CIF
    duty: Decimal
    vat_name: str
    vat_rate: Decimal
    import_vat_base: Decimal
    import_vat: Decimal  # at the border
    vat_at_sale_base: Decimal
    vat_at_sale: Decimal  # in the price, collected by the seller
    total_border: Decimal  # duty + import VAT: what `payer` pays on import
    total_taxes: Decimal  # duty + import VAT + VAT at sale
    scheme: str
    schemes: tuple[str, ...]  # every relief that applied, in the market's order
    formal_entry: bool
    tariff_version: str
    notes: tuple[str, ...]
    inputs: dict[str, Any]

    @property
    def vat(self) -> Decimal:
        """VAT/GST the consignment bears, wherever it is collected."""
        return self.import_vat + self.vat_at_sale

    def as_dict(self) -> dict[str, Any]:
        return {
            "destination": self.destination,
            "currency": self.currency,
            "on": self.on.isoformat(),
            "incoterm": self.incoterm,
            "payer": self.payer,
            "lines": [ln.as_dict() for ln in self.lines],
            "goods_value": str(self.goods_value),
            "freight": str(self.freight),
            "insurance": str(self.insurance),
            "customs_value": str(self.customs_value),
            "duty": str(self.duty),
            "vat_name": self.vat_name,
            "vat_rate": str(self.vat_rate),
            "import_vat_base": str(self.import_vat_base),
            "import_vat": str(self.import_vat),
            "vat_at_sale_base": str(self.vat_at_sale_base),
            "vat_at_sale": str(self.vat_at_sale),
            "total_border": str(self.total_border),
            "total_taxes": str(self.total_taxes),
            "scheme": self.scheme,
            "schemes": list(self.schemes),
            "formal_entry": self.formal_entry,
            "tariff_version": self.tariff_version,
            "notes": list(self.notes),
            "inputs": self.inputs,
        }


def _allocate(total: Decimal, weights: Sequence[Decimal], exponent: int) -> list[Decimal]:
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


def _resolve(rules: TariffTables | MarketRules, destination: str, on: date) -> MarketRules:
    if isinstance(rules, TariffTables):
        return rules.rules_for(destination, on)
    if rules.country != destination.upper():
        raise ValueError(f"rules are for {rules.country}, not {destination}")
    if not rules.effective_on(on):
        raise NoTariffRules(rules.country, on)
    return rules


def _fx_rate(fx: Mapping[str, Decimal], currency: str, destination_currency: str) -> Decimal:
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


def compute_duties(
    lines: Sequence[CustomsLine],
    destination: str,
    incoterm: str,
    rules: TariffTables | MarketRules,
    fx: Mapping[str, Decimal],
    on: date,
    *,
    freight: Money | None = None,
    insurance: Money | None = None,
    b2c: bool = True,
    ship_from: str | None = None,
    registrations: Mapping[str, str | None] | None = None,
) -> DutyResult:
    """Duty and import VAT/GST on one consignment to `destination` on `on` (see the module
    docstring for the order of the steps).

    `fx` maps each currency used (lines, freight, insurance, relief thresholds) to units of the
    destination currency. `registrations` holds the seller's and importer's numbers by name
    ("ioss_number", "seller_vat_number", ...); only their presence matters here, their format
    is the declaration flags' business. `ship_from` is the country the parcel is dispatched
    from (Canada's thresholds depend on it)."""
    incoterm = incoterm.upper()
    if incoterm not in PAYERS:
        raise ValueError(f"incoterm must be one of {', '.join(PAYERS)}, got {incoterm!r}")
    if not lines:
        raise ValueError("a consignment has at least one line")
    destination = destination.upper()
    market = _resolve(rules, destination, on)
    dest_ccy = market.currency
    exp = market.money_exponent
    regs = {k: v for k, v in (registrations or {}).items() if v}
    ship_from = ship_from.upper() if ship_from else None
    used_fx: dict[str, str] = {}

    def rate_of(currency: str) -> Decimal:
        rate = _fx_rate(fx, currency, dest_ccy)
        if currency != dest_ccy:
            used_fx[currency] = str(rate)
        return rate

    def convert(amount: Decimal, currency: str) -> Decimal:
        return _round(amount * rate_of(currency), exp)

    notes: list[str] = []

    # 1. Values in the destination currency; freight and insurance spread over the lines.
    values = [convert(ln.value, ln.currency) for ln in lines]
    freight_d = convert(freight.amount, freight.currency) if freight else _round(ZERO, exp)
    insurance_d = convert(insurance.amount, insurance.currency) if insurance else _round(ZERO, exp)
    shares = _allocate(freight_d + insurance_d, values, exp)
    goods_value = sum(values, ZERO)
    cif_value = goods_value + freight_d + insurance_d
    digits = [hs_digits(ln.hs_code) for ln in lines]

    # 2. Which reliefs apply to this consignment.
    applied: list[Relief] = []
    missed: list[Relief] = []  # at-sale schemes the seller is not registered for
    relief_inputs: list[dict[str, Any]] = []
    for relief in market.reliefs:
        value = goods_value if relief.value_basis == "goods" else cif_value
        limit = relief.threshold * rate_of(relief.currency)
        within = value <= limit if relief.inclusive else value < limit
        reason = ""
        if not within:
            reason = "over the threshold"
        elif relief.b2c_only and not b2c:
            reason = "B2C consignments only"
        elif relief.ship_from and ship_from not in relief.ship_from:
            reason = f"only for consignments shipped from {', '.join(sorted(relief.ship_from))}"
        elif relief.registration and relief.registration not in regs:
            if relief.registration_optional:
                reason = f"the seller has no {relief.registration}"
                if relief.tax_at_sale:
                    missed.append(relief)
            elif b2c:  # a VAT-registered business buyer reverse-charges it instead
                notes.append(
                    f"{relief.code} applies by law but the {relief.registration} is missing: "
                    "the seller must still account for the tax at the point of sale"
                )
        if not reason:
            applied.append(relief)
        relief_inputs.append(
            {
                "code": relief.code,
                "threshold": str(relief.threshold),
                "currency": relief.currency,
                "inclusive": relief.inclusive,
                "threshold_in_destination_currency": str(_round(limit, exp)),
                "value_basis": relief.value_basis,
                "value": str(value),
                "applies": not reason,
                "why_not": reason or None,
            }
        )

    def covering(i: int, want: str) -> Relief | None:
        for relief in applied:
            if getattr(relief, want) and relief.covers(digits[i]):
                return relief
        return None

    # 3. Duty per line.
    duty_lines: list[dict[str, Any]] = []
    charged_subheadings: set[str] = set()
    for i, ln in enumerate(lines):
        dutiable = values[i] + (shares[i] if market.duty_basis == "CIF" else ZERO)
        rate, source = market.duty_rate_for(ln.hs_code)
        waiver = covering(i, "relieves_duty")
        line_rate: Decimal | None
        if waiver is None:
            treatment, line_rate, duty = "ad_valorem", rate, _round(dutiable * rate, exp)
        elif waiver.flat_duty_per_subheading is not None:
            line_rate, source = None, waiver.code
            subheading = digits[i][:6]
            if subheading in charged_subheadings:
                treatment, duty = "flat_counted", _round(ZERO, exp)
            else:
                charged_subheadings.add(subheading)
                treatment = "flat_per_subheading"
                duty = convert(waiver.flat_duty_per_subheading, waiver.currency)
        else:
            treatment, line_rate, source, duty = "relieved", None, waiver.code, _round(ZERO, exp)
        duty_lines.append(
            {
                "dutiable": dutiable,
                "rate": line_rate,
                "source": source,
                "duty": duty,
                "t": treatment,
            }
        )

    # 4. Tax per line.
    border_base = _round(ZERO, exp)
    sale_base = _round(ZERO, exp)
    sale_rule: Relief | None = None
    results: list[DutyLine] = []
    for i, ln in enumerate(lines):
        d = duty_lines[i]
        at_sale = covering(i, "tax_at_sale")
        vat_base = _round(ZERO, exp)
        if market.vat_basis is None:
            tax = "none"
        elif at_sale is not None:
            tax = "at_sale"
            sale_rule = sale_rule or at_sale
            vat_base = values[i] + (
                shares[i] if at_sale.tax_at_sale_base == "goods_and_delivery" else ZERO
            )
            sale_base += vat_base
        elif covering(i, "relieves_border_tax") is not None:
            tax = "relieved"
        else:
            tax = "border"
            vat_base = values[i] + (shares[i] if market.vat_basis == "CIF" else ZERO) + d["duty"]
            border_base += vat_base
        results.append(
            DutyLine(
                index=i,
                hs_code=ln.hs_code,
                quantity=ln.quantity,
                value=values[i],
                freight_share=shares[i],
                dutiable_value=d["dutiable"],
                duty_rate=d["rate"],
                rate_source=d["source"],
                duty=d["duty"],
                duty_treatment=d["t"],
                tax_treatment=tax,
                vat_base=vat_base,
            )
        )

    # 5. Totals.
    duty = sum((r.duty for r in results), ZERO)
    import_vat = _round(border_base * market.vat_rate, exp)
    vat_at_sale = _round(sale_base * market.vat_rate, exp)

    # 6. The scheme, and whether a full declaration is needed.
    formal_limit: Decimal | None = None
    formal = False
    if market.formal_entry_threshold is not None:
        t = market.formal_entry_threshold
        formal_limit = t.amount * rate_of(t.currency)
        formal = goods_value > formal_limit
    codes = tuple(r.code for r in applied)
    if sale_rule is not None:
        scheme = sale_rule.code
    elif formal:
        scheme = "FORMAL_ENTRY"
    elif codes:
        scheme = codes[0]
    else:
        scheme = "STANDARD"

    for relief in missed:
        if border_base:
            notes.append(
                f"{relief.code} not used: no {relief.registration}, so {market.vat_name} is "
                f"charged at the border as import {market.vat_name}"
            )
        else:
            notes.append(
                f"{relief.code} not used: no {relief.registration}; the goods are under the "
                f"import relief, so no {market.vat_name} is charged"
            )
    if market.vat_basis is None:
        notes.append(f"no import {market.vat_name} at the border; {market.vat_name} not handled")
    if sale_base and incoterm == "DAP":
        notes.append(
            f"{market.vat_name} at sale is collected by the seller in the price whatever the "
            "Incoterm; DAP only moves the border amounts to the buyer"
        )
    if market.duty_table_sample:
        notes.append(f"duty table {market.duty_table}: {SAMPLE_NOTE}")
    notes.extend(market.notes)

    inputs = {
        "tariff_version": market.version,
        "market": market.describe(),
        "on": on.isoformat(),
        "incoterm": incoterm,
        "b2c": b2c,
        "ship_from": ship_from,
        "fx": dict(sorted(used_fx.items())),
        "freight": freight.as_dict() if freight else None,
        "insurance": insurance.as_dict() if insurance else None,
        "lines": [
            {
                "hs_code": ln.hs_code,
                "value": str(ln.value),
                "currency": ln.currency,
                "quantity": ln.quantity,
            }
            for ln in lines
        ],
        "reliefs": relief_inputs,
        "formal_entry": None
        if market.formal_entry_threshold is None or formal_limit is None
        else {
            **market.formal_entry_threshold.as_dict(),
            "threshold_in_destination_currency": str(_round(formal_limit, exp)),
            "goods_value": str(goods_value),
            "over": formal,
        },
        "registrations": sorted(regs),
    }

    return DutyResult(
        destination=destination,
        currency=dest_ccy,
        on=on,
        incoterm=incoterm,
        payer=PAYERS[incoterm],
        lines=tuple(results),
        goods_value=goods_value,
        freight=freight_d,
        insurance=insurance_d,
        customs_value=goods_value
        + (freight_d + insurance_d if market.duty_basis == "CIF" else ZERO),
        duty=duty,
        vat_name=market.vat_name,
        vat_rate=market.vat_rate,
        import_vat_base=border_base,
        import_vat=import_vat,
        vat_at_sale_base=sale_base,
        vat_at_sale=vat_at_sale,
        total_border=duty + import_vat,
        total_taxes=duty + import_vat + vat_at_sale,
        scheme=scheme,
        schemes=codes,
        formal_entry=formal,
        tariff_version=market.version,
        notes=tuple(dict.fromkeys(notes)),  # once each, in order
        inputs=inputs,
    )


# --- landed cost --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LandedCostItem:
    item: str  # goods | freight | insurance | duty | vat
    label: str
    amount: Decimal

    def as_dict(self) -> dict[str, str]:
        return {"item": self.item, "label": self.label, "amount": str(self.amount)}


@dataclass(frozen=True, kw_only=True)
class LandedCost:
    """What the goods cost delivered, itemised in `currency`; the items add up to `total`."""

    currency: str
    items: tuple[LandedCostItem, ...]
    total: Decimal
    goods_value: Decimal
    freight: Decimal
    insurance: Decimal
    duty: Decimal
    vat: Decimal
    vat_name: str
    incoterm: str
    payer: str
    duties: DutyResult  # the calculation, in the destination currency, with its inputs

    def as_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "items": [i.as_dict() for i in self.items],
            "total": str(self.total),
            "goods_value": str(self.goods_value),
            "freight": str(self.freight),
            "insurance": str(self.insurance),
            "duty": str(self.duty),
            "vat": str(self.vat),
            "vat_name": self.vat_name,
            "incoterm": self.incoterm,
            "payer": self.payer,
            "duties": self.duties.as_dict(),
        }


def landed_cost(
    goods: Sequence[CustomsLine],
    freight: Money,
    destination: str,
    incoterm: str,
    currency: str,
    *,
    rules: TariffTables | MarketRules,
    fx: Mapping[str, Decimal],
    on: date,
    insurance: Money | None = None,
    b2c: bool = True,
    ship_from: str | None = None,
    registrations: Mapping[str, str | None] | None = None,
) -> LandedCost:
    """Goods value, freight, insurance, duty and VAT/GST (at the border and at sale), and their
    total, in `currency`.

    `fx` is the same mapping as for `compute_duties` (units of the destination currency) and
    must also hold `currency`. Goods and freight are converted from their own currency straight
    into `currency`; duty and VAT from the destination currency; each item is rounded on its
    own and the total is their sum."""
    duties = compute_duties(
        goods,
        destination,
        incoterm,
        rules,
        fx,
        on,
        freight=freight,
        insurance=insurance,
        b2c=b2c,
        ship_from=ship_from,
        registrations=registrations,
    )
    dest_ccy = duties.currency
    if isinstance(rules, TariffTables):
        exp = rules.exponent(currency)
    else:
        exp = rules.money_exponent if currency == rules.currency else 2
    target = _fx_rate(fx, currency, dest_ccy)

    def to_target(amount: Decimal, from_ccy: str) -> Decimal:
        return _round(amount * _fx_rate(fx, from_ccy, dest_ccy) / target, exp)

    goods_value = sum((to_target(g.value, g.currency) for g in goods), ZERO)
    freight_amount = to_target(freight.amount, freight.currency)
    insurance_amount = to_target(insurance.amount, insurance.currency) if insurance else ZERO
    duty = to_target(duties.duty, dest_ccy)
    vat = to_target(duties.vat, dest_ccy)
    items = [
        LandedCostItem("goods", "Goods", goods_value),
        LandedCostItem("freight", "Freight", freight_amount),
    ]
    if insurance is not None:
        items.append(LandedCostItem("insurance", "Insurance", insurance_amount))
    items.append(LandedCostItem("duty", "Import duty", duty))
    where = []
    if duties.import_vat:
        where.append("at import")
    if duties.vat_at_sale:
        where.append(f"at sale ({duties.scheme})")
    label = duties.vat_name + (f" {_pct(duties.vat_rate)}" if duties.vat_rate else "")
    items.append(LandedCostItem("vat", label + (f", {' and '.join(where)}" if where else ""), vat))
    return LandedCost(
        currency=currency,
        items=tuple(items),
        total=sum((i.amount for i in items), ZERO),
        goods_value=goods_value,
        freight=freight_amount,
        insurance=insurance_amount,
        duty=duty,
        vat=vat,
        vat_name=duties.vat_name,
        incoterm=duties.incoterm,
        payer=duties.payer,
        duties=duties,
    )
