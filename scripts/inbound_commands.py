"""`crossdock inbound ...` and `crossdock backorders release`: inbound shipments and backorders
from the command line, through the same use cases as the API (`app.inbound`,
`app.orders.release_backorders`) on the store the environment names (adapters/bootstrap.py).

    crossdock inbound book --file packing.csv --id ASN-1 --warehouse LAX --origin-country CN \\
        --supplier "Shenzhen Brightway" --mode sea --carrier COSCO --reference MSKU6048120 \\
        --arrival 2026-12-20
    crossdock inbound list [--warehouse LAX] [--stage booked]
    crossdock inbound advance ASN-1 departed      # then arrived_at_port, customs, ...
    crossdock backorders release [--sku SKU-DRONE-MINI]

Refusals (a bad packing-list row, a stage out of order, an unknown inbound) are printed, each
error on its own line, and the command exits 1 with nothing stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from domains.common import DomainError, ValidationFailed

inbound_cli = typer.Typer(help="Inbound shipments (ASNs) and transfers", no_args_is_help=True)
backorders_cli = typer.Typer(help="Orders waiting for stock", no_args_is_help=True)

# The stages a person moves an inbound through, in order; the customs steps call the customs
# use cases (a declaration drafted for the customs desk; cleared once it approved it).
STAGES = ("departed", "arrived_at_port", "customs", "customs_cleared", "released", "delivered")


def register(cli: typer.Typer) -> None:
    cli.add_typer(inbound_cli, name="inbound")
    cli.add_typer(backorders_cli, name="backorders")


@contextmanager
def _services() -> Iterator[Any]:
    """The app and its views on the configured store; domain refusals printed, exit 1."""
    from api.app import build_services

    svc = build_services()
    try:
        yield svc
    except ValidationFailed as exc:
        for e in exc.errors:
            typer.echo(f"{e['loc']}: {e['msg']}", err=True)
        raise typer.Exit(1) from None
    except DomainError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    finally:
        svc.db.close()
        svc.app.close()


def _date(value: str, option: str) -> Any:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


@inbound_cli.command("book")
def book(
    file: Path = typer.Option(
        ..., exists=True, dir_okay=False, help="the packing list (CSV or XLSX)"
    ),
    inbound_id: str = typer.Option(
        ..., "--id", help="the ASN number (a repeat answers the stored one)"
    ),
    warehouse: str = typer.Option(..., help="the destination warehouse, e.g. LAX"),
    origin_country: str = typer.Option(..., help="the supplier's ISO country, e.g. CN"),
    supplier: str = typer.Option("supplier", help="the supplier's name"),
    mode: str = typer.Option(..., help="sea, air, rail or truck"),
    carrier: str = typer.Option(...),
    reference: str = typer.Option(..., help="container number (sea, ISO 6346) or air waybill"),
    arrival: str = typer.Option(..., help="expected arrival, YYYY-MM-DD"),
    basis: str = typer.Option("value", help="landed cost shared by value, weight or volume"),
    currency: str = typer.Option("USD", help="the inbound's currency (landed cost)"),
    by: str = typer.Option("cli", help="who books it (recorded)"),
) -> None:
    """Book an inbound shipment from a forwarder's packing list (as POST
    /v1/admin/inbound:packing-list): the warehouse expects its cartons from now on."""
    from adapters.inbound.packing_list import read_packing_list

    expected = _date(arrival, "--arrival")
    with _services() as svc:
        rows = read_packing_list(file.read_bytes(), file.name)
        origin = {"kind": "supplier", "name": supplier, "country": origin_country.upper()}
        inbound, created, _ = svc.app.inbound.book(
            inbound_id, warehouse, origin, mode, carrier, reference, expected, rows, basis,
            currency, by,
        )  # fmt: skip
        units = sum(ln["quantity"] for ln in inbound.lines)
        typer.echo(
            f"{'booked' if created else 'already booked'} {inbound.inbound_id}: {inbound.mode} "
            f"{inbound.reference} {inbound.origin['country']} -> {inbound.warehouse_id}, "
            f"{len(inbound.cartons)} cartons, {units} units, arriving {inbound.expected_arrival}"
        )


@inbound_cli.command("list")
def list_inbound(
    warehouse: str = typer.Option(None, help="only this destination warehouse"),
    stage: str = typer.Option(None, help="only this stage, e.g. booked or received"),
    limit: int = typer.Option(50, min=1, max=500),
) -> None:
    """Inbound shipments and transfers, oldest booking first (the inbound view, as GET
    /v1/inbound)."""
    from projections.inbound_views import inbound_list

    with _services() as svc:
        svc.runner.catch_up()
        items, total = inbound_list(
            svc.db, limit=limit, offset=0, warehouse_id=warehouse, stage=stage
        )
        rows = [("ID", "FROM", "TO", "MODE", "REFERENCE", "ARRIVAL", "STAGE", "CARTONS",
                 "UNITS", "DISCREPANCIES")]  # fmt: skip
        for r in items:
            source = r["origin"] if r["origin_kind"] == "warehouse" else r["origin_country"]
            rows.append(
                (r["inbound_id"], source, r["warehouse_id"], r["mode"], r["reference"],
                 r["expected_arrival"], r["stage"], str(r["cartons"]), str(r["units"]),
                 str(r["discrepancies"]))
            )  # fmt: skip
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            typer.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        typer.echo(f"{len(items)} of {total}")


@inbound_cli.command("advance")
def advance(
    inbound_id: str,
    stage: str = typer.Argument(..., help=", ".join(STAGES)),
    note: str = typer.Option("", help="recorded with the stage"),
    by: str = typer.Option("cli", help="who records it"),
) -> None:
    """Move an inbound to its next stage (as the API's stage, customs and clear routes): one
    out of order is refused, naming what comes next. `customs` drafts the B2B import
    declaration (or records why none is needed); `customs_cleared` needs it approved."""
    if stage not in STAGES:
        raise typer.BadParameter(f"one of {', '.join(STAGES)}", param_hint="STAGE")
    with _services() as svc:
        inbound = svc.app.inbound
        steps: dict[str, Callable[[], Any]] = {
            "customs": lambda: inbound.declare_customs(inbound_id, by),
            "customs_cleared": lambda: inbound.clear_customs(inbound_id, by),
        }
        result, _ = steps.get(stage, lambda: inbound.advance(inbound_id, stage, by, note))()
        if stage == "customs":
            if result.get("declaration_id"):
                duty, vat = result["duty"], result["import_vat"]
                typer.echo(
                    f"{inbound_id}: import declaration {result['declaration_id']} drafted "
                    f"({result.get('vat_scheme')}): duty {duty['amount']} {duty['currency']}, "
                    f"import VAT {vat['amount']} {vat['currency']}; for the customs desk"
                )
            else:
                typer.echo(f"{inbound_id}: no declaration needed: {result.get('reason')}")
            return
        typer.echo(f"{inbound_id}: {result.stage} (expected {result.expected_arrival})")


@backorders_cli.command("release")
def release(
    sku: list[str] = typer.Option(None, help="only orders waiting for these SKUs (repeatable)"),
) -> None:
    """Re-examine the orders waiting for stock, oldest first, under the same rules as intake
    (as happens by itself after every receipt): those the stock now covers are allocated."""
    with _services() as svc:
        skus = sku or None
        result = svc.app.orders.release_backorders(skus, {"kind": "manual", "ref": "cli"})
        typer.echo(
            f"released {result['released']}, still waiting {result['still_waiting']} "
            f"(examined {result['examined']}, no longer waiting {result['dropped']})"
        )
