"""What the customs desk pages show beside the use cases' data: each flag in words, holds over
48 h with their likely causes, the queue's filters, and the amend form read into line changes
(validated by the API's own models, api/routes_customs.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from api.routes_customs import LineChange, change_dicts
from domains.outbox.messages import CUSTOMS_HOLD_CAUSES
from domains.transport.sla import CUSTOMS_HOLD_OVER

# Flag code -> what it means, as a reviewer reads it (message ids of the "customs" domain; the
# declaration page also shows each flag's own explanation with the figures compared).
FLAG_WORDS = {
    "hs_code_missing": "A line has no HS code.",
    "hs_code_malformed": "A line's HS code is not a valid 6-10 digit code.",
    "vague_description": "A description is too vague for customs to know what the goods are.",
    "value_deviation": "A declared value is more than 30% away from the catalogue price.",
    "prohibited": "The destination prohibits goods of this HS code.",
    "restricted": "The destination restricts goods of this HS code (licence or certificate).",
    "formal_entry": "The value is over the destination's low-value threshold: formal entry.",
    "weight_mismatch": "The declared weight is more than 10% away from the packed weight.",
    "importer_id_missing": "A number the import scheme needs (IOSS, VAT, EORI) is missing.",
    "importer_id_malformed": "A number the import scheme needs (IOSS, VAT, EORI) is malformed.",
}
STATUSES = ("pending_review", "approved", "rejected")
STATUS_WORDS = {
    "pending_review": "Waiting for review",
    "approved": "Approved",
    "rejected": "Rejected",
}
AGES = {"4": 4, "24": 24, "48": 48, "168": 168}  # the age filter: drafted over N hours ago
HOLD_CAUSES = CUSTOMS_HOLD_CAUSES
AMENDABLE = ("description", "hs_code", "unit_value", "quantity", "origin_country")


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def held_over(status: str | None, held_at: str | None, now: datetime) -> bool:
    """Held by customs for longer than the SLA's 48 h (domains/transport/sla.py)."""
    since = _at(held_at)
    return status == "held" and since is not None and now - since > CUSTOMS_HOLD_OVER


def hold_of(clearance: list[dict[str, Any]], now: datetime) -> dict[str, Any] | None:
    """The declaration's current hold (since when, why, over 48 h?) or None."""
    if not clearance or clearance[-1]["status"] != "held":
        return None
    last = clearance[-1]
    return {
        "since": last["at"],
        "reason": last.get("reason"),
        "over_48h": held_over("held", last["at"], now),
    }


def drafted_before(age: str | None, now: datetime) -> str | None:
    hours = AGES.get(age or "")
    return (now - timedelta(hours=hours)).isoformat() if hours else None


class AmendForm:
    """The amend form: a field `l<line_no>_<field>` per line and field, and `reason`. Only the
    fields that differ from the declaration's line become changes."""

    def __init__(self, form: Any, lines: list[dict[str, Any]]) -> None:
        self.reason = str(form.get("reason") or "").strip()
        self.values: dict[str, str] = {}
        self.changes: list[dict[str, Any]] = []
        self.errors: list[dict[str, str]] = []
        for line in lines:
            n = line["line_no"]
            changed: dict[str, Any] = {}
            for name in AMENDABLE:
                key = f"l{n}_{name}"
                sent = form.get(key)
                if sent is None:
                    continue
                text = str(sent).strip()
                self.values[key] = text
                if text == _shown(line.get(name)):
                    continue
                if not text:
                    self.errors.append({"loc": f"line {n} {name}", "msg": "may not be empty"})
                    continue
                changed[name] = text
            if changed:
                self._add(n, changed)

    def _add(self, line_no: int, changed: dict[str, Any]) -> None:
        try:
            self.changes += change_dicts([LineChange(line_no=line_no, **changed)])
        except ValidationError as exc:
            for e in exc.errors():
                field = ".".join(str(p) for p in e["loc"])
                self.errors.append({"loc": f"line {line_no} {field}", "msg": e["msg"]})


def _shown(value: Any) -> str:
    return "" if value is None else str(value)
