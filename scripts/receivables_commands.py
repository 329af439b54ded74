"""`crossdock receivables ...`: the dealer's money from the command line, through the same use
cases as the API (`app.receivables`) on the store the environment names.

    crossdock receivables statement statement.csv [--by finance-team]
    crossdock receivables ageing --as-of 2026-12-31
    crossdock receivables unmatched

A refused statement prints each bad cell ("line 3: amount: ...") and exits 1, nothing stored.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

from scripts.inbound_commands import _services

receivables_cli = typer.Typer(help="Dealer invoices and payments", no_args_is_help=True)


def register(cli: typer.Typer) -> None:
    cli.add_typer(receivables_cli, name="receivables")


@receivables_cli.command("statement")
def statement(file: Path, by: str = "cli") -> None:
    """Record a bank statement (CSV): each line applied, left unmatched or already recorded."""
    with _services() as svc:
        answer, _ = svc.app.receivables.record_statement(file.read_bytes(), by)
    typer.echo(
        f"applied {answer['applied']}, unmatched {answer['unmatched']}, "
        f"already recorded {answer['repeats']}"
    )
    for dealer, released in answer["released"].items():
        typer.echo(f"{dealer}: held orders allocated: {len(released.get('allocated', []))}")


@receivables_cli.command("ageing")
def ageing(as_of: str = typer.Option(..., help="YYYY-MM-DD")) -> None:
    """Unpaid per dealer by days past due, as JSON."""
    with _services() as svc:
        report = svc.app.receivables.ageing(date.fromisoformat(as_of))
    typer.echo(json.dumps(report, indent=2))


@receivables_cli.command("unmatched")
def unmatched() -> None:
    """Payments waiting for a person to say whose they are."""
    with _services() as svc:
        for line in svc.app.receivables.unmatched_payments():
            typer.echo(
                f"{line['payment_id']}  {line['booked_on']}  {line['amount']} {line['currency']}"
                f"  {line.get('counterparty') or '-'}  {line.get('reason')}"
            )
