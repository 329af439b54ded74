"""Process-level tuning for Crossdock's long-running processes (API server, Kafka consumer and
relay, projection worker, benchmarks).

CPython's cyclic garbage collector walks every tracked object in a full (generation 2)
collection. After start-up a process holds a few hundred thousand objects that live for good
(modules of FastAPI, pandas, OR-Tools, the reference data), and a full collection paused order
intake for about 75 ms on the build machine: the main cause of the HTTP p99 tail. So, once
start-up is done:

- `gc.freeze()` moves everything alive into the permanent generation, which collections skip;
- the generation-0 threshold goes from 700 to 7,000 allocations: intake allocates many small
  dicts per order, and each young collection also walks the survivors of the last one.

Reference cycles are still collected, only less often; memory stays bounded (measured in
`make bench`).
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (7_000, 20, 20)


def tune_gc() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
