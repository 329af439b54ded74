"""Carriers from their record: per carrier service and lane, how often it was late, lost or
damaged goods (claims), how long it took (p50/p90) and what it cost per kg, from our own
shipments, with the confidence the number of shipments allows.

Few shipments on a lane say little, so each rate is shrunk towards the same carrier's record
on its OTHER lanes (an empirical-Bayes Beta-Binomial prior):

    m      = k_other / n_other                  (the prior mean; the settings' default when
                                                 the carrier has no other lanes)
    kappa  = min(settings kappa, n_other)        (the prior's weight in shipments: never more
                                                 than the other lanes have)
    alpha  = kappa * m,  beta = kappa * (1 - m)
    p_lane = (k_lane + alpha) / (n_lane + kappa)  (the posterior mean)

With n_lane = 0 the lane takes the prior mean; with n_lane >> kappa, its own rate.

Best-value choice then prices each quote by its expected cost (domains/transport/choice.py):
price + P(late) x cost of lateness + P(loss or damage) x declared value; the cost of lateness,
kappa and the default priors are versioned settings (adapters/data/carrier_record.json).

Pure: rows in, numbers out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class RecordSettings:
    version: int
    cost_of_lateness: Decimal  # in the quotes' comparison currency, per late shipment
    kappa: float  # the prior's weight, in shipments
    default_p_late: float
    default_p_loss: float
    reference_kg: float = 1.0  # the parcel a recommendation prices per lane
    reference_value: Decimal = Decimal("50")  # its declared value

    def details(self) -> dict[str, Any]:
        return {"version": self.version, "cost_of_lateness": str(self.cost_of_lateness),
                "kappa": self.kappa, "default_p_late": self.default_p_late,
                "default_p_loss": self.default_p_loss}  # fmt: skip


def shrink(k: int, n: int, prior_k: int, prior_n: int, kappa: float, default: float) -> dict:
    """The posterior mean of a rate of k events in n shipments under a Beta prior of weight
    kappa centred on prior_k / prior_n (the default without prior shipments)."""
    m = prior_k / prior_n if prior_n else default
    # Other lanes count for no more shipments than they have: two shipments elsewhere do not
    # outweigh a hundred here.
    kappa = min(kappa, prior_n) if prior_n else kappa
    p = (k + kappa * m) / (n + kappa)
    return {"events": k, "shipments": n, "raw": round(k / n, 4) if n else None,
            "prior": round(m, 4), "prior_shipments": prior_n, "kappa": kappa,
            "p": round(p, 4)}  # fmt: skip


def lane_records(rows: Iterable[dict[str, Any]], s: RecordSettings) -> list[dict[str, Any]]:
    """`rows`: one per carrier service and lane (adapters/transport/scorecards.py
    `carrier_record_rows`): shipments, delivered, late, claims, transit p50/p90, kg, cost.
    Each with its late and loss rates shrunk towards the carrier's other lanes."""
    rows = list(rows)
    totals: dict[Any, list[int]] = {}  # per carrier, and per carrier and lane
    for r in rows:
        for key in (r["carrier"], (r["carrier"], r["lane"])):
            t = totals.setdefault(key, [0, 0, 0, 0])
            t[0] += r["late"]
            t[1] += r["delivered"]
            t[2] += r["claims"]
            t[3] += r["shipments"]
    out = []
    for r in rows:
        # the carrier's record on its other lanes: all of it less this lane's (every service)
        t = [a - b for a, b in zip(totals[r["carrier"]], totals[(r["carrier"], r["lane"])],
                                   strict=True)]  # fmt: skip
        late = shrink(r["late"], r["delivered"], t[0], t[1], s.kappa, s.default_p_late)
        loss = shrink(r["claims"], r["shipments"], t[2], t[3], s.kappa, s.default_p_loss)
        out.append({**r, "p_late": late, "p_loss": loss,
                    "confidence": round(r["shipments"] / (r["shipments"] + s.kappa), 3)})  # fmt: skip
    return out


def expected_cost(price: Decimal, p_late: float, p_loss: float, declared: Decimal,
                  s: RecordSettings) -> Decimal:  # fmt: skip
    late = s.cost_of_lateness * Decimal(str(p_late))
    return (price + late + declared * Decimal(str(p_loss))).quantize(Decimal("0.01"))


def recommend(records: list[dict[str, Any]], lane: str, s: RecordSettings) -> dict[str, Any]:
    """The carrier services on a lane, cheapest expected cost first, for the settings'
    reference parcel (reference_kg at the lane's cost per kg, reference_value declared)."""
    kg = Decimal(str(s.reference_kg))
    items = []
    for r in records:
        if r["lane"] != lane or r["cost_per_kg"] is None:
            continue
        price = (Decimal(str(r["cost_per_kg"])) * kg).quantize(Decimal("0.01"))
        cost = expected_cost(price, r["p_late"]["p"], r["p_loss"]["p"], s.reference_value, s)
        items.append({**r, "reference_price": str(price), "expected_cost": str(cost)})
    items.sort(key=lambda r: (Decimal(r["expected_cost"]), r["carrier"], r["service"]))
    return {"lane": lane, "settings": s.details(), "reference_kg": s.reference_kg,
            "reference_value": str(s.reference_value),
            "recommended": items[0]["carrier"] + "/" + items[0]["service"] if items else None,
            "items": items}  # fmt: skip


def quote_record(records: list[dict[str, Any]], lane: str, carrier: str, service: str,
                 s: RecordSettings) -> dict[str, Any]:  # fmt: skip
    """A quote's late and loss probabilities on a lane: its record there, or (never shipped
    on the lane) the carrier's other lanes, or the defaults."""
    for r in records:
        if (r["lane"], r["carrier"], r["service"]) == (lane, carrier, service):
            return {"p_late": r["p_late"]["p"], "p_loss": r["p_loss"]["p"],
                    "shipments": r["shipments"], "basis": "lane"}  # fmt: skip
    mine = [r for r in records if r["carrier"] == carrier]
    late = shrink(0, 0, sum(r["late"] for r in mine), sum(r["delivered"] for r in mine),
                  s.kappa, s.default_p_late)  # fmt: skip
    loss = shrink(0, 0, sum(r["claims"] for r in mine), sum(r["shipments"] for r in mine),
                  s.kappa, s.default_p_loss)  # fmt: skip
    return {"p_late": late["p"], "p_loss": loss["p"], "shipments": 0,
            "basis": "carrier" if mine else "default"}  # fmt: skip


def with_claims(
    cards: list[dict[str, Any]], counts: list[dict[str, Any]], countries: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Each scorecard row with the claims against its carrier, service and lane, and the
    share of them the carrier paid (None without claims)."""
    by_key: dict[tuple[Any, Any, str], list[int]] = {}
    for c in counts:
        lane = f"{countries.get(c['warehouse_id'], c['warehouse_id'])}-{c['destination']}"
        n = by_key.setdefault((c["carrier"], c["service"], lane), [0, 0])
        n[0] += int(c["claims"])
        n[1] += int(c["paid"] or 0)
    out = []
    for row in cards:
        claims, paid = by_key.get((row["carrier"], row["service"], row["lane"]), [0, 0])
        out.append(
            {**row, "claims": claims, "claims_paid": paid,
             "claims_paid_ratio": round(paid / claims, 3) if claims else None}
        )  # fmt: skip
    return out
