"""HS code suggestions: how a lexical and an embedding score for each HS6 subheading are combined
into a ranked, explained list, and the port an index implements.

Pure: standard library only. The index (adapters/customs/hs_suggest.py) scores every HS6
subheading of the nomenclature against a product description twice, lexically (TF-IDF cosine
over the subheading's text and its heading's and chapter's) and by meaning (cosine of offline
word embeddings over the same text), and hands both score lists here. `rank` fuses them with
`Fusion` (a weighted sum of per-query normalised scores, or reciprocal-rank fusion), keeps the
best `k` and says which words of the query the nomenclature text shares (`matched_words`, with
the same word normalisation the lexical score uses).

A suggestion is advice: nothing here picks a code. A person reads the top five and decides; the
declaration amendment or product registration records what they chose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from domains.customs.hs_glossary import expansions

RANKER_VERSION = "hs-suggest/1"

# Words that say nothing about what the goods are: they would match half the nomenclature
# ("of", "other", "for") or every product listing ("new", "pcs").
STOPWORDS = frozenset(
    """a an and are as at be by for from in into is it its of on or other than that the their
    this to with without whether not nor also being such use used using new pcs pc pack set
    piece pieces type types kind""".split()
)
_WORD = re.compile(r"[a-z][a-z0-9]+|\d+[a-z]+[a-z0-9]*")


def normalise(word: str) -> str:
    """A light stem, so "batteries" meets "battery" and "lamps" meets "lamp": plural endings
    only (a full stemmer would merge "glasses" with "glass", which the HS keeps apart anyway
    by material and article)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """The normalised content words of a text, in order (the lexical index's analyzer too)."""
    out = []
    # "T-shirt" would lose its "t" (one letter): one word, in queries and nomenclature alike.
    text = text.lower().replace("t-shirt", "tshirt").replace("-", " ")
    for w in _WORD.findall(text):
        if w not in STOPWORDS:
            out.append(normalise(w))
    return out


def query_text(
    description: str, material: str | None = None, use: str | None = None, glossary: bool = True
) -> str:
    """What is looked up: the description, then the material and the use when given (both name
    things the nomenclature classifies by: "of cotton", "for cellular networks"), then the
    nomenclature's words for shop words it contains (domains/customs/hs_glossary.py)."""
    text = " ".join(p.strip() for p in (description, material, use) if p and p.strip())
    added = expansions(set(words(text))) if glossary else []
    return "; ".join([text, *added])


@dataclass(frozen=True)
class HsEntry:
    """One HS6 subheading with its parents' texts (the nomenclature leaves context implicit:
    "Other" under a heading means little without the heading)."""

    hs6: str
    text: str
    heading: str
    heading_text: str
    chapter: str
    chapter_text: str

    def indexed_text(self) -> str:
        return f"{self.text}. {self.heading_text}. {self.chapter_text}"


@dataclass(frozen=True)
class Fusion:
    """How the two scores are combined. `weighted`: lexical_weight * lexical + (1 -
    lexical_weight) * embedding, each divided by its best score for the query (so neither
    scale dominates). `rrf`: sum of 1 / (rrf_k + rank) over both rankings."""

    method: str = "weighted"
    lexical_weight: float = 0.5
    rrf_k: int = 60

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Chosen on the dev split of tests/fixtures/hs_labelled.csv by scripts/bench_hs.py (the README
# has the table); the bench prints the dev-best setting so a change to the data can be checked.
DEFAULT_FUSION = Fusion(method="weighted", lexical_weight=0.6)


@dataclass(frozen=True)
class Suggestion(HsEntry):
    """A subheading as suggested: its texts, the fused score, the two scores it came from and
    the query's words its texts share."""

    score: float
    lexical: float
    embedding: float
    matched_words: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class HsSuggester(Protocol):
    """The port: an index over the nomenclature that answers the best `k` subheadings."""

    def suggest(
        self, description: str, material: str | None = None, use: str | None = None, k: int = 5
    ) -> list[Suggestion]: ...

    def version(self) -> dict[str, Any]: ...


def _scaled(scores: Sequence[float]) -> list[float]:
    top = max(scores, default=0.0)
    return [s / top for s in scores] if top > 0 else [0.0 for _ in scores]


def _ranks(scores: Sequence[float]) -> list[int]:
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    ranks = [0] * len(scores)
    for r, i in enumerate(order, 1):
        ranks[i] = r
    return ranks


def fuse(lexical: Sequence[float], embedding: Sequence[float], fusion: Fusion) -> list[float]:
    """One combined score per entry (higher is better)."""
    if len(lexical) != len(embedding):
        raise ValueError("one lexical and one embedding score per entry")
    if fusion.method == "rrf":
        lr, er = _ranks(lexical), _ranks(embedding)
        return [
            1 / (fusion.rrf_k + a) + 1 / (fusion.rrf_k + b) for a, b in zip(lr, er, strict=True)
        ]
    if fusion.method != "weighted":
        raise ValueError(f"unknown fusion method {fusion.method!r}")
    w = fusion.lexical_weight
    lx, em = _scaled(lexical), _scaled(embedding)
    return [w * a + (1 - w) * b for a, b in zip(lx, em, strict=True)]


def matched_words(query: str, entry: HsEntry) -> list[str]:
    """The query's content words (normalised, in query order, once each) that the subheading's
    text or its parents' texts contain."""
    known = set(words(entry.indexed_text()))
    seen: list[str] = []
    for w in words(query):
        if w in known and w not in seen:
            seen.append(w)
    return seen


def rank(
    entries: Sequence[HsEntry],
    lexical: Sequence[float],
    embedding: Sequence[float],
    query: str,
    fusion: Fusion = DEFAULT_FUSION,
    k: int = 5,
) -> list[Suggestion]:
    """The best `k` entries by the fused score, each with both raw scores and the matched
    words. Ties keep nomenclature order, so an answer is the same on every run."""
    combined = fuse(lexical, embedding, fusion)
    best = sorted(range(len(entries)), key=lambda i: (-combined[i], i))[:k]
    return [
        Suggestion(
            **vars(entries[i]),
            score=round(combined[i], 4),
            lexical=round(float(lexical[i]), 4),
            embedding=round(float(embedding[i]), 4),
            matched_words=matched_words(query, entries[i]),
        )
        for i in best
    ]


HS_FLAG_FIELD = re.compile(r"^lines\[(\d+)\]\.hs_code$")


def flagged_hs_lines(flags: Sequence[dict[str, Any]]) -> list[int]:
    """The (0-based) line positions whose HS code a flag names (missing, malformed, unknown,
    restricted...), in line order, once each."""
    out: set[int] = set()
    for f in flags:
        m = HS_FLAG_FIELD.match(str(f.get("field", "")))
        if m:
            out.add(int(m.group(1)))
    return sorted(out)


def with_line_suggestions(
    document: dict[str, Any], flags: Sequence[dict[str, Any]], suggester: HsSuggester, k: int = 3
) -> dict[str, Any]:
    """A copy of a declaration document whose lines with a flagged HS code carry
    `hs_suggestions`: the best `k` subheadings for the line's description (score, matched
    words). Other lines are left as they are."""
    positions = flagged_hs_lines(flags)
    lines = document.get("lines")
    if not positions or not isinstance(lines, list):
        return document
    lines = [dict(ln) for ln in lines]
    for i in positions:
        if i < len(lines) and str(lines[i].get("description") or "").strip():
            found = suggester.suggest(str(lines[i]["description"]), k=k)
            lines[i]["hs_suggestions"] = [
                {
                    "hs6": s.hs6,
                    "text": s.text,
                    "heading_text": s.heading_text,
                    "score": s.score,
                    "matched_words": s.matched_words,
                }
                for s in found
            ]
    return {**document, "lines": lines}


def with_hs_advice(
    document: dict[str, Any],
    flags: Sequence[dict[str, Any]],
    changes: list[dict[str, Any]],
    suggester: HsSuggester,
    k: int = 3,
) -> list[dict[str, Any]]:
    """The changes, where one sets the HS code of a line whose code is flagged, with
    `hs_advice`: the `k` subheadings suggested for the line's description (the changed one if
    the change has one), their scores, the index's version, the code chosen and `taken_rank`
    (1-based: which suggestion was taken; None: the reviewer overruled them all). Recorded
    with the amendment; it changes nothing on the line."""
    flagged = {i + 1 for i in flagged_hs_lines(flags)}  # line_no counts from 1
    lines = {ln.get("line_no"): ln for ln in document.get("lines", [])}
    out = []
    for change in changes:
        line = lines.get(change.get("line_no"))
        if "hs_code" not in change or line is None or change.get("line_no") not in flagged:
            out.append(change)
            continue
        description = str(change.get("description") or line.get("description") or "")
        found = suggester.suggest(description, k=k) if words(description) else []
        chosen = "".join(ch for ch in str(change["hs_code"]) if ch.isdigit())[:6]
        codes = [s.hs6 for s in found]
        advice = {
            "suggested": [{"hs6": s.hs6, "score": s.score} for s in found],
            "model": suggester.version(),
            "chosen": change["hs_code"],
            "taken_rank": codes.index(chosen) + 1 if chosen in codes else None,
        }
        out.append({**change, "hs_advice": advice})
    return out
