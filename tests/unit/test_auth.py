"""API keys and roles as a caller meets them, pinned down by the mutation check (`make mutate`,
group `auth`): what a missing, unknown or under-privileged key is answered, and which key files
are refused."""

from __future__ import annotations

import json
import stat

import pytest
from fastapi import HTTPException
from fastapi.security import HTTPAuthorizationCredentials

from api.auth import KeyStore, hash_key, new_key, write_keys
from api.deps import authorize, bearer_credentials


def store_with(*keys: tuple[str, str, str | None]) -> tuple[KeyStore, dict[str, str]]:
    plain, entries = {}, []
    for name, role, scope in keys:
        key, entry = new_key(name, role, scope)
        plain[name] = key
        entries.append(entry)
    return KeyStore(entries), plain


def bearer(key: str) -> HTTPAuthorizationCredentials:
    return HTTPAuthorizationCredentials(scheme="Bearer", credentials=key)


def test_no_key_is_answered_401_saying_how_to_send_one():
    keys, _ = store_with(("fin", "finance", None))
    with pytest.raises(HTTPException) as e:
        authorize(keys, None, None)
    assert e.value.status_code == 401
    assert e.value.detail == "missing API key: send 'Authorization: Bearer <key>'"
    assert e.value.headers == {"WWW-Authenticate": "Bearer"}


def test_an_unknown_key_is_answered_401():
    keys, _ = store_with(("fin", "finance", None))
    with pytest.raises(HTTPException) as e:
        authorize(keys, bearer("cdk_not-a-key"), None)
    assert (e.value.status_code, e.value.detail) == (401, "unknown API key")
    assert e.value.headers == {"WWW-Authenticate": "Bearer"}


def test_a_key_of_another_role_is_answered_403_naming_the_roles_needed():
    keys, plain = store_with(("fin", "finance", None), ("lax", "warehouse", "LAX"))
    with pytest.raises(HTTPException) as e:
        authorize(keys, bearer(plain["lax"]), ("finance", "admin"))
    assert e.value.status_code == 403
    assert e.value.detail == "role 'warehouse' may not do this; needs one of finance, admin"
    who = authorize(keys, bearer(plain["fin"]), ("finance", "admin"))
    assert (who.name, who.role, who.scope) == ("fin", "finance", None)
    who = authorize(keys, bearer(plain["lax"]), None)  # any role
    assert (who.name, who.role, who.scope) == ("lax", "warehouse", "LAX")


def test_only_a_bearer_authorization_header_carries_a_key():
    creds = bearer_credentials("Bearer cdk_abc")
    assert creds is not None and (creds.scheme, creds.credentials) == ("Bearer", "cdk_abc")
    assert bearer_credentials("bearer cdk_abc").credentials == "cdk_abc"
    for header in (None, "", "Bearer", "Bearer ", "Basic dXNlcjpwdw==", "cdk_abc"):
        assert bearer_credentials(header) is None, header


def test_a_key_file_with_an_unknown_role_or_an_unscoped_scoped_role_is_refused():
    with pytest.raises(ValueError, match=r"^unknown role 'root' for key 'k1'$"):
        KeyStore([{"name": "k1", "role": "root", "key_sha256": "x"}])
    for role in ("connector", "warehouse", "carrier"):
        with pytest.raises(ValueError, match=rf"^a {role} key must be bound to a scope \('k2'\)$"):
            KeyStore([{"name": "k2", "role": role, "scope": None, "key_sha256": "x"}])
    for role in ("customs", "finance", "admin"):
        KeyStore([{"name": "k3", "role": role, "key_sha256": "x"}])


def test_keys_are_stored_hashed_and_the_file_is_readable_by_its_owner_only(tmp_path, monkeypatch):
    key, entry = new_key("ops", "admin")
    assert key.startswith("cdk_") and len(key) > 40
    assert entry == {"name": "ops", "role": "admin", "scope": None, "key_sha256": hash_key(key)}
    assert key not in json.dumps(entry)
    path = tmp_path / "var" / "keys" / "api-keys.json"  # folders made as needed
    write_keys(path, [])
    write_keys(path, [entry])  # and written again over an existing file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == [entry]

    monkeypatch.delenv("CROSSDOCK_API_KEYS", raising=False)
    monkeypatch.setenv("CROSSDOCK_API_KEYS_FILE", str(path))
    assert KeyStore.from_env().authenticate(key).name == "ops"
    assert KeyStore.from_env().authenticate("cdk_other") is None
    monkeypatch.setenv("CROSSDOCK_API_KEYS_FILE", str(tmp_path / "missing.json"))
    assert KeyStore.from_env().authenticate(key) is None  # no file: no key is valid
    monkeypatch.setenv("CROSSDOCK_API_KEYS", json.dumps([entry]))
    assert KeyStore.from_env().authenticate(key).role == "admin"  # inline wins over the file


def test_a_revoked_or_expired_key_is_answered_401_saying_so():
    from datetime import UTC, datetime

    live, live_entry = new_key("live", "admin", expires="2027-01-01")
    gone, gone_entry = new_key("gone", "admin")
    gone_entry["revoked_at"] = "2026-12-01T10:00:00+00:00"
    at = datetime(2027, 1, 1, tzinfo=UTC)
    keys = KeyStore([live_entry, gone_entry], now=lambda: at)
    for key, detail in (
        (live, "this API key expired on 2027-01-01T00:00:00+00:00"),
        (gone, "this API key was revoked"),
    ):
        with pytest.raises(HTTPException) as e:
            authorize(keys, bearer(key), None)
        assert (e.value.status_code, e.value.detail) == (401, detail)
        assert keys.authenticate(key) is None


def test_a_key_over_its_rate_is_answered_429_before_its_role_is_checked():
    key, entry = new_key("fin", "finance", rate="1/min")
    keys = KeyStore([entry], monotonic=lambda: 5.0)
    assert authorize(keys, bearer(key), ("finance",)).name == "fin"
    with pytest.raises(HTTPException) as e:
        authorize(keys, bearer(key), ("admin",))
    assert e.value.status_code == 429
    assert e.value.headers == {"Retry-After": "60"}
    assert e.value.detail == "over this key's rate of 1/min; retry in 60 s"
