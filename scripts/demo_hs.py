"""The demo's HS suggestion line (`make demo`): every catalogue product's name is looked up in
the HS suggestion index, and the line says how often the catalogue's own HS6 code is the first
suggestion or among the first five, with one example. Reads only: nothing is recorded."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console

from domains.customs.tables import hs_digits


def hs_line(svc: Any, console: Console) -> dict[str, Any]:
    from adapters.customs.hs_suggest import default_index

    started = time.perf_counter()
    index = default_index()
    products = [
        (p.name, hs_digits(p.hs_code)[:6])
        for p in svc.app.reference.current()["products"].values()
        if p.hs_code and len(hs_digits(p.hs_code)) >= 6
    ]
    top1 = top5 = 0
    example = None
    for name, hs6 in products:
        found = index.suggest(name, k=5)
        top1 += found[0].hs6 == hs6
        top5 += hs6 in [s.hs6 for s in found]
        if example is None and found[0].hs6 == hs6 and found[0].matched_words:
            example = (name, found[0])
    seconds = time.perf_counter() - started
    shown = ""
    if example:
        name, s = example
        shown = f'; e.g. "{name}" -> {s.hs6} (matched: {", ".join(s.matched_words[:3])})'
    console.print(
        f"HS suggestions: catalogue's own HS6 first for {top1}/{len(products)} products, in the "
        f"top five for {top5}/{len(products)}{shown} ({seconds:.1f} s with the index build)"
    )
    return {"products": len(products), "top1": top1, "top5": top5, "seconds": round(seconds, 2)}
