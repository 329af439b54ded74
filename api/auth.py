"""API keys and roles, deny by default.

Keys are random 32-byte tokens; only their SHA-256 is stored (a fast hash is fine for
high-entropy tokens, unlike passwords). A key carries one role and, for `connector`, `warehouse` and
`carrier`, the one channel, warehouse or carrier it is bound to. An entry may also carry an expiry
(`expires`, a date or a UTC time), a revocation (`revoked_at`) and its own request rate (`rate`).

A `KeyStore` read from a file (`crossdock keys create/revoke` write it) looks at the file again
when its modification time changes, at most once a `reload_every_s`, so a new or revoked key takes
effect in a running server within about a second. It keeps each key's last use in memory and
writes it, now and then, next to the keys file (`<file>.last-used.json`; `crossdock keys list`
shows it). Each key draws requests from a token bucket: its entry's `rate`, else its role's
(`CROSSDOCK_RATE_LIMIT_<ROLE>`, e.g. `600/min`; `off` for none).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ROLES = ("connector", "warehouse", "carrier", "customs", "finance", "admin", "privacy")
SCOPED = {"connector", "warehouse", "carrier"}
DEFAULT_KEYS_FILE = "var/api-keys.json"
# Generous: a connector key is shared by every worker of a marketplace integration (the HTTP bench
# drives 50 clients through one); the others are people and their scripts.
DEFAULT_RATES = {"connector": "20000/s", "*": "2000/s"}
_WINDOWS = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    scope: str | None = None
    key_id: str = field(default="", compare=False, repr=False)  # the key's SHA-256


class KeyRefused(Exception):
    """A key that does not authenticate, and why (unknown, expired, revoked)."""


@dataclass(frozen=True)
class Rate:
    """`amount` requests per `window_s` seconds, in bursts of up to `amount`."""

    amount: float
    window_s: float
    text: str

    @classmethod
    def parse(cls, text: str) -> Rate | None:
        """'100/s', '600/min', '5000/h' or a number per second; None for 'off'."""
        spec = text.strip().lower()
        if spec in ("off", "none", "unlimited"):
            return None
        amount, _, unit = spec.partition("/")
        try:
            value = float(amount)
        except ValueError:
            raise ValueError(f"rate {text!r}: expected N/s, N/min, N/h or off") from None
        if unit and unit not in _WINDOWS:
            raise ValueError(f"rate {text!r}: the window is s, min or h")
        if value <= 0:
            raise ValueError(f"rate {text!r}: must be above 0 (or off)")
        return cls(value, _WINDOWS[unit or "s"], text.strip())


def role_rates(env: Mapping[str, str] | None = None) -> dict[str, Rate | None]:
    env = os.environ if env is None else env
    rates: dict[str, Rate | None] = {}
    for role in ROLES:
        spec = env.get(f"CROSSDOCK_RATE_LIMIT_{role.upper()}")
        rates[role] = Rate.parse(spec or DEFAULT_RATES.get(role, DEFAULT_RATES["*"]))
    return rates


def parse_expiry(value: str) -> datetime:
    """A date (the key stops working at its first moment, UTC) or an ISO time."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"expiry {value!r}: expected a date like 2027-01-01") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class _Key:
    who: Principal
    expires: datetime | None
    revoked_at: str | None
    rate: Rate | None
    own_rate: bool


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _load(entries: list[dict], rates: Mapping[str, Rate | None]) -> dict[str, _Key]:
    by_hash: dict[str, _Key] = {}
    for e in entries:
        role = e["role"]
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} for key {e.get('name')!r}")
        if role in SCOPED and not e.get("scope"):
            raise ValueError(f"a {role} key must be bound to a scope ({e.get('name')!r})")
        digest = e["key_sha256"]
        own = bool(e.get("rate"))
        by_hash[digest] = _Key(
            Principal(e["name"], role, e.get("scope"), digest),
            parse_expiry(e["expires"]) if e.get("expires") else None,
            e.get("revoked_at"),
            Rate.parse(e["rate"]) if own else rates.get(role),
            own,
        )
    return by_hash


class KeyStore:
    def __init__(
        self,
        entries: list[dict],
        *,
        path: Path | None = None,
        rates: Mapping[str, str] | None = None,
        reload_every_s: float = 1.0,
        flush_every_s: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`rates` overrides the role rates (role -> '600/min'); the rest come from the
        environment. `monotonic` and `now` are the clocks (tests pass their own)."""
        self._rates = role_rates()
        for role, spec in (rates or {}).items():
            self._rates[role] = Rate.parse(spec)
        self._keys = _load(entries, self._rates)
        self._path = path
        self._signature: tuple[int, int, int] | None = self._stat()
        self._reload_every_s = reload_every_s
        self._flush_every_s = flush_every_s
        self._monotonic = monotonic
        self._now = now
        self._next_check = monotonic() + reload_every_s
        self._next_flush = monotonic() + flush_every_s
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._used: dict[str, float] = {}  # key -> unix time of its last request
        self._unflushed = False

    def add(self, entries: list[dict]) -> None:
        """Keys known to this process only (tests, tools); a file reload replaces them."""
        self._keys.update(_load(entries, self._rates))

    @classmethod
    def from_env(cls, **options: Any) -> KeyStore:
        inline = os.environ.get("CROSSDOCK_API_KEYS")
        if inline:
            return cls(json.loads(inline), **options)
        return cls.from_file(keys_file(), **options)

    @classmethod
    def from_file(cls, path: Path, **options: Any) -> KeyStore:
        return cls(read_keys(path), path=path, **options)

    # ------------------------------------------------------------------ per request
    def identify(self, key: str) -> Principal:
        """The principal behind `key`, or KeyRefused saying why not; records the use."""
        return self.identify_digest(hash_key(key))

    def identify_digest(self, digest: str) -> Principal:
        """`identify` by the key's SHA-256 (what a signed-in page session carries,
        api/pages/session.py): the same checks, so a revoked key's session stops at once."""
        now = self._monotonic()
        if now >= self._next_check:
            self._next_check = now + self._reload_every_s
            self._reload()
        found = self._keys.get(digest)
        if found is None and self._path is not None:
            # Before answering "unknown": a key created a moment ago (by `crossdock keys
            # create`, another process) is in the file already; one stat, a reload if changed.
            self._reload()
            found = self._keys.get(digest)
        if found is None:
            raise KeyRefused("unknown API key")
        if found.revoked_at:
            raise KeyRefused("this API key was revoked")
        wall = self._now()
        if found.expires is not None and wall >= found.expires:
            raise KeyRefused(f"this API key expired on {found.expires.isoformat()}")
        self._used[digest] = wall.timestamp()
        self._unflushed = True
        if now >= self._next_flush:
            self._next_flush = now + self._flush_every_s
            self.flush()
        return found.who

    def authenticate(self, key: str) -> Principal | None:
        try:
            return self.identify(key)
        except KeyRefused:
            return None

    def throttle(self, who: Principal) -> tuple[float, str] | None:
        """None when the key may make this request now; else (seconds until it may, its rate).
        A token bucket per key: `amount` tokens, refilled at amount/window per second."""
        found = self._keys.get(who.key_id)
        rate = found.rate if found is not None else self._rates.get(who.role)
        if rate is None:
            return None
        now = self._monotonic()
        tokens, at = self._buckets.get(who.key_id, (rate.amount, now))
        per_s = rate.amount / rate.window_s
        tokens = min(rate.amount, tokens + (now - at) * per_s)
        if tokens >= 1:
            self._buckets[who.key_id] = (tokens - 1, now)
            return None
        self._buckets[who.key_id] = (tokens, now)
        return (1 - tokens) / per_s, rate.text

    # ------------------------------------------------------------------ the file
    def _stat(self) -> tuple[int, int, int] | None:
        if self._path is None:
            return None
        try:
            st = self._path.stat()
        except FileNotFoundError:
            return (0, 0, 0)
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _reload(self) -> None:
        if self._path is None:
            return
        signature = self._stat()
        if signature == self._signature:
            return
        try:
            keys = _load(read_keys(self._path), self._rates)
        except (ValueError, KeyError, OSError) as exc:  # keep serving the keys we had
            log.error("API keys file %s not reloaded: %s", self._path, exc)
            return
        self._keys, self._signature = keys, signature
        self._buckets = {h: b for h, b in self._buckets.items() if h in keys}
        log.info("API keys reloaded from %s: %d key(s)", self._path, len(keys))

    def flush(self) -> None:
        """Write the last-use times next to the keys file (merged with other processes')."""
        if self._path is None or not self._unflushed:
            return
        target = last_used_file(self._path)
        seen = read_last_used(self._path)
        for digest, at in self._used.items():
            stamp = datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
            if seen.get(digest, "") < stamp:
                seen[digest] = stamp
        try:
            _write_private(target, json.dumps(seen, indent=1))
            self._unflushed = False
        except OSError as exc:
            log.warning("could not record API key use in %s: %s", target, exc)

    def close(self) -> None:
        self.flush()


def keys_file() -> Path:
    return Path(os.environ.get("CROSSDOCK_API_KEYS_FILE", DEFAULT_KEYS_FILE))


def read_keys(path: Path) -> list[dict]:
    return json.loads(path.read_text()) if path.exists() else []


def last_used_file(path: Path) -> Path:
    return path.with_name(path.name + ".last-used.json")


def read_last_used(path: Path) -> dict[str, str]:
    try:
        data = json.loads(last_used_file(path).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def new_key(
    name: str,
    role: str,
    scope: str | None = None,
    *,
    expires: str | None = None,
    rate: str | None = None,
) -> tuple[str, dict]:
    """A fresh key and the entry to store for it (the plain key is shown once)."""
    key = "cdk_" + secrets.token_urlsafe(32)
    entry: dict[str, Any] = {
        "name": name,
        "role": role,
        "scope": scope,
        "key_sha256": hash_key(key),
    }
    if expires:
        entry["expires"] = parse_expiry(expires).isoformat()
    if rate:
        Rate.parse(rate)
        entry["rate"] = rate
    return key, entry


def _write_private(path: Path, text: str) -> None:
    """Write owner-only, atomically (a reader sees the old file or the new one, never half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def write_keys(path: Path, entries: list[dict]) -> None:
    _write_private(path, json.dumps(entries, indent=2))
