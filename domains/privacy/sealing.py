"""Sealing an order's personal data before it is recorded, and reading it back.

Intake seals (decided in the use case, recorded as event data): the customer (name, email,
phone), the ship-to's personal fields (name, address lines, phone, anything but country,
region, postcode and city) and the channel's whole raw payload become envelopes under the
data subject's key. Three encryptions per order, whatever the number of fields.

Readers open them through `PersonalData`: plaintext (events written before sealing) passes
through as it is; after the subject's key was deleted the name reads as a pseudonym and the
other personal fields as None.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from domains.privacy.policies import identity
from domains.privacy.ports import SubjectKeys
from domains.privacy.records import (
    CLEAR_SHIP_TO,
    CT,
    CUSTOMER_FIELDS,
    PII,
    SHIP_TO_PERSONAL,
    Erased,
    clear_part,
    envelope,
    is_sealed,
    pseudonym,
)


class PersonalData:
    """Seal and open personal data through the subject keys; without keys (a store built for
    a test of something else) nothing is sealed and sealed data reads as erased."""

    def __init__(self, keys: SubjectKeys | None = None) -> None:
        self.keys = keys

    # ------------------------------------------------------------------ sealing
    def subject(self, channel: str, canonical: dict[str, Any]) -> str | None:
        if self.keys is None:
            return None
        return self.keys.subject_id(*identity(channel, canonical))

    def prepare(self, subject_ids: Collection[str | None]) -> None:
        if self.keys is not None:
            self.keys.prepare({s for s in subject_ids if s})

    def seal_order(
        self, subject_id: str | None, canonical: dict[str, Any], raw_payload: Any
    ) -> tuple[dict[str, Any], Any]:
        """The canonical order and raw payload as they are recorded. Never changes its
        arguments (a dealer order's raw payload is its canonical dict)."""
        keys = self.keys
        if keys is None or subject_id is None:
            return canonical, raw_payload
        sealed = dict(canonical)
        customer = canonical.get("customer")
        if isinstance(customer, dict):
            sealed["customer"] = envelope(subject_id, keys.seal(subject_id, customer))
        ship_to = canonical.get("ship_to")
        if isinstance(ship_to, dict):
            clear = {k: ship_to[k] for k in CLEAR_SHIP_TO if k in ship_to}
            personal = {k: v for k, v in ship_to.items() if k not in CLEAR_SHIP_TO}
            sealed["ship_to"] = envelope(subject_id, keys.seal(subject_id, personal), **clear)
        return sealed, envelope(subject_id, keys.seal(subject_id, raw_payload))

    # ------------------------------------------------------------------ reading
    def _open(self, value: dict[str, Any]) -> Any:
        if self.keys is None:
            raise Erased(value[PII])
        return self.keys.open(value[PII], value[CT])

    def is_erased(self, value: Any) -> bool:
        if not is_sealed(value):
            return False
        try:
            self._open(value)
        except Erased:
            return True
        return False

    def customer(self, canonical: dict[str, Any]) -> Any:
        value = canonical.get("customer")
        if not is_sealed(value):
            return value
        try:
            return self._open(value)
        except Erased:
            return dict.fromkeys(CUSTOMER_FIELDS) | {"name": pseudonym(value[PII])}

    def ship_to(self, canonical: dict[str, Any]) -> Any:
        value = canonical.get("ship_to")
        if not is_sealed(value):
            return value
        return self._address(value)

    def _address(self, value: dict[str, Any]) -> dict[str, Any]:
        clear = clear_part(value)
        try:
            personal = self._open(value)
        except Erased:
            personal = dict.fromkeys(SHIP_TO_PERSONAL) | {"name": pseudonym(value[PII])}
        return {**personal, **clear}

    def canonical(self, canonical: dict[str, Any]) -> dict[str, Any]:
        """The canonical order with its personal fields readable (or pseudonymised)."""
        if not is_sealed(canonical.get("customer")) and not is_sealed(canonical.get("ship_to")):
            return canonical
        return {
            **canonical,
            "customer": self.customer(canonical),
            "ship_to": self.ship_to(canonical),
        }

    def raw(self, raw_payload: Any) -> Any:
        if not is_sealed(raw_payload):
            return raw_payload
        try:
            return self._open(raw_payload)
        except Erased:
            return {"erased": pseudonym(raw_payload[PII])}

    # ------------------------------------------------------------------ customs parties
    def party(self, importer: dict[str, Any]) -> dict[str, Any]:
        """A declaration's importer for reading: name and address opened, email and phone
        from the contact envelope; the pseudonym once the person was erased."""
        out = self._address(importer) if is_sealed(importer) else dict(importer)
        contact = out.pop("contact", None)
        if is_sealed(contact):
            try:
                opened = self._open(contact)
                out.update(email=opened.get("email"), phone=opened.get("phone"))
            except Erased:
                out.update(email=None, phone=None)
        return out
