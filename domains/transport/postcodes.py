"""Destination postcodes as rate cards list them: normalised, and the prefixes a card may use.

Pure: standard library only.
"""

from __future__ import annotations

# Postcodes whose space is significant (outward code + 3-character inward code).
SPACED_POSTCODE_COUNTRIES = frozenset({"GB", "IM", "JE", "GY"})


def normalize_postcode(country: str, postcode: str) -> str:
    """Upper case without spaces or hyphens; GB-style postcodes as 'OUTWARD INWARD'."""
    compact = postcode.upper().replace(" ", "").replace("-", "")
    if country in SPACED_POSTCODE_COUNTRIES and len(compact) >= 5:
        return compact[:-3] + " " + compact[-3:]
    return compact


def postcode_keys(country: str, postcode: str) -> tuple[str, ...]:
    """The prefixes a card may list for this postcode, most specific first.

    Generally every leading substring ('90210' -> '90210', '9021', ..., '9'). For GB-style
    postcodes the outward code and the area ('KW15 1AB' -> 'KW15', 'KW'), because a plain
    string prefix would let 'KW1' match 'KW15'."""
    pc = normalize_postcode(country, postcode)
    if not pc:
        return ()
    if country in SPACED_POSTCODE_COUNTRIES:
        outward = pc.split(" ", 1)[0]
        n = 0  # the area is the outward code's leading letters
        while n < len(outward) and outward[n].isalpha():
            n += 1
        area = outward[:n]
        return (outward, area) if area and area != outward else (outward,)
    return tuple(pc[:n] for n in range(len(pc), 0, -1))


def rule_prefix(country: str, prefix: str) -> str:
    """A postcode prefix as a card lists it, in the form `postcode_keys` produces."""
    text = prefix.upper().replace("-", "")
    if country in SPACED_POSTCODE_COUNTRIES:
        return text.strip()
    return text.replace(" ", "")
