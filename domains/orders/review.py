"""Automatic review: pure rules over facts gathered beforehand.

Each rule returns its verdict together with the inputs it looked at; the review event stores
all of them, so "why was this held?" is answered from the stream alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# Postcode shapes for the countries we ship to most; other countries are not format-checked.
POSTCODE_PATTERNS: dict[str, str] = {
    "US": r"\d{5}(-\d{4})?",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}",
    "DE": r"\d{5}",
    "FR": r"\d{5}",
    "IT": r"\d{5}",
    "ES": r"\d{5}",
    "NL": r"\d{4} ?[A-Z]{2}",
    "CN": r"\d{6}",
    "ID": r"\d{5}",
    "SA": r"\d{5}(-\d{4})?",
    "JP": r"\d{3}-?\d{4}",
    "AU": r"\d{4}",
    "CA": r"[A-Z]\d[A-Z] ?\d[A-Z]\d",
    "SG": r"\d{6}",
    "MY": r"\d{5}",
    "TH": r"\d{5}",
    "VN": r"\d{6}",
    "PH": r"\d{4}",
    "PL": r"\d{2}-\d{3}",
    "SE": r"\d{3} ?\d{2}",
    "AE": r"",
}


@dataclass(frozen=True)
class LineFacts:
    sku: str
    quantity: int
    hs_code: str
    available_total: int


@dataclass(frozen=True)
class DealerFacts:
    dealer_id: str
    credit_limit: Decimal
    currency: str
    unpaid_balance: Decimal
    open_orders_total: Decimal
    regions: list[str]
    order_total_in_dealer_currency: Decimal
    fx_rate: Decimal
    fx_rate_date: str
    unpaid_invoices: Decimal = Decimal("0")  # invoiced, not yet paid (domains/receivables/)


@dataclass(frozen=True)
class ReviewFacts:
    country: str
    country_valid: bool
    region: str | None
    postcode: str | None
    lines: list[LineFacts]
    prohibited_matches: dict[str, list[dict[str, str]]]
    prohibited_list_version: int
    dealer: DealerFacts | None = None
    overrides: list[str] = field(default_factory=list)
    # Lines no stocked warehouse has a carrier for (domains/orders/lanes.py line_holds), and
    # every line's screening; None when no carrier data is published (not checked).
    lane_holds: list[dict[str, Any]] | None = None
    lane_lines: dict[str, Any] | None = None
    # Per SKU, the licences/certificates the destination needs: {required, missing}.
    documents: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # The risk rule's verdict, decided beforehand (domains/orders/risk.py); None: not screened.
    risk: dict[str, Any] | None = None


def _result(rule: str, passed: bool, code: str, reason: str, inputs: dict[str, Any]) -> dict:
    return {"rule": rule, "passed": passed, "code": code, "reason": reason, "inputs": inputs}


def check_stock(f: ReviewFacts) -> dict:
    short = [
        {"sku": ln.sku, "requested": ln.quantity, "available": ln.available_total}
        for ln in f.lines
        if ln.available_total < ln.quantity
    ]
    reason = (
        "insufficient stock: "
        + "; ".join(f"{s['sku']} needs {s['requested']}, {s['available']} available" for s in short)
        if short
        else "stock available for every line"
    )
    inputs = {
        "lines": [
            {"sku": ln.sku, "requested": ln.quantity, "available": ln.available_total}
            for ln in f.lines
        ]
    }
    return _result("stock", not short, "insufficient_stock" if short else "ok", reason, inputs)


def check_credit(f: ReviewFacts) -> dict | None:
    d = f.dealer
    if d is None:
        return None
    exposure = (
        d.unpaid_balance
        + d.unpaid_invoices
        + d.open_orders_total
        + d.order_total_in_dealer_currency
    )
    passed = exposure <= d.credit_limit
    inputs = {
        "dealer_id": d.dealer_id,
        "credit_limit": str(d.credit_limit),
        "unpaid_balance": str(d.unpaid_balance),
        "open_orders_total": str(d.open_orders_total),
        "order_total": str(d.order_total_in_dealer_currency),
        "currency": d.currency,
        "fx_rate": str(d.fx_rate),
        "fx_rate_date": d.fx_rate_date,
    }
    if d.unpaid_invoices:  # decisions made before invoices existed keep their inputs' shape
        inputs["unpaid_invoices"] = str(d.unpaid_invoices)
    reason = (
        f"exposure {exposure} {d.currency} within limit {d.credit_limit}"
        if passed
        else f"over credit limit: exposure {exposure} {d.currency} > limit {d.credit_limit}"
    )
    return _result("credit", passed, "ok" if passed else "over_credit_limit", reason, inputs)


def region_allowed(regions: list[str], country: str, region: str | None) -> bool:
    for allowed in regions:
        if allowed == country:
            return True
        if region and allowed in (f"{country}-{region}", region) and allowed.startswith(country):
            return True
    return False


def check_region(f: ReviewFacts) -> dict | None:
    d = f.dealer
    if d is None:
        return None
    passed = region_allowed(d.regions, f.country, f.region)
    where = f"{f.country}-{f.region}" if f.region else f.country
    reason = (
        f"{where} is in the dealer's regions"
        if passed
        else f"cross-region order: {where} is outside the dealer's regions {', '.join(d.regions)}"
    )
    inputs = {"regions": d.regions, "country": f.country, "region": f.region}
    return _result("region", passed, "ok" if passed else "cross_region", reason, inputs)


def check_destination(f: ReviewFacts) -> dict:
    hits = {sku: m for sku, m in f.prohibited_matches.items() if m}
    reason = (
        "prohibited for "
        + f.country
        + ": "
        + "; ".join(f"{sku} ({m[0]['category']}: {m[0]['reason']})" for sku, m in hits.items())
        if hits
        else f"no line is prohibited for {f.country}"
    )
    inputs = {
        "country": f.country,
        "list_version": f.prohibited_list_version,
        "hs_codes": {ln.sku: ln.hs_code for ln in f.lines},
        "matches": hits,
    }
    return _result("destination", not hits, "prohibited_goods" if hits else "ok", reason, inputs)


def check_address(f: ReviewFacts) -> dict:
    problems = []
    if not f.country_valid:
        problems.append(f"{f.country!r} is not an ISO 3166 country")
    pattern = POSTCODE_PATTERNS.get(f.country)
    if f.country_valid and pattern:
        code = (f.postcode or "").strip().upper()
        if not code:
            problems.append(f"a postcode is required for {f.country}")
        elif not _COMPILED[f.country].fullmatch(code):
            problems.append(f"postcode {f.postcode!r} does not match the {f.country} format")
    passed = not problems
    inputs = {"country": f.country, "postcode": f.postcode, "pattern": pattern}
    reason = "; ".join(problems) if problems else "address looks deliverable"
    return _result("address", passed, "ok" if passed else "invalid_address", reason, inputs)


def check_lanes(f: ReviewFacts) -> dict | None:
    """Each line against the carriers of its lanes: some warehouse that stocks it must have an
    active service to the destination that takes its goods classes and weight."""
    if f.lane_holds is None:
        return None
    holds = f.lane_holds
    codes = {h["code"] for h in holds}
    code = (
        "ok"
        if not holds
        else ("no_carrier_for_goods" if "no_carrier_for_goods" in codes else "no_carrier_for_lane")
    )
    parts = []
    for h in holds:
        origins = ", ".join(f"{code} ({v['reason']})" for code, v in h["warehouses"].items())
        what = "no carrier for " + (
            f"its goods ({', '.join(h['goods'])})"
            if h["code"] == "no_carrier_for_goods"
            else "the lane"
        )
        parts.append(f"{h['sku']} to {f.country}: {what}; from {origins}")
    reason = "; ".join(parts) if holds else f"every line has a carrier to {f.country}"
    inputs = {
        "destination": f.country,
        "holds": [{"sku": h["sku"], "code": h["code"]} for h in holds],
        "lines": f.lane_lines or {},
    }
    return _result("lanes", not holds, code, reason, inputs)


def check_documents(f: ReviewFacts) -> dict | None:
    """Licences and certificates the destination needs for a line (restricted goods): a
    missing one holds the order for the customs team, naming the document."""
    if not f.documents:
        return None
    missing = {sku: d["missing"] for sku, d in f.documents.items() if d["missing"]}
    reason = (
        f"restricted for {f.country}, held for the customs team: "
        + "; ".join(f"{sku} needs {', '.join(docs)}" for sku, docs in missing.items())
        if missing
        else f"every licence {f.country} needs is held"
    )
    inputs = {"country": f.country, "lines": f.documents}
    code = "licence_required" if missing else "ok"
    return _result("documents", not missing, code, reason, inputs)


def check_risk(f: ReviewFacts) -> dict | None:
    """The order's risk score and every factor behind it (domains/orders/risk_review.py)."""
    return f.risk


_COMPILED = {country: re.compile(p) for country, p in POSTCODE_PATTERNS.items()}

RULES = (
    check_address,
    check_destination,
    check_documents,
    check_region,
    check_credit,
    check_stock,
    check_lanes,
    check_risk,
)
# Rules an admin release cannot override: it decides them again on today's data.
NOT_OVERRIDABLE = ("stock", "lanes")


def review(facts: ReviewFacts) -> tuple[list[dict], str]:
    """Run every rule; the order is approved when each failed rule has been overridden."""
    results = [r for rule in RULES if (r := rule(facts)) is not None]
    for r in results:
        r["overridden"] = (
            (not r["passed"]) and r["rule"] in facts.overrides and r["rule"] not in NOT_OVERRIDABLE
        )
    held = any(not r["passed"] and not r["overridden"] for r in results)
    return results, ("held" if held else "approved")
