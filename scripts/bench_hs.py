"""HS code suggestions: top-1 and top-5 accuracy on the labelled set, at HS6 and at heading (HS4)
level, for the lexical ranker alone, the embedding alone and their combinations.

The labelled set (tests/fixtures/hs_labelled.csv: product description, material, HS6 code and
the ruling or tariff text it rests on) is split once, by a hash of the description, into a dev
third (where the fusion is chosen: best top-5 at HS6, then at heading level, then top-1) and a test two thirds (what
the README reports). Each item is scored once by the index (lexical and embedding score lists);
every fusion then ranks those same scores with the domain's own `rank`, so the bench measures
the code the API runs. Also measured: the index's build time and the memory its matrices hold,
and the time per suggestion.

    .venv/bin/python -m scripts.bench_hs [--json PATH]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from domains.customs.hs_suggest import DEFAULT_FUSION, Fusion, query_text, rank

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "hs_labelled.csv"
# (label, fusion, glossary on): the baselines without the glossary first.
RANKERS: list[tuple[str, Fusion, bool]] = [
    ("lexical (TF-IDF) alone, no glossary", Fusion("weighted", 1.0), False),
    ("embedding (wordllama) alone, no glossary", Fusion("weighted", 0.0), False),
    ("weighted, lexical 0.6, no glossary", Fusion("weighted", 0.6), False),
    ("lexical (TF-IDF) alone", Fusion("weighted", 1.0), True),
    ("embedding (wordllama) alone", Fusion("weighted", 0.0), True),
    *[(f"weighted, lexical {w:.1f}", Fusion("weighted", w), True) for w in (0.3, 0.4, 0.5, 0.6)],
    ("reciprocal-rank fusion (k=60)", Fusion("rrf", 0.5, 60), True),
]


@dataclass(frozen=True)
class Item:
    description: str
    material: str
    use: str
    hs6: str
    source: str

    @property
    def split(self) -> str:
        """A third of the items (by a stable hash of the description) is the dev split."""
        return "dev" if zlib.crc32(self.description.encode()) % 3 == 0 else "test"


def labelled(path: Path = LABELLED) -> list[Item]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [Item(**row) for row in csv.DictReader(fh)]


def accuracy(
    scored: list[tuple[Item, str, list[float], list[float]]], entries: list[Any], fusion: Fusion
) -> dict[str, float]:
    """Share of items whose code is the first suggestion / among the first five, at HS6 and at
    heading level."""
    hits = {"top1": 0, "top5": 0, "top1_heading": 0, "top5_heading": 0}
    for item, query, lexical, embedding in scored:
        codes = [s.hs6 for s in rank(entries, lexical, embedding, query, fusion, k=5)]
        hits["top1"] += codes[0] == item.hs6
        hits["top5"] += item.hs6 in codes
        hits["top1_heading"] += codes[0][:4] == item.hs6[:4]
        hits["top5_heading"] += item.hs6[:4] in {c[:4] for c in codes}
    n = max(len(scored), 1)
    return {k: round(v / n, 3) for k, v in hits.items()}


def run(items: list[Item] | None = None) -> dict[str, Any]:
    from adapters.customs.hs_suggest import HsIndex

    items = items if items is not None else labelled()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    index = HsIndex()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scored: dict[bool, list[tuple[Item, str, list[float], list[float]]]] = {}
    started = time.perf_counter()
    for glossary in (True, False):
        scored[glossary] = []
        for item in items:
            query = query_text(item.description, item.material, item.use, glossary)
            lexical, embedding = index.scores(query)
            scored[glossary].append((item, query, lexical.tolist(), embedding.tolist()))
    t0 = time.perf_counter()
    for _item, query, lexical, embedding in scored[True][:50]:
        rank(index.entries, lexical, embedding, query, DEFAULT_FUSION, k=5)
    per_rank = (time.perf_counter() - t0) / min(len(items), 50)
    per_query = (t0 - started) / max(2 * len(items), 1) + per_rank
    rows = []
    for name, fusion, glossary in RANKERS:
        every = scored[glossary]
        dev = [s for s in every if s[0].split == "dev"]
        test = [s for s in every if s[0].split == "test"]
        rows.append(
            {
                "ranker": name,
                "fusion": fusion.as_dict(),
                "glossary": glossary,
                "dev": accuracy(dev, index.entries, fusion),
                "test": accuracy(test, index.entries, fusion),
                "all": accuracy(every, index.entries, fusion),
            }
        )
    best = max(rows, key=lambda r: (r["dev"]["top5"], r["dev"]["top5_heading"], r["dev"]["top1"]))
    return {
        "items": len(items),
        "dev_items": sum(i.split == "dev" for i in items),
        "test_items": sum(i.split == "test" for i in items),
        "ruling_backed": sum(i.source.startswith("CBP") for i in items),
        "subheadings": len(index.entries),
        "build_seconds": round(index.build_seconds, 2),
        "index_mb": round(index.memory_bytes / 1e6, 1),
        "process_rss_growth_mb": round((rss_after - rss_before) / 1024, 1),
        "ms_per_suggestion": round(per_query * 1000, 1),
        "version": index.version(),
        "default_fusion": DEFAULT_FUSION.as_dict(),
        "dev_best": best["ranker"],
        "rows": rows,
    }


def markdown(result: dict[str, Any]) -> str:
    """The README table: test split (and dev) accuracy per ranker."""
    lines = [
        "| ranker | test top-1 HS6 | test top-5 HS6 | test top-1 HS4 | test top-5 HS4 "
        "| dev top-1 HS6 | dev top-5 HS6 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        t, d = r["test"], r["dev"]
        mark = " (dev-best)" if r["ranker"] == result["dev_best"] else ""
        lines.append(
            f"| {r['ranker']}{mark} | {t['top1']:.0%} | {t['top5']:.0%} | {t['top1_heading']:.0%} "
            f"| {t['top5_heading']:.0%} | {d['top1']:.0%} | {d['top5']:.0%} |"
        )
    return "\n".join(lines)


def report(result: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console(width=140)
    console.print(
        f"[bold]HS suggestions[/bold]: {result['items']} labelled descriptions "
        f"({result['ruling_backed']} from CBP rulings; dev {result['dev_items']}, "
        f"test {result['test_items']}), {result['subheadings']:,} HS6 subheadings; index built "
        f"in {result['build_seconds']} s, {result['index_mb']} MB of matrices (process RSS grew "
        f"{result['process_rss_growth_mb']} MB with scipy and wordllama loaded), {result['ms_per_suggestion']} ms a suggestion"
    )
    console.print(markdown(result), markup=False)
    console.print(
        f"dev-best: {result['dev_best']}; the shipped default is {result['default_fusion']}"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(
        prog="python -m scripts.bench_hs", description=__doc__.split("\n")[0]
    )
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args(argv)
    result = run()
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
