"""Duty relief for returned goods, as versioned data: which customs territory relieves goods
coming back to it, within how long, on what condition, and where the rule is written.

Pure data and one pure decision. The return's label records the relief decision with this
table's version, so a changed table never rewrites an old decision.
"""

from __future__ import annotations

from datetime import date
from typing import Any

RELIEF_TABLE_VERSION = "2026-12-01"

# territory -> the relief for goods re-imported into it after they were exported from it.
RETURNED_GOODS_RELIEFS: dict[str, dict[str, Any]] = {
    "EU": {
        "name": "Returned goods relief",
        "legal_basis": "Union Customs Code, Regulation (EU) No 952/2013, art. 203 "
        "(import VAT: VAT Directive 2006/112/EC art. 143(1)(e))",
        "source": "https://eur-lex.europa.eu/eli/reg/2013/952/oj",
        "within_days": 3 * 365,
        "condition": "re-imported unaltered within 3 years of export",
        "covers": ["duty", "import_vat"],
    },
    "GB": {
        "name": "Returned goods relief",
        "legal_basis": "HMRC Notice 236: returned goods relief",
        "source": "https://www.gov.uk/guidance/returned-goods-relief-notice-236",
        "within_days": 3 * 365,
        "condition": "re-imported unaltered within 3 years of export",
        "covers": ["duty", "import_vat"],
    },
    "US": {
        "name": "American goods returned",
        "legal_basis": "HTSUS 9801.00.10",
        "source": "https://hts.usitc.gov/ (chapter 98, subchapter I)",
        "within_days": None,  # no time limit; not advanced in value or improved abroad
        "condition": "not advanced in value or improved in condition while abroad",
        "covers": ["duty"],
    },
}


def returned_goods_relief(
    territory: str, exported_from: str, exported_on: date, returned_on: date
) -> dict[str, Any]:
    """Whether goods exported from `exported_from` (a territory) on `exported_on` and coming
    back into `territory` on `returned_on` get the territory's returned-goods relief: the
    decision, why, and the rule it applied (with the table's version)."""
    rule = RETURNED_GOODS_RELIEFS.get(territory)
    out: dict[str, Any] = {"territory": territory, "table_version": RELIEF_TABLE_VERSION}
    if rule is None:
        return {**out, "applies": False, "why": f"no returned-goods relief on file for {territory}"}
    out["rule"] = rule
    if exported_from != territory:
        why = f"the goods left {exported_from}, not {territory}: they are not returning"
        return {**out, "applies": False, "why": why}
    days = (returned_on - exported_on).days
    limit = rule["within_days"]
    if limit is not None and days > limit:
        return {**out, "applies": False, "why": f"{days} days after export, over {limit}"}
    why = f"returned {days} days after export; {rule['condition']}"
    return {**out, "applies": True, "why": why, "covers": rule["covers"]}
