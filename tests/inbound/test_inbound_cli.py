"""The `crossdock inbound` and `crossdock backorders` commands on a SQLite store named by the
environment, as an operator runs them: book from a packing-list file, list, move through the
stages (customs included), and release the orders waiting for stock that is there."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from adapters.bootstrap import build_app
from domains.inbound.model import InboundShipment
from domains.orders.intake import Intake
from scripts.cli import cli
from tests.conftest import make_app
from tests.integration.test_spine_scenarios import web_order

ARRIVAL = (date.today() + timedelta(days=20)).isoformat()
PACKING = """Ctn No,Item Code,Qty (pcs),Batch,Unit Price,N.W. (kg)
C1,SKU-DRONE-MINI,30,DRN-1,41.00,13.5
C2,SKU-PHONE-CASE,200,PC-1,1.60,6
"""


@pytest.fixture
def store_env(sqlite_store, monkeypatch):
    """The store the CLI uses (from the environment), seeded with the reference data."""
    for key, value in sqlite_store.items():
        monkeypatch.setenv(key, value)
    make_app(sqlite_store).close()
    return sqlite_store


def crossdock(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


def book(tmp_path: Path, inbound_id: str = "ASN-CLI-1", text: str = PACKING, code: int = 0):
    path = tmp_path / "packing.csv"
    path.write_text(text)
    return crossdock(
        "inbound", "book", "--file", str(path), "--id", inbound_id, "--warehouse", "LAX",
        "--origin-country", "CN", "--supplier", "Shenzhen Brightway", "--mode", "sea",
        "--carrier", "COSCO", "--reference", "MSKU 604812 0", "--arrival", ARRIVAL, code=code,
    )  # fmt: skip


def test_book_from_a_packing_list_then_list_it(store_env, tmp_path):
    out = book(tmp_path)
    assert (
        f"booked ASN-CLI-1: sea MSKU6048120 CN -> LAX, 2 cartons, 230 units, arriving {ARRIVAL}"
        in out
    )
    assert "already booked ASN-CLI-1" in book(tmp_path)  # a repeat answers the stored one
    lines = crossdock("inbound", "list", "--warehouse", "LAX").splitlines()
    assert lines[0].split() == ["ID", "FROM", "TO", "MODE", "REFERENCE", "ARRIVAL", "STAGE",
                                "CARTONS", "UNITS", "DISCREPANCIES"]  # fmt: skip
    assert lines[1].split() == ["ASN-CLI-1", "CN", "LAX", "sea", "MSKU6048120", ARRIVAL,
                                "booked", "2", "230", "0"]  # fmt: skip
    assert lines[-1] == "1 of 1"
    assert crossdock("inbound", "list", "--warehouse", "FRA").splitlines()[-1] == "0 of 0"


def test_a_bad_packing_list_or_container_number_is_refused_naming_it_and_nothing_is_stored(
    store_env, tmp_path
):
    bad = PACKING.replace("C2,SKU-PHONE-CASE,200", "C2,SKU-NOPE,-3")
    out = book(tmp_path, "ASN-BAD", bad, code=1)
    assert "row 3" in out and "SKU-NOPE" in out
    path = tmp_path / "packing.csv"
    result = CliRunner().invoke(
        cli,
        ["inbound", "book", "--file", str(path), "--id", "ASN-BAD", "--warehouse", "LAX",
         "--origin-country", "CN", "--mode", "sea", "--carrier", "COSCO",
         "--reference", "MSKU6048121", "--arrival", ARRIVAL],
    )  # fmt: skip
    assert result.exit_code == 1 and "ISO 6346" in result.output
    app = build_app(store_env)
    try:
        assert app.store.get_or_none(InboundShipment.create_id("ASN-BAD")) is None
    finally:
        app.close()
    assert crossdock("inbound", "list").splitlines()[-1] == "0 of 0"


def test_advance_through_the_stages_with_customs_and_refuse_one_out_of_order(store_env, tmp_path):
    book(tmp_path)
    out = crossdock("inbound", "advance", "ASN-CLI-1", "arrived_at_port", code=1)
    assert "next is departed" in out
    assert "ASN-CLI-1: departed" in crossdock("inbound", "advance", "ASN-CLI-1", "departed")
    crossdock("inbound", "advance", "ASN-CLI-1", "arrived_at_port")
    out = crossdock("inbound", "advance", "ASN-CLI-1", "customs")
    assert "import declaration" in out and "duty" in out and "import VAT" in out
    # Not cleared until the customs desk approved the declaration.
    assert crossdock("inbound", "advance", "ASN-CLI-1", "customs_cleared", code=1).strip()
    app = build_app(store_env)
    try:
        declaration = app.inbound.get("ASN-CLI-1").customs["declaration_id"]
        assert declaration in out
        app.customs.approve_declaration(UUID(declaration), "customs-desk", "checked")
    finally:
        app.close()
    for stage in ("customs_cleared", "released", "delivered"):
        assert f"ASN-CLI-1: {stage}" in crossdock("inbound", "advance", "ASN-CLI-1", stage)
    assert "delivered" in crossdock("inbound", "list").splitlines()[1]
    out = crossdock("inbound", "advance", "ASN-CLI-1", "landed", code=2)
    assert "one of departed" in out


def test_backorders_release_allocates_the_orders_the_stock_now_covers(store_env):
    app = build_app(store_env)
    try:
        held = []
        for n in range(3):
            c = web_order(f"BO-{n}", [("SKU-DRONE-MINI", 2, "89.00")])
            outcome, _ = app.orders.intake(Intake("web", c, c))
            held.append(outcome.order_id)
        assert [app.orders.get_order(o).status for o in held] == ["held"] * 3
        # Stock arrives and its release does not run (the process stopped after the commit).
        rows = [{"sku": "SKU-DRONE-MINI", "quantity": 4, "lot": "L1", "bin": "A-01-01-1"}]
        app.store.retry(lambda t: app.warehouse.receive_inbound(t, "IB-X", "LAX", rows))
    finally:
        app.close()
    out = crossdock("backorders", "release", "--sku", "SKU-DRONE-MINI")
    assert out.strip() == "released 2, still waiting 1 (examined 2, no longer waiting 0)"
    app = build_app(store_env)
    try:  # the oldest two got the stock
        assert [app.orders.get_order(o).status for o in held] == ["allocated"] * 2 + ["held"]
    finally:
        app.close()
    assert crossdock("backorders", "release").startswith("released 0, still waiting 1")
