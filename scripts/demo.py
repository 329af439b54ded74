"""`make demo`: a day of cross-border orders flowing from five channels into reserved stock.

Seeds reference data and opening stock, pushes the day's orders through the same mappers and
use cases as the HTTP API (in group-commit batches), brings the views up to date and prints what
happened. Safe to run twice: everything is idempotent, the second run finds the orders it made.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from adapters.channels import PayloadError, map_payload, parse_dealer_csv
from adapters.seed import load, seed_reference
from api.app import build_services
from api.auth import DEFAULT_KEYS_FILE, new_key, write_keys
from domains.application import Intake
from scripts.demo_data import day_of_orders, opening_stock

console = Console()


def demo_keys(path: Path = Path(DEFAULT_KEYS_FILE)) -> list[tuple[str, str, str | None, str]]:
    """A key per role for trying the API; plain keys are kept in var/demo-keys.json (0600)."""
    plain_path = path.with_name("demo-keys.json")
    if plain_path.exists() and path.exists():
        return [tuple(k) for k in json.loads(plain_path.read_text())]  # type: ignore[misc]
    wanted = [
        ("admin", "admin", None),
        ("amazon-connector", "connector", "amazon"),
        ("shopee-connector", "connector", "shopee"),
        ("shopify-connector", "connector", "shopify"),
        ("web-connector", "connector", "web"),
        ("dealer-portal", "connector", "dealer"),
        ("lax-handheld", "warehouse", "LAX"),
        ("customs-desk", "customs", None),
        ("finance", "finance", None),
    ]
    entries, plain = [], []
    for name, role, scope in wanted:
        key, entry = new_key(name, role, scope)
        entries.append(entry)
        plain.append((name, role, scope, key))
    write_keys(path, entries)
    write_keys(plain_path, plain)  # type: ignore[arg-type]
    return plain


def run(orders: int = 2400, seed: int = 7, batch: int = 50) -> dict:
    svc = build_services()
    app = svc.app
    console.rule("[bold]Crossdock demo: one day of cross-border orders")
    store = app.env.get("PERSISTENCE_MODULE")
    console.print(
        f"event store: {store} {app.env.get('SQLITE_DBNAME') or app.env.get('POSTGRES_DBNAME')}"
    )
    changed = seed_reference(app)
    console.print(f"reference data: {changed} new or changed (0 means already seeded)")
    products = load("products.json")
    receipts = 0
    for warehouse, skus in opening_stock(products).items():
        for sku, qty in skus.items():
            if qty > 0:
                receipts += app.receive_stock(warehouse, sku, qty, f"opening-{warehouse}-{sku}") > 0
    console.print(f"opening stock receipts recorded: {receipts}")

    payloads = day_of_orders(orders, seed, products)
    items: list[Intake] = []
    rejected = Counter()
    for channel, payload in payloads:
        try:
            if channel == "dealer":
                for m in parse_dealer_csv(payload):
                    items.append(Intake("dealer", m.canonical, m.canonical, m.source_paths))
            else:
                m = map_payload(channel, payload)
                items.append(Intake(channel, payload, m.canonical, m.source_paths))
        except PayloadError as exc:
            rejected[f"{channel}: {exc.errors[0].msg}"] += 1

    created = existing = 0
    errors: Counter[str] = Counter()
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold blue]intake"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("orders", total=len(items), rate="")
        for i in range(0, len(items), batch):
            chunk = items[i : i + batch]
            outcomes, _ = app.intake_batch(chunk)
            for o in outcomes:
                if o.error is not None:
                    errors[type(o.error).__name__] += 1
                elif o.created:
                    created += 1
                else:
                    existing += 1
            done = i + len(chunk)
            bar.update(
                task,
                advance=len(chunk),
                rate=f"{done / (time.perf_counter() - started):,.0f} orders/s",
            )
    elapsed = time.perf_counter() - started
    svc.runner.catch_up()
    summary = summarise(svc, created, existing, errors, rejected, elapsed, len(items))
    keys = demo_keys()
    console.print("[bold]API keys for trying the API[/bold] (also in var/demo-keys.json):")
    for name, role, scope, key in keys:
        print(f"  {name:<18} {role:<9} {scope or '-':<8} {key}")
    console.print(
        "next: [bold]make serve[/bold], then e.g. "
        "curl -H 'Authorization: Bearer <admin key>' 'http://127.0.0.1:8000/v1/orders?status=held'"
    )
    svc.db.close()
    app.close()
    return summary


def summarise(svc, created, existing, errors, rejected, elapsed, total) -> dict:
    db = svc.db
    by_status = {
        r["status"]: r["n"]
        for r in db.query(
            "SELECT status, COUNT(*) AS n FROM view_orders GROUP BY status ORDER BY status"
        )
    }
    holds: Counter[str] = Counter()
    for r in db.query("SELECT hold_codes FROM view_orders WHERE status = 'held'"):
        for code in r["hold_codes"].split(","):
            if code:
                holds[code] += 1
    shipments = {
        r["shipments"]: r["n"]
        for r in db.query(
            "SELECT shipments, COUNT(*) AS n FROM view_orders WHERE status = 'allocated' "
            "GROUP BY shipments ORDER BY shipments"
        )
    }
    channels = {
        r["channel"]: r["n"]
        for r in db.query(
            "SELECT channel, COUNT(*) AS n FROM view_orders GROUP BY channel ORDER BY channel"
        )
    }
    sold_out = db.query(
        "SELECT sku, SUM(on_hand - reserved) AS available FROM view_stock "
        "GROUP BY sku HAVING SUM(on_hand - reserved) = 0 ORDER BY sku"
    )
    t = Table(title="Summary")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("orders pushed this run", f"{total:,}")
    t.add_row("new orders / already known (idempotent repeat)", f"{created:,} / {existing:,}")
    t.add_row("rejected as invalid (422)", f"{sum(errors.values()) + sum(rejected.values())}")
    t.add_row("orders/s (receive+review+split+reserve)", f"{total / elapsed:,.0f}")
    for ch, n in channels.items():
        t.add_row(f"  channel {ch}", f"{n:,}")
    for st, n in by_status.items():
        t.add_row(f"status {st}", f"{n:,}")
    for code, n in holds.most_common():
        t.add_row(f"  held: {code}", f"{n:,}")
    for k, n in shipments.items():
        t.add_row(f"  allocated orders with {k} shipment(s)", f"{n:,}")
    t.add_row("SKUs sold out everywhere", ", ".join(r["sku"] for r in sold_out) or "none")
    console.print(t)
    return {
        "created": created,
        "existing": existing,
        "by_status": by_status,
        "holds": dict(holds),
        "shipments": shipments,
        "orders_per_s": total / elapsed,
    }


if __name__ == "__main__":
    run()
