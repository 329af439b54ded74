"""What personal data looks like in the event log once sealed, and what a reader is shown in
its place after the data subject's key was deleted (crypto-shredding).

A sealed value is an envelope: a dict holding the data subject's id under `_pii_` and the
ciphertext under `ct` (base64 of nonce + AES-GCM ciphertext, bound to the subject id). The
ship-to envelope also keeps the address parts that identify nobody on their own (country,
region, postcode, city) in clear beside it: review rules, customs and carriers need them.

Pure: standard library only.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from domains.common import DomainError

PII = "_pii_"
CT = "ct"
# Address parts kept in clear (every other ship-to field is sealed).
CLEAR_SHIP_TO = ("city", "region", "postcode", "country")
# The personal fields readers are shown as erased (the name becomes the pseudonym).
CUSTOMER_FIELDS = ("name", "email", "phone")
SHIP_TO_PERSONAL = ("name", "line1", "line2", "phone")


class Erased(DomainError):
    """The data subject's key is gone: the ciphertext can never be read again."""

    def __init__(self, subject_id: str) -> None:
        super().__init__(f"personal data of subject {subject_id[:10]} was erased")
        self.subject_id = subject_id


def is_sealed(value: Any) -> TypeGuard[dict[str, Any]]:
    return type(value) is dict and PII in value


def subject_of(value: Any) -> str | None:
    """The data subject an envelope belongs to; None for plaintext (events written before
    personal data was sealed)."""
    return value[PII] if is_sealed(value) else None


def pseudonym(subject_id: str) -> str:
    """What a reader sees instead of an erased person's name: stable per subject, so records
    of one person still read as one person, and revealing nothing."""
    return f"erased-subject-{subject_id[:10]}"


def envelope(subject_id: str, ciphertext: str, **clear: Any) -> dict[str, Any]:
    return {**clear, PII: subject_id, CT: ciphertext}


def clear_part(value: dict[str, Any]) -> dict[str, Any]:
    """An envelope's fields kept in clear beside the ciphertext."""
    return {k: v for k, v in value.items() if k != PII and k != CT}


def importer_of(canonical: dict[str, Any]) -> dict[str, Any]:
    """A customs declaration's importer: the ship-to as recorded on the order (sealed or not)
    with the customer's email and phone (the customer's envelope as `contact` when sealed, so
    the declaration holds only ciphertext of the person and reads as the pseudonym once they
    are erased)."""
    importer = dict(canonical["ship_to"])
    customer = canonical.get("customer") or {}
    if is_sealed(customer):
        importer["contact"] = customer
    else:
        importer.update(email=customer.get("email"), phone=customer.get("phone"))
    return importer
