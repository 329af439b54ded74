"""Page timing: each page's server time (median and p95) over the demo's data.

The demo (scripts/demo.py, a smaller day of orders) runs into a fresh SQLite file; then each page
in `PAGES` is requested `--requests` times in process (FastAPI's TestClient: the server's own
time, no network), signed in as its role through the sign-in form. Target: p95 under 100 ms.

    .venv/bin/python -m scripts.bench_pages [--orders 400] [--requests 40]

A page area registers its pages in its own list of `PAGES` (`Page(name, role, path)`, `path` a
function of the services returning the URL to time, e.g. the first declaration's page).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

TARGET_MS = 100.0
PAGE_ROWS = 200  # api/pages/routes/finance.py: discrepancies on one page of a bill


@dataclass(frozen=True)
class Page:
    name: str
    role: str
    path: Callable[[Any], str]  # services -> the URL to time


def _first_declaration(svc: Any) -> str:
    rows = svc.db.query(
        "SELECT declaration_id FROM view_declarations ORDER BY status = 'pending_review' DESC, "
        "drafted_at LIMIT 1",
        (),
    )
    return f"/pages/customs/declarations/{rows[0]['declaration_id']}" if rows else "/pages/customs"


def _demo_bill(svc: Any) -> str:
    """A bill for the demo's labels of its busiest carrier, uploaded as finance would: every
    label as quoted, then billed again until a full page (200) of red rows; its page."""
    labels = [r for r in svc.app.settlement.views.issued_labels() if r["status"] != "voided"]
    if not labels:
        return "/pages/finance"
    carriers = [r["carrier"] for r in labels]
    carrier = max(set(carriers), key=carriers.count)
    lines = [
        f"{r['waybill']},{carrier},{r['service']},{r['chargeable_weight_kg']},"
        f"{r['quoted_base_cents'] / 100:.2f},{(r['quoted_fuel_cents'] or 0) / 100:.2f},"
        f"{r['currency']}"
        for r in labels
        if r["carrier"] == carrier
    ]
    again = [lines[n % len(lines)] for n in range(PAGE_ROWS)]  # duplicates: red rows
    rows = ["waybill,carrier,service,billed_weight_kg,base,fuel,currency,bill_line_ref"]
    rows += [f"{line},{n}" for n, line in enumerate(lines + again)]
    data = ("\n".join(rows) + "\n").encode()
    bill, _, _ = svc.app.settlement.upload_bill(data, "bench.csv", "generic", carrier, "bench")
    return f"/pages/finance/bills/{bill.id}"


# One list per page area: each area's helper edits only its own.
PAGES: dict[str, list[Page]] = {
    "shared": [
        Page("sign-in", "customs", lambda _svc: "/pages/sign-in"),
        Page("start", "customs", lambda _svc: "/pages"),
    ],
    "customs": [
        Page("customs: review queue", "customs", lambda _svc: "/pages/customs"),
        Page(
            "customs: all, filtered by destination",
            "customs",
            lambda _svc: "/pages/customs?status=&destination=US",
        ),
        Page("customs: declaration", "customs", _first_declaration),
    ],
    "finance": [
        Page("finance: carrier bills and upload", "finance", lambda _svc: "/pages/finance"),
        Page("finance: a bill's discrepancies", "finance", _demo_bill),
        Page("finance: costs by carrier", "finance", lambda _svc: "/pages/finance/costs"),
        Page(
            "finance: costs by month", "finance", lambda _svc: "/pages/finance/costs?group_by=month"
        ),
    ],
    "dashboard": [
        Page("dashboard: every metric, 12 weeks", "finance", lambda _svc: "/pages/dashboard"),
        Page(
            "dashboard: LAX by month, a year",
            "admin",
            lambda svc: "/pages/dashboard?warehouse=LAX&trend=month&from="
            + str(svc.app.clock.now().date().replace(month=1, day=1)),
        ),
    ],
}


def demo_services(folder: Path, orders: int) -> Any:
    os.environ.update(
        {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(folder / "demo.db")}
    )
    os.environ["CROSSDOCK_API_KEYS_FILE"] = str(folder / "keys.json")
    from scripts import demo

    demo.console.quiet = True
    here = Path.cwd()
    os.chdir(folder)  # the demo writes its keys under ./var/: the bench's own, not the user's
    try:
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            demo.run(orders=orders)
    finally:
        os.chdir(here)
    from api.app import build_services

    return build_services()


def signed_in(client: Any, key: str) -> None:
    form = client.get("/pages/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "no CSRF field on the sign-in page"
    r = client.post("/pages/sign-in", data={"api_key": key, "csrf_token": token[1]})
    assert r.status_code == 200, r.text[:300]


def run(orders: int = 400, requests: int = 40) -> list[dict[str, Any]]:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.auth import new_key

    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        svc = demo_services(Path(tmp), orders)
        roles = {p.role for pages in PAGES.values() for p in pages}
        keys = {}
        for role in roles:
            key, entry = new_key(f"bench-{role}", role)
            svc.keys.add([entry])
            keys[role] = key
        clients = {role: TestClient(create_app(svc)) for role in roles}
        for role, client in clients.items():
            signed_in(client, keys[role])
        rows = []
        for area, pages in PAGES.items():
            for p in pages:
                client, url = clients[p.role], p.path(svc)
                assert client.get(url).status_code == 200, url  # warm-up, and it answers
                times = []
                for _ in range(requests):
                    t = time.perf_counter()
                    client.get(url)
                    times.append((time.perf_counter() - t) * 1000)
                times.sort()
                p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
                rows.append(
                    {
                        "area": area,
                        "page": p.name,
                        "median_ms": round(statistics.median(times), 1),
                        "p95_ms": round(p95, 1),
                        "meets_target": p95 < TARGET_MS,
                    }
                )
        svc.db.close()
        svc.app.close()
    return rows


def report(rows: list[dict[str, Any]], console: Console | None = None) -> None:
    console = console or Console(width=120)
    table = Table(title=f"Pages: server time per request (target p95 < {TARGET_MS:.0f} ms)")
    for col in ("area", "page", "median ms", "p95 ms", "target"):
        table.add_column(col, justify="right" if "ms" in col else "left")
    for r in rows:
        mark = "yes" if r["meets_target"] else "[red]no[/red]"
        table.add_row(r["area"], r["page"], f"{r['median_ms']}", f"{r['p95_ms']}", mark)
    console.print(table)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m scripts.bench_pages", description=__doc__)
    p.add_argument("--orders", type=int, default=400, help="the demo's orders (default 400)")
    p.add_argument("--requests", type=int, default=40, help="requests per page (default 40)")
    args = p.parse_args(argv)
    report(run(args.orders, args.requests))


if __name__ == "__main__":
    main()
