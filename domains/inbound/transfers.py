"""Transfers between our warehouses: when orders wait for stock that one warehouse lacks and
another holds spare, a proposal (the stock to move, what it costs on the rate cards, and how
that compares with splitting the waiting orders from the other warehouse or leaving them
backordered); accepting it books an inbound shipment whose origin is the source warehouse.

`plan` is pure (waiting orders, stock and home warehouses in; proposals out); pricing and
booking are `TransferUseCases`, mixed into `InboundUseCases` by the application.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domains.common import InvalidTransition, ValidationFailed
from domains.transport.quotes import Parcel, QuoteRequest

PARCEL_MAX_G = 20_000  # the rate cards price parcels up to 20 kg: a transfer is many of them


def home_warehouse(
    destination: str, countries: dict[str, str], territory: Callable[[str], str]
) -> str | None:
    """The warehouse an order to `destination` would ship from without crossing a border: one
    in the same country, else one in the same customs territory (first by code)."""
    same = sorted(w for w, c in countries.items() if c == destination)
    if same:
        return same[0]
    inside = sorted(w for w, c in countries.items() if territory(c) == territory(destination))
    return inside[0] if inside else None


def plan(
    waiting: list[dict[str, Any]],
    available: dict[tuple[str, str], int],
    countries: dict[str, str],
    territory: Callable[[str], str],
) -> list[dict[str, Any]]:
    """Per (short warehouse, source): the units to move. A warehouse is short of a SKU by what
    its waiting orders need beyond what it has free; another has spare what it holds free
    beyond its own waiting orders' need. Sources are taken by most spare first."""
    need: dict[tuple[str, str], int] = {}
    orders_of: dict[tuple[str, str], list[str]] = {}
    for o in waiting:
        home = home_warehouse(o["destination"], countries, territory)
        if home is None:
            continue
        for sku, qty in o["lines"].items():
            need[(home, sku)] = need.get((home, sku), 0) + qty
            orders_of.setdefault((home, sku), []).append(o["order_id"])
    spare = {
        key: free - need.get(key, 0) for key, free in available.items() if free > need.get(key, 0)
    }
    proposals: dict[tuple[str, str], dict[str, Any]] = {}
    for (target, sku), wanted in sorted(need.items()):
        short = wanted - available.get((target, sku), 0)
        sources = sorted(
            ((w, q) for (w, s), q in spare.items() if s == sku and w != target and q > 0),
            key=lambda wq: (-wq[1], wq[0]),
        )
        for source, q in sources:
            if short <= 0:
                break
            move = min(short, q)
            spare[(source, sku)] -= move
            short -= move
            p = proposals.setdefault(
                (target, source),
                {"target": target, "source": source, "lines": {}, "orders": []},
            )
            p["lines"][sku] = p["lines"].get(sku, 0) + move
            p["orders"] = sorted(set(p["orders"]) | set(orders_of[(target, sku)]))
    return list(proposals.values())


def parcels_of(grams: int) -> list[Parcel]:
    """A consignment as parcels of at most 20 kg (how the parcel rate cards price it)."""
    full, rest = divmod(max(grams, 1), PARCEL_MAX_G)
    return [Parcel(PARCEL_MAX_G)] * full + ([Parcel(rest)] if rest else [])


class TransferUseCases:
    """Transfer proposals and their acceptance (mixed into InboundUseCases)."""

    store: Any
    reference: Any
    orders: Any
    warehouse: Any
    customs: Any
    rates: Any
    landed: Any  # LandedCosts or None
    book: Callable[..., tuple[Any, bool, int]]  # InboundUseCases.book

    def _cheapest(self, origin: str, destination: str, grams: int, on: date) -> dict | None:
        try:
            rates = self.rates.quote(
                QuoteRequest(
                    origin_country=origin,
                    destination_country=destination,
                    parcels=parcels_of(grams),
                    ship_date=on,
                )
            )["rates"]
        except ValueError:
            return None
        if not rates:
            return None
        r = rates[0]
        return {
            "carrier": r["carrier"],
            "service": r["service"],
            "total": r["total"],
            "currency": r["currency"],
            "compare_total": r["compare_total"],
            "compare_currency": r["compare_currency"],
            "card_version": r.get("card_version"),
        }

    def propose_transfers(self) -> list[dict[str, Any]]:
        """Per short warehouse and source: the stock to move, its cost on the rate cards, and
        the comparison with splitting the waiting orders (each shipped from the source) or
        leaving them backordered; the cheaper of transfer and split is recommended."""
        waiting = self.orders.waiting_for_stock()
        if not waiting:
            return []
        ref = self.reference.current()
        countries = {w: wh.country for w, wh in ref["warehouses"].items()}
        products = ref["products"]
        tariffs = self.customs.latest_tariffs()
        territory = tariffs.territory_of if tariffs is not None else (lambda c: c)
        skus = sorted({s for o in waiting for s in o["lines"]})
        available = {
            (inv.warehouse_id, inv.sku): inv.available
            for inv in self.warehouse.stock_of([(w, s) for w in countries for s in skus])
        }
        on = self.store.clock.now().date()
        by_id = {o["order_id"]: o for o in waiting}
        out = []
        for p in plan(waiting, available, countries, territory):
            grams = sum(products[s].unit_weight_g * q for s, q in p["lines"].items())
            transfer = self._cheapest(countries[p["source"]], countries[p["target"]], grams, on)
            split_total, split_priced, unpriced = Decimal(0), [], []
            for oid in p["orders"]:
                o = by_id[oid]
                g = sum(products[s].unit_weight_g * q for s, q in o["lines"].items())
                q = self._cheapest(countries[p["source"]], o["destination"], g, on)
                if q is None:
                    unpriced.append(oid)
                    continue
                split_total += Decimal(q["compare_total"])
                split_priced.append({"order_id": oid, **q})
            options = {
                "transfer": transfer,
                "split": {
                    "orders": split_priced,
                    "unpriced": unpriced,
                    "compare_total": str(split_total),
                    "compare_currency": "USD",
                },
                "backorder": {
                    "orders": p["orders"],
                    "cost": "0",
                    "note": "no freight now; the orders wait for the next stock to arrive",
                },
            }
            if transfer is not None and (
                unpriced or Decimal(transfer["compare_total"]) <= split_total
            ):
                recommended = "transfer"
            elif split_priced and not unpriced:
                recommended = "split"
            else:
                recommended = "backorder"
            crossing = None
            if tariffs is not None:
                crossing = territory(countries[p["source"]]) != territory(countries[p["target"]])
            out.append(
                {
                    **p,
                    "weight_g": grams,
                    "crosses_customs_border": crossing,
                    "options": options,
                    "recommended": recommended,
                }
            )
        return out

    def accept_transfer(
        self,
        transfer_id: str,
        source: str,
        target: str,
        lines: dict[str, int],
        mode: str,
        carrier: str,
        reference: str,
        expected_arrival: date | None,
        by: str,
    ) -> tuple[Any, bool, int]:
        """A transfer booked as an inbound shipment from `source` to `target`: the source's
        lots to move are chosen now (earliest expiry, then oldest) so the target receives the
        same lots with their expiry, each valued at its landed cost at the source where known
        (else the catalogue's value); they are reserved at the source under
        `transfer:{transfer_id}`, in the booking's transaction."""
        if not lines or any(q <= 0 for q in lines.values()):
            raise ValidationFailed([{"loc": "lines", "msg": "units to move, each above 0"}])
        rows: list[dict[str, Any]] = []
        for sku, qty in sorted(lines.items()):
            inv = next(iter(self.warehouse.stock_of([(source, sku)])), None)
            free = sorted(
                (e for e in (inv.lots.values() if inv else []) if e["on_hand"] > e["reserved"]),
                key=lambda e: (e["expiry"] or "9999", e["seq"]),
            )
            want = qty
            for e in free:
                take = min(want, e["on_hand"] - e["reserved"])
                if take <= 0:
                    continue
                rows.append(
                    {
                        "where": f"lines.{sku}",
                        "carton_no": f"{transfer_id}-{sku}",
                        "sku": sku,
                        "quantity": take,
                        "lot": e["lot"],
                        "expiry": e["expiry"],
                    }
                )
                want -= take
                if not want:
                    break
            if want:
                raise InvalidTransition(
                    f"{source} has {qty - want} of {sku} free; the transfer needs {qty}"
                )
        if self.landed is not None:  # the units carry what they cost at the source
            known = self.landed.unit_costs([(source, r["sku"], r["lot"]) for r in rows])
            for r in rows:
                cost = known.get((source, r["sku"], r["lot"]))
                if cost is not None:
                    r["unit_value"], r["currency"] = cost["unit_cost"], cost["currency"]
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for r in rows:  # one lot in several bins is one carton line
            key = (r["carton_no"], r["lot"])
            if key in merged:
                merged[key]["quantity"] += r["quantity"]
            else:
                merged[key] = r
        arrival = expected_arrival or self.store.clock.now().date() + timedelta(days=3)
        return self.book(
            transfer_id,
            target,
            {"kind": "warehouse", "warehouse_id": source},
            mode,
            carrier,
            reference,
            arrival,
            list(merged.values()),
            "weight",
            "USD",
            by,
        )
