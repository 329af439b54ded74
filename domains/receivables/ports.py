"""What the receivables context needs from outside: a bank-statement parser and one view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

# Statement bytes -> lines {line (file line number), booked_on (ISO date), amount (decimal
# string, negative for money going out), currency, reference, counterparty, iban,
# transaction_id}; a bad file raises ValidationFailed naming the line and column
# (adapters/receivables/statements.py).
StatementParser = Callable[[bytes], list[dict[str, Any]]]


class CreditHolds(Protocol):
    def held_over_credit(self, dealer_id: str) -> list[str]:
        """The dealer's orders held over its credit limit, oldest first (order ids)."""
        ...
