"""`crossdock dealers import-profile` and `import-profiles` on a SQLite store named by the
environment, as an admin runs them: create from a JSON file, save the next version, refuse a
bad profile naming its fields, list with the default marked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.routes_dealer_profiles import EXAMPLE
from scripts.cli import cli
from tests.conftest import make_app


@pytest.fixture
def store_env(sqlite_store, monkeypatch):
    for key, value in sqlite_store.items():
        monkeypatch.setenv(key, value)
    make_app(sqlite_store).close()  # seeds the dealers
    return sqlite_store


def crossdock(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


def profile_file(tmp_path: Path, **changes) -> str:
    path = tmp_path / "profile.json"
    path.write_text(json.dumps({**EXAMPLE, **changes}), encoding="utf-8")
    return str(path)


def test_create_revise_refuse_and_list(store_env, tmp_path):
    save = ("dealers", "import-profile", "DLR-EU-01", "erp-export", "--file")
    assert "saved DLR-EU-01/erp-export: version 1" in crossdock(*save, profile_file(tmp_path))
    same = crossdock(*save, profile_file(tmp_path))
    assert "unchanged DLR-EU-01/erp-export: version 1" in same
    revised = profile_file(tmp_path, header_row=2)
    assert "saved DLR-EU-01/erp-export: version 2" in crossdock(*save, revised)

    bad = profile_file(tmp_path, time_zone="Mars/Olympus", columns={"qty": "Menge"})
    refused = crossdock(*save, bad, code=1)
    assert "time_zone: unknown IANA time zone 'Mars/Olympus'" in refused
    assert "columns.qty: unknown canonical field" in refused

    listed = crossdock("dealers", "import-profiles", "DLR-EU-01").splitlines()
    # still version 2: the refused profile recorded nothing
    assert listed == ["* erp-export  v2  Rheinland Trade ERP purchase orders"]
    assert "dealer 'DLR-NOPE' not found" in crossdock(
        "dealers", "import-profiles", "DLR-NOPE", code=1
    )
