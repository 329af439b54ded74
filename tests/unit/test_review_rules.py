"""Review rules: pure functions over facts; each verdict carries its inputs."""

from __future__ import annotations

from decimal import Decimal

from domains.orders.review import DealerFacts, LineFacts, ReviewFacts, region_allowed, review


def facts(**kw):
    base = dict(
        country="US",
        country_valid=True,
        region="CA",
        postcode="90001",
        lines=[LineFacts("SKU-A", 2, "0902.30", 5)],
        prohibited_matches={"SKU-A": []},
        prohibited_list_version=3,
        dealer=None,
    )
    base.update(kw)
    return ReviewFacts(**base)


def dealer(**kw):
    base = dict(
        dealer_id="D1",
        credit_limit=Decimal("1000"),
        currency="EUR",
        unpaid_balance=Decimal("400"),
        open_orders_total=Decimal("300"),
        regions=["DE", "US-CA"],
        order_total_in_dealer_currency=Decimal("300"),
        fx_rate=Decimal("0.9"),
        fx_rate_date="2026-10-30",
    )
    base.update(kw)
    return DealerFacts(**base)


def by_rule(results):
    return {r["rule"]: r for r in results}


def test_clean_marketplace_order_is_approved_without_dealer_rules():
    results, outcome = review(facts())
    assert outcome == "approved"
    assert set(by_rule(results)) == {"address", "destination", "stock"}


def test_credit_limit_is_inclusive_and_records_its_inputs():
    results, outcome = review(facts(dealer=dealer()))  # 400 + 300 + 300 == 1000
    assert outcome == "approved"
    over, outcome = review(facts(dealer=dealer(order_total_in_dealer_currency=Decimal("300.01"))))
    credit = by_rule(over)["credit"]
    assert outcome == "held" and credit["code"] == "over_credit_limit"
    assert credit["inputs"]["unpaid_balance"] == "400" and credit["inputs"]["fx_rate"] == "0.9"


def test_region_accepts_country_or_subdivision():
    assert region_allowed(["DE"], "DE", "BY")
    assert region_allowed(["US-CA"], "US", "CA")
    assert not region_allowed(["US-CA"], "US", "TX")
    assert not region_allowed(["US-CA"], "US", None)
    results, outcome = review(facts(region="TX", postcode="73301", dealer=dealer()))
    assert outcome == "held" and by_rule(results)["region"]["code"] == "cross_region"


def test_prohibited_goods_cite_the_list_version():
    hit = [{"hs_prefix": "2204", "category": "alcohol", "reason": "banned"}]
    results, outcome = review(
        facts(
            country="SA",
            postcode="11564",
            region=None,
            lines=[LineFacts("WINE", 1, "2204.21", 9)],
            prohibited_matches={"WINE": hit},
        )
    )
    dest = by_rule(results)["destination"]
    assert outcome == "held" and dest["inputs"]["list_version"] == 3
    assert "alcohol" in dest["reason"]


def test_postcode_formats_and_unknown_country():
    assert review(facts(country="GB", postcode="SW1A 1AA", region=None))[1] == "approved"
    results, outcome = review(facts(country="GB", postcode="12345", region=None))
    assert outcome == "held" and "GB format" in by_rule(results)["address"]["reason"]
    results, _ = review(facts(country="US", postcode=None))
    assert "required" in by_rule(results)["address"]["reason"]
    assert review(facts(country="BR", postcode="anything"))[1] == "approved"  # no known format


def test_stock_shortfall_lists_each_short_line():
    results, outcome = review(
        facts(
            lines=[LineFacts("A", 3, "1", 3), LineFacts("B", 4, "1", 1)],
            prohibited_matches={"A": [], "B": []},
        )
    )
    stock = by_rule(results)["stock"]
    assert (
        outcome == "held"
        and "B needs 4, 1 available" in stock["reason"]
        and "A needs" not in stock["reason"]
    )


def test_overrides_release_a_hold_but_never_stock():
    held = facts(region="TX", postcode="73301", dealer=dealer(), overrides=["region"])
    results, outcome = review(held)
    assert outcome == "approved" and by_rule(results)["region"]["overridden"]
    short = facts(lines=[LineFacts("A", 9, "1", 1)], overrides=["stock"])
    assert review(short)[1] == "held"
