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

Where each part lives (this module re-exports them all, so callers import from here):
  tables       the rules as data (MarketRules, Relief, TariffTables, GoodsRestriction, Money)
  valuation    step 1 (CustomsLine, FX into the destination currency, freight allocation)
  reliefs      step 2
  duties       step 3, steps 5-6 and `compute_duties` itself
  vat          step 4
  results      DutyLine, DutyResult
  landed_cost  LandedCost, `landed_cost`

Not modelled, said in each result's notes where it matters: excise duties, US state/local
sales tax and merchandise processing fees, additional tariffs (US Section 122/232/301), anti-
dumping duties, preferential (FTA) rates, customs' own valuation uplifts (JP's 60% rule for
personal imports, imputed insurance).
"""

from __future__ import annotations

from domains.customs.duties import PAYERS, compute_duties
from domains.customs.landed_cost import LandedCost, LandedCostItem, landed_cost
from domains.customs.results import DutyLine, DutyResult
from domains.customs.tables import (
    AT_SALE_BASES,
    RELIEF_BASES,
    SAMPLE_NOTE,
    VALUE_BASES,
    ZERO,
    GoodsRestriction,
    MarketRules,
    Money,
    NoTariffRules,
    Relief,
    TariffTables,
    hs_digits,
    quantum,
)
from domains.customs.valuation import CustomsLine

__all__ = [
    "AT_SALE_BASES",
    "PAYERS",
    "RELIEF_BASES",
    "SAMPLE_NOTE",
    "VALUE_BASES",
    "ZERO",
    "CustomsLine",
    "DutyLine",
    "DutyResult",
    "GoodsRestriction",
    "LandedCost",
    "LandedCostItem",
    "MarketRules",
    "Money",
    "NoTariffRules",
    "Relief",
    "TariffTables",
    "compute_duties",
    "hs_digits",
    "landed_cost",
    "quantum",
]
