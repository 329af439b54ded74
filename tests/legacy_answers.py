"""What the documented HTTP API answers over a store, reduced to the facts a user relies on.

The legacy-store generator (tests/fixtures/make_legacy_store.py) records these facts over the
store the old code wrote; tests/integration/test_legacy_store.py collects them again with
today's code over the same store and compares. Only HTTP is used, so the facts outlive any
restructuring of the code behind the API.

Facts are the answers' values (statuses, amounts, ids, carriers, waybills, flags, timestamps
recorded in events...). Bulky nested inputs (an order's raw payload, a rule's inputs) are left
out of the per-event facts; documents (labels, invoices, reports) are compared by a digest of
their text, so a PDF's creation date does not count but every printed figure does.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from typing import Any

from adapters.transport.carriers import waybills

Get = Callable[[str, str], Any]  # (key name, url) -> HTTP response
SCALARS = (str, int, float, bool, type(None))
COST_GROUPS = ("carrier", "lane", "month", "channel", "warehouse")
WAREHOUSES = ("SZX", "LAX", "FRA", "BHX", "CGK")
DEALERS = ("DLR-EU-01", "DLR-US-01", "DLR-GB-01", "DLR-SEA-01")
CHANNELS = ("amazon", "shopee", "shopify", "web", "dealer")
# Every carrier the sandbox can label for: the story's parcels may go with any of them.
CARRIERS = waybills.CARRIERS


def key_table() -> list[tuple[str, str, str | None]]:
    """(name, role, scope) of the API keys the story and the reads use."""
    return [
        ("admin", "admin", None),
        ("customs", "customs", None),
        ("finance", "finance", None),
        *[(ch, "connector", ch) for ch in CHANNELS],
        *[(f"wh-{w}", "warehouse", w) for w in WAREHOUSES],
        *[(f"carrier-{c}", "carrier", c) for c in CARRIERS],
    ]


def aggregate_class(topic: str) -> str:
    """The aggregate class an event topic names: "pkg.module:Order.Received" -> "Order".
    By name only, so a module that moved (with its old topics registered) still matches."""
    return topic.split(":", 1)[1].rsplit(".", 1)[0]


def json_of(get: Get, who: str, url: str) -> Any:
    r = get(who, url)
    assert r.status_code == 200, f"GET {url} as {who}: {r.status_code} {r.text[:500]}"
    return r.json()


def all_pages(get: Get, who: str, url: str, limit: int = 500) -> list[dict[str, Any]]:
    sep = "&" if "?" in url else "?"
    items: list[dict[str, Any]] = []
    while True:
        page = json_of(get, who, f"{url}{sep}limit={limit}&offset={len(items)}")
        items += page["items"]
        if not page["items"] or len(items) >= page["total"]:
            return items


def scalars(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if isinstance(v, SCALARS)}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def document(get: Get, who: str, url: str) -> dict[str, Any]:
    """A document's status, type and a digest of its text (a PDF's extracted text)."""
    r = get(who, url)
    out: dict[str, Any] = {"status": r.status_code}
    if r.status_code == 200:
        media = r.headers["content-type"].split(";")[0]
        text = pdf_text(r.content) if media == "application/pdf" else r.text
        out.update(media_type=media, text_sha256=digest(text), chars=len(text))
    return out


# ------------------------------------------------------------------------------- orders
def order_facts(o: dict[str, Any]) -> dict[str, Any]:
    split = o["split"] or {}
    return {
        **scalars(o),
        "ship_to": o["ship_to"],
        "lines": o["lines"],
        "hold_codes": [h["code"] for h in o["hold_reasons"]],
        "overrides": o["overrides"],
        "review": None
        if o["review"] is None
        else {
            "outcome": o["review"]["outcome"],
            "rules": [
                {k: r.get(k) for k in ("rule", "passed", "code", "overridden")}
                for r in o["review"]["rules"]
            ],
        },
        "split": {
            **scalars(split),
            "solver": split.get("solver"),
            "plan": [{**scalars(s), "lines": s["lines"]} for s in split.get("plan", [])],
        },
    }


def event_facts(e: dict[str, Any]) -> dict[str, Any]:
    """An event as the history shows it: what, when, and a digest of all its data (the
    shipment number in the clear, for readable failures)."""
    facts = {"version": e["version"], "type": e["type"], "timestamp": e["timestamp"]}
    if "shipment_no" in e["data"]:
        facts["shipment_no"] = e["data"]["shipment_no"]
    facts["data_sha256"] = digest(json.dumps(e["data"], sort_keys=True))
    return facts


def collect_orders(get: Get, out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Orders: the list, each order, its history and as it stood at its second event. Returns
    every shipment the orders mention: its warehouse, pick list and whether it was labelled."""
    out["order_list"] = all_pages(get, "admin", "/v1/orders")
    out["orders"], out["order_events"], out["order_as_of"] = {}, {}, {}
    shipments: dict[str, dict[str, Any]] = {}
    for oid in sorted(r["id"] for r in out["order_list"]):
        order = json_of(get, "admin", f"/v1/orders/{oid}")
        out["orders"][oid] = order_facts(order)
        events = json_of(get, "admin", f"/v1/orders/{oid}/events")["events"]
        out["order_events"][oid] = [event_facts(e) for e in events]
        if len(events) > 2:
            at = events[1]["timestamp"].replace("+00:00", "Z")
            then = json_of(get, "admin", f"/v1/orders/{oid}?at={at}")
            out["order_as_of"][oid] = {
                "at": at,
                "status": then["status"],
                "version": then["version"],
            }
        for s in (order["split"] or {}).get("plan", []):
            shipments[f"{oid}-S{s['shipment_no']}"] = {"warehouse": s["warehouse_id"]}
        for e in events:
            sid = f"{oid}-S{e['data'].get('shipment_no')}"
            if e["type"] == "ShipmentWaved":
                shipments[sid]["pick_list_id"] = e["data"]["pick_list_id"]
            elif e["type"] == "Labelled":
                shipments[sid]["labelled"] = True
    out["order_filters"] = {
        f"{name}={value}": sorted(
            r["id"] for r in all_pages(get, "admin", f"/v1/orders?{name}={value}")
        )
        for name, values in (
            ("status", ("held", "allocated", "cancelled")),
            ("channel", ("amazon", "shopee", "shopify", "web", "dealer")),
            ("hold_code", ("prohibited_goods", "invalid_address", "insufficient_stock")),
        )
        for value in values
    }
    return shipments


def without_suggestions(document: dict[str, Any]) -> dict[str, Any]:
    """The declaration document without the HS suggestions a flagged line has gained since
    (advice computed at read time, not part of what was declared: tests/e2e/test_hs_http.py)."""
    lines = [
        {k: v for k, v in line.items() if k != "hs_suggestions"}
        for line in document.get("lines", [])
    ]
    return {**document, "lines": lines} if "lines" in document else document


def declaration_facts(d: dict[str, Any]) -> dict[str, Any]:
    """A declaration on the desk (its order's history is in the order facts)."""
    return {
        **scalars(d),
        "flags": [{k: f[k] for k in ("code", "field", "explanation")} for f in d["flags"]],
        "duties": scalars(d["duties"]),
        "duty_lines": [scalars(line) for line in d["duties"]["lines"]],
        "document_sha256": digest(json.dumps(without_suggestions(d["document"]), sort_keys=True)),
        "versions": d["versions"],
        "reviews": d["reviews"],
        "clearance": d["clearance"],
    }


# ------------------------------------------------------------------------------ the rest
def collect(get: Get, bills: list[str], carriers: list[str]) -> dict[str, Any]:
    """Every documented read: orders (detail, history, as of a time, list filters), stock,
    reference data, dealers, rate cards, the floor (pick lists, expiry, replenishment, putaway),
    labels, SLA exceptions, scorecards, the customs desk (queue, declarations, documents,
    clearance delays) and finance (costs, per-order costs, bills, reports, disputes)."""
    out: dict[str, Any] = {}
    shipments = collect_orders(get, out)

    out["stock"] = all_pages(get, "admin", "/v1/stock")
    ref = json_of(get, "admin", "/v1/reference")
    out["reference"] = {
        "warehouses": ref["warehouses"],
        "products": ref["products"],
        "dealers": ref["dealers"],
        "prohibited_goods": ref["prohibited_goods"],
    }
    out["dealers"] = {d: json_of(get, "admin", f"/v1/admin/dealers/{d}") for d in DEALERS}
    out["rate_cards"] = json_of(get, "admin", "/v1/rate-cards")["cards"]

    out["pick_lists"] = {}
    for s in shipments.values():
        pid = s.get("pick_list_id")
        if pid and pid not in out["pick_lists"]:
            task = json_of(get, "admin", f"/v1/handheld/tasks/{pid}?warehouse_id={s['warehouse']}")
            out["pick_lists"][pid] = task
    out["expiry"] = {w: json_of(get, f"wh-{w}", f"/v1/warehouses/{w}/expiry") for w in WAREHOUSES}
    out["replenishment"] = {
        w: json_of(get, f"wh-{w}", f"/v1/warehouses/{w}/replenishment?history_days=7")
        for w in WAREHOUSES
    }
    out["putaway"] = json_of(
        get, "wh-LAX", "/v1/handheld/putaway?sku=SKU-PHONE-CASE&quantity=3&lot=LOT-2026-11"
    )
    out["labels"] = {
        sid: document(get, f"wh-{s['warehouse']}", f"/v1/shipments/{sid}/label")
        for sid, s in sorted(shipments.items())
        if s.get("labelled")
    }
    out["exceptions"] = json_of(get, "admin", "/v1/exceptions")["items"]
    out["scorecards"] = json_of(get, "admin", "/v1/carriers/scorecards")["items"]

    declarations = all_pages(get, "customs", "/v1/customs/declarations")
    out["declaration_queue"] = declarations
    out["declarations"], out["declaration_documents"] = {}, {}
    for d in declarations:
        did = d["declaration_id"]
        out["declarations"][did] = declaration_facts(
            json_of(get, "customs", f"/v1/customs/declarations/{did}")
        )
        docs = f"/v1/customs/declarations/{did}/documents"
        data = json_of(get, "customs", f"{docs}/declaration.json")
        out["declaration_documents"][did] = {
            "declaration.json": {
                "totals": data["totals"],
                "sha256": digest(json.dumps(data, sort_keys=True)),
            },
            **{
                kind: document(get, "customs", f"{docs}/{kind}")
                for kind in ("commercial-invoice.pdf", "packing-list.pdf")
            },
        }
    out["clearance_delays"] = json_of(get, "customs", "/v1/customs/clearance-delays")["items"]

    out["costs"] = {
        g: json_of(get, "finance", f"/v1/finance/costs?group_by={g}")["items"] for g in COST_GROUPS
    }
    out["order_costs"] = {}
    for oid, order in out["orders"].items():
        if order["split"]["plan"]:
            costs = json_of(get, "finance", f"/v1/finance/orders/{oid}/costs?allocate=value")
            costs["shipments"] = [
                {k: s[k] for k in ("shipment_id", "carrier", "service", "lane", "cost_base")}
                for s in costs["shipments"]
            ]
            out["order_costs"][oid] = costs
    out["bills"] = {b: json_of(get, "finance", f"/v1/finance/carrier-bills/{b}") for b in bills}
    out["bill_reports"] = {
        b: document(get, "finance", f"/v1/finance/carrier-bills/{b}/report.csv") for b in bills
    }
    out["disputes"] = {
        c: document(get, "finance", f"/v1/finance/disputes/{c}.csv") for c in carriers
    }
    return json.loads(json.dumps(out))  # plain JSON types, as stored in the expectations file
