"""Uploads that must not hurt the server (issue 14): `GET /healthz` latency while a real uvicorn
server (one worker, SQLite) takes in a 200,000-line carrier bill, and while it refuses a zip-bomb
XLSX bill; with the server's peak memory (RSS of the uvicorn process, from /proc).

A probe thread calls `/healthz` every 10 ms from the moment the upload starts until its answer
arrives; the same probe runs for 3 s on the idle server first (the baseline). Target: healthz
p99 under 100 ms while the bill is processed.

    .venv/bin/python -m scripts.bench_uploads [--lines 200000] [--json PATH]
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from scripts.bench import api_server

ROOT = Path(__file__).resolve().parent.parent
TARGET_P99_MS = 100.0
BILL_HEAD = "waybill,carrier,service,billed_weight_kg,base,fuel,currency,bill_line_ref"


def bill_csv(lines: int) -> bytes:
    """A DHL-layout CSV bill of `lines` lines for waybills nobody shipped (each a discrepancy:
    the reconciliation does its whole work on every line)."""
    rows = [f"JD{i:08d},,EXPRESS,2.5,20,4,EUR," for i in range(lines)]
    return ("\n".join([BILL_HEAD, *rows]) + "\n").encode()


def zip_bomb(sheet_bytes: int = 300_000_000) -> bytes:
    """A workbook whose one sheet inflates to `sheet_bytes` of repeated rows (under 1 MB)."""
    row = b'<row><c t="inlineStr"><is><t>JD000000000001</t></is></c></row>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"/>',
        )
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(b"<worksheet><sheetData>")
            chunk = row * 10_000
            for _ in range(sheet_bytes // len(chunk)):
                f.write(chunk)
            f.write(b"</sheetData></worksheet>")
    return out.getvalue()


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn's worker), MB."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def probe(base: str, stop: threading.Event, pid: int) -> tuple[list[float], float]:
    """healthz latencies (s) every 10 ms until `stop`, and the server's peak RSS (MB)."""
    out: list[float] = []
    peak = 0.0
    with httpx.Client(base_url=base, timeout=30) as client:
        while True:  # at least one call, however fast the upload is answered
            t = time.perf_counter()
            client.get("/healthz").raise_for_status()
            out.append(time.perf_counter() - t)
            peak = max(peak, rss_mb(pid))
            if stop.wait(0.01):
                break
    return out, peak


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000


def measured(base: str, pid: int, upload: Any) -> dict[str, Any]:
    stop = threading.Event()
    result: dict[str, Any] = {}

    def run_probe() -> None:
        result["latencies"], result["peak_mb"] = probe(base, stop, pid)

    t = threading.Thread(target=run_probe)
    t.start()
    started = time.perf_counter()
    try:
        status = upload()
    finally:
        elapsed = time.perf_counter() - started
        stop.set()
        t.join()
    lat = result["latencies"]
    return {
        "status": status,
        "upload_s": round(elapsed, 2),
        "healthz_calls": len(lat),
        "healthz_p50_ms": round(pct(lat, 50), 1),
        "healthz_p99_ms": round(pct(lat, 99), 1),
        "healthz_max_ms": round(max(lat) * 1000, 1),
        "server_peak_rss_mb": round(result["peak_mb"], 1),
    }


def run(lines: int = 200_000) -> list[dict[str, Any]]:
    from adapters.bootstrap import build_app
    from adapters.reference.seed import seed_reference

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "uploads.db"
        app = build_app(
            {
                "CROSSDOCK_PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "CROSSDOCK_SQLITE_DBNAME": str(db),
            }
        )
        seed_reference(app)
        app.close()
        bill = bill_csv(lines)
        bomb = zip_bomb()
        pids: list[int] = []
        finance = ("bench-finance", "finance", None)
        with api_server(db, 1, Path(tmp) / "uvicorn.log", finance, pids) as (base, key):
            headers, pid = {"Authorization": f"Bearer {key}"}, pids[0]
            idle: dict[str, Any] = {}
            stop = threading.Event()
            threading.Timer(3.0, stop.set).start()
            idle["latencies"], idle["peak"] = probe(base, stop, pid)
            rows.append(
                {
                    "load": "idle server",
                    "status": "-",
                    "upload_s": "-",
                    "healthz_calls": len(idle["latencies"]),
                    "healthz_p50_ms": round(pct(idle["latencies"], 50), 1),
                    "healthz_p99_ms": round(pct(idle["latencies"], 99), 1),
                    "healthz_max_ms": round(max(idle["latencies"]) * 1000, 1),
                    "server_peak_rss_mb": round(idle["peak"], 1),
                }
            )

            def post(data: bytes, name: str) -> Any:
                def send() -> int:
                    r = httpx.post(
                        f"{base}/v1/finance/carrier-bills?carrier=dhl_express",
                        content=data,
                        headers={**headers, "X-Filename": name},
                        timeout=600,
                    )
                    return r.status_code

                return send

            row = measured(base, pid, post(bill, "big.csv"))
            rows.append({"load": f"{lines:,}-line CSV bill ({len(bill) / 1e6:.1f} MB)", **row})
            row = measured(base, pid, post(bomb, "bomb.xlsx"))
            rows.append(
                {"load": f"zip-bomb XLSX ({len(bomb) / 1e6:.1f} MB, 300 MB inflated)", **row}
            )
    for r in rows:
        r["target_p99_ms"] = TARGET_P99_MS
        r["passed"] = r["healthz_p99_ms"] <= TARGET_P99_MS
    return rows


def report(rows: list[dict[str, Any]], console: Console | None = None) -> None:
    console = console or Console()
    t = Table(title="GET /healthz while uploads are processed (uvicorn, 1 worker, SQLite)")
    for c in ("load", "answer", "upload s", "healthz calls", "p50 ms", "p99 ms", "max ms",
              "server peak RSS MB", "p99 <= 100 ms"):  # fmt: skip
        t.add_column(c, justify="left" if c == "load" else "right")
    for r in rows:
        t.add_row(
            r["load"],
            str(r["status"]),
            str(r["upload_s"]),
            str(r["healthz_calls"]),
            str(r["healthz_p50_ms"]),
            str(r["healthz_p99_ms"]),
            str(r["healthz_max_ms"]),
            str(r["server_peak_rss_mb"]),
            "PASS" if r["passed"] else "FAIL",
        )
    console.print(t)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lines", type=int, default=200_000)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    rows = run(args.lines)
    report(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
