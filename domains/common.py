"""Shared domain vocabulary: identifiers, money helpers and the domain's own errors.

Pure: standard library only. Money is always Decimal plus an ISO 4217 code.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

_NS = uuid5(NAMESPACE_URL, "https://crossdock.dev/ids/")


@lru_cache(maxsize=65536)
def stable_id(kind: str, *parts: str) -> UUID:
    """Deterministic aggregate id, so (channel, external id) or a SKU always names one stream."""
    return uuid5(_NS, kind + ":" + "\x1f".join(parts))


CENT = Decimal("0.01")


def money(value: Decimal | str | int) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class DomainError(Exception):
    """Base of every rule violation the domain reports."""


class ValidationFailed(DomainError):
    """Bad input, answered 422. Each error names the field by its path."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['loc']}: {e['msg']}" for e in errors))
        self.errors = errors


class NotFound(DomainError):
    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key


class InvalidTransition(DomainError):
    """A command that the aggregate's current state does not allow (answered 409)."""


class InsufficientStock(DomainError):
    def __init__(self, warehouse_id: str, sku: str, requested: int, available: int) -> None:
        super().__init__(f"{sku} in {warehouse_id}: requested {requested}, available {available}")
        self.warehouse_id = warehouse_id
        self.sku = sku
        self.requested = requested
        self.available = available
