"""Who a person is (their identifier, normalised) and what of an order is sealed, kept clear,
and shown once they are erased: the privacy context's rules, on an in-memory key store."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domains.common import ValidationFailed
from domains.privacy.policies import identity, lookup, normalise_phone
from domains.privacy.records import Erased, importer_of, is_sealed
from domains.privacy.sealing import PersonalData
from tests.privacy.helpers import ZOFIA, order_body


class MemoryKeys:
    """Reversible "encryption" (JSON) with deletable keys: enough to test the rules."""

    def __init__(self) -> None:
        self.keys: set[str] = set()

    def subject_id(self, kind: str, value: str) -> str:
        return f"{kind}={value}"

    def prepare(self, subject_ids: Any) -> None:
        self.keys |= set(subject_ids)

    def seal(self, subject_id: str, value: Any) -> str:
        self.keys.add(subject_id)
        return json.dumps(value)

    def open(self, subject_id: str, ciphertext: str) -> Any:
        if subject_id not in self.keys:
            raise Erased(subject_id)
        return json.loads(ciphertext)

    def erase(self, subject_id: str) -> bool:
        held = subject_id in self.keys
        self.keys.discard(subject_id)
        return held

    def has_key(self, subject_id: str) -> bool:
        return subject_id in self.keys

    def close(self) -> None:
        pass


def test_a_person_is_known_by_email_else_phone_else_the_order():
    body = order_body(ZOFIA, "X-1", "SKU", 1, "1.00")
    assert identity("web", body) == ("email", "zofia.k.brennan@example.org")
    body["customer"]["email"] = None
    assert identity("web", body) == ("phone", "+447700900461")
    body["customer"]["phone"] = body["ship_to"]["phone"] = None
    assert identity("web", body) == ("order", "web:X-1")
    assert normalise_phone("+44 (0)7700-900461") == "+4407700900461"
    assert lookup(None, "+44 7700 900461") == ("phone", "+447700900461")
    with pytest.raises(ValidationFailed):
        lookup("no-at-sign", None)
    with pytest.raises(ValidationFailed):
        lookup(None, None)


def test_personal_fields_are_sealed_and_the_rest_stays_clear():
    personal = PersonalData(MemoryKeys())
    body = order_body(ZOFIA, "X-1", "SKU", 1, "1.00")
    before = json.dumps(body)
    subject = personal.subject("web", body)
    canonical, raw = personal.seal_order(subject, body, body)
    assert json.dumps(body) == before  # the input is left as it was
    assert is_sealed(canonical["customer"]) and is_sealed(raw)
    ship_to = canonical["ship_to"]
    assert {k: ship_to[k] for k in ("city", "postcode", "country")} == {
        "city": "London",
        "postcode": "SW1A 1AA",
        "country": "GB",
    }
    assert "name" not in ship_to and "line1" not in ship_to and "phone" not in ship_to
    assert canonical["lines"] == body["lines"] and canonical["currency"] == "EUR"
    assert personal.canonical(canonical) == body
    assert personal.raw(raw) == body
    importer = personal.party(importer_of(canonical))
    assert importer["name"] == ZOFIA["name"] and importer["email"] == ZOFIA["email"]


def test_once_erased_the_name_reads_as_a_pseudonym_and_plaintext_passes_through():
    keys = MemoryKeys()
    personal = PersonalData(keys)
    body = order_body(ZOFIA, "X-1", "SKU", 1, "1.00")
    subject = personal.subject("web", body)
    canonical, raw = personal.seal_order(subject, body, body)
    keys.erase(subject)
    alias = personal.customer(canonical)["name"]
    assert alias.startswith("erased-subject-")
    assert personal.customer(canonical) == {"name": alias, "email": None, "phone": None}
    ship_to = personal.ship_to(canonical)
    assert ship_to["name"] == alias and ship_to["line1"] is None and ship_to["country"] == "GB"
    assert personal.raw(raw) == {"erased": alias}
    assert personal.party(importer_of(canonical))["email"] is None
    # Orders recorded before sealing carry plaintext: read as they are.
    assert personal.canonical(body) == body
    assert personal.party(importer_of(body))["email"] == ZOFIA["email"]
