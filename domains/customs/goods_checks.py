"""What the goods are: the HS code's shape and whether the description says what they are.

Pure: the standard library only. Each check returns why it fails, or None; the declaration's
screening (domains.customs.flags) turns that into a flag.
"""

from __future__ import annotations

import re

from domains.customs.tables import hs_digits

MIN_DESCRIPTION_WORDS = 2
HS_LENGTHS = (6, 8, 9, 10)  # the HS subheading, or a national code (JP uses 9 digits)

# Customs and carriers reject these as descriptions: they say nothing of what the goods are.
VAGUE_TERMS = (
    "gift", "gifts", "present", "presents", "sample", "samples", "part", "parts",
    "spare parts", "goods", "item", "items", "merchandise", "general merchandise", "stuff",
    "things", "accessories", "accessory", "clothes", "clothing", "apparel", "garments",
    "electronics", "equipment", "product", "products", "misc", "miscellaneous", "various",
    "personal effects", "personal items", "commodity", "commodities", "toys", "tools",
)  # fmt: skip
_VAGUE_RE = re.compile(
    r"\b(" + "|".join(re.escape(t) for t in sorted(VAGUE_TERMS, key=len, reverse=True)) + r")\b"
)
_VAGUE_WORDS = frozenset(w for t in VAGUE_TERMS for w in t.split())
# Words that carry no information about the goods either.
_FILLER = frozenset(
    "a an the of for and or with in on to by from x pc pcs piece pieces new used assorted "
    "mixed lot box pack package parcel my your some set".split()
)
_WORD_RE = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")


def hs_code_problem(hs_code: str | None) -> tuple[str, str] | None:
    """(code, why) when the HS code is missing or malformed; None when it is well formed."""
    if hs_code is None or not str(hs_code).strip():
        return "hs_code_missing", "no HS code"
    text = str(hs_code).strip()
    if not re.fullmatch(r"\d+(\.\d+)*", text):
        return "hs_code_malformed", f"HS code {text!r} has characters other than digits and dots"
    digits = hs_digits(text)
    if len(digits) < 6:
        return (
            "hs_code_malformed",
            f"HS code {text!r} has {len(digits)} digits: at least the 6-digit subheading is needed",
        )
    if len(digits) not in HS_LENGTHS:
        return (
            "hs_code_malformed",
            f"HS code {text!r} has {len(digits)} digits: use the 6-digit subheading or an "
            "8-10 digit national code",
        )
    chapter = int(digits[:2])
    if not 1 <= chapter <= 97 or chapter == 77:
        return "hs_code_malformed", f"HS code {text!r}: chapter {digits[:2]} is not an HS chapter"
    return None


def description_problem(
    description: str | None, min_words: int = MIN_DESCRIPTION_WORDS
) -> str | None:
    """Why the description is too vague for customs, or None."""
    text = (description or "").strip().lower()
    words = _WORD_RE.findall(text)
    if not words:
        return "no description"
    vague = sorted(set(_VAGUE_RE.findall(text)))
    informative = [
        w for w in words if w not in _VAGUE_WORDS and w not in _FILLER and not w.isdigit()
    ]
    if vague and len(informative) < 2:
        terms = ", ".join(f"'{t}'" for t in vague)
        return (
            f"{terms} does not say what the goods are: name the product, its material and its use"
        )
    if len(words) < min_words:
        return (
            f"{len(words)} word{'s' if len(words) != 1 else ''}: too short to say what the goods "
            f"are, what they are made of and what they are for (at least {min_words} words)"
        )
    return None
