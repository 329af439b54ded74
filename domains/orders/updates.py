"""Updates from the channel: what changed between the order we hold and the one a channel sends
again, and whether each change is applied or held for an operator in the order's present state.

A resend is compared on the canonical order (the channel's envelope: request ids, update times,
never counts). What differs is sorted into kinds, and each kind gets a `Decision` from the rules
below, versioned (UPDATE_RULES_VERSION, recorded with every decision). README "Updates from the
channel" has the same rules as a table.

Pure: standard library and the privacy record shapes only; the use case (domains/orders/
channel_intake.py) gathers the facts, asks here and records the answer on the order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from domains.orders.intake import diff
from domains.orders.lifecycle import (
    ALLOCATED,
    APPROVED,
    CANCELLED,
    DELIVERED,
    DISPATCHED,
    HELD,
    PACKED,
    PICKING,
    RECEIVED,
)
from domains.privacy.records import CLEAR_SHIP_TO

UPDATE_RULES_VERSION = 1

CANCELLATION = "cancellation"
ADDRESS = "address_change"
CONTACT = "contact_change"
LINES_REDUCED = "lines_reduced"
ITEMS_ADDED = "items_added"
AMOUNTS = "amounts_revised"
OTHER = "other_change"
KINDS = (CANCELLATION, ADDRESS, CONTACT, LINES_REDUCED, ITEMS_ADDED, AMOUNTS, OTHER)

# What a decision does to the order, once recorded:
CANCEL = "cancel"  # the cancel path: reservations and dealer credit released
REPLACE = "replace"  # the canonical part replaced; nothing else moves
REVIEW = "review"  # replaced, then the order is reviewed (and split) again
REPLAN = "replan"  # its reservations released, replaced, reviewed and split again
HOLD = "hold"  # nothing changes: an exception for an operator

LINE_PRICE_FIELDS = ("unit_price", "discount", "tax")
NOT_YET_PICKED = (RECEIVED, APPROVED, HELD)
BEING_PICKED = (PICKING, PACKED)
GONE = (DISPATCHED, DELIVERED)
# A shipment with a bought label (or further): its address is printed on the parcel.
LABEL_BOUGHT = ("labelled", DISPATCHED, "in_transit", DELIVERED)


@dataclass(frozen=True)
class Change:
    kind: str
    differences: list[dict[str, Any]]


@dataclass(frozen=True)
class OrderState:
    """The facts the rules look at, read from the order by the use case."""

    status: str
    label_bought: bool = False
    country_changed: bool = False


@dataclass(frozen=True)
class Decision:
    action: str
    reason: str

    @property
    def applied(self) -> bool:
        return self.action != HOLD


# ------------------------------------------------------------------ comparing
def comparable(stored: dict[str, Any], received: dict[str, Any]) -> dict[str, Any]:
    """The received order cut down to the keys the stored one has: an order mapped by an older
    mapper (Order.mapper_version) lacks keys newer mappers add (amounts, line discount and
    tax, marketplace_id), and a resend after the upgrade is not an update. Except
    "cancelled": a cancellation is news whichever mapper stored the order (absent reads as
    null)."""
    out = _trim(stored, received)
    if received.get("cancelled") is not None:
        out["cancelled"] = received["cancelled"]
    return out


def _trim(stored: Any, received: Any) -> Any:
    if isinstance(stored, dict) and isinstance(received, dict):
        return {k: _trim(stored[k], v) for k, v in received.items() if k in stored}
    if isinstance(stored, list) and isinstance(received, list) and stored:
        if all(isinstance(x, dict) for x in stored):
            keys = {k for x in stored for k in x}
            return [
                {k: v for k, v in x.items() if k in keys} if isinstance(x, dict) else x
                for x in received
            ]
    return received


def canonical_hash(canonical: dict[str, Any]) -> str:
    """Recognises the same received order again (a held update is not held twice)."""
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _norm(value: Any) -> str:
    return " ".join(str(value).split()).casefold() if value else ""


def identity_clash(stored: dict[str, Any], received: dict[str, Any]) -> list[dict[str, Any]]:
    """Why the received order is another order under the same external id (409), or [].

    A different marketplace: "marketplace_id" differs where both name one. A different buyer:
    the customer's email AND name both differ (each compared where both sides have it,
    ignoring case and spacing). One of them alone is a contact change: a buyer corrects a
    typo or changes address book entries, but a stranger shares neither."""
    out = []
    m_old, m_new = stored.get("marketplace_id"), received.get("marketplace_id")
    if m_old and m_new and m_old != m_new:
        out.append({"path": "marketplace_id", "stored": m_old, "received": m_new})
    c_old, c_new = stored.get("customer") or {}, received.get("customer") or {}
    pairs = [(_norm(c_old.get(k)), _norm(c_new.get(k))) for k in ("email", "name")]
    if all(a and b and a != b for a, b in pairs):
        # The values are personal data: the answer names the fields, not their contents.
        out += [
            {"path": f"customer.{k}", "stored": "(differs)", "received": "(differs)"}
            for k in ("email", "name")
        ]
    return out


# ------------------------------------------------------------------ classifying
def _by_sku(lines: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Lines merged per SKU (quantities summed, the first line's prices)."""
    out: dict[str, dict[str, Any]] = {}
    for line in lines:
        sku = line["sku"]
        if sku in out:
            out[sku]["quantity"] += line["quantity"]
        else:
            out[sku] = dict(line)
    return out


def _line_changes(stored: list[dict[str, Any]], received: list[dict[str, Any]]) -> list[Change]:
    old, new = _by_sku(stored), _by_sku(received)
    reduced, added, prices = [], [], []
    for sku in sorted(set(old) | set(new)):
        q_old = old[sku]["quantity"] if sku in old else 0
        q_new = new[sku]["quantity"] if sku in new else 0
        d = {"path": f"lines[sku={sku}].quantity", "stored": q_old, "received": q_new}
        if q_new < q_old:
            reduced.append(d)
        elif q_new > q_old:
            added.append(d)
        if sku in old and sku in new:
            for key in LINE_PRICE_FIELDS:
                a, b = old[sku].get(key), new[sku].get(key)
                if a != b and key in new[sku]:
                    prices.append({"path": f"lines[sku={sku}].{key}", "stored": a, "received": b})
    kinds = ((LINES_REDUCED, reduced), (ITEMS_ADDED, added), (AMOUNTS, prices))
    return [Change(kind, found) for kind, found in kinds if found]


def _kind_of(path: str) -> str:
    head = path.split(".", 1)[0].split("[", 1)[0]
    return {"ship_to": ADDRESS, "customer": CONTACT, "amounts": AMOUNTS}.get(head, OTHER)


def classify(stored: dict[str, Any], received: dict[str, Any]) -> list[Change]:
    """The changes from `stored` to `received` (both opened, `received` already `comparable`),
    one per kind, in KINDS order. No changes: the same order."""
    found: dict[str, list[dict[str, Any]]] = {}
    for d in diff({**stored, "lines": None}, {**received, "lines": None}):
        kind = _kind_of(d["path"])
        if d["path"].split(".")[0] == "cancelled":
            # A new cancellation; a cancelled order reopened, or its reason reworded, is not
            # something the rules apply by themselves.
            kind = CANCELLATION if stored.get("cancelled") is None else OTHER
        found.setdefault(kind, []).append(d)
    for change in _line_changes(stored.get("lines") or [], received.get("lines") or []):
        found.setdefault(change.kind, []).extend(change.differences)
    return [Change(kind, found[kind]) for kind in KINDS if kind in found]


def public(differences: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Differences as recorded in clear: personal fields (customer, ship-to except country,
    region, postcode, city) name the path only; their values are recorded sealed."""
    out = []
    for d in differences:
        head, _, leaf = d["path"].partition(".")
        if head == "customer" or (head == "ship_to" and leaf not in CLEAR_SHIP_TO):
            out.append({"path": d["path"], "personal": True})
        else:
            out.append(d)
    return out


# ------------------------------------------------------------------ the rules
def decide(
    kind: str, state: OrderState, *, operator: bool = False, held: frozenset[str] = frozenset()
) -> Decision:
    """Apply or hold `kind` of change in `state`. `operator`: an operator applies a held change
    anyway, which also allows re-planning an allocated order for added items. `held`: the kinds
    of this same update already held (amounts that price held lines wait with them)."""
    s = state.status
    if kind == AMOUNTS:
        if not operator and held & {LINES_REDUCED, ITEMS_ADDED}:
            # Otherwise the order's total would count units its lines do not have.
            return Decision(HOLD, "the new amounts price lines that are held: decided with them")
        return Decision(REPLACE, "amounts are recorded in every state (finance needs them)")
    if kind == CONTACT:
        return Decision(REPLACE, "contact details are updated in every state")
    if kind == CANCELLATION:
        if s == CANCELLED:
            return Decision(REPLACE, "already cancelled here: the channel's cancellation noted")
        if s in (*NOT_YET_PICKED, ALLOCATED):
            return Decision(CANCEL, "cancelled before picking: stock and dealer credit released")
        if s in BEING_PICKED:
            return Decision(
                HOLD, f"cancelled while {s}: stop the pick and put the goods back, then cancel"
            )
        return Decision(
            HOLD, "cancelled after dispatch: intercept with the carrier or open a return"
        )
    if kind == ADDRESS:
        if s in GONE or state.label_bought:
            return Decision(
                HOLD,
                "address changed after the label was bought: void and relabel, or ask "
                "the carrier to redirect",
            )
        if s in NOT_YET_PICKED:  # the address rules may hold it, or release it now
            return Decision(REVIEW, "address changed before allocation: reviewed again")
        if not state.country_changed or s == CANCELLED:
            return Decision(REPLACE, "address changed before the label: the new one is used")
        if s == ALLOCATED:
            return Decision(
                REPLAN,
                "destination country changed: reservations released, reviewed and split again",
            )
        return Decision(
            HOLD,
            f"destination country changed while {s}: the goods are picked "
            "for the old lane; re-plan by hand",
        )
    if kind in (LINES_REDUCED, ITEMS_ADDED):
        if s == CANCELLED:
            if kind == LINES_REDUCED:
                return Decision(REPLACE, "order is cancelled: nothing reserved to change")
            return Decision(HOLD, "items added to a cancelled order: they need a new order")
        if s in NOT_YET_PICKED:
            return Decision(REVIEW, "lines changed before allocation: reviewed again")
        if s == ALLOCATED and (kind == LINES_REDUCED or operator):
            return Decision(
                REPLAN,
                "lines changed before picking: reservations released, reviewed and split again",
            )
        if s == ALLOCATED:
            return Decision(
                HOLD,
                "items added after allocation: apply to re-plan the whole "
                "order, or ask the channel for a separate order",
            )
        if s in BEING_PICKED:
            return Decision(
                HOLD, f"lines changed while {s}: short the line at packing or re-pick by hand"
            )
        return Decision(HOLD, "lines changed after dispatch: refunded units come back as a return")
    return Decision(
        HOLD,
        "a change Crossdock does not apply by itself (e.g. currency, "
        "placed_at, dealer): check with the channel",
    )


def cancel_reason(channel: str, cancelled: dict[str, Any] | None) -> str:
    """The reason recorded when the channel cancels (Order.cancel needs one)."""
    return f"cancelled on {channel}: {(cancelled or {}).get('reason') or 'no reason given'}"


def merge_lines(
    current: list[dict[str, Any]], received: list[dict[str, Any]], kind: str
) -> list[dict[str, Any]]:
    """The order's lines after applying one kind of line change from `received` (the others
    left as they are): quantities down (LINES_REDUCED), up or new SKUs (ITEMS_ADDED), prices
    (AMOUNTS). Lines of one SKU are merged into one where a change touches them."""
    old, new = _by_sku(current), _by_sku(received)
    out = []
    for sku, line in old.items():
        r = new.get(sku)
        q = r["quantity"] if r else 0
        line = dict(line)
        if (kind == LINES_REDUCED and q < line["quantity"]) or (
            kind == ITEMS_ADDED and q > line["quantity"]
        ):
            line["quantity"] = q
        if kind == AMOUNTS and r:
            line.update({k: r[k] for k in LINE_PRICE_FIELDS if k in r})
        if line["quantity"] > 0:
            out.append(line)
    if kind == ITEMS_ADDED:
        out += [dict(line) for sku, line in new.items() if sku not in old]
    return out


def patch_for(kind: str, current: dict[str, Any], received: dict[str, Any]) -> dict[str, Any]:
    """The top-level canonical keys a change of `kind` replaces, with their new values
    (`received` sealed as the order records it; lines and amounts carry no personal data)."""
    if kind == CANCELLATION:
        return {"cancelled": received.get("cancelled")}
    if kind == ADDRESS:
        return {"ship_to": received["ship_to"]}
    if kind == CONTACT:
        return {"customer": received["customer"]}
    patch = {"lines": merge_lines(current["lines"], received.get("lines") or [], kind)}
    if kind == AMOUNTS and "amounts" in received:
        patch["amounts"] = received["amounts"]
    return patch
