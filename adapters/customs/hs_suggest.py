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
import math
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
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


class Tfidf:
    """TF-IDF cosine over word lists, computed as scikit-learn's TfidfVectorizer(sublinear_tf=
    True) does (tf = 1 + ln count, idf = ln((1 + n) / (1 + df)) + 1, rows l2-normalised), with
    scipy.sparse alone: importing scikit-learn took longer than building this index."""

    def __init__(self, docs: list[list[str]]) -> None:
        from scipy.sparse import csr_matrix

        self.vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tf: list[float] = []
        for i, doc in enumerate(docs):
            for word, count in Counter(doc).items():
                rows.append(i)
                cols.append(self.vocabulary.setdefault(word, len(self.vocabulary)))
                tf.append(1.0 + math.log(count))
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(self.vocabulary))
        self.idf = (np.log((1 + len(docs)) / (1 + df)) + 1).astype(np.float32)
        values = np.asarray(tf, dtype=np.float32) * self.idf[cols]
        norms = np.sqrt(np.bincount(rows, weights=values**2, minlength=len(docs)))
        values /= np.maximum(norms[rows], 1e-12).astype(np.float32)
        shape = (len(docs), len(self.vocabulary))
        self.matrix = csr_matrix((values, (rows, cols)), shape=shape, dtype=np.float32)
        self.nbytes = int(self.matrix.data.nbytes + self.matrix.indices.nbytes)
        self.nbytes += int(self.matrix.indptr.nbytes + self.idf.nbytes)

    def cosines(self, query: list[str]) -> np.ndarray:
        """The query's cosine with every document (0 for words the index never saw)."""
        q = np.zeros(len(self.vocabulary), dtype=np.float32)
        for word, count in Counter(query).items():
            j = self.vocabulary.get(word)
            if j is not None:
                q[j] = (1.0 + math.log(count)) * self.idf[j]
        norm = float(np.linalg.norm(q))
        return np.asarray(self.matrix @ (q / norm)) if norm else np.zeros(self.matrix.shape[0])


class HsIndex:
    """TF-IDF and embedding matrices over the HS6 subheadings; `scores` gives both score lists
    for a query, `suggest` the fused top k (domains/customs/hs_suggest.py)."""

    def __init__(
        self, path: Path = HS_CSV, fusion: Fusion = DEFAULT_FUSION, model: Any = None
    ) -> None:
        started = time.perf_counter()
        self.fusion = fusion
        self.entries = load_entries(path)
        # The domain's word normaliser is the analyzer, so the words a suggestion reports as
        # matched are exactly the terms that scored.
        self.lexical = Tfidf([words(e.indexed_text()) for e in self.entries])
        self.model = model if model is not None else load_wordllama()
        # Embedded: the subheading's own text only. wordllama averages token vectors, and a
        # long chapter title ("Electrical machinery and equipment and parts thereof; sound
        # recorders...") drowns a short subheading's meaning (embedding alone, top-5 on the
        # labelled set before the glossary: 45% with the parents' texts, 50% without); the
        # lexical score keeps the parents' words.
        own = [e.text for e in self.entries]
        self.embeddings = np.asarray(self.model.embed(own, norm=True), dtype=np.float32)
        self.build_seconds = time.perf_counter() - started
        self.memory_bytes = self.lexical.nbytes + int(self.embeddings.nbytes)

    def scores(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Cosine similarities of the query to every entry: lexical (TF-IDF, 0..1) and
        embedding (-1..1)."""
        lexical = self.lexical.cosines(words(query))
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
            "lexical": "tf-idf, sublinear tf, smoothed idf, l2 rows",
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
