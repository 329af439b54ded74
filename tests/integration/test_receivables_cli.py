"""`crossdock receivables` on a SQLite store named by the environment: a statement recorded
once (a second run records nothing twice), its unmatched line listed, a bad file refused."""

from __future__ import annotations

from tests.inbound.test_inbound_cli import crossdock, store_env  # noqa: F401 - fixture

STATEMENT = "Date;Amount;Currency;Reference;Name\n01.12.2026;75,50;EUR;gift;Nobody We Know\n"


def test_a_statement_from_the_command_line_is_recorded_once(store_env, tmp_path):  # noqa: F811
    path = tmp_path / "statement.csv"
    path.write_text(STATEMENT)
    # Nobody by that name and no invoice number: one line left for a person.
    assert "applied 0, unmatched 1, already recorded 0" in crossdock(
        "receivables", "statement", str(path)
    )
    assert "already recorded 1" in crossdock("receivables", "statement", str(path))
    listed = crossdock("receivables", "unmatched")
    assert "75.50 EUR" in listed and "Nobody We Know" in listed
    path.write_text(STATEMENT.replace("75,50", "7x"))
    refused = crossdock("receivables", "statement", str(path), code=1)
    assert "line 2: amount" in refused
    assert '"dealers": []' in crossdock("receivables", "ageing", "--as-of", "2026-12-31")
