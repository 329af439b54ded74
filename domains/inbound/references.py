"""Carrier references of an inbound shipment, checked where a standard defines them: a sea
container number (ISO 6346: owner code, category, serial, check digit; python-stdnum checks
it) and an air waybill (IATA: a 3-digit airline prefix and an 8-digit serial whose last digit
is the first seven modulo 7). Rail and truck references have no common standard: any short
reference is taken. Pure: a string in, the normalised reference or a reason out."""

from __future__ import annotations

import re

from stdnum import iso6346
from stdnum.exceptions import ValidationError

MODES = ("sea", "air", "rail", "truck")
_AWB = re.compile(r"^(\d{3})-?(\d{8})$")


def awb_check_ok(serial: str) -> bool:
    """The IATA air waybill check: the 8th digit is the first seven read as a number mod 7."""
    return int(serial[:7]) % 7 == int(serial[7])


def normalise_reference(mode: str, reference: str) -> tuple[str | None, str | None]:
    """(the reference as stored, None) or (None, why it is refused)."""
    ref = reference.strip().upper().replace(" ", "")
    if not ref:
        return None, "a reference is required"
    if mode == "sea":
        try:
            return iso6346.validate(ref), None
        except ValidationError as exc:
            return None, f"{reference!r} is not an ISO 6346 container number ({exc})"
    if mode == "air":
        m = _AWB.match(ref)
        if m is None:
            return None, f"{reference!r} is not an air waybill number (3-digit prefix, 8 digits)"
        prefix, serial = m.groups()
        if not awb_check_ok(serial):
            return None, f"air waybill {reference!r} fails its check digit (mod 7)"
        return f"{prefix}-{serial}", None
    if len(ref) > 40:
        return None, "a reference is at most 40 characters"
    return ref, None
