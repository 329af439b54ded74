"""Orders' dealer file intake called directly: a CSV of order lines grouped into orders, taken
in all or nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from adapters.orders.channels import PayloadError
from domains.common import ValidationFailed

# The mapper tests' dealer file, for the dealers the seeded reference data knows.
DEALER_FILE = (
    (Path(__file__).parents[1] / "fixtures" / "dealer_orders.csv")
    .read_bytes()
    .replace(b"DLR-ROTTERDAM", b"DLR-EU-01")
    .replace(b"DLR-AUSTIN", b"DLR-US-01")
)


def orders_in(data: bytes) -> set[tuple[str, str]]:
    rows = csv.DictReader(io.StringIO(data.decode("utf-8")))
    return {(r["dealer_id"], r["order_number"]) for r in rows}


def test_a_dealer_file_becomes_one_order_per_dealer_order_number(app):
    outcomes, nid = app.orders.intake_dealer_file(DEALER_FILE)
    assert nid > 0 and all(o.created for o in outcomes)
    # each order keeps the dealer's own number as its external id
    assert {(o.order.dealer_id, o.order.external_id) for o in outcomes} == orders_in(DEALER_FILE)
    again, nid = app.orders.intake_dealer_file(DEALER_FILE)
    assert nid == 0 and not any(o.created for o in again)
    assert [o.order_id for o in again] == [o.order_id for o in outcomes]


def test_one_invalid_order_rejects_the_whole_dealer_file_naming_it(app):
    bad_row = DEALER_FILE.decode().splitlines()[3].replace("SKU-PHONE-CASE", "SKU-NOPE")
    bad_order = bad_row.split(",")[1]  # the dealer's order number
    with pytest.raises(ValidationFailed) as rejected:
        app.orders.intake_dealer_file(DEALER_FILE.replace(b"SKU-PHONE-CASE", b"SKU-NOPE"))
    assert {e["order"] for e in rejected.value.errors} == {bad_order}
    outcomes, _ = app.orders.intake_dealer_file(DEALER_FILE)
    assert all(o.created for o in outcomes)  # the rejected file stored none of its orders


def test_a_malformed_dealer_row_is_named_by_its_line(app):
    lines = DEALER_FILE.decode().splitlines()
    lines[2] = lines[2].replace(",24,", ",twenty-four,")
    with pytest.raises(PayloadError) as rejected:
        app.orders.intake_dealer_file("\n".join(lines).encode())
    assert rejected.value.errors[0].loc == "line 3: quantity"
