"""API keys and roles, deny by default.

Keys are random 32-byte tokens; only their SHA-256 is stored (a fast hash is fine for
high-entropy tokens, unlike passwords). A key carries one role and, for `connector`, `warehouse` and
`carrier`, the one channel, warehouse or carrier it is bound to.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROLES = ("connector", "warehouse", "carrier", "customs", "finance", "privacy", "admin")
SCOPED = {"connector", "warehouse", "carrier"}
DEFAULT_KEYS_FILE = "var/api-keys.json"


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    scope: str | None = None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    def __init__(self, entries: list[dict]) -> None:
        self._by_hash: dict[str, Principal] = {}
        for e in entries:
            role = e["role"]
            if role not in ROLES:
                raise ValueError(f"unknown role {role!r} for key {e.get('name')!r}")
            if role in SCOPED and not e.get("scope"):
                raise ValueError(f"a {role} key must be bound to a scope ({e.get('name')!r})")
            self._by_hash[e["key_sha256"]] = Principal(e["name"], role, e.get("scope"))

    @classmethod
    def from_env(cls) -> KeyStore:
        inline = os.environ.get("CROSSDOCK_API_KEYS")
        if inline:
            return cls(json.loads(inline))
        path = Path(os.environ.get("CROSSDOCK_API_KEYS_FILE", DEFAULT_KEYS_FILE))
        return cls(json.loads(path.read_text()) if path.exists() else [])

    def authenticate(self, key: str) -> Principal | None:
        return self._by_hash.get(hash_key(key))


def new_key(name: str, role: str, scope: str | None = None) -> tuple[str, dict]:
    """A fresh key and the entry to store for it (the plain key is shown once)."""
    key = "cdk_" + secrets.token_urlsafe(32)
    return key, {"name": name, "role": role, "scope": scope, "key_sha256": hash_key(key)}


def write_keys(path: Path, entries: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=2))
    path.chmod(0o600)
