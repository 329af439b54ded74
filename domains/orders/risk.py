"""Order risk at review: rules over the order and its customer's, address's and channel's history,
plus an anomaly model's score, summed into one risk score that holds the order at or above the
settings' `hold_at`.

Decided before the review is recorded (domains/orders/allocation.py) and recorded as the review's
`risk` rule: every factor with its inputs, whether it fired and its weight, the anomaly model's
version and score, the settings version and thresholds. A person overrules it with the ordinary
admin release (the rule is then recorded as overridden).

Personal data stays sealed: "same customer" is the privacy module's pseudonymous subject id and
"same address" a blind index of the normalised address (an HMAC under the server's privacy secret,
`SubjectKeys.subject_id`); the address index lives only in the in-process history
(domains/orders/risk_history.py), never in an event. Forwarder patterns are matched against the
opened address and only the pattern's id is recorded; a billing address only as its country and
whether its postcode matches.

Pure: the anomaly model arrives behind the `AnomalyModel` port (adapters/orders/risk_model.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from domains.orders.risk_history import HistoryFacts
from domains.privacy.search import name_words

ADDRESS = "risk-address"  # the blind index's kind: never equal to a subject id or search term
RULES_VERSION = 1
_PUNCTUATION = re.compile(r"[^\w]+")
# Factor weights and thresholds: the defaults, until an admin publishes settings.
DEFAULT_SETTINGS: dict[str, Any] = {
    # Weak pairs (a new customer ordering three times in an hour) do not hold; strong pairs
    # (a returning customer's order five times their usual, billed elsewhere) and any three do.
    "hold_at": 0.7,
    # Marketplaces take the payment, screen it and carry the chargeback; B2B dealers are
    # checked by credit and region. The web shop and Shopify are the merchant's own risk.
    "exempt_channels": ["amazon", "dealer", "shopee", "tiktok"],
    "weights": {
        "value_vs_customer": 0.4,
        "value_vs_channel": 0.2,
        "quantity_spike": 0.3,
        "billing_mismatch": 0.3,
        "new_customer": 0.2,
        "new_customer_high_value": 0.3,
        "shared_address": 0.4,
        "forwarder": 0.4,
        "velocity": 0.4,
        "anomaly": 0.3,
    },
    "thresholds": {
        "customer_min_orders": 3,  # history needed before comparing with the customer's orders
        "value_vs_customer_ratio": 5.0,
        "channel_min_orders": 30,
        "value_z": 3.0,  # z-score of log(value) against the channel's orders
        "quantity_z": 3.0,  # z-score of log(largest line quantity) against the channel's
        "quantity_min_units": 5,
        "new_customer_value_eur": 400.0,
        "address_days": 7,
        "address_customers": 3,  # distinct customers to one address within address_days
        "velocity_orders_per_hour": 3,  # this order included: the third in an hour fires
        "anomaly_score": 0.6,  # isolation-forest score (2^(-E[h]/c(n)); 0.5 is unremarkable)
    },
}


class AnomalyModel(Protocol):
    """An anomaly score in [0, 1] for an order's features (`anomaly_features`): above about
    0.5 the order is easier to isolate than most. Fitted offline, scored in microseconds."""

    version: str

    def score(self, features: Sequence[float]) -> float: ...


@dataclass(frozen=True)
class RiskIdentity:
    """What the risk rules know of an order's people, without their personal data."""

    customer: str | None  # the data subject id (pseudonymous)
    address: str | None  # blind index of the ship-to address (kept in memory only)
    forwarder: dict[str, Any] | None  # the matched pattern's id, label and list version
    billing: dict[str, Any] | None  # {"country", "postcode_matches"} when the channel gives one


@dataclass(frozen=True)
class RiskFacts:
    channel: str
    value_eur: float
    max_quantity: int
    lines: int
    identity: RiskIdentity
    history: HistoryFacts
    ship_country: str


@dataclass(frozen=True)
class Forwarders:
    """Known freight-forwarder / reshipper address patterns (versioned data with sources:
    adapters/data/risk/forwarders.json): each a regular expression over the address's words."""

    version: int
    patterns: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        compiled = [(p, re.compile(p["pattern"], re.IGNORECASE)) for p in self.patterns]
        object.__setattr__(self, "_compiled", compiled)

    def match(self, address: dict[str, Any]) -> dict[str, Any] | None:
        fields = ("name", "company", "line1", "line2", "line3", "city")
        text = _fold(" ".join(str(address.get(k) or "") for k in fields))
        for p, rx in self._compiled:  # type: ignore[attr-defined]
            if (p.get("country") in (None, address.get("country"))) and rx.search(text):
                return {"id": p["id"], "label": p["label"], "list_version": self.version}
        return None


def address_text(ship_to: dict[str, Any]) -> str:
    """The ship-to address normalised for "same address": case, accents and punctuation
    folded (one pass over the fields joined); name and phone left out (one flat, many names
    is the pattern we look for)."""
    parts = (ship_to.get(k) for k in ("line1", "line2", "postcode", "city", "country"))
    return _fold(" ".join(str(p or "") for p in parts))


def _fold(text: str) -> str:
    """Words case- and accent-folded; punctuation separates words ("MyUS.com" is "myus com",
    "3,27" is "3 27")."""
    return " ".join(name_words(_PUNCTUATION.sub(" ", text)))


def billing_facts(raw: Any, ship_to: dict[str, Any]) -> dict[str, Any] | None:
    """The billing address's country and whether its postcode is the ship-to's, where the
    channel's payload has one (Shopify `billing_address`, a web shop's `billing`)."""
    if not isinstance(raw, dict):
        return None
    bill = raw.get("billing_address") or raw.get("billing")
    if not isinstance(bill, dict):
        return None
    country = bill.get("country_code") or bill.get("country")
    postcode = " ".join(name_words(bill.get("zip") or bill.get("postcode")))
    return {
        "country": country,
        "postcode_matches": postcode == " ".join(name_words(ship_to.get("postcode"))),
    }


def identify(
    blind: Callable[[str, str], str] | None,
    subject: str | None,
    canonical: dict[str, Any],
    raw: Any,
    forwarders: Forwarders | None,
) -> RiskIdentity:
    """The order's risk identity from its opened canonical form and raw payload. `blind`: the
    keys port's keyed hash (None without keys: no "same address" history)."""
    found = canonical.get("ship_to")
    ship_to: dict[str, Any] = found if isinstance(found, dict) else {}
    return RiskIdentity(
        customer=subject,
        # no street (an erased person's order read again): no "same address" to compare
        address=blind(ADDRESS, address_text(ship_to)) if blind and ship_to.get("line1") else None,
        forwarder=forwarders.match(ship_to) if forwarders else None,
        billing=billing_facts(raw, ship_to),
    )


def _z(value: float, stats: tuple[int, float, float] | None, min_n: int) -> float | None:
    """z-score of `value` against (count, mean, standard deviation), None with too few."""
    if stats is None or stats[0] < min_n or stats[2] <= 0:
        return None
    return (value - stats[1]) / stats[2]


def _factor(name: str, fired: bool, weight: float, reason: str, inputs: dict) -> dict[str, Any]:
    """A factor's outcome; one that did not fire keeps its inputs but not its sentence (every
    order's review carries them: the intake path writes these bytes)."""
    if not fired:
        return {"factor": name, "fired": False, "weight": 0.0, "inputs": inputs}
    return {"factor": name, "fired": True, "weight": weight, "reason": reason, "inputs": inputs}


def factors(f: RiskFacts, s: dict[str, Any]) -> list[dict[str, Any]]:
    """Every rule factor's outcome with the inputs it looked at (not the anomaly model)."""
    t, w, h = s["thresholds"], s["weights"], f.history
    out = []
    value = round(f.value_eur, 2)
    median = h.customer_median_eur
    ratio = value / median if median and h.customer_orders >= t["customer_min_orders"] else None
    fired = ratio is not None and ratio >= t["value_vs_customer_ratio"]
    out.append(_factor(
        "value_vs_customer", fired, w["value_vs_customer"],
        f"EUR {value} is {ratio:.1f}x the customer's median EUR {median:.2f}"
        if ratio is not None else "too few orders from this customer to compare",
        {"value_eur": value, "customer_median_eur": median, "customer_orders": h.customer_orders,
         "ratio": None if ratio is None else round(ratio, 2)},
    ))  # fmt: skip
    z = _z(math.log1p(value), h.channel_value, t["channel_min_orders"])
    out.append(_factor(
        "value_vs_channel", z is not None and z >= t["value_z"], w["value_vs_channel"],
        f"log value z = {z:.2f} against the channel's orders" if z is not None
        else "too few orders on this channel to compare",
        {"value_eur": value, "z": None if z is None else round(z, 2), "channel": f.channel},
    ))  # fmt: skip
    qz = _z(math.log(max(f.max_quantity, 1)), h.channel_quantity, t["channel_min_orders"])
    spike = f.max_quantity >= t["quantity_min_units"] and qz is not None and qz >= t["quantity_z"]
    out.append(_factor(
        "quantity_spike", spike, w["quantity_spike"],
        f"{f.max_quantity} units on one line (z = {qz:.2f})" if qz is not None
        else f"{f.max_quantity} units on one line; too few orders on the channel to compare",
        {"max_quantity": f.max_quantity, "z": None if qz is None else round(qz, 2)},
    ))  # fmt: skip
    b = f.identity.billing
    mismatch = b is not None and (b["country"] != f.ship_country or not b["postcode_matches"])
    out.append(_factor(
        "billing_mismatch", mismatch, w["billing_mismatch"],
        "no billing address from the channel" if b is None
        else (f"billed in {b['country']}, shipped to {f.ship_country}; postcode "
              + ("matches" if b["postcode_matches"] else "differs")),
        {"billing_country": None if b is None else b["country"], "ship_country": f.ship_country,
         "postcode_matches": None if b is None else b["postcode_matches"]},
    ))  # fmt: skip
    new_high = h.customer_orders == 0 and value >= t["new_customer_value_eur"]
    out.append(_factor(
        "new_customer_high_value", new_high, w["new_customer_high_value"],
        f"first order from this customer, EUR {value}" if h.customer_orders == 0
        else f"returning customer ({h.customer_orders} earlier orders)",
        {"customer_orders": h.customer_orders, "value_eur": value,
         "threshold_eur": t["new_customer_value_eur"]},
    ))  # fmt: skip
    # Distinct customers, not orders: one customer ordering again is velocity, not a drop.
    known, new = f.identity.customer is not None, h.customer_before_today == 0
    out.append(_factor(
        "new_customer", known and new, w["new_customer"],
        "no customer identity (no e-mail or phone)" if not known
        else ("new customer: no order before the last day" if new
              else f"customer since more than a day ({h.customer_before_today} earlier orders)"),
        {"customer_orders": h.customer_orders, "before_today": h.customer_before_today},
    ))  # fmt: skip
    crowded = h.address_customers + 1 >= t["address_customers"]
    out.append(_factor(
        "shared_address", crowded, w["shared_address"],
        f"{h.address_orders} earlier orders from {h.address_customers} other customers to this "
        f"address within {t['address_days']} days",
        {"address_orders": h.address_orders, "address_customers": h.address_customers,
         "days": t["address_days"]},
    ))  # fmt: skip
    fw = f.identity.forwarder
    out.append(_factor(
        "forwarder", fw is not None, w["forwarder"],
        f"ship-to matches the known forwarder pattern {fw['label']}" if fw
        else "not a known forwarder address",
        {"match": fw},
    ))  # fmt: skip
    per_hour = max(h.customer_last_hour, h.address_last_hour) + 1
    out.append(_factor(
        "velocity", per_hour >= t["velocity_orders_per_hour"], w["velocity"],
        f"{per_hour} orders within an hour from this customer or to this address",
        {"customer_last_hour": h.customer_last_hour, "address_last_hour": h.address_last_hour},
    ))  # fmt: skip
    return out


def anomaly_features(f: RiskFacts) -> list[float]:
    """The anomaly model's inputs: value against the customer's and channel's history,
    quantities, and how busy the customer and address are (no personal data)."""
    h = f.history
    log_value = math.log1p(f.value_eur)
    vs_customer = log_value - math.log1p(h.customer_median_eur) if h.customer_median_eur else 0.0
    vs_channel = log_value - h.channel_value[1] if h.channel_value else 0.0
    log_qty = math.log(max(f.max_quantity, 1))
    vs_qty = log_qty - h.channel_quantity[1] if h.channel_quantity else 0.0
    return [
        round(log_value, 4),
        round(vs_customer, 4),
        round(vs_channel, 4),
        round(log_qty, 4),
        round(vs_qty, 4),
        float(f.lines),
        round(math.log1p(h.customer_orders), 4),
        round(math.log1p(h.customer_before_today), 4),
        float(h.customer_last_hour),
        float(h.address_last_hour),
        float(h.address_orders),
        float(h.address_customers),
    ]


def assess(
    f: RiskFacts, settings: dict[str, Any], version: int, model: AnomalyModel | None
) -> dict[str, Any]:
    """The review's `risk` rule: the score (sum of the fired factors' weights), each factor,
    the anomaly model's score and version, and the settings it was decided under."""
    found = factors(f, settings)
    t, w = settings["thresholds"], settings["weights"]
    # The features are recorded with or without a model: the model is fitted on them.
    features = anomaly_features(f)
    anomaly: dict[str, Any] = {"model": None, "score": None, "features": features}
    if model is not None:
        score = round(model.score(features), 4)
        fired = score >= t["anomaly_score"]
        anomaly = {"model": model.version, "score": score, "features": features}
        found.append(_factor(
            "anomaly", fired, w["anomaly"],
            f"isolation-forest score {score} (threshold {t['anomaly_score']})", anomaly,
        ))  # fmt: skip
    total = round(sum(x["weight"] for x in found), 4)
    fired = [x for x in found if x["fired"]]
    held = total >= settings["hold_at"]
    reason = (
        f"risk score {total} >= {settings['hold_at']}: " + "; ".join(x["reason"] for x in fired)
        if held
        else f"risk score {total} below {settings['hold_at']}"
    )
    inputs = {
        "score": total,
        "hold_at": settings["hold_at"],
        "settings_version": version,
        "rules_version": RULES_VERSION,
        "customer": f.identity.customer,
        "channel": f.channel,
        "fired": [x["factor"] for x in fired],
        "factors": found,
        "anomaly": anomaly,
    }
    return {"rule": "risk", "passed": not held, "code": "high_risk" if held else "ok",
            "reason": reason, "inputs": inputs}  # fmt: skip
