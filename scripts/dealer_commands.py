"""`crossdock dealers ...`: a dealer's import profiles from the command line, through the same
use cases as the API (`app.reference.import_profiles`) on the store the environment names.

    crossdock dealers import-profile DLR-EU-01 erp-export --file profile.json [--default]
    crossdock dealers import-profiles DLR-EU-01

`import-profile` creates the profile (version 1) or saves its next version; the file holds the
profile as `POST /v1/dealers/{dealer_id}/import-profiles` takes it (README: "Dealer import
profiles"), without `id`. A refusal prints each error (`columns.qty: unknown canonical field`)
and exits 1 with nothing stored.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from domains.common import ValidationFailed
from domains.reference.import_profiles import DealerImportProfile
from scripts.inbound_commands import _services

dealers_cli = typer.Typer(help="Dealers: their import profiles", no_args_is_help=True)


def register(cli: typer.Typer) -> None:
    cli.add_typer(dealers_cli, name="dealers")


@dealers_cli.command("import-profile")
def import_profile(
    dealer_id: str,
    profile_id: str,
    file: Path = typer.Option(..., exists=True, dir_okay=False, help="the profile as JSON"),
    default: bool = typer.Option(False, help="read this dealer's files with it by default"),
    by: str = typer.Option("cli", help="who saves it (recorded with the version)"),
) -> None:
    """Create a dealer's import profile, or save its next version."""
    with _services() as svc:
        try:
            spec = json.loads(file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValidationFailed([{"loc": str(file), "msg": f"not JSON: {exc}"}]) from None
        spec.pop("id", None)
        default = bool(spec.pop("default", False)) or default
        profiles = svc.app.reference.import_profiles
        exists = svc.app.store.get_or_none(DealerImportProfile.create_id(dealer_id, profile_id))
        save = profiles.revise if exists is not None else profiles.create
        profile, nid = save(dealer_id, profile_id, spec, by, default=default)
        state = "saved" if nid else "unchanged"
        typer.echo(f"{state} {dealer_id}/{profile_id}: version {profile.profile_version}")


@dealers_cli.command("import-profiles")
def import_profiles(dealer_id: str) -> None:
    """A dealer's import profiles, its default marked with *."""
    with _services() as svc:
        listing = svc.app.reference.import_profiles.listing(dealer_id)
        for item in listing["items"]:
            mark = "*" if item["id"] == listing["default"] else " "
            name = item["profile"].get("name") or ""
            typer.echo(f"{mark} {item['id']}  v{item['version']}  {name}".rstrip())
