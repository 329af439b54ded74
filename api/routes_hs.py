"""HS code suggestions (customs desk, admin): the five HS6 subheadings that best fit a product
description, each with its nomenclature text, its heading's and chapter's, a score and the words
that matched. Advice only: nothing is recorded or chosen here; the person who registers the
product or amends the declaration line picks the code, and that is what is recorded.

The index (adapters/customs/hs_suggest.py) is built once per process on first use (a few seconds;
`hs_suggester` runs in the thread pool) and needs no network.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Depends
from fastapi.routing import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.auth import Principal
from api.deps import caller
from domains.common import ValidationFailed
from domains.customs.hs_suggest import (
    HsSuggester,
    flagged_hs_lines,
    query_text,
    with_hs_advice,
    with_line_suggestions,
    words,
)

router = APIRouter(prefix="/v1", tags=["customs"])
log = logging.getLogger(__name__)
Described = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Detail = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
ADVICE = (
    "suggestions to choose from, ranked by a lexical and an embedding score; "
    "the declarant decides the code"
)


def hs_suggester() -> HsSuggester:
    """The process's index (built on first use): where every route here and beside a
    declaration or product gets it from."""
    from adapters.customs.hs_suggest import default_index

    return default_index()


def suggestions_or_none(description: str, k: int = 5) -> list[dict[str, Any]] | None:
    """Suggestions for a text where they are an aid beside another answer (a refused product, a
    flagged declaration line): None when the index cannot be loaded, so that answer still
    comes (logged)."""
    if not words(description):
        return []
    try:
        return [s.as_dict() for s in hs_suggester().suggest(description, k=k)]
    except (ImportError, OSError) as exc:
        log.warning("HS suggestions unavailable: %r", exc)
        return None


def document_with_suggestions(document: dict[str, Any], flags: list[dict[str, Any]]) -> Any:
    """A declaration document whose HS-flagged lines carry their top three suggestions (the
    document unchanged when the index cannot be loaded). No flagged line: the index is not
    even loaded."""
    if not flagged_hs_lines(flags):
        return document
    try:
        return with_line_suggestions(document, flags, hs_suggester(), k=3)
    except (ImportError, OSError) as exc:
        log.warning("HS suggestions unavailable: %r", exc)
        return document


def changes_with_advice(
    document: dict[str, Any], flags: list[dict[str, Any]], changes: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Line changes with the HS advice the reviewer was shown, for those that set a flagged
    line's code (the changes as they are when the index cannot be loaded)."""
    if not flagged_hs_lines(flags) or not any("hs_code" in c for c in changes):
        return changes
    try:
        return with_hs_advice(document, flags, changes, hs_suggester())
    except (ImportError, OSError) as exc:
        log.warning("HS suggestions unavailable: %r", exc)
        return changes


class HsQueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Described = Field(description="the product as a buyer would name it")
    material: Detail | None = Field(None, description="what it is made of: cotton, PVC...")
    use: Detail | None = Field(None, description="what it is for: for cellular phones...")
    origin: str | None = Field(
        None,
        pattern=r"^[A-Z]{2}$",
        description="country of origin; echoed, it does not change the HS6 code",
    )


@router.post("/customs/hs-suggestions")
def hs_suggestions(
    body: HsQueryIn,
    who: Principal = Depends(caller),
    suggester: HsSuggester = Depends(hs_suggester),
) -> dict[str, Any]:
    """The top five HS6 subheadings for a product description, with their texts (and their
    heading's and chapter's), the fused score, the lexical and embedding scores and the words
    of the description the nomenclature shares. A description with no word to look up is 422."""
    query = query_text(body.description, body.material, body.use)
    if not words(query):
        raise ValidationFailed(
            [{"loc": "body.description", "msg": "no word to look up (letters needed)"}]
        )
    found = suggester.suggest(body.description, body.material, body.use, k=5)
    return {
        "query": {**body.model_dump(), "looked_up": query},
        "suggestions": [s.as_dict() for s in found],
        "model": suggester.version(),
        "note": ADVICE,
    }
