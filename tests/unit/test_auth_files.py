"""The API keys' files and expiry dates as an operator writes and finds them (api/auth.py):
where the keys file is when nothing says, the last-use file beside it, what `--expires`
accepts. Part of the mutation check's `auth` group."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from api.auth import keys_file, last_used_file, parse_expiry, read_last_used


def test_the_keys_file_is_var_api_keys_json_unless_the_environment_names_one(monkeypatch):
    monkeypatch.delenv("CROSSDOCK_API_KEYS_FILE", raising=False)
    assert keys_file() == Path("var/api-keys.json")
    monkeypatch.setenv("CROSSDOCK_API_KEYS_FILE", "/etc/crossdock/keys.json")
    assert keys_file() == Path("/etc/crossdock/keys.json")


def test_last_use_is_kept_beside_the_keys_file(tmp_path):
    keys = tmp_path / "keys.json"
    assert last_used_file(keys) == tmp_path / "keys.json.last-used.json"
    last_used_file(keys).write_text('{"k1": "2026-12-01T10:00:00+00:00"}')
    assert read_last_used(keys) == {"k1": "2026-12-01T10:00:00+00:00"}
    last_used_file(keys).write_text('["not", "an", "object"]')  # damaged: start afresh
    assert read_last_used(keys) == {}


@pytest.mark.parametrize(
    "value, expected",
    [
        # a date: the key stops working at its first moment, UTC
        ("2027-01-01", datetime(2027, 1, 1, tzinfo=UTC)),
        ("2027-01-01T12:30:00Z", datetime(2027, 1, 1, 12, 30, tzinfo=UTC)),
        ("2027-01-01T12:30:00", datetime(2027, 1, 1, 12, 30, tzinfo=UTC)),  # no zone: UTC
        (
            "2027-01-01T12:30:00+02:00",  # its own zone kept: 10:30 UTC
            datetime(2027, 1, 1, 12, 30, tzinfo=timezone(timedelta(hours=2))),
        ),
    ],
)
def test_expiry_dates_and_times(value, expected):
    at = parse_expiry(value)
    assert at == expected and at.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("value", ["2027-13-01", "next week", "2027-01-01T25:00"])
def test_an_expiry_that_is_not_a_date_says_what_is_expected(value):
    with pytest.raises(ValueError, match=rf"^expiry '{value}': expected a date like 2027-01-01$"):
        parse_expiry(value)
