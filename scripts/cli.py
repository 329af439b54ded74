"""`crossdock` command line: serve, demo, project, consume, relay, keys (bench: scripts/bench.py)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import typer

from scripts.kafka_commands import register as register_kafka_commands

cli = typer.Typer(
    help="Crossdock: event-sourced cross-border logistics backend", no_args_is_help=True
)
keys_cli = typer.Typer(help="API keys (only their SHA-256 is stored)", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")
register_kafka_commands(cli)


@cli.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    uvicorn.run("api.main:app", host=host, port=port, workers=workers, log_level="info")


@cli.command()
def demo(orders: int = 2400, seed: int = 7, batch: int = 50) -> None:
    """Seed reference data and stock, push a day of orders from every channel, print a summary."""
    from scripts.demo import run

    run(orders=orders, seed=seed, batch=batch)


@cli.command()
def project(once: bool = False, rebuild: bool = False, interval: float = 0.2) -> None:
    """Keep the views up to date from the notification log (a separate worker process)."""
    from adapters.runtime import tune_gc
    from api.app import build_services

    svc = build_services()
    tune_gc()
    if rebuild:
        svc.runner.rebuild()
        typer.echo(f"rebuilt views: {svc.runner.positions()}")
        return
    if once:
        svc.runner.catch_up()
        typer.echo(f"views at {svc.runner.positions()}")
        return
    stop = threading.Event()
    typer.echo("projecting; Ctrl-C to stop")
    try:
        svc.runner.run_forever(stop, interval)
    except KeyboardInterrupt:
        stop.set()


@cli.command()
def sla(every: float = typer.Option(0, help="seconds between checks; 0 checks once")) -> None:
    """Raise SLA exceptions from MISSING events (no scan 24 h, customs hold 48 h, ETA passed,
    pick not started before the cut-off). Run it on a schedule or with --every."""
    import time

    from api.app import build_services

    svc = build_services()
    while True:
        svc.runner.catch_up()  # even when projection workers keep the views (not inline)
        raised = svc.app.transport.check_sla()
        typer.echo(f"{len(raised)} new exception(s)")
        for a in raised:
            typer.echo(f"  {a['shipment_id']}: {a['kind']}: {a['detail']}")
        if every <= 0:
            return
        time.sleep(every)


@keys_cli.command("create")
def keys_create(
    name: str,
    role: str = typer.Option(..., help="connector, warehouse, customs, finance or admin"),
    scope: str = typer.Option(None, help="channel for a connector, warehouse id for warehouse"),
) -> None:
    """Create a key, store its hash in CROSSDOCK_API_KEYS_FILE, print the key once."""
    from api.auth import DEFAULT_KEYS_FILE, KeyStore, new_key, write_keys

    path = Path(os.environ.get("CROSSDOCK_API_KEYS_FILE", DEFAULT_KEYS_FILE))
    entries = json.loads(path.read_text()) if path.exists() else []
    key, entry = new_key(name, role, scope)
    KeyStore([*entries, entry])  # validates role and scope before anything is written
    write_keys(path, [*entries, entry])
    typer.echo(key)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
