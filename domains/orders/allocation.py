"""Review and allocation of one order, phase by phase: what each warehouse can sell, the
review's facts and verdict, the split's problem and plan, the reservations that carry it out.

Every phase is a named function of what it reads, so each can be tested alone; the clock, FX
and solver arrive as arguments (decided first, recorded as event data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from domains.orders import review as review_rules
from domains.orders.intake import IntakeBatch
from domains.orders.lanes import LaneScreen, line_holds
from domains.orders.lanes import screen as lanes_screen
from domains.orders.model import APPROVED, Order
from domains.orders.presale import find_presale
from domains.orders.risk import RiskIdentity
from domains.orders.risk_review import RiskReview
from domains.orders.split import (
    SplitLine,
    SplitPlan,
    SplitProblem,
    SplitSolver,
    WarehouseOption,
    decide,
    lane_service,
)
from domains.orders.split import describe as describe_split
from domains.ports import Countries, FxRates
from domains.reference.compliance import missing_documents
from domains.reference.model import Dealer
from domains.warehouse.lots import choose_lots, sellable


def merged_lines(order: Order) -> dict[str, int]:
    """Units per SKU (an order may list one SKU on several lines)."""
    merged: dict[str, int] = {}
    for line in order.canonical["lines"]:
        merged[line["sku"]] = merged.get(line["sku"], 0) + int(line["quantity"])
    return merged


def sellable_stock(
    batch: IntakeBatch, ref: dict[str, Any], merged: dict[str, int]
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Units each warehouse can sell now, per SKU of the order (only where it has some), and
    the total per SKU across warehouses."""
    products = ref["products"]
    availability: dict[str, dict[str, int]] = {}
    totals = dict.fromkeys(merged, 0)
    for code in ref["warehouses"]:
        held: dict[str, int] = {}
        for sku in merged:
            inv = batch.inventory(code, sku)
            if inv is None:
                continue
            p = products[sku]
            free = sellable(inv.lots, p.perishable, p.min_shelf_life_days, batch.today)
            if free > 0:
                held[sku] = free
                totals[sku] += free
        if held:
            availability[code] = held
    return availability, totals


def dealer_facts(order: Order, dealer: Dealer, fx: FxRates) -> review_rules.DealerFacts:
    """The dealer's credit position with this order converted into the dealer's currency at the
    ECB rate of the day the order was placed."""
    c = order.canonical
    rate, rate_date = fx.rate(
        c["currency"], dealer.currency, datetime.fromisoformat(c["placed_at"]).date()
    )
    return review_rules.DealerFacts(
        dealer_id=dealer.code,
        credit_limit=dealer.credit_limit,
        currency=dealer.currency,
        unpaid_balance=dealer.unpaid_balance,
        open_orders_total=dealer.open_orders_total,
        regions=list(dealer.regions),
        order_total_in_dealer_currency=(order.total * rate).quantize(Decimal("0.01")),
        fx_rate=rate,
        fx_rate_date=rate_date.isoformat(),
        unpaid_invoices=dealer.open_invoices_total,
    )


def review_facts(
    order: Order,
    ref: dict[str, Any],
    merged: dict[str, int],
    totals: dict[str, int],
    dealer: review_rules.DealerFacts | None,
    countries: Countries,
    lanes: LaneScreen | None = None,
    risk: dict[str, Any] | None = None,
) -> review_rules.ReviewFacts:
    ship_to = order.canonical["ship_to"]
    country = ship_to["country"]
    products = ref["products"]
    prohibited = ref["prohibited"]
    holds = None if lanes is None else line_holds(lanes)
    return review_rules.ReviewFacts(
        country=country,
        country_valid=countries.is_country(country),
        region=ship_to.get("region"),
        postcode=ship_to.get("postcode"),
        lines=[
            review_rules.LineFacts(
                sku=sku,
                quantity=qty,
                hs_code=products[sku].hs_code,
                available_total=totals[sku],
            )
            for sku, qty in merged.items()
        ],
        prohibited_matches={
            sku: (prohibited.matches(country, products[sku].hs_code) if prohibited else [])
            for sku in merged
        },
        prohibited_list_version=prohibited.version if prohibited else 0,
        dealer=dealer,
        overrides=list(order.overrides),
        lane_holds=holds,
        lane_lines=None if lanes is None else lanes_recorded(lanes, holds or []),
        documents={
            sku: {"required": list(required), "missing": missing_documents(c, country)}
            for sku in merged
            for c in (products[sku].compliance,)
            if (required := ((c or {}).get("documents_required") or {}).get(country))
        },
        risk=risk,
    )


def lanes_recorded(lanes: LaneScreen, holds: list[dict[str, Any]]) -> dict[str, Any]:
    """What the review keeps of the lane screen: every line's verdict per warehouse when a
    line is held (the explanation), else only the lines some stocked warehouse could not take
    (the service each candidate ships with is in the split event's candidates)."""
    if holds:
        return lanes.lines
    if not lanes.refused:
        return {}
    return {sku: line for sku, line in lanes.lines.items() if sku in lanes.refused}


def screen_lanes(
    batch: IntakeBatch,
    ref: dict[str, Any],
    channel: str,
    destination: str,
    merged: dict[str, int],
    availability: dict[str, dict[str, int]],
) -> LaneScreen | None:
    """Which stocked warehouses have a carrier that takes each line to the destination
    (domains/orders/lanes.py); None without carrier data."""
    offer = batch.lane_offer(destination, channel)
    if offer is None:
        return None
    return lanes_screen(
        destination,
        merged,
        availability,
        origin_of=ref["origins"],
        weight_of=ref["weights"],
        goods_of=ref["goods"],
        offer=offer,
        length_of=ref["lengths"],
    )


def split_problem(
    batch: IntakeBatch,
    ref: dict[str, Any],
    destination: str,
    merged: dict[str, int],
    availability: dict[str, dict[str, int]],
    lanes: LaneScreen | None = None,
) -> SplitProblem:
    """The split's input: each candidate warehouse with its units and lane cost to the buyer.
    With a lane screen, only warehouses with a carrier for what they would ship, priced on the
    cheapest such service's real quote; else every stocked warehouse at the lane estimate."""
    warehouses, products = ref["warehouses"], ref["products"]
    lines = [SplitLine(s, q, products[s].unit_weight_g) for s, q in merged.items()]
    if lanes is not None:
        options = [
            WarehouseOption(
                warehouse_id=code,
                country=warehouses[code].country,
                available=held,
                fixed_cost=offer["fixed_cost"],
                per_kg_cost=offer["per_kg_cost"],
                service=lane_service(offer),
            )
            for code, held in lanes.available.items()
            for offer in (lanes.offers[code],)
        ]
    else:
        options = [
            WarehouseOption(
                warehouse_id=code,
                country=warehouses[code].country,
                available=held,
                fixed_cost=lane[0],
                per_kg_cost=lane[1],
            )
            for code, held in availability.items()
            for lane in (batch.lane_cost(warehouses[code].country, destination),)
        ]
    return SplitProblem(
        destination=destination,
        currency="USD",
        lines=lines,
        options=options,
        excluded=lanes.excluded if lanes is not None else [],
    )


def reserve_plan(
    batch: IntakeBatch, order: Order, allocations: dict[str, dict[str, int]], ref: dict[str, Any]
) -> None:
    """Reserves the plan's units lot by lot (FEFO for perishables, else FIFO)."""
    products = ref["products"]
    order_key = str(order.id)
    for warehouse_id, units in allocations.items():
        for sku, qty in units.items():
            inv = batch.inventory(warehouse_id, sku)
            assert inv is not None  # the plan only uses stock that exists
            p = products[sku]
            lots, short = choose_lots(
                inv.lots, qty, p.perishable, p.min_shelf_life_days, batch.today
            )
            assert short == 0  # availability counted exactly these lots
            inv.reserve(
                order_key,
                qty,
                allocations=lots,
                policy="FEFO" if p.perishable else "FIFO",
                as_of=batch.today.isoformat(),
            )
            batch.touch(inv)


def presales_for(
    batch: IntakeBatch, ref: dict[str, Any], order: Order, merged: dict[str, int], short: list[str]
) -> dict[str, dict[str, Any]]:
    """The lines the stock on hand cannot cover that the channel may pre-sell, each with the
    inbound it is pre-sold against (domains/orders/presale.py). Only asked when stock is short,
    so intake's common path reads nothing more."""
    settings = batch.presale_settings()
    if not settings.rules.get(order.channel):
        return {}
    destination = order.canonical["ship_to"]["country"]
    out = {}
    for sku in short:
        qty = merged[sku]

        def servable(codes: list[str], sku: str = sku, qty: int = qty) -> list[str]:
            screen = screen_lanes(
                batch, ref, order.channel, destination, {sku: qty}, {c: {sku: qty} for c in codes}
            )
            return codes if screen is None else list(screen.available)

        found = find_presale(
            settings,
            order.channel,
            sku,
            qty,
            {code: batch.inventory(code, sku) for code in ref["warehouses"]},
            servable,
        )
        if found is not None:
            out[sku] = found
    return out


def with_presales(
    batch: IntakeBatch,
    order: Order,
    decision: dict[str, Any],
    presold: dict[str, dict[str, Any]],
    merged: dict[str, int],
    ref: dict[str, Any],
    destination: str,
) -> dict[str, Any]:
    """Reserves the pre-sold lines against their inbounds and adds one shipment per warehouse
    and inbound to the split decision, marked `presale` (arrival, handling, promised date,
    settings version): not waved until the inbound is received."""
    products, warehouses = ref["products"], ref["warehouses"]
    plan = list(decision["plan"])
    groups: dict[tuple[str, str], list[str]] = {}
    for sku, p in presold.items():
        groups.setdefault((p["warehouse_id"], p["inbound_id"]), []).append(sku)
        inv = batch.inventory(p["warehouse_id"], sku)
        assert inv is not None  # found on it
        inv.presell(str(order.id), p["inbound_id"], merged[sku], order.channel)
        batch.touch(inv)
    for (code, inbound_id), skus in sorted(groups.items()):
        p = presold[skus[0]]
        grams = sum(products[s].unit_weight_g * merged[s] for s in skus)
        fixed, per_kg, _ = batch.lane_cost(warehouses[code].country, destination)
        plan.append(
            {
                "shipment_no": len(plan) + 1,
                "warehouse_id": code,
                "lines": [{"sku": s, "quantity": merged[s]} for s in sorted(skus)],
                "weight_g": grams,
                "estimated_cost": str(fixed + per_kg * Decimal(grams) / 1000),
                "presale": {
                    "inbound_id": inbound_id,
                    "arrival": p["arrival"],
                    "handling_days": p["handling_days"],
                    "promised_date": p["promised_date"],
                    "settings_version": p["settings_version"],
                    "cap": p["cap"],
                },
            }
        )
    return {**decision, "plan": plan, "shipments": len(plan)}


def wait_for_stock(
    batch: IntakeBatch, order: Order, merged: dict[str, int], short: list[str]
) -> None:
    """Queues an order held for stock under each SKU it is short of (every SKU of the order when
    none is short by count: the split found no warehouse able to ship it), in the same
    transaction as the hold (domains/orders/backorders.py)."""
    destination = order.canonical["ship_to"]["country"]
    for sku in short or list(merged):
        queue = batch.backorder_queue(sku)
        if queue.wait(str(order.id), batch.held_at, merged, destination, order.channel):
            batch.touch(queue)


@dataclass
class Allocator:
    """Reviews an order and, when approved, splits and reserves it inside an intake batch."""

    fx: FxRates
    countries: Countries
    split_solver: SplitSolver | None
    risk: RiskReview | None = None  # None: orders are not screened for risk

    def review_and_allocate(
        self,
        batch: IntakeBatch,
        order: Order,
        ref: dict[str, Any],
        waiting: bool = False,
        identity: RiskIdentity | None = None,
    ) -> None:
        """`waiting`: the order is one of those waiting for stock (re-examined oldest first by
        the release); a new order leaves the waiting ones the stock they would take.
        `identity`: the order's risk identity from its plaintext (else opened from the order)."""
        country = order.canonical["ship_to"]["country"]
        merged = merged_lines(order)
        availability, totals = sellable_stock(batch, ref, merged)
        if not waiting:
            for sku, free in totals.items():
                if free > 0 and (claim := batch.waiting_claim(sku, free)):
                    totals[sku] = free - claim
        dealer = batch.dealer(order.dealer_id) if order.dealer_id else None
        credit = dealer_facts(order, dealer, self.fx) if dealer else None
        lanes = screen_lanes(batch, ref, order.channel, country, merged, availability)
        short = [sku for sku, qty in merged.items() if totals[sku] < qty]
        presold = presales_for(batch, ref, order, merged, short) if short else {}
        if presold:  # the stock rule counts what is pre-sold; the split plans the rest
            totals = {sku: t + (merged[sku] if sku in presold else 0) for sku, t in totals.items()}
        risk = self.risk.decide(batch, order, merged, identity) if self.risk else None
        facts = review_facts(order, ref, merged, totals, credit, self.countries, lanes, risk)
        results, outcome = review_rules.review(facts)
        order.record_review(rules=results, outcome=outcome)
        if outcome != APPROVED:
            if any(h["rule"] == "stock" for h in order.hold_reasons):
                wait_for_stock(batch, order, merged, short)
            return
        rest = {sku: qty for sku, qty in merged.items() if sku not in presold}
        problem = split_problem(batch, ref, country, rest, availability, lanes)
        plan, solver_used = decide(problem, self.split_solver) if rest else (None, False)
        if plan is not None and not plan.allocations:
            order.backorder(
                shortages=[{"sku": ln.sku, "short": ln.quantity} for ln in problem.lines]
            )
            wait_for_stock(batch, order, merged, short)
            return
        if plan is not None:
            reserve_plan(batch, order, plan.allocations, ref)
            decision = describe_split(problem, plan, solver_used)
        else:
            decision = describe_split(problem, SplitPlan({}, "presale", None), False)
        if presold:
            decision = with_presales(batch, order, decision, presold, merged, ref, country)
        order.record_split(decision)
        if dealer is not None and credit is not None:
            dealer.commit_credit(str(order.id), credit.order_total_in_dealer_currency)
            batch.touch(dealer)

    def release(self, batch: IntakeBatch, order: Order) -> None:
        """Gives back the order's reservations and the dealer credit it used."""
        key = str(order.id)
        for shipment in order.shipments:
            for line in shipment["lines"]:
                inv = batch.inventory(shipment["warehouse_id"], line["sku"])
                if inv is not None and inv.release(key):
                    batch.touch(inv)
        if order.dealer_id:
            dealer = batch.dealer(order.dealer_id)
            if key in dealer.open_orders:
                dealer.release_credit(key)
                batch.touch(dealer)
