"""API keys over their life, as an operator and a caller meet them: `crossdock keys create` and
`revoke` take effect in a running server without a restart, an expired key is told so, `keys
list` shows when a key was last used, and a key over its request rate is answered 429 with
Retry-After. Clocks are the tests' own: nothing here waits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import build_services, create_app
from api.auth import DEFAULT_RATES, KeyStore, Rate, new_key, role_rates, write_keys
from scripts.cli import cli

FIX = Path(__file__).parent.parent / "fixtures"


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def keys_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "keys" / "api-keys.json"
    monkeypatch.setenv("CROSSDOCK_API_KEYS_FILE", str(path))
    monkeypatch.delenv("CROSSDOCK_API_KEYS", raising=False)
    return path


def crossdock(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def serve(store: dict[str, str], keys: KeyStore) -> TestClient:
    return TestClient(create_app(build_services(store, keys)))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_key_created_or_revoked_with_the_cli_works_in_a_running_server(sqlite_store, keys_file):
    admin = crossdock("keys", "create", "ops", "--role", "admin").strip()
    ticks = Ticks()
    store = KeyStore.from_file(keys_file, monotonic=ticks)
    with serve(sqlite_store, store) as c:
        assert c.get("/v1/reference", headers=bearer(admin)).status_code == 200
        fresh = crossdock("keys", "create", "lax", "--role", "warehouse", "--scope", "LAX").strip()
        # An unknown key makes the server look at the file before refusing: a key created a
        # moment ago works at once (no tick: the once-a-second look is not due).
        assert c.get("/v1/stock", headers=bearer(fresh)).status_code == 200
        assert c.get("/v1/stock", headers=bearer("cdk_made-up")).status_code == 401
        assert crossdock("keys", "revoke", "lax") == "revoked lax\n"
        ticks.t += 1.0
        r = c.get("/v1/stock", headers=bearer(fresh))
        assert r.status_code == 401 and r.json()["detail"] == "this API key was revoked"
        assert c.get("/v1/reference", headers=bearer(admin)).status_code == 200


def test_the_keys_file_is_read_again_only_once_a_second(tmp_path):
    path = tmp_path / "keys.json"
    old, old_entry = new_key("old", "admin")
    write_keys(path, [old_entry])
    ticks = Ticks()
    store = KeyStore.from_file(path, monotonic=ticks)
    new, new_entry = new_key("new", "admin")
    write_keys(path, [new_entry])  # "old" revoked by removal, "new" added
    ticks.t += 0.5
    assert store.authenticate(old) is not None  # a known key: the file is not looked at yet
    ticks.t += 0.5
    assert store.authenticate(old) is None  # the second is up: the file is read, old is gone
    assert store.authenticate(new) is not None
    newer, newer_entry = new_key("newer", "admin")
    write_keys(path, [new_entry, newer_entry])
    ticks.t += 0.1
    assert store.authenticate(newer) is not None  # unknown: the file is looked at first
    path.write_text("[{broken")  # a bad file keeps the keys the server has
    ticks.t += 1.0
    assert store.authenticate(new) is not None


def test_an_expired_key_is_refused_saying_it_expired(sqlite_store, keys_file):
    key = crossdock("keys", "create", "temp", "--role", "finance", "--expires", "2027-01-01")
    entry = json.loads(keys_file.read_text())[0]
    assert entry["expires"] == "2027-01-01T00:00:00+00:00"
    now = [datetime(2026, 12, 31, 23, 59, tzinfo=UTC)]
    store = KeyStore.from_file(keys_file, now=lambda: now[0])
    with serve(sqlite_store, store) as c:
        assert c.get("/v1/finance/costs", headers=bearer(key.strip())).status_code == 200
        now[0] += timedelta(minutes=1)
        r = c.get("/v1/finance/costs", headers=bearer(key.strip()))
        assert r.status_code == 401
        assert r.json()["detail"] == "this API key expired on 2027-01-01T00:00:00+00:00"
        assert r.headers["WWW-Authenticate"] == "Bearer"
    crossdock("keys", "create", "old", "--role", "finance", "--expires", "2020-01-01")
    rows = {line.split()[0]: line.split() for line in crossdock("keys", "list").splitlines()}
    assert rows["old"][4:6] == ["2020-01-01", "expired"]
    assert rows["temp"][4] == "2027-01-01"


def test_bad_key_options_are_refused_and_nothing_is_written(keys_file):
    runner = CliRunner()
    for args in (
        ["keys", "create", "x", "--role", "root"],
        ["keys", "create", "x", "--role", "carrier"],
        ["keys", "create", "x", "--role", "admin", "--expires", "next year"],
        ["keys", "create", "x", "--role", "admin", "--rate", "fast"],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
    assert not keys_file.exists()
    crossdock("keys", "create", "x", "--role", "admin")
    again = runner.invoke(cli, ["keys", "create", "x", "--role", "admin"])
    assert again.exit_code == 2 and "revoke it first" in again.output
    missing = runner.invoke(cli, ["keys", "revoke", "nobody"])
    assert missing.exit_code == 1


def test_keys_list_shows_when_each_key_was_last_used(sqlite_store, keys_file):
    used = crossdock("keys", "create", "busy", "--role", "customs").strip()
    crossdock("keys", "create", "idle", "--role", "admin", "--rate", "5/s")
    at = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    store = KeyStore.from_file(keys_file, now=lambda: at)
    with serve(sqlite_store, store) as c:
        assert c.get("/v1/customs/declarations", headers=bearer(used)).status_code == 200
    # Recorded in memory and written at shutdown (and about once a minute while serving).
    rows = {line.split()[0]: line for line in crossdock("keys", "list").splitlines()}
    assert rows["busy"].endswith("2026-12-07T09:30:00+00:00")
    assert rows["idle"].endswith("never") and " 5/s " in rows["idle"]
    assert " role:2000/s " in rows["busy"]


def test_a_key_over_its_rate_is_answered_429_with_retry_after(sqlite_store):
    shop, shop_entry = new_key("shop", "connector", "web")
    slow, slow_entry = new_key("slow", "connector", "amazon", rate="1/h")
    admin, admin_entry = new_key("ops", "admin")
    ticks = Ticks()
    store = KeyStore(
        [shop_entry, slow_entry, admin_entry], rates={"connector": "2/min"}, monotonic=ticks
    )
    web = json.loads((FIX / "web_order.json").read_text())
    with serve(sqlite_store, store) as c:
        # The lean intake path and the FastAPI routes draw on the same bucket.
        assert c.get("/v1/orders", headers=bearer(shop)).status_code == 200
        r = c.post("/v1/channels/web/orders", json=web, headers=bearer(shop))
        assert r.status_code != 429, r.text
        over = c.post("/v1/channels/web/orders", json=web, headers=bearer(shop))
        assert over.status_code == 429
        assert over.headers["Retry-After"] == "30"
        assert "2/min" in over.json()["detail"]
        assert c.get("/v1/orders", headers=bearer(shop)).status_code == 429
        # Another key (of another role here) is not held back by this one.
        assert c.get("/v1/orders", headers=bearer(admin)).status_code == 200
        ticks.t += 30
        assert c.get("/v1/orders", headers=bearer(shop)).status_code == 200
        # A key's own rate wins over its role's.
        assert c.get("/v1/orders", headers=bearer(slow)).status_code == 200
        again = c.get("/v1/orders", headers=bearer(slow))
        assert again.status_code == 429 and again.headers["Retry-After"] == "3600"


def test_rates_come_from_the_environment_and_default_high(monkeypatch):
    monkeypatch.setenv("CROSSDOCK_RATE_LIMIT_FINANCE", "600/min")
    monkeypatch.setenv("CROSSDOCK_RATE_LIMIT_ADMIN", "off")
    rates = role_rates()
    assert rates["finance"] == Rate(600, 60, "600/min")
    assert rates["admin"] is None
    assert rates["connector"] == Rate.parse(DEFAULT_RATES["connector"])
    assert rates["connector"] is not None and rates["connector"].amount >= 10_000
    monkeypatch.setenv("CROSSDOCK_RATE_LIMIT_CUSTOMS", "lots")
    with pytest.raises(ValueError, match="expected N/s, N/min, N/h or off"):
        role_rates()


def test_last_use_is_written_about_once_a_minute_while_serving(keys_file):
    key = crossdock("keys", "create", "hook", "--role", "carrier", "--scope", "ups").strip()
    ticks = Ticks()
    at = [datetime(2026, 12, 7, 10, 0, tzinfo=UTC)]
    store = KeyStore.from_file(keys_file, monotonic=ticks, now=lambda: at[0])
    store.identify(key)
    assert "never" in crossdock("keys", "list").splitlines()[1]  # in memory only, so far
    ticks.t += 60
    at[0] += timedelta(minutes=1)
    store.identify(key)
    assert crossdock("keys", "list").splitlines()[1].endswith("2026-12-07T10:01:00+00:00")
