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


class SqlSubjectKeys:
    def __init__(self, env: Mapping[str, str], *, cache_max: int = CACHE_MAX) -> None:
        self.db = ViewDB(env)
        self.cache_max = cache_max
        self._cache: OrderedDict[str, AESGCM] = OrderedDict()
        self._lock = threading.Lock()
        for ddl in _ddl(self.db.dialect):
            self.db.execute(ddl)
        kek = os.environ.get("CROSSDOCK_PRIVACY_KEK")
        self._kek = AESGCM(base64.b64decode(kek)) if kek else None
        self._secret = self._load_secret()
        rows = self.db.query("SELECT MAX(seq) AS seq FROM privacy_key_erasures")
        self._erasure_seq = int(rows[0]["seq"] or 0)
        self._checked = time.monotonic()

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------------ subject ids
    def _load_secret(self) -> bytes:
        configured = os.environ.get("CROSSDOCK_PRIVACY_SECRET")
        if configured:
            return configured.encode()
        self.db.execute(
            "INSERT INTO privacy_settings (name, value) VALUES ('subject_secret', ?) "
            "ON CONFLICT (name) DO NOTHING",
            (base64.b64encode(os.urandom(32)).decode(),),
        )
        rows = self.db.query("SELECT value FROM privacy_settings WHERE name = 'subject_secret'")
        return str(rows[0]["value"]).encode()

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
        rows = self.db.query(
            "SELECT seq, subject_id FROM privacy_key_erasures WHERE seq > ? ORDER BY seq",
            (self._erasure_seq,),
        )
        with self._lock:
            for row in rows:
                self._cache.pop(row["subject_id"], None)
                self._erasure_seq = max(self._erasure_seq, int(row["seq"]))

    def _remember(self, subject_id: str, key: AESGCM) -> None:
        cache = self._cache
        cache[subject_id] = key
        cache.move_to_end(subject_id)
        while len(cache) > self.cache_max:
            cache.popitem(last=False)

    def _load(self, subject_ids: list[str]) -> None:
        for start in range(0, len(subject_ids), 500):
            chunk = subject_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.query(
                "SELECT subject_id, key_bytes FROM privacy_subject_keys "  # noqa: S608 - marks only
                f"WHERE subject_id IN ({marks})",
                chunk,
            )
            with self._lock:
                for row in rows:
                    sid = row["subject_id"]
                    self._remember(sid, AESGCM(self._unwrap(sid, row["key_bytes"])))

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
        self.db.executemany(
            "INSERT INTO privacy_subject_keys (subject_id, key_bytes, created_at) "
            "VALUES (?, ?, ?) ON CONFLICT (subject_id) DO NOTHING",
            [(s, self._wrap(s, AESGCM.generate_key(bit_length=256)), now) for s in new],
        )
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
                (subject_id, datetime.now(UTC).isoformat()),
            )
        with self._lock:
            self._cache.pop(subject_id, None)
        return held
