"""`make bench`: how fast the order spine is, on SQLite and on PostgreSQL, in one run.

Measures, each on a fresh store (a new SQLite file under var/bench/, a new PostgreSQL schema that
is dropped afterwards):

1. the raw event-store append rate: a plain eventsourcing Application saving a small bench
   aggregate of 5 events whose payloads are sized like an order's events, one aggregate per save
   and 100 aggregates per save;
2. order intake (validate, receive, review, split, reserve) with realistic channel payloads mapped
   by the real mappers: one order per transaction (`OrderUseCases.intake`) and 100 orders per
   transaction (`OrderUseCases.intake_batch`), with ample stock (every stocked warehouse/SKU holds
   1,000,000 units) and once more with the demo's normal opening stock;
3. the target: batched intake events/s >= half of the raw batched append events/s;
4. HTTP POST latency (p50/p99) and throughput with 50 concurrent clients against the real API
   run by uvicorn in a subprocess on SQLite (one worker, then two); target p99 <= 50 ms;
5. Kafka, when scripts/bench_kafka.py exists and `--kafka` or BENCH_KAFKA=1 asks for it.

Results are printed as tables and written to var/bench-results.json.

    .venv/bin/python -m scripts.bench [--quick] [--only sqlite,postgres,http] [--kafka] [--profile]
    .venv/bin/python -m scripts.bench --only lanes,sealing [--stores sqlite] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import importlib
import importlib.metadata
import importlib.util
import inspect
import io
import json
import os
import platform
import pstats
import random
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from rich.console import Console
from rich.table import Table

from adapters.bootstrap import build_app, ensure_schema, store_env
from adapters.orders.channels import PayloadError, map_payload, parse_dealer_csv
from adapters.reference.seed import load, seed_reference
from adapters.runtime import tune_gc
from domains.common import DomainError
from domains.crossdock import Crossdock
from domains.orders.dealer_files import dealer_intake
from domains.orders.intake import Intake
from scripts import demo_data
from scripts.bench_http_client import Request, run_load, run_open_loop

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
BENCH_ROOT = VAR / "bench"
RESULTS_FILE = VAR / "bench-results.json"
PROFILE_FILE = VAR / "bench-profile.txt"

BATCH = 100  # aggregates per save / orders per transaction in the batched modes
AMPLE_STOCK = 1_000_000
HTTP_CONCURRENCY = 50
HTTP_P99_TARGET_MS = 50.0
RATIO_TARGET = 0.5
SEED = 11

console = Console()
if not console.is_terminal:  # `make bench | tee`: do not squeeze the tables into 80 columns
    console.width = 150


@dataclass(frozen=True)
class Sizes:
    raw_single: int  # aggregates (5 events each), one per save
    raw_batched: int  # aggregates, BATCH per save
    intake_single: int  # orders, one per transaction
    intake_batched: int  # orders, BATCH per transaction
    intake_demo_stock: int  # orders, batched, with the demo's normal opening stock
    http_requests: int
    http_warmup: int
    http_open_rates: tuple[int, ...] = ()  # offered POSTs per second, open loop
    http_open_seconds: float = 5.0  # of arrivals at each rate


FULL = Sizes(1500, 15000, 1500, 4000, 2400, 2000, 200, (100, 200, 300, 400))
QUICK = Sizes(200, 2000, 300, 600, 600, 300, 20, (100, 300), 2.0)


# --------------------------------------------------------------------------- stores
def pg_settings() -> dict[str, str]:
    """The PostgreSQL server the tests use (BENCH_POSTGRES_* or TEST_POSTGRES_* override)."""

    def get(key: str, default: str) -> str:
        return os.environ.get(f"BENCH_POSTGRES_{key}") or os.environ.get(
            f"TEST_POSTGRES_{key}", default
        )

    return {
        "POSTGRES_DBNAME": get("DBNAME", "test"),
        "POSTGRES_HOST": get("HOST", "127.0.0.1"),
        "POSTGRES_PORT": get("PORT", "5432"),
        "POSTGRES_USER": get("USER", "postgres"),
        "POSTGRES_PASSWORD": get("PASSWORD", "postgres"),
    }


def _pg_connect(settings: dict[str, str], **kwargs: Any) -> Any:
    import psycopg

    return psycopg.connect(
        dbname=settings["POSTGRES_DBNAME"],
        host=settings["POSTGRES_HOST"],
        port=int(settings["POSTGRES_PORT"]),
        user=settings["POSTGRES_USER"],
        password=settings["POSTGRES_PASSWORD"],
        **kwargs,
    )


def postgres_unreachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    settings = pg_settings()
    try:
        with _pg_connect(settings, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # any failure means "no usable server here"
        where = f"{settings['POSTGRES_HOST']}:{settings['POSTGRES_PORT']}"
        return f"PostgreSQL not reachable at {where}: {str(exc).strip()}"


class Stores:
    """Fresh stores on demand; everything made here is removed by `cleanup()`."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.schemas: list[str] = []
        self._made = 0

    def fresh(self, kind: str, label: str) -> dict[str, str]:
        """Store overrides for build_app/store_env. CROSSDOCK_-prefixed so they win over any
        CROSSDOCK_* settings in the caller's environment."""
        self._made += 1
        label = f"{label}-{self._made}"
        if kind == "sqlite":
            path = self.run_dir / f"{label}.db"
            return {
                "CROSSDOCK_PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "CROSSDOCK_SQLITE_DBNAME": str(path),
            }
        schema = f"bench_{label.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        self.schemas.append(schema)
        out = {"CROSSDOCK_PERSISTENCE_MODULE": "eventsourcing.postgres"}
        out.update({f"CROSSDOCK_{k}": v for k, v in pg_settings().items()})
        out["CROSSDOCK_POSTGRES_SCHEMA"] = schema
        return out

    def cleanup(self, keep_files: bool = False) -> None:
        if self.schemas:
            from psycopg import sql

            try:
                with _pg_connect(pg_settings(), autocommit=True) as conn:
                    for schema in self.schemas:
                        conn.execute(
                            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                                sql.Identifier(schema)
                            )
                        )
            except Exception as exc:  # report, never hide, a schema left behind
                console.print(f"[yellow]could not drop bench schemas {self.schemas}: {exc}")
        self.schemas = []
        if not keep_files:
            shutil.rmtree(self.run_dir, ignore_errors=True)


def event_sizes(app: Application[Any], after: int, upto: int, sample: int = 2000) -> float:
    """Mean stored state size (bytes) of the events recorded in (after, upto], sampled."""
    if upto <= after:
        return 0.0
    notifications = app.recorder.select_notifications(  # type: ignore[attr-defined]
        after + 1, min(sample, upto - after), stop=upto
    )
    if not notifications:
        return 0.0
    return sum(len(n.state) for n in notifications) / len(notifications)


# --------------------------------------------------------------------------- raw append
def _payload(target: int, tag: str) -> dict[str, Any]:
    """A JSON-like payload of `target` bytes (as JSON), nested like an order's event payloads:
    order-line-like dicts, then a text field that pads it to the exact size."""
    body: dict[str, Any] = {"ref": tag, "lines": [], "note": ""}
    line = {"sku": "SKU-0000", "quantity": 1, "unit_price": "12.50"}
    while len(json.dumps(body)) + len(json.dumps(line)) + 2 <= target:
        n = len(body["lines"])
        body["lines"].append({"sku": f"SKU-{n:04d}", "quantity": n + 1, "unit_price": "12.50"})
    body["note"] = "x" * max(0, target - len(json.dumps(body)))
    return body


# Stored sizes of the order path's events on this codebase (bytes of state, measured from the
# notification log of a batched intake run): Received ~1,354, Reviewed ~784, Split ~1,157,
# Inventory.Reserved ~281 (about 1.7 per order), mean ~785 per event. The stand-in's five events
# are sized to those four (the Reserved size twice): targets are payload bytes, the event
# envelope (timestamp, topic) comes on top. The bench table shows both means (bytes/ev).
PAYLOAD_TARGETS = (1334, 763, 1172, 212, 212)
PAYLOADS = [_payload(size, f"p{i}") for i, size in enumerate(PAYLOAD_TARGETS)]


class BenchRecord(Aggregate):
    """The bench's stand-in aggregate: created, then noted four times (5 events)."""

    @event("Created")
    def __init__(self, ref: str, body: dict[str, Any]) -> None:
        self.ref = ref
        self.body = body
        self.notes = 0

    @event("Noted")
    def note(self, body: dict[str, Any]) -> None:
        self.notes += 1


class BenchAppend(Application[Any]):
    name = "BenchAppend"


def _record(i: int) -> BenchRecord:
    agg = BenchRecord(f"R-{i}", PAYLOADS[0])
    for body in PAYLOADS[1:]:
        agg.note(body)
    return agg


def bench_raw(overrides: dict[str, str], single: int, batched: int) -> list[dict[str, Any]]:
    env = store_env(overrides)
    ensure_schema(env)
    app = BenchAppend(env)
    rows = []
    try:
        for mode, count, per_save in (("single", single, 1), ("batched", batched, BATCH)):
            app.save(_record(-1))  # warm the connection and statements
            n0 = app.recorder.max_notification_id() or 0
            started = time.perf_counter()
            for start in range(0, count, per_save):
                app.save(*[_record(i) for i in range(start, min(start + per_save, count))])
            elapsed = time.perf_counter() - started
            n1 = app.recorder.max_notification_id() or 0
            rows.append(
                {
                    "measure": "raw append",
                    "mode": mode,
                    "per_txn": per_save,
                    "aggregates": count,
                    "events": n1 - n0,
                    "seconds": elapsed,
                    "events_per_s": (n1 - n0) / elapsed,
                    "avg_event_bytes": event_sizes(app, n0, n1),
                }
            )
    finally:
        app.close()
    return rows


# --------------------------------------------------------------------------- intake
def realistic_items(total: int, seed: int = SEED) -> tuple[list[Intake], int]:
    """A day of orders from every channel in native payloads, mapped like the API does.
    Returns the intakes and how many payloads the mappers rejected."""
    products = load("products.json")
    items: list[Intake] = []
    rejected = 0
    for channel, payload in demo_data.day_of_orders(total, seed, products):
        try:
            if channel == "dealer":
                for m in parse_dealer_csv(payload):
                    items.append(dealer_intake(m, None))
            else:
                m = map_payload(channel, payload)
                items.append(Intake(channel, payload, m.canonical, m.source_paths))
        except PayloadError:
            rejected += 1
    return items, rejected


def stock_plan(kind: str) -> dict[str, dict[str, int]]:
    """Opening stock: the demo's, or 'ample' (every SKU a warehouse stocks in the demo holds
    AMPLE_STOCK units, so stock never runs out during the bench)."""
    stock = demo_data.opening_stock(load("products.json"))
    if kind == "ample":
        return {
            w: {s: (AMPLE_STOCK if q > 0 else 0) for s, q in skus.items()}
            for w, skus in stock.items()
        }
    return stock


def opening_bins(app: Crossdock, warehouse: str, skus: list[str]) -> dict[str, str | None]:
    """One bin per SKU for the opening stock, or no bin where the warehouse has no layout.

    Stock placement is not what the bench measures, and the putaway planner both scans every
    bin's contents per receipt (seconds per store) and rightly refuses 1,000,000 units of a SKU,
    so the bench names the bins itself: the first bins of the layout, one SKU each."""
    warehouse_ref = app.reference.current()["warehouses"][warehouse]
    if not getattr(warehouse_ref, "layout", None):
        return dict.fromkeys(skus)
    from domains.warehouse.layout import Layout
    from domains.warehouse.putaway import all_bins

    bins = all_bins(Layout.from_dict(warehouse_ref.layout))
    return dict(zip(skus, bins, strict=False))


def prepare_app(overrides: dict[str, str], stock: str) -> Crossdock:
    app = build_app(overrides)
    seed_reference(app)
    for warehouse, skus in stock_plan(stock).items():
        stocked = [sku for sku, qty in skus.items() if qty > 0]
        bins = opening_bins(app, warehouse, stocked)
        for sku in stocked:
            app.warehouse.receive_stock(
                warehouse, sku, skus[sku], f"bench-opening-{warehouse}-{sku}", bin_code=bins[sku]
            )
    return app


def _tally(outcomes: list[Any], tally: Counter[str]) -> None:
    for o in outcomes:
        if o.error is not None:
            tally[f"rejected:{type(o.error).__name__}"] += 1
            continue
        order = o.order
        tally[order.status] += 1
        if order.split:
            if order.split["shipments"] > 1:
                tally["multi_shipment"] += 1
            if order.split["solver"]["used"]:
                tally["solver_used"] += 1


def run_intake(app: Crossdock, items: list[Intake], mode: str) -> tuple[float, Counter[str]]:
    tally: Counter[str] = Counter()
    started = time.perf_counter()
    if mode == "single":
        for item in items:
            try:
                outcome, _ = app.orders.intake(item)
            except DomainError as exc:
                tally[f"rejected:{type(exc).__name__}"] += 1
                continue
            _tally([outcome], tally)
    else:
        for start in range(0, len(items), BATCH):
            outcomes, _ = app.orders.intake_batch(items[start : start + BATCH])
            _tally(outcomes, tally)
    return time.perf_counter() - started, tally


def bench_intake(
    stores: Stores, kind: str, items: list[Intake], mode: str, stock: str
) -> dict[str, Any]:
    app = prepare_app(stores.fresh(kind, f"intake-{mode}-{stock}"), stock)
    try:
        app.warm_up()
        tune_gc()  # as the server does after its warm-up: what it loaded is frozen
        n0 = app.max_notification_id()
        elapsed, tally = run_intake(app, items, mode)
        n1 = app.max_notification_id()
        events = n1 - n0
        return {
            "measure": "intake" + ("" if stock == "ample" else " (demo stock)"),
            "mode": mode,
            "per_txn": 1 if mode == "single" else BATCH,
            "orders": len(items),
            "events": events,
            "seconds": elapsed,
            "orders_per_s": len(items) / elapsed,
            "events_per_s": events / elapsed,
            "events_per_order": events / len(items),
            "avg_event_bytes": event_sizes(app, n0, n1),
            "stock": stock,
            "outcomes": dict(sorted(tally.items())),
        }
    finally:
        app.close()


def profile_batched(stores: Stores, items: list[Intake], kind: str) -> str:
    """cProfile of batched intake; the top functions by own time and by cumulative time."""
    app = prepare_app(stores.fresh(kind, f"profile-{kind}"), "ample")
    app.warm_up()  # as bench_intake does: the steady state, not the first touches
    tune_gc()
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        run_intake(app, items, "batched")
        profiler.disable()
    finally:
        app.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(45)
    stats.print_callers("startswith|isinstance|_get_protocol_attrs")
    return out.getvalue()


# --------------------------------------------------------------------------- switches
# What one feature costs at intake: batched intake with the feature on and switched off, on
# fresh stores, the runs interleaved (on, off, off, on, ...) so a change in the machine's speed
# hits both alike. Timed by the process's CPU time of the intake loop (other work on a shared
# machine stretches wall time much more than CPU time) and by wall clock; best of `repeat`.
SWITCHES = {
    "lanes": "lane-aware candidates (issue 13); off: the orders use case has no lane-offer "
    "port, so every stocked warehouse is a candidate at the lane table's estimate",
    "sealing": "sealing personal data (issue 14); off: no subject keys, nothing sealed",
}


def switch_off(app: Crossdock, switch: str) -> None:
    if switch == "lanes":
        app.orders.lane_offers = None
    elif switch == "sealing":
        from domains.privacy.sealing import PersonalData

        app.orders.personal = PersonalData()
    else:
        raise ValueError(f"unknown switch {switch!r}")


def switch_run(stores: Stores, kind: str, items: list[Intake], switch: str, on: bool) -> dict:
    app = prepare_app(stores.fresh(kind, f"{switch}-{'on' if on else 'off'}"), "ample")
    try:
        if not on:
            switch_off(app, switch)
        app.warm_up()
        tune_gc()
        n0 = app.max_notification_id()
        cpu0 = time.process_time()
        wall, tally = run_intake(app, items, "batched")
        cpu = time.process_time() - cpu0
        n1 = app.max_notification_id()
        return {
            "cpu_s": cpu,
            "wall_s": wall,
            "events": n1 - n0,
            "avg_event_bytes": event_sizes(app, n0, n1),
            "outcomes": dict(sorted(tally.items())),
        }
    finally:
        app.close()


def bench_switch(
    stores: Stores, kind: str, items: list[Intake], switch: str, repeat: int
) -> dict[str, Any]:
    """Batched intake of `items` with `switch` on and off, interleaved; best of `repeat`."""
    runs: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    for i in range(repeat):
        for on in (True, False) if i % 2 == 0 else (False, True):
            runs[on].append(switch_run(stores, kind, items, switch, on))
    best = {on: min(r["cpu_s"] for r in rs) for on, rs in runs.items()}
    best_wall = {on: min(r["wall_s"] for r in rs) for on, rs in runs.items()}
    return {
        "store": kind,
        "switch": switch,
        "what": SWITCHES[switch],
        "orders": len(items),
        "per_txn": BATCH,
        "repeat": repeat,
        "cpu_s_on": best[True],
        "cpu_s_off": best[False],
        "cpu_cost": best[True] / best[False] - 1,
        "wall_s_on": best_wall[True],
        "wall_s_off": best_wall[False],
        "wall_cost": best_wall[True] / best_wall[False] - 1,
        "orders_per_cpu_s_on": len(items) / best[True],
        "orders_per_cpu_s_off": len(items) / best[False],
        "samples_cpu_s_on": [round(r["cpu_s"], 3) for r in runs[True]],
        "samples_cpu_s_off": [round(r["cpu_s"], 3) for r in runs[False]],
        "samples_wall_s_on": [round(r["wall_s"], 3) for r in runs[True]],
        "samples_wall_s_off": [round(r["wall_s"], 3) for r in runs[False]],
        "events_on": runs[True][0]["events"],
        "events_off": runs[False][0]["events"],
        "bytes_per_event_on": runs[True][0]["avg_event_bytes"],
        "bytes_per_event_off": runs[False][0]["avg_event_bytes"],
        "outcomes_on": runs[True][0]["outcomes"],
        "outcomes_off": runs[False][0]["outcomes"],
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def best_of(repeat: int, fn: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Runs `fn` (each run on fresh stores) `repeat` times; per row keeps the fastest run, as
    other work on a shared machine only ever slows a run down. All samples are kept."""
    runs = [fn() for _ in range(repeat)]
    best = []
    for samples in zip(*runs, strict=True):
        row = dict(max(samples, key=lambda r: r["events_per_s"]))
        row["samples_events_per_s"] = [round(r["events_per_s"]) for r in samples]
        best.append(row)
    return best


def bench_store(
    stores: Stores, kind: str, sizes: Sizes, items: list[Intake], repeat: int
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def step(label: str, fn: Callable[[], list[dict[str, Any]]]) -> None:
        started = time.perf_counter()
        times = f" x{repeat}" if repeat > 1 else ""
        console.print(f"  {kind}: {label}{times} ...", end=" ")
        rows.extend(best_of(repeat, fn))
        console.print(f"{time.perf_counter() - started:.1f} s")

    step(
        f"raw append ({sizes.raw_single:,} + {sizes.raw_batched:,} aggregates)",
        lambda: bench_raw(stores.fresh(kind, "raw"), sizes.raw_single, sizes.raw_batched),
    )
    step(
        f"intake one order per transaction ({sizes.intake_single:,} orders)",
        lambda: [bench_intake(stores, kind, items[: sizes.intake_single], "single", "ample")],
    )
    step(
        f"intake batched x{BATCH} ({sizes.intake_batched:,} orders)",
        lambda: [bench_intake(stores, kind, items[: sizes.intake_batched], "batched", "ample")],
    )
    step(
        f"intake batched x{BATCH}, demo stock ({sizes.intake_demo_stock:,} orders)",
        lambda: [bench_intake(stores, kind, items[: sizes.intake_demo_stock], "batched", "demo")],
    )
    for row in rows:
        row["store"] = kind
    return rows


def target_check(rows: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    def pick(measure: str, mode: str) -> dict[str, Any] | None:
        for r in rows:
            if r["store"] == kind and r["measure"] == measure and r["mode"] == mode:
                return r
        return None

    raw = pick("raw append", "batched")
    intake = pick("intake", "batched")
    if raw is None or intake is None:
        return None
    ratio = intake["events_per_s"] / raw["events_per_s"]
    return {
        "store": kind,
        "intake_batched_events_per_s": intake["events_per_s"],
        "raw_batched_events_per_s": raw["events_per_s"],
        "ratio": ratio,
        "target": RATIO_TARGET,
        "passed": ratio >= RATIO_TARGET,
    }


# --------------------------------------------------------------------------- HTTP
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def web_payloads(count: int, offset: int) -> list[dict[str, Any]]:
    """Canonical web orders (the web channel's native shape) with unique external ids."""
    products = load("products.json")
    prices = {p["sku"]: Decimal(p["unit_value"]) for p in products}
    rng = random.Random(SEED + offset)
    return [
        demo_data.web(offset + n, rng, demo_data.DAY + timedelta(seconds=n), prices)
        for n in range(count)
    ]


@contextlib.contextmanager
def api_server(
    db_path: Path,
    workers: int,
    log_path: Path,
    caller: tuple[str, str, str | None] = ("bench-web", "connector", "web"),
    pid: list[int] | None = None,
) -> Iterator[tuple[str, str]]:
    """The real API (uvicorn api.main:app) in a subprocess on a seeded SQLite file.
    Yields (base url, a key for `caller`: name, role, scope); the server's pid is appended to
    `pid` when given."""
    from api.auth import new_key

    key, entry = new_key(*caller)
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "CROSSDOCK_PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "CROSSDOCK_SQLITE_DBNAME": str(db_path),
            "SQLITE_DBNAME": str(db_path),
            "CROSSDOCK_API_KEYS": json.dumps([entry]),
        }
    )
    cmd = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--log-level", "warning", "--workers", str(workers)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        if pid is not None:
            pid.append(proc.pid)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base, proc, log_path)
            yield base, key
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def _wait_until_up(base: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited early:\n{log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"uvicorn did not come up in 60 s:\n{log_path.read_text()[-2000:]}")


FAILURES: list[str] = []  # sample error responses of the current HTTP row


def drive(
    base: str,
    key: str,
    payloads: list[dict[str, Any]] | int,
    concurrency: int,
    path: str = "/v1/channels/web/orders",
    rate: float | None = None,
) -> tuple[list[float], Counter[int], float]:
    """POST every payload to `path` over `concurrency` keep-alive connections (opened before the
    clock starts). Closed loop by default: each client sends its next request as soon as its
    previous one is answered. With `rate`, open loop: requests arrive at `rate` per second
    (Poisson) and latency runs from each one's scheduled arrival (see run_open_loop).
    An int instead of payloads sends that many GETs.
    Returns latencies (s), status codes and wall time."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    if isinstance(payloads, int):
        requests = [Request("GET", path)] * payloads
    else:
        requests = [Request("POST", path, json.dumps(p).encode()) for p in payloads]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    if rate is None:
        load = run_load(host, int(port), requests, concurrency, headers)
    else:
        load = run_open_loop(host, int(port), requests, concurrency, rate, headers)
    result = asyncio.run(load)
    for error in sorted(set(result.errors))[:5]:
        console.print(f"[red]request failed: {error}")
    FAILURES.extend(result.failures[: max(0, 10 - len(FAILURES))])
    return result.latencies, result.statuses, result.seconds


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


def bench_http(stores: Stores, sizes: Sizes, workers: int) -> list[dict[str, Any]]:
    overrides = stores.fresh("sqlite", f"http-w{workers}")
    app = prepare_app(overrides, "ample")
    app.close()
    db_path = Path(overrides["CROSSDOCK_SQLITE_DBNAME"])
    log_path = stores.run_dir / f"uvicorn-w{workers}.log"
    warmup = web_payloads(sizes.http_warmup, 900_000)
    payloads = web_payloads(sizes.http_requests, 0)
    sequential = web_payloads(min(200, sizes.http_requests), 500_000)
    server = f"uvicorn --workers {workers}"
    post = "POST /v1/channels/web/orders"
    rows = []
    with api_server(db_path, workers, log_path) as (base, key):
        drive(base, key, warmup, HTTP_CONCURRENCY)
        FAILURES.clear()
        rows.append(
            _http_row(server, post, HTTP_CONCURRENCY, *drive(base, key, payloads, HTTP_CONCURRENCY))
        )
        rows[-1]["error_samples"] = list(FAILURES)
        rows[-1]["warmup_requests"] = len(warmup)
        rows[-1]["target_p99_ms"] = HTTP_P99_TARGET_MS
        rows[-1]["passed"] = _meets_target(rows[-1])
        # The same orders again, as connectors retry after a timeout: each answers 200 with
        # the stored order and nothing is written.
        rows.append(
            _http_row(
                server,
                f"{post} (the same orders again: retries)",
                HTTP_CONCURRENCY,
                *drive(base, key, payloads, HTTP_CONCURRENCY),
            )
        )
        if workers == 1:  # one client: the service time without queueing
            rows.append(_http_row(server, post, 1, *drive(base, key, sequential, 1)))
            # Open loop: orders ARRIVE at a set rate over the 50 connections, as pushes from
            # marketplaces do, instead of 50 clients that each send again the instant they
            # are answered (which measures only saturation: latency = clients / throughput).
            offset = 600_000
            for rate in sizes.http_open_rates:
                count = max(100, int(rate * sizes.http_open_seconds))
                FAILURES.clear()
                row = _http_row(
                    server,
                    f"{post} (open loop, {rate}/s offered)",
                    HTTP_CONCURRENCY,
                    *drive(
                        base,
                        key,
                        web_payloads(count, offset),
                        HTTP_CONCURRENCY,
                        rate=float(rate),
                    ),
                )
                offset += count
                row["offered_per_s"] = rate
                row["open_loop"] = True
                row["error_samples"] = list(FAILURES)
                row["passed"] = _meets_target(row)
                rows.append(row)
        # The same clients against an endpoint that does nothing: framework + client overhead.
        rows.append(
            _http_row(
                server,
                "GET /healthz (baseline)",
                HTTP_CONCURRENCY,
                *drive(base, key, sizes.http_requests, HTTP_CONCURRENCY, "/healthz"),
            )
        )
    return rows


def _meets_target(row: dict[str, Any]) -> bool:
    """The HTTP target: p99 within it, and every request taken in (201) or recognised (200)."""
    return row["p99_ms"] <= HTTP_P99_TARGET_MS and set(row["statuses"]) <= {"200", "201"}


def _http_row(
    server: str,
    request: str,
    concurrency: int,
    latencies: list[float],
    statuses: Counter[int],
    wall: float,
) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "server": server,
        "request": request,
        "store": "sqlite",
        "concurrency": concurrency,
        "requests": len(latencies),
        "seconds": wall,
        "requests_per_s": len(latencies) / wall,
        "p50_ms": percentile(ordered, 50) * 1000,
        "p90_ms": percentile(ordered, 90) * 1000,
        "p99_ms": percentile(ordered, 99) * 1000,
        "max_ms": ordered[-1] * 1000 if ordered else float("nan"),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


# --------------------------------------------------------------------------- Kafka
def bench_kafka(quick: bool, asked: bool) -> dict[str, Any]:
    """Runs scripts/bench_kafka.py when present and asked for; the import is optional."""
    if importlib.util.find_spec("scripts.bench_kafka") is None:
        return {"skipped": "scripts/bench_kafka.py is not there (yet)"}
    if not asked:
        return {"skipped": "pass --kafka or set BENCH_KAFKA=1 to include the Kafka bench"}
    try:
        module = importlib.import_module("scripts.bench_kafka")
    except Exception as exc:  # a broken optional bench must not sink the others
        return {"error": f"importing scripts.bench_kafka failed: {exc!r}"}
    fn = next(
        (
            getattr(module, n)
            for n in ("run", "bench", "main")
            if callable(getattr(module, n, None))
        ),
        None,
    )
    if fn is None:
        return {"error": "scripts.bench_kafka has no run()/bench()/main() to call"}
    params = inspect.signature(fn).parameters
    kwargs = {"quick": quick} if "quick" in params else {}
    try:
        result = fn(**kwargs)
    except Exception as exc:
        return {"error": f"scripts.bench_kafka.{fn.__name__}() failed: {exc!r}"}
    return result if isinstance(result, dict) else {"result": result}


# --------------------------------------------------------------------------- output
def _fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_results(results: dict[str, Any]) -> None:
    rows = results["rows"]
    if rows:
        t = Table(title="Event store and order intake (receive, review, split, reserve)")
        for col in (
            "store",
            "measure",
            "mode",
            "per txn",
            "orders/aggs",
            "events",
            "s",
            "orders/s",
            "events/s",
            "ev/order",
            "bytes/ev",
            "allocated",
            "held",
            "multi-wh",
        ):
            t.add_column(col, justify="left" if col in ("store", "measure", "mode") else "right")
        for r in rows:
            outcomes = r.get("outcomes") or {}
            rejected = sum(v for k, v in outcomes.items() if k.startswith("rejected"))
            t.add_row(
                r["store"],
                r["measure"],
                r["mode"],
                _fmt(r["per_txn"]),
                _fmt(r.get("orders", r.get("aggregates"))),
                _fmt(r["events"]),
                _fmt(r["seconds"], 1),
                _fmt(r.get("orders_per_s")),
                _fmt(r["events_per_s"]),
                _fmt(r.get("events_per_order"), 2),
                _fmt(r["avg_event_bytes"]),
                _fmt(outcomes.get("allocated")) if outcomes else "",
                (_fmt(outcomes.get("held", 0)) + (f" +{rejected} bad" if rejected else ""))
                if outcomes
                else "",
                _fmt(outcomes.get("multi_shipment", 0)) if outcomes else "",
            )
        console.print(t)
    if results.get("switches"):
        t = Table(
            title="What a feature costs: batched intake on against off (CPU s of the intake "
            "loop, best of the interleaved runs; wall s beside it)"
        )
        for col in (
            "store",
            "feature",
            "orders",
            "CPU s on",
            "CPU s off",
            "CPU cost",
            "wall s on",
            "wall s off",
            "wall cost",
            "bytes/ev on",
            "bytes/ev off",
            "held on/off",
            "load",
        ):
            t.add_column(col, justify="left" if col in ("store", "feature") else "right")
        for r in results["switches"]:
            t.add_row(
                r["store"],
                r["switch"],
                _fmt(r["orders"]),
                _fmt(r["cpu_s_on"], 3),
                _fmt(r["cpu_s_off"], 3),
                f"{r['cpu_cost']:+.1%}",
                _fmt(r["wall_s_on"], 3),
                _fmt(r["wall_s_off"], 3),
                f"{r['wall_cost']:+.1%}",
                _fmt(r["bytes_per_event_on"]),
                _fmt(r["bytes_per_event_off"]),
                f"{r['outcomes_on'].get('held', 0)}/{r['outcomes_off'].get('held', 0)}",
                f"{r['load_average'][0]:.1f}",
            )
        console.print(t)
        for r in results["switches"]:
            console.print(
                f"  {r['store']} {r['switch']}: CPU s on {r['samples_cpu_s_on']}, "
                f"off {r['samples_cpu_s_off']}"
            )
    if results["targets"]:
        t = Table(title="Target: batched intake events/s >= 1/2 raw batched append events/s")
        for col in ("store", "intake batched ev/s", "raw batched ev/s", "ratio", "result"):
            t.add_column(col, justify="left" if col == "store" else "right")
        for r in results["targets"]:
            t.add_row(
                r["store"],
                _fmt(r["intake_batched_events_per_s"]),
                _fmt(r["raw_batched_events_per_s"]),
                f"{r['ratio']:.2f}",
                "[green]PASS" if r["passed"] else "[red]FAIL",
            )
        console.print(t)
    if results["http"]:
        t = Table(
            title="HTTP on SQLite, closed-loop clients on keep-alive connections; "
            f"target: POST p99 <= {HTTP_P99_TARGET_MS:.0f} ms at {HTTP_CONCURRENCY} clients"
        )
        for col in (
            "server",
            "request",
            "clients",
            "requests",
            "req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "statuses",
            "result",
        ):
            t.add_column(
                col, justify="left" if col in ("server", "request", "statuses") else "right"
            )
        for r in results["http"]:
            if "error" in r:
                t.add_row(r["server"], r["request"], *["-"] * 7, r["error"][:60], "[red]ERROR")
                continue
            if "passed" not in r:
                verdict = ""
            else:
                verdict = "[green]PASS" if r["passed"] else "[red]FAIL"
            t.add_row(
                r["server"],
                r["request"],
                _fmt(r["concurrency"]),
                _fmt(r["requests"]),
                _fmt(r["requests_per_s"]),
                _fmt(r["p50_ms"], 1),
                _fmt(r["p90_ms"], 1),
                _fmt(r["p99_ms"], 1),
                _fmt(r["max_ms"], 1),
                " ".join(f"{k}:{v}" for k, v in r["statuses"].items()),
                verdict,
            )
        console.print(t)
        for r in results["http"]:
            for sample in r.get("error_samples", [])[:3]:
                console.print(f"  [yellow]{r['server']} error response:[/yellow] {sample}")
    kafka = results.get("kafka")
    if kafka:
        if "skipped" in kafka or "error" in kafka:
            console.print(f"Kafka: {kafka.get('skipped') or kafka.get('error')}")
        else:
            t = Table(title="Kafka (scripts/bench_kafka.py)")
            t.add_column("measure")
            t.add_column("value", justify="right")
            for k, v in kafka.items():
                shown = json.dumps(v, default=str) if isinstance(v, dict | list) else _fmt(v, 1)
                t.add_row(str(k), shown)
            console.print(t)
    for note in results["skipped"]:
        console.print(f"[yellow]skipped:[/yellow] {note}")


def _git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except OSError:
        return "unknown"


# --------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="smaller counts (a smoke run)")
    p.add_argument(
        "--only",
        default="",
        help="comma-separated subset of: sqlite, postgres, http, routes, quotes, reconcile, "
        "uploads, backorders, outbox, pages (default: all), and, not in the default set, lanes and "
        "sealing: batched intake with that feature on against off (CPU time, interleaved "
        "runs, best of --repeat, default 3) on the stores named by --stores",
    )
    p.add_argument(
        "--stores",
        default="sqlite,postgres",
        help="stores for the lanes and sealing parts (default: sqlite,postgres)",
    )
    p.add_argument("--kafka", action="store_true", help="include scripts/bench_kafka.py")
    p.add_argument(
        "--profile",
        nargs="?",
        const="sqlite",
        choices=("sqlite", "postgres"),
        help="also cProfile batched intake on that store (default sqlite); "
        f"the report goes to {PROFILE_FILE.relative_to(ROOT)}",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="runs per store measurement, the fastest kept (default 2; 1 with --quick)",
    )
    p.add_argument("--no-workers2", action="store_true", help="skip the uvicorn --workers 2 row")
    p.add_argument("--keep", action="store_true", help="keep var/bench/<run>/ (databases, logs)")
    args = p.parse_args(argv)
    parts = {s.strip() for s in args.only.split(",") if s.strip()}
    default = {
        "sqlite",
        "postgres",
        "http",
        "routes",
        "quotes",
        "reconcile",
        "uploads",
        "backorders",
        "outbox",
        "pages",
    }
    unknown = parts - default - set(SWITCHES)
    if unknown:
        p.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}")
    args.parts = parts or default
    args.stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    if set(args.stores) - {"sqlite", "postgres"}:
        p.error("--stores: sqlite and/or postgres")
    args.switch_repeat = args.repeat or (1 if args.quick else 3)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 2
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    # The same process tuning as `crossdock serve`/`consume` (adapters/runtime.py), for the
    # raw-append and the intake measurements alike.
    tune_gc()
    sizes = QUICK if args.quick else FULL
    os.chdir(ROOT)
    run_dir = BENCH_ROOT / f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    run_dir.mkdir(parents=True, exist_ok=True)
    stores = Stores(run_dir)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "meta": {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "git": _git_revision(),
            "python": platform.python_version(),
            "machine": f"{platform.machine()} {os.cpu_count()} CPUs, {platform.system()}",
            "eventsourcing": importlib.metadata.version("eventsourcing"),
            "quick": args.quick,
            "repeat": args.repeat,
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "parts": sorted(args.parts),
            "sizes": asdict(sizes),
            "batch": BATCH,
            "ample_stock_units": AMPLE_STOCK,
            "notes": [
                "intake timings exclude payload mapping (done beforehand with the real mappers)",
                "each intake/raw run starts from a fresh store (new SQLite file or PG schema); "
                "with repeat > 1 the fastest run of each row is shown, all samples are kept",
                "events are counted from the notification log (snapshots not included)",
                "the bench process runs with the servers' GC tuning (adapters/runtime.py)",
                "HTTP latencies are measured by the client (scripts/bench_http_client.py, asyncio "
                "sockets, same 2-core machine) and include its overhead; uvicorn runs with "
                "--log-level warning (no access log); warm-up requests are not counted",
            ],
        },
        "rows": [],
        "switches": [],
        "targets": [],
        "http": [],
        "kafka": None,
        "skipped": [],
    }
    console.rule("[bold]Crossdock bench" + (" (quick)" if args.quick else ""))
    busy = os.getloadavg()[0]
    if busy > 0.5 * (os.cpu_count() or 1):
        console.print(
            f"[yellow]load average {busy:.1f} on {os.cpu_count()} CPUs: other work is running, "
            "so these figures are lower bounds"
        )
    try:
        need = max(sizes.intake_single, sizes.intake_batched, sizes.intake_demo_stock)
        items, mapper_rejects = realistic_items(need)
        items = items[:need]
        results["meta"]["orders_prepared"] = len(items)
        results["meta"]["payloads_rejected_by_mappers"] = mapper_rejects
        kinds = [k for k in ("sqlite", "postgres") if k in args.parts]
        if "postgres" in kinds:
            reason = postgres_unreachable()
            if reason is not None:
                console.print(f"[yellow]{reason}; skipping the PostgreSQL rows")
                results["skipped"].append(reason)
                kinds.remove("postgres")
        for kind in kinds:
            results["rows"] += bench_store(stores, kind, sizes, items, args.repeat)
            check = target_check(results["rows"], kind)
            if check is not None:
                results["targets"].append(check)
        for switch in [s for s in SWITCHES if s in args.parts]:
            for kind in args.stores:
                if kind == "postgres" and (reason := postgres_unreachable()) is not None:
                    console.print(f"[yellow]{reason}; no {switch} on/off row on PostgreSQL")
                    continue
                n = sizes.intake_batched
                console.print(
                    f"  {kind}: batched intake, {switch} on and off ({n:,} orders, "
                    f"x{args.switch_repeat} each, interleaved) ...",
                    end=" ",
                )
                t0 = time.perf_counter()
                results["switches"].append(
                    bench_switch(stores, kind, items[:n], switch, args.switch_repeat)
                )
                console.print(f"{time.perf_counter() - t0:.1f} s")
        if args.profile:
            console.print(f"  profiling batched intake on {args.profile} ...")
            if args.profile == "postgres" and postgres_unreachable():
                console.print("[yellow]  PostgreSQL not reachable; no profile")
            else:
                report = profile_batched(stores, items[: sizes.intake_batched], args.profile)
                PROFILE_FILE.write_text(report)
                results["meta"]["profile"] = str(PROFILE_FILE.relative_to(ROOT))
        if "http" in args.parts:
            for workers in (1,) if args.no_workers2 else (1, 2):
                label = f"HTTP, uvicorn --workers {workers} ({sizes.http_requests:,} requests)"
                console.print(f"  {label} ...", end=" ")
                t0 = time.perf_counter()
                try:
                    results["http"] += bench_http(stores, sizes, workers)
                except Exception as exc:  # report the failure as a row, keep the other results
                    results["http"].append(
                        {
                            "server": f"uvicorn --workers {workers}",
                            "request": "POST /v1/channels/web/orders",
                            "error": repr(exc),
                        }
                    )
                console.print(f"{time.perf_counter() - t0:.1f} s")
        if "routes" in args.parts:
            from scripts import bench_routes

            console.print("  pick routes (OR-Tools vs optimum, S-shape, largest gap) ...")
            results["routes"] = bench_routes.run(quick=args.quick)
            bench_routes.report(results["routes"])
        if "quotes" in args.parts:
            from scripts import bench_quotes

            console.print("  rate quotes (full comparison over every service) ...")
            results["quotes"] = bench_quotes.run(quick=args.quick)
            bench_quotes.report(results["quotes"])
        if "reconcile" in args.parts:
            from scripts import bench_reconcile

            console.print("  carrier bill reconciliation (100,000 lines vs 100,000 shipments) ...")
            results["reconcile"] = bench_reconcile.run(quick=args.quick)
            bench_reconcile.report(results["reconcile"])
        if "uploads" in args.parts:
            from scripts import bench_uploads

            console.print("  uploads: /healthz while a 200,000-line bill and a zip bomb arrive ...")
            results["uploads"] = bench_uploads.run(20_000 if args.quick else 200_000)
            bench_uploads.report(results["uploads"], console)
        if "backorders" in args.parts:
            from scripts import bench_backorders

            console.print("  backorders: one receipt releasing the orders held for it ...")
            on = ["sqlite"] + ([] if postgres_unreachable() else ["postgres"])
            results["backorders"] = bench_backorders.run(stores, on, args.quick)
            bench_backorders.report(results["backorders"], console)
        if "outbox" in args.parts:
            from scripts import bench_outbox

            n = 500 if args.quick else 2000
            console.print(f"  outbox: {n:,} signed webhooks to a local receiver ...")
            results["outbox"] = bench_outbox.run(n)
            bench_outbox.report(results["outbox"], console)
        if "pages" in args.parts:
            from scripts import bench_pages

            console.print("  pages: each page's server time over the demo's data ...")
            results["pages"] = bench_pages.run(orders=200 if args.quick else 400)
            bench_pages.report(results["pages"], console)
        asked = args.kafka or os.environ.get("BENCH_KAFKA") == "1"
        results["kafka"] = bench_kafka(args.quick, asked)
    finally:
        stores.cleanup(keep_files=args.keep)
        if args.keep:
            console.print(f"kept {run_dir.relative_to(ROOT)}")
    results["meta"]["seconds"] = round(time.perf_counter() - started, 1)
    results["meta"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    if max(results["meta"]["load_average_at_end"][0], busy) > 0.5 * (os.cpu_count() or 1):
        results["meta"]["notes"].append("the machine was busy with other work during the run")
    print_results(results)
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(results, indent=2, default=str) + "\n")
    console.print(
        f"results written to {RESULTS_FILE.relative_to(ROOT)} "
        f"(whole bench {results['meta']['seconds']:.0f} s)"
    )
    return results


if __name__ == "__main__":
    main()
