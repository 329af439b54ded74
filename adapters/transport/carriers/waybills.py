"""Waybill numbers in each carrier's real format, with its check digit where it has one.

`generate(carrier, sequence, **options)` is a pure function of the sequence number: the caller
keeps the counter, so there is no randomness and no clock. `validate(carrier, number)` checks
the format and the check digit; spaces are ignored and letters may be lower case.

Carrier codes are the rate cards' (adapters/data/rate_cards).

| carrier       | format                                           | check digit                       |
| ------------- | ------------------------------------------------ | --------------------------------- |
| dhl_express   | 10-digit air waybill                             | first 9 digits as a number, mod 7 |
| ups           | 1Z + 6 shipper + 2 service + 7 package + check   | UPS mod 10 over the 15 after "1Z" |
| fedex         | 12-digit Express tracking number                 | weights 1,3,7 from the right, mod 11, 10 -> 0 |
| postal        | UPU S10: 2 letters, 8 digits, check, country     | weights 8,6,4,2,3,5,9,7; 11 - S mod 11; 10 -> 0, 11 -> 5 |
| dhl_parcel_de | 12 or 14 digits, German parcel service style     | GS1 mod 10, weights 3,1 from the right |
| jnt_express   | generic: SX + origin country + 10 digits + check | Luhn over the 10 digits           |
| royal_mail    | UPU S10 ending GB (Royal Mail Tracked)           | as postal                         |
| sf_express    | SF + 12 digits + check                           | Luhn over the 12 digits           |

The dhl_parcel_de, jnt_express and sf_express formats are plausible stand-ins for the regional services, not
those carriers' own published schemes; the other four follow the carriers' documented formats.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import pycountry

CARRIERS: tuple[str, ...] = (
    "dhl_express",
    "ups",
    "fedex",
    "postal",
    "dhl_parcel_de",
    "jnt_express",
    "royal_mail",
    "sf_express",
)
CARRIER_NAMES: dict[str, str] = {
    "dhl_express": "DHL Express",
    "ups": "UPS",
    "fedex": "FedEx",
    "postal": "Postal (UPU)",
    "dhl_parcel_de": "DHL Paket",
    "jnt_express": "J&T Express",
    "royal_mail": "Royal Mail",
    "sf_express": "SF Express",
}


# --- check digits -------------------------------------------------------------------------------


def dhl_express_check(digits: str) -> int:
    """DHL Express air waybill: the 9-digit serial taken as a number, mod 7."""
    return int(digits) % 7


def _ups_value(ch: str) -> int:
    # UPS maps letters onto digits cyclically with A=2 ... H=9, I=0, J=1, K=2 ... Z=7.
    return int(ch) if ch.isdigit() else (ord(ch) - ord("A") + 2) % 10


def ups_check(chars: str) -> int:
    """UPS 1Z: over the 15 characters after "1Z", odd positions count once, even ones twice."""
    total = sum(_ups_value(ch) * (2 if i % 2 else 1) for i, ch in enumerate(chars))
    return (10 - total % 10) % 10


def fedex_check(digits: str) -> int:
    """FedEx 12-digit Express: weights 1, 3, 7 repeating from the rightmost data digit, mod 11."""
    weights = (1, 3, 7)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(digits)))
    return total % 11 % 10


def s10_check(digits: str) -> int:
    """UPU S10: weights 8,6,4,2,3,5,9,7 over the 8-digit serial; C = 11 - S mod 11."""
    total = sum(int(d) * w for d, w in zip(digits, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check)


def gs1_mod10_check(digits: str) -> int:
    """GS1 mod 10: weights 3, 1 alternating from the rightmost data digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def luhn_check(digits: str) -> int:
    """Luhn: double every second digit from the rightmost data digit, digit-sum, mod 10."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        v = int(d) * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return (10 - total % 10) % 10


# --- generation ---------------------------------------------------------------------------------


def _serial(sequence: int, width: int) -> str:
    if isinstance(sequence, bool) or not isinstance(sequence, int):
        raise TypeError(f"sequence must be an int, got {sequence!r}")
    if not 0 <= sequence < 10**width:
        raise ValueError(f"sequence {sequence} does not fit in {width} digits")
    return f"{sequence:0{width}d}"


def _letters(value: str, n: int, what: str) -> str:
    value = value.upper()
    if not re.fullmatch(rf"[A-Z]{{{n}}}", value):
        raise ValueError(f"{what} must be {n} letters, got {value!r}")
    return value


@lru_cache(maxsize=512)
def _is_country(code: str) -> bool:
    return pycountry.countries.get(alpha_2=code) is not None


def _country(value: str, what: str) -> str:
    code = _letters(value, 2, what)
    if not _is_country(code):
        raise ValueError(f"{what} {code!r} is not an ISO 3166-1 alpha-2 country")
    return code


def _dhl_express(sequence: int) -> str:
    serial = _serial(sequence, 9)
    return f"{serial}{dhl_express_check(serial)}"


def _ups(sequence: int, *, shipper: str = "CRSDCK", service_code: str = "01") -> str:
    shipper, service_code = shipper.upper(), service_code.upper()
    if not re.fullmatch(r"[0-9A-Z]{6}", shipper):
        raise ValueError(f"UPS shipper number must be 6 letters or digits, got {shipper!r}")
    if not re.fullmatch(r"[0-9A-Z]{2}", service_code):
        raise ValueError(f"UPS service indicator must be 2 letters or digits, got {service_code!r}")
    body = f"{shipper}{service_code}{_serial(sequence, 7)}"
    return f"1Z{body}{ups_check(body)}"


def _fedex(sequence: int) -> str:
    serial = _serial(sequence, 11)
    return f"{serial}{fedex_check(serial)}"


def _postal(sequence: int, *, service_indicator: str = "CP", country: str = "CN") -> str:
    serial = _serial(sequence, 8)
    prefix = _letters(service_indicator, 2, "S10 service indicator")
    return f"{prefix}{serial}{s10_check(serial)}{_country(country, 'S10 country')}"


def _dhl_parcel_de(sequence: int, *, digits: int = 12) -> str:
    if digits not in (12, 14):
        raise ValueError(f"German parcel numbers have 12 or 14 digits, not {digits}")
    serial = _serial(sequence, digits - 1)
    return f"{serial}{gs1_mod10_check(serial)}"


def _jnt_express(sequence: int, *, country: str = "ID") -> str:
    serial = _serial(sequence, 10)
    return f"SX{_country(country, 'origin country')}{serial}{luhn_check(serial)}"


def _royal_mail(sequence: int, *, service_indicator: str = "TT") -> str:
    return _postal(sequence, service_indicator=service_indicator, country="GB")


def _sf_express(sequence: int) -> str:
    serial = _serial(sequence, 12)
    return f"SF{serial}{luhn_check(serial)}"


_GENERATORS: dict[str, Callable[..., str]] = {
    "dhl_express": _dhl_express,
    "ups": _ups,
    "fedex": _fedex,
    "postal": _postal,
    "dhl_parcel_de": _dhl_parcel_de,
    "jnt_express": _jnt_express,
    "royal_mail": _royal_mail,
    "sf_express": _sf_express,
}

# Options each generator takes (beyond the sequence), for callers that pass request data through.
GENERATE_OPTIONS: dict[str, tuple[str, ...]] = {
    "dhl_express": (),
    "ups": ("shipper", "service_code"),
    "fedex": (),
    "postal": ("service_indicator", "country"),
    "dhl_parcel_de": ("digits",),
    "jnt_express": ("country",),
    "royal_mail": ("service_indicator",),
    "sf_express": (),
}


def generate(carrier: str, sequence: int, **options: object) -> str:
    """The waybill for `sequence` in `carrier`'s format. Options: see GENERATE_OPTIONS."""
    try:
        make = _GENERATORS[carrier]
    except KeyError:
        raise ValueError(f"unknown carrier {carrier!r}; known: {', '.join(CARRIERS)}") from None
    unknown = set(options) - set(GENERATE_OPTIONS[carrier])
    if unknown:
        raise ValueError(f"{carrier} waybills take no option(s) {sorted(unknown)}")
    return make(sequence, **options)


# --- validation ---------------------------------------------------------------------------------

_FORMATS: dict[str, re.Pattern[str]] = {
    "dhl_express": re.compile(r"(?P<serial>\d{9})(?P<check>\d)", re.ASCII),
    "ups": re.compile(r"1Z(?P<serial>[0-9A-Z]{8}\d{7})(?P<check>\d)", re.ASCII),
    "fedex": re.compile(r"(?P<serial>\d{11})(?P<check>\d)", re.ASCII),
    "postal": re.compile(r"[A-Z]{2}(?P<serial>\d{8})(?P<check>\d)(?P<country>[A-Z]{2})", re.ASCII),
    "dhl_parcel_de": re.compile(r"(?P<serial>\d{11}|\d{13})(?P<check>\d)", re.ASCII),
    "jnt_express": re.compile(r"SX(?P<country>[A-Z]{2})(?P<serial>\d{10})(?P<check>\d)", re.ASCII),
    "royal_mail": re.compile(r"[A-Z]{2}(?P<serial>\d{8})(?P<check>\d)GB", re.ASCII),
    "sf_express": re.compile(r"SF(?P<serial>\d{12})(?P<check>\d)", re.ASCII),
}
_CHECKS: dict[str, Callable[[str], int]] = {
    "dhl_express": dhl_express_check,
    "ups": ups_check,
    "fedex": fedex_check,
    "postal": s10_check,
    "dhl_parcel_de": gs1_mod10_check,
    "jnt_express": luhn_check,
    "royal_mail": s10_check,
    "sf_express": luhn_check,
}


def normalise_number(number: str) -> str:
    return re.sub(r"\s+", "", number).upper()


def validate(carrier: str, number: str) -> bool:
    """True when `number` has `carrier`'s format and a correct check digit."""
    if carrier not in _FORMATS:
        raise ValueError(f"unknown carrier {carrier!r}; known: {', '.join(CARRIERS)}")
    if not isinstance(number, str):
        return False
    m = _FORMATS[carrier].fullmatch(normalise_number(number))
    if not m:
        return False
    groups = m.groupdict()
    if "country" in groups and not _is_country(groups["country"]):
        return False
    return _CHECKS[carrier](groups["serial"]) == int(groups["check"])


def carriers_for(number: str) -> list[str]:
    """Every carrier whose format and check digit `number` satisfies (12 digits can be several)."""
    return [c for c in CARRIERS if validate(c, number)]
