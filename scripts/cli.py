"""`crossdock` command line: serve, demo, project, consume, relay, outbox, keys, inbound,
backorders, dealers, receivables, risk-fit (bench: scripts/bench.py)."""

from __future__ import annotations

import threading
from pathlib import Path

import typer

from scripts.dealer_commands import register as register_dealer_commands
from scripts.inbound_commands import register as register_inbound_commands
from scripts.kafka_commands import register as register_kafka_commands
from scripts.outbox_commands import register as register_outbox_commands
from scripts.receivables_commands import register as register_receivables_commands
from scripts.risk_commands import register as register_risk_commands

cli = typer.Typer(
    help="Crossdock: event-sourced cross-border logistics backend", no_args_is_help=True
)
keys_cli = typer.Typer(help="API keys (only their SHA-256 is stored)", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")
register_kafka_commands(cli)
register_inbound_commands(cli)
register_outbox_commands(cli)
register_dealer_commands(cli)
register_receivables_commands(cli)
register_risk_commands(cli)


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
    pick not started before the cut-off), then claim parcels lost that stayed quiet for
    CROSSDOCK_CLAIM_LOST_AFTER_DAYS after their alert. Run it on a schedule or with --every."""
    import time

    from api.app import build_services

    svc = build_services()
    while True:
        svc.runner.catch_up()  # even when projection workers keep the views (not inline)
        raised = svc.app.transport.check_sla()
        typer.echo(f"{len(raised)} new exception(s)")
        for a in raised:
            typer.echo(f"  {a['shipment_id']}: {a['kind']}: {a['detail']}")
        claims = svc.app.claims.open_lost_claims()
        typer.echo(f"{len(claims)} new lost-parcel claim(s)")
        for c in claims:
            typer.echo(f"  {c['id']}: {c['carrier']} {c['amount']} {c['currency']}")
        if every <= 0:
            return
        time.sleep(every)


@keys_cli.command("create")
def keys_create(
    name: str,
    role: str = typer.Option(
        ..., help="connector, warehouse, carrier, customs, finance, admin or privacy"
    ),
    scope: str = typer.Option(
        None, help="the channel (connector), warehouse id (warehouse) or carrier (carrier)"
    ),
    expires: str = typer.Option(None, help="the date (UTC) the key stops working, e.g. 2027-01-01"),
    rate: str = typer.Option(
        None, help="this key's request rate, e.g. 100/s or 600/min (default: its role's)"
    ),
) -> None:
    """Create a key, store its hash in CROSSDOCK_API_KEYS_FILE, print the key once. A running
    server picks it up within about a second."""
    from api.auth import KeyStore, keys_file, new_key, read_keys, write_keys

    path = keys_file()
    entries = read_keys(path)
    if any(e["name"] == name and not e.get("revoked_at") for e in entries):
        raise typer.BadParameter(f"a key named {name!r} exists; revoke it first", param_hint="NAME")
    try:
        key, entry = new_key(name, role, scope, expires=expires, rate=rate)
        KeyStore([*entries, entry])  # validates role and scope before anything is written
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    write_keys(path, [*entries, entry])
    typer.echo(key)


@keys_cli.command("revoke")
def keys_revoke(name: str) -> None:
    """Revoke the key called NAME: a running server refuses it (401) within about a second."""
    from datetime import UTC, datetime

    from api.auth import keys_file, read_keys, write_keys

    path = keys_file()
    entries = read_keys(path)
    live = [e for e in entries if e["name"] == name and not e.get("revoked_at")]
    if not live:
        typer.echo(f"no live key named {name!r} in {path}", err=True)
        raise typer.Exit(1)
    for e in live:
        e["revoked_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_keys(path, entries)
    typer.echo(f"revoked {name}")


@keys_cli.command("list")
def keys_list() -> None:
    """Every key: name, role, scope, rate (`role:` when its role's), expiry, state and when it
    was last used (as the servers last recorded it, about once a minute)."""
    from datetime import UTC, datetime

    from api.auth import keys_file, parse_expiry, read_keys, read_last_used, role_rates

    path = keys_file()
    rates = role_rates()
    used = read_last_used(path)
    now = datetime.now(UTC)
    rows = [("NAME", "ROLE", "SCOPE", "RATE", "EXPIRES", "STATE", "LAST USED")]
    for e in read_keys(path):
        expires = e.get("expires")
        if e.get("revoked_at"):
            state = f"revoked {e['revoked_at'][:10]}"
        elif expires and parse_expiry(expires) <= now:
            state = "expired"
        else:
            state = "active"
        rows.append(
            (
                e["name"],
                e["role"],
                e.get("scope") or "-",
                e.get("rate") or "role:" + getattr(rates.get(e["role"]), "text", "off"),
                (expires or "never")[:10],
                state,
                used.get(e["key_sha256"], "never"),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


@cli.command("access-matrix")
def access_matrix(
    write: bool = typer.Option(False, help="replace the table in README.md"),
    readme: Path = typer.Option(Path("README.md"), help="the README to update"),
) -> None:
    """Print who may call what (from api/access.py), or write it into README.md."""
    from api.access import render_matrix, with_matrix
    from api.app import create_app

    table = render_matrix(create_app().routes)
    if not write:
        typer.echo(table, nl=False)
        return
    readme.write_text(with_matrix(readme.read_text(), table))
    typer.echo(f"updated {readme}")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
