"""A data subject's request (erasure or access) and its outcome, as events: the record that it
was asked for, by whom, and what was done. The person is named only by their subject id (an
HMAC), never by the email or phone the request gave."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, event

from domains.common import InvalidTransition


class PrivacyRequest(Aggregate):
    @event("Requested")
    def __init__(
        self,
        kind: str,
        subject_id: str,
        identified_by: str,
        requested_by: str,
        reason: str,
        requested_at: str,
    ) -> None:
        self.kind = kind
        self.subject_id = subject_id
        self.identified_by = identified_by
        self.requested_by = requested_by
        self.reason = reason
        self.requested_at = requested_at
        self.status = "requested"
        self.outcome: dict[str, Any] | None = None

    @event("Completed")
    def complete(self, outcome: dict[str, Any], completed_at: str) -> None:
        if self.status == "completed":
            raise InvalidTransition("this request is already completed")
        self.status = "completed"
        self.outcome = outcome
