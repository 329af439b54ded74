"""Per-data-subject AES-256-GCM keys in a table of the store's own database (the SQLite file,
or the PostgreSQL schema), outside the event log: deleting a subject's row makes every copy of
its ciphertext (events, snapshots, backups, relayed Kafka messages) unreadable.

Tables:
  privacy_subject_keys (subject_id, key_bytes, created_at)  one key per data subject
  privacy_key_erasures (seq, subject_id, erased_at)         erased subjects, so every process
                                                             drops its cached copy of the key
  privacy_settings (name, value)                             the subject-id secret, when the
                                                             environment does not give one

Keys are cached per process (bounded, least recently used dropped first) and created in one
statement per intake batch. Every `ERASURE_CHECK_S` seconds a process reads the erasures made
since it last looked and forgets those keys.

With CROSSDOCK_PRIVACY_KEK (base64 of 32 bytes) the stored keys are wrapped: the table then
holds only AES-GCM ciphertexts of the keys, and the key-encryption key lives elsewhere (a KMS,
see README "Erasure of personal data"). CROSSDOCK_PRIVACY_SECRET sets the HMAC secret subject
ids are derived with; without it one is generated and kept in privacy_settings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domains.privacy.records import Erased
from projections.db import ViewDB

CACHE_MAX = 100_000  # keys held per process (a few MB)
ERASURE_CHECK_S = 2.0


def _ddl(dialect: str) -> tuple[str, ...]:
    blob, serial = ("BYTEA", "BIGSERIAL") if dialect == "postgres" else ("BLOB", "INTEGER")
    return (
        f"""CREATE TABLE IF NOT EXISTS privacy_subject_keys (
            subject_id TEXT PRIMARY KEY, key_bytes {blob} NOT NULL, created_at TEXT NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS privacy_key_erasures (
            seq {serial} PRIMARY KEY, subject_id TEXT NOT NULL, erased_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS privacy_settings (
            name TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    )


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value, default=str)
    except (orjson.JSONEncodeError, TypeError):  # e.g. an integer beyond 64 bits
        return json.dumps(value, default=str).encode()


class SubjectKeyCipher:
    """AES-GCM sealing with per-subject keys, their cache and the erasure check; where the keys
    are stored is the subclass's (a table, or memory for the in-memory store)."""

    def __init__(self, *, cache_max: int = CACHE_MAX) -> None:
        self.cache_max = cache_max
        self._cache: OrderedDict[str, AESGCM] = OrderedDict()
        self._lock = threading.Lock()
        kek = os.environ.get("CROSSDOCK_PRIVACY_KEK")
        self._kek = AESGCM(base64.b64decode(kek)) if kek else None
        configured = os.environ.get("CROSSDOCK_PRIVACY_SECRET")
        generated = base64.b64encode(os.urandom(32)).decode()
        self._secret = (configured or self._stored_secret(generated)).encode()
        self._erasure_seq = self._last_erasure()
        self._checked = time.monotonic()

    # ------------------------------------------------------------------ storage
    def _stored_secret(self, generated: str) -> str:
        raise NotImplementedError

    def _last_erasure(self) -> int:
        raise NotImplementedError

    def _erasures_since(self, seq: int) -> list[tuple[int, str]]:
        raise NotImplementedError

    def _select(self, subject_ids: list[str]) -> list[tuple[str, bytes]]:
        raise NotImplementedError

    def _insert(self, rows: list[tuple[str, bytes, str]]) -> None:
        """New keys; a subject that has one already keeps it."""
        raise NotImplementedError

    def _delete(self, subject_id: str, at: str) -> bool:
        """Deletes the key and records the erasure, in one transaction."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    # ------------------------------------------------------------------ subject ids
    def subject_id(self, kind: str, value: str) -> str:
        digest = hmac.new(self._secret, f"{kind}:{value}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    # ------------------------------------------------------------------ keys
    def _wrap(self, subject_id: str, key: bytes) -> bytes:
        if self._kek is None:
            return key
        nonce = os.urandom(12)
        return nonce + self._kek.encrypt(nonce, key, subject_id.encode())

    def _unwrap(self, subject_id: str, stored: bytes) -> bytes:
        stored = bytes(stored)
        if self._kek is None:
            return stored
        return self._kek.decrypt(stored[:12], stored[12:], subject_id.encode())

    def _forget_erased(self) -> None:
        """Drops the cached keys of subjects erased (by any process) since the last look."""
        now = time.monotonic()
        if now - self._checked < ERASURE_CHECK_S:
            return
        self._checked = now
        rows = self._erasures_since(self._erasure_seq)
        with self._lock:
            for seq, subject_id in rows:
                self._cache.pop(subject_id, None)
                self._erasure_seq = max(self._erasure_seq, seq)

    def _remember(self, subject_id: str, key: AESGCM) -> None:
        cache = self._cache
        cache[subject_id] = key
        cache.move_to_end(subject_id)
        while len(cache) > self.cache_max:
            cache.popitem(last=False)

    def _load(self, subject_ids: list[str]) -> None:
        for start in range(0, len(subject_ids), 500):
            rows = self._select(subject_ids[start : start + 500])
            with self._lock:
                for sid, stored in rows:
                    self._remember(sid, AESGCM(self._unwrap(sid, stored)))

    def prepare(self, subject_ids: Collection[str]) -> None:
        self._forget_erased()
        missing = [s for s in subject_ids if s not in self._cache]
        if not missing:
            return
        self._load(missing)
        new = [s for s in missing if s not in self._cache]
        if not new:
            return
        now = datetime.now(UTC).isoformat()
        self._insert([(s, self._wrap(s, AESGCM.generate_key(bit_length=256)), now) for s in new])
        self._load(new)  # another process may have created some of them first: read back

    def _key(self, subject_id: str, create: bool) -> AESGCM | None:
        key = self._cache.get(subject_id)
        if key is None:
            if create:
                self.prepare([subject_id])
            else:
                self._forget_erased()
                self._load([subject_id])
            key = self._cache.get(subject_id)
        return key

    def seal(self, subject_id: str, value: Any) -> str:
        key = self._key(subject_id, create=True)
        assert key is not None
        nonce = os.urandom(12)
        ct = key.encrypt(nonce, _dumps(value), subject_id.encode())
        return base64.b64encode(nonce + ct).decode()

    def open(self, subject_id: str, ciphertext: str) -> Any:
        self._forget_erased()
        key = self._key(subject_id, create=False)
        if key is None:
            raise Erased(subject_id)
        data = base64.b64decode(ciphertext)
        try:
            plain = key.decrypt(data[:12], data[12:], subject_id.encode())
        except InvalidTag:  # sealed under a key since erased (the subject has a new one)
            raise Erased(subject_id) from None
        return orjson.loads(plain)

    def has_key(self, subject_id: str) -> bool:
        return self._key(subject_id, create=False) is not None

    def erase(self, subject_id: str) -> bool:
        held = self._delete(subject_id, datetime.now(UTC).isoformat())
        with self._lock:
            self._cache.pop(subject_id, None)
        return held


class SqlSubjectKeys(SubjectKeyCipher):
    """The keys in tables of the store's database (SQLite file or PostgreSQL schema)."""

    def __init__(self, env: Mapping[str, str], *, cache_max: int = CACHE_MAX) -> None:
        self.db = ViewDB(env)
        for ddl in _ddl(self.db.dialect):
            self.db.execute(ddl)
        super().__init__(cache_max=cache_max)

    def close(self) -> None:
        self.db.close()

    def _stored_secret(self, generated: str) -> str:
        self.db.execute(
            "INSERT INTO privacy_settings (name, value) VALUES ('subject_secret', ?) "
            "ON CONFLICT (name) DO NOTHING",
            (generated,),
        )
        rows = self.db.query("SELECT value FROM privacy_settings WHERE name = 'subject_secret'")
        return str(rows[0]["value"])

    def _last_erasure(self) -> int:
        rows = self.db.query("SELECT MAX(seq) AS seq FROM privacy_key_erasures")
        return int(rows[0]["seq"] or 0)

    def _erasures_since(self, seq: int) -> list[tuple[int, str]]:
        rows = self.db.query(
            "SELECT seq, subject_id FROM privacy_key_erasures WHERE seq > ? ORDER BY seq", (seq,)
        )
        return [(int(r["seq"]), r["subject_id"]) for r in rows]

    def _select(self, subject_ids: list[str]) -> list[tuple[str, bytes]]:
        marks = ",".join("?" * len(subject_ids))
        rows = self.db.query(
            "SELECT subject_id, key_bytes FROM privacy_subject_keys "  # noqa: S608 - marks only
            f"WHERE subject_id IN ({marks})",
            subject_ids,
        )
        return [(r["subject_id"], bytes(r["key_bytes"])) for r in rows]

    def _insert(self, rows: list[tuple[str, bytes, str]]) -> None:
        self.db.executemany(
            "INSERT INTO privacy_subject_keys (subject_id, key_bytes, created_at) "
            "VALUES (?, ?, ?) ON CONFLICT (subject_id) DO NOTHING",
            rows,
        )

    def _delete(self, subject_id: str, at: str) -> bool:
        with self.db.transaction() as tx:
            held = bool(
                tx.query(
                    "SELECT 1 AS held FROM privacy_subject_keys WHERE subject_id = ?",
                    (subject_id,),
                )
            )
            tx.execute("DELETE FROM privacy_subject_keys WHERE subject_id = ?", (subject_id,))
            tx.execute(
                "INSERT INTO privacy_key_erasures (subject_id, erased_at) VALUES (?, ?)",
                (subject_id, at),
            )
        return held


class MemorySubjectKeys(SubjectKeyCipher):
    """The keys in this process's memory, for the in-memory event store (tests)."""

    def __init__(self, *, cache_max: int = CACHE_MAX) -> None:
        self._keys: dict[str, bytes] = {}
        self._erasures: list[str] = []
        self._secret_value: str | None = None
        super().__init__(cache_max=cache_max)

    def _stored_secret(self, generated: str) -> str:
        self._secret_value = self._secret_value or generated
        return self._secret_value

    def _last_erasure(self) -> int:
        return len(self._erasures)

    def _erasures_since(self, seq: int) -> list[tuple[int, str]]:
        return [(n, s) for n, s in enumerate(self._erasures, 1) if n > seq]

    def _select(self, subject_ids: list[str]) -> list[tuple[str, bytes]]:
        return [(s, self._keys[s]) for s in subject_ids if s in self._keys]

    def _insert(self, rows: list[tuple[str, bytes, str]]) -> None:
        for subject_id, key, _ in rows:
            self._keys.setdefault(subject_id, key)

    def _delete(self, subject_id: str, at: str) -> bool:
        self._erasures.append(subject_id)
        return self._keys.pop(subject_id, None) is not None
