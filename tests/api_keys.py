"""API keys for tests: one fresh key per (name, role, scope)."""

from __future__ import annotations

from api.auth import new_key

KeySpec = tuple[str, str, str | None]

# A key of every role (the tenant-bound ones bound to one channel, warehouse or carrier).
ROLE_KEYS: list[KeySpec] = [
    ("admin", "admin", None),
    ("amazon", "connector", "amazon"),
    ("lax", "warehouse", "LAX"),
    ("dhl", "carrier", "dhl_express"),
    ("customs", "customs", None),
    ("finance", "finance", None),
]


def bearer_keys(specs: list[KeySpec]) -> tuple[dict[str, dict[str, str]], list[dict]]:
    """The Authorization header of each named key, and the entries a KeyStore holds for them."""
    headers, entries = {}, []
    for name, role, scope in specs:
        key, entry = new_key(name, role, scope)
        headers[name] = {"Authorization": f"Bearer {key}"}
        entries.append(entry)
    return headers, entries
