"""Finding an order by its customer's e-mail (exact) or name (prefix) without storing either:
a keyed blind index. Each search term is an HMAC of the normalised value under the server's
privacy secret (`SubjectKeys.subject_id`, with a kind of its own so a term never equals a
subject id), so the index table holds only digests that nobody without the secret can test
guesses against. The index is a view (projections/privacy_views.py, `OrderSearchView`) built
from the opened personal data and cleared when the person is erased; a rebuild cannot bring
an erased person back, because their data no longer opens.

Pure apart from the HMAC, which the keys port computes.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from domains.common import ValidationFailed
from domains.privacy.policies import normalise_email
from domains.privacy.ports import SubjectKeys

EMAIL = "search-email"
NAME = "search-name"
MIN_PREFIX = 2  # one letter would match a good share of all customers
MAX_PREFIX = 20  # longer words are indexed up to here; a longer query is cut to it
# Letters that Unicode does not decompose into a base letter and an accent.
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "þ": "th", "ı": "i"})


def name_words(name: Any) -> list[str]:
    """A name's words, case-folded and without accents ("Zoë O'Brien" -> zoe, obrien; "Øverby"
    -> overby), so a search finds the person however either side spelt them."""
    if not isinstance(name, str):
        return []
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    plain = plain.translate(_FOLD)
    words = ["".join(ch for ch in w if ch.isalnum()) for w in plain.replace("-", " ").split()]
    return [w for w in words if w]


def name_prefixes(name: Any) -> set[str]:
    """Every prefix of every word of the name, MIN_PREFIX to MAX_PREFIX characters long."""
    out = set()
    for word in name_words(name):
        for n in range(MIN_PREFIX, min(len(word), MAX_PREFIX) + 1):
            out.add(word[:n])
    return out


def index_terms(keys: SubjectKeys, people: list[Any]) -> set[str]:
    """The blind-index terms of an order's people (its customer and ship-to, as opened):
    their e-mail and every name prefix."""
    terms = set()
    for person in people:
        if not isinstance(person, dict):
            continue
        email = normalise_email(person.get("email"))
        if email:
            terms.add(keys.subject_id(EMAIL, email))
        terms |= {keys.subject_id(NAME, p) for p in name_prefixes(person.get("name"))}
    return terms


def query_terms(keys: SubjectKeys, email: str | None, name: str | None) -> list[str]:
    """The terms an order must all carry to match a search by e-mail and/or name prefix (every
    word of `name` is a prefix of one of the person's name words). 422 for an e-mail that is
    not one, or a name with no word of MIN_PREFIX characters."""
    terms = []
    if email is not None:
        normalised = normalise_email(email)
        if normalised is None:
            raise ValidationFailed([{"loc": "email", "msg": "not an e-mail address"}])
        terms.append(keys.subject_id(EMAIL, normalised))
    if name is not None:
        words = name_words(name)
        if not words or any(len(w) < MIN_PREFIX for w in words):
            raise ValidationFailed(
                [{"loc": "name", "msg": f"each word at least {MIN_PREFIX} letters or digits"}]
            )
        terms += [keys.subject_id(NAME, w[:MAX_PREFIX]) for w in words]
    return terms
