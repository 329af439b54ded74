"""Who a piece of personal data belongs to: the data subject's identifier, normalised so the
same person is found however a channel spelt it.

Pure: standard library only.
"""

from __future__ import annotations

from typing import Any

from domains.common import ValidationFailed


def normalise_email(email: Any) -> str | None:
    if not isinstance(email, str):
        return None
    email = email.strip().lower()
    return email if "@" in email else None


def normalise_phone(phone: Any) -> str | None:
    """Digits only, with a leading + kept: "+44 7700 900123" and "+447700-900123" are one
    number. Fewer than five digits identifies nobody."""
    if not isinstance(phone, str | int) or isinstance(phone, bool):
        return None
    text = str(phone).strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < 5:
        return None
    return ("+" if text.startswith("+") else "") + digits


def identity(channel: str, canonical: dict[str, Any]) -> tuple[str, str]:
    """The identifier a data subject is keyed by: the customer's email, else a phone (the
    customer's, then the ship-to's), else the order itself (a person we cannot name by
    contact details is still erased with the order's key)."""
    customer = canonical.get("customer") if isinstance(canonical.get("customer"), dict) else {}
    ship_to = canonical.get("ship_to") if isinstance(canonical.get("ship_to"), dict) else {}
    email = normalise_email((customer or {}).get("email"))
    if email:
        return "email", email
    for phone in ((customer or {}).get("phone"), (ship_to or {}).get("phone")):
        normalised = normalise_phone(phone)
        if normalised:
            return "phone", normalised
    order = str(canonical.get("external_id") or "")
    if channel == "dealer" and canonical.get("dealer_id"):  # numbers are only the dealer's own
        order = f"{canonical['dealer_id']}:{order}"  # as the external id was until the change
    return "order", f"{channel}:{order}"


def lookup(email: str | None, phone: str | None) -> tuple[str, str]:
    """The identifier an erasure or access request names (422 when it names none usable)."""
    if email:
        normalised = normalise_email(email)
        if normalised is None:
            raise ValidationFailed([{"loc": "email", "msg": "not an email address"}])
        return "email", normalised
    if phone:
        normalised = normalise_phone(phone)
        if normalised is None:
            raise ValidationFailed([{"loc": "phone", "msg": "not a phone number"}])
        return "phone", normalised
    raise ValidationFailed([{"loc": "email", "msg": "give the subject's email or phone"}])
