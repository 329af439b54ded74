"""The privacy context's outside facts: the per-subject keys (adapters/privacy/keys.py keeps
them in a table of the store's database, optionally wrapped by a KMS-held key) and the index
of what a data subject's orders are (a view)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol
from uuid import UUID


class SubjectKeys(Protocol):
    def subject_id(self, kind: str, value: str) -> str:
        """A stable id for one person (`kind` "email", "phone" or "order" and its normalised
        value), keyed with a server secret so the id itself reveals nothing."""
        ...

    def prepare(self, subject_ids: Collection[str]) -> None:
        """Makes sure these subjects have a key (created together, one round trip), so sealing
        a batch of orders costs no lookup per order."""
        ...

    def seal(self, subject_id: str, value: Any) -> str:
        """`value` (JSON-like) encrypted under the subject's key (created if missing)."""
        ...

    def open(self, subject_id: str, ciphertext: str) -> Any:
        """The value sealed; raises `domains.privacy.records.Erased` once the key is gone."""
        ...

    def erase(self, subject_id: str) -> bool:
        """Deletes the subject's key (every copy of its ciphertext becomes unreadable); whether
        there was one."""
        ...

    def has_key(self, subject_id: str) -> bool: ...

    def close(self) -> None: ...


class SubjectIndex(Protocol):
    def orders_of(self, subject_id: str) -> list[UUID]:
        """The orders whose personal data belongs to this subject (oldest first)."""
        ...
