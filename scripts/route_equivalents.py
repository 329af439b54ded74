"""Evidence for the surviving mutants of the exact route DP that the README calls equivalent.

mutmut's survivors in `optimal_length`'s helpers (domains/warehouse/routing.py) are re-applied
here by text, one at a time, and each mutated `optimal_length` is compared with the original on
random single-block layouts and pick lists (the generator of tests/unit/test_layout_routing.py,
half of the lists topped up to 25 more picks). Prints, per mutant, how many lengths differ.

    python -m scripts.route_equivalents [seed] [instances]
"""

from __future__ import annotations

import random
import sys
import types
from pathlib import Path

from domains.warehouse import routing
from domains.warehouse.layout import parse_bin
from tests.unit.test_layout_routing import _random_instance

# (line, text, replacement), as in var/mutate-report.md
MUTANTS = [
    (240, "+ added", "- added"),
    (248, "(2 * h, 2, 2, True)", "(3 * h, 2, 2, True)"),
    (248, "(2 * h, 2, 2, True)", "(2 * h, 2, 2, False)"),
    (248, ", (2 * h, 2, 2, True)]", "]"),  # no "through twice" at all
    (269, "(_NONE, _NONE, False): 0", "(_NONE, _NONE, True): 0"),
    (306, "cost + extra < after", "cost + extra <= after"),
    (324, "continue", "break"),
    (326, "front > 0 or", "front > 1 or"),
    (326, "back > 0))", "back >= 0))"),
    (326, "back > 0))", "back > 1))"),
    (327, "back > 0 or", "back > 1 or"),
    (327, "front > 0))", "front >= 0))"),
    (327, "front > 0))", "front > 1))"),
    (331, "continue", "break"),
    (335, "front > 0 and", "front >= 0 and"),
    (335, "front > 0 and", "front > 1 and"),
    (335, "back > 0,", "back >= 0,"),
    (335, "back > 0,", "back > 1,"),
    (338, "total < states", "total <= states"),
    (347, "_ODD or db", "_ODD and db"),
    (352, "continue", "break"),
]


def main() -> None:
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
    rng = random.Random(seed)
    cases = []
    for n in range(count):
        layout, stops = _random_instance(rng)
        if n % 2:
            stops += [
                parse_bin(
                    layout,
                    f"{rng.choice(layout.zones)}-{rng.randint(1, layout.aisles_per_zone)}"
                    f"-{rng.randint(1, layout.bays_per_aisle)}-1",
                )
                for _ in range(rng.randint(0, 25))
            ]
        cases.append((layout, stops, routing.optimal_length(layout, stops)))
    source = Path(routing.__file__).read_text().splitlines(keepends=True)
    for line, old, new in MUTANTS:
        lines = list(source)
        if old not in lines[line - 1]:
            raise SystemExit(f"line {line} no longer holds {old!r}: update MUTANTS")
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
        module = types.ModuleType("routing_mutant")
        sys.modules[module.__name__] = module  # dataclasses look their module up
        exec(compile("".join(lines), module.__name__, "exec"), module.__dict__)  # noqa: S102
        differ = sum(module.optimal_length(lay, st) != want for lay, st, want in cases)
        print(f"routing.py:{line} {old!r} -> {new!r}: {differ} of {len(cases)} lengths differ")


if __name__ == "__main__":
    main()
