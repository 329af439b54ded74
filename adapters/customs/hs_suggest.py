"""The HS suggestion index: the HS 2022 nomenclature (adapters/data/hs/, public domain), a
TF-IDF index over each HS6 subheading's text with its heading's and chapter's, and offline
wordllama embeddings of the subheading's text. Implements domains.customs.hs_suggest.HsSuggester.

Nothing here downloads. wordllama ships its weights and tokenizer file in the wheel, but its
loader looks for the tokenizer in a cache folder and would fetch it when absent: the file is
copied into a private cache folder first and the model is loaded with `disable_download=True`
(see FACTS.md). Built once per process (`default_index`, ~1-2 s on the build machine; the
bench measures it), then each query costs one sparse and one dense matrix-vector product.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
import threading
import time
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from domains.customs.hs_glossary import GLOSSARY_VERSION
from domains.customs.hs_suggest import (
    DEFAULT_FUSION,
    RANKER_VERSION,
    Fusion,
    HsEntry,
    Suggestion,
    query_text,
    rank,
    words,
)

HS_CSV = Path(__file__).resolve().parent.parent / "data" / "hs" / "harmonized-system.csv"
NOMENCLATURE = "HS 2022, datasets/harmonized-system 905e5a0 (ODC-PDDL-1.0)"
EMBEDDING_MODEL = "l2_supercat"


def load_entries(path: Path = HS_CSV) -> list[HsEntry]:
    """Every HS6 subheading with its heading's and chapter's texts, in nomenclature order."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    text = {r["hscode"]: r["description"] for r in rows}
    return [
        HsEntry(
            hs6=r["hscode"],
            text=r["description"],
            heading=r["hscode"][:4],
            heading_text=text.get(r["hscode"][:4], ""),
            chapter=r["hscode"][:2],
            chapter_text=text.get(r["hscode"][:2], ""),
        )
        for r in rows
        if r["level"] == "6"
    ]


def load_wordllama(cache_dir: Path | None = None) -> Any:
    """The wordllama model from the files in its wheel, never from the network."""
    import wordllama
    from wordllama import WordLlama

    folder = Path(cache_dir or Path(tempfile.gettempdir()) / f"crossdock-wordllama-{os.getuid()}")
    tokenizers = folder / "tokenizers"
    tokenizers.mkdir(parents=True, exist_ok=True)
    name = f"{EMBEDDING_MODEL}_tokenizer_config.json"
    shipped = Path(wordllama.__file__).parent / "tokenizers" / name
    if not (tokenizers / name).exists():
        shutil.copyfile(shipped, tokenizers / name)
    return WordLlama.load(config=EMBEDDING_MODEL, cache_dir=folder, disable_download=True)


class HsIndex:
    """TF-IDF and embedding matrices over the HS6 subheadings; `scores` gives both score lists
    for a query, `suggest` the fused top k (domains/customs/hs_suggest.py)."""

    def __init__(
        self, path: Path = HS_CSV, fusion: Fusion = DEFAULT_FUSION, model: Any = None
    ) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        started = time.perf_counter()
        self.fusion = fusion
        self.entries = load_entries(path)
        texts = [e.indexed_text() for e in self.entries]
        # The domain's word normaliser is the analyzer, so the words a suggestion reports as
        # matched are exactly the terms that scored; sublinear tf: a repeated word in a long
        # chapter title should not outweigh a rarer word in the subheading itself.
        self.vectorizer = TfidfVectorizer(analyzer=words, sublinear_tf=True, dtype=np.float32)
        self.lexical_matrix = self.vectorizer.fit_transform(texts)
        self.model = model if model is not None else load_wordllama()
        # Embedded: the subheading's own text only. wordllama averages token vectors, and a
        # long chapter title ("Electrical machinery and equipment and parts thereof; sound
        # recorders...") drowns a short subheading's meaning (top-5: 45% with parents' texts,
        # 50% without, on the labelled set); the lexical score keeps the parents' words.
        own = [e.text for e in self.entries]
        self.embeddings = np.asarray(self.model.embed(own, norm=True), dtype=np.float32)
        self.build_seconds = time.perf_counter() - started
        m = self.lexical_matrix
        self.memory_bytes = int(
            m.data.nbytes + m.indices.nbytes + m.indptr.nbytes + self.embeddings.nbytes
        )

    def scores(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Cosine similarities of the query to every entry: lexical (TF-IDF, 0..1) and
        embedding (-1..1)."""
        q = self.vectorizer.transform([query])
        lexical = np.asarray((self.lexical_matrix @ q.T).toarray()).ravel()
        e = np.asarray(self.model.embed([query], norm=True), dtype=np.float32)[0]
        return lexical, self.embeddings @ e

    def suggest(
        self,
        description: str,
        material: str | None = None,
        use: str | None = None,
        k: int = 5,
        fusion: Fusion | None = None,
        glossary: bool = True,
    ) -> list[Suggestion]:
        query = query_text(description, material, use, glossary)
        lexical, embedding = self.scores(query)
        return rank(
            self.entries, lexical.tolist(), embedding.tolist(), query, fusion or self.fusion, k
        )

    def version(self) -> dict[str, Any]:
        """What an answer was computed with (kept beside a recorded choice)."""
        return {
            "ranker": RANKER_VERSION,
            "glossary": GLOSSARY_VERSION,
            "nomenclature": NOMENCLATURE,
            "subheadings": len(self.entries),
            "embedding": f"wordllama {metadata.version('wordllama')} {EMBEDDING_MODEL}",
            "lexical": "tf-idf (scikit-learn), sublinear tf",
            "fusion": self.fusion.as_dict(),
        }


_lock = threading.Lock()


@cache
def _built() -> HsIndex:
    return HsIndex()


def default_index() -> HsIndex:
    """The process's index, built on first use (two requests arriving together build it once)."""
    with _lock:
        return _built()
