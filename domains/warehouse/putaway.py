"""Where received goods go: the same SKU and lot together, fast movers near the depot.

Pure: the layout, what each bin holds now, the product's unit volume and its sales velocity are
inputs. Bin capacity is a volume (bay width x rack depth x level height) with a fill factor,
because nobody stacks a bin to the last cubic centimetre.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domains.warehouse.layout import Layout, canonical_code, parse_bin

RACK_DEPTH_CM = 80
LEVEL_HEIGHT_CM = 50
FILL_FACTOR = 0.85


@dataclass(frozen=True)
class PutawaySuggestion:
    bin: str
    reason: str
    capacity_units: int
    distance_m: float
    alternatives: list[str]


def bin_volume_cm3(layout: Layout) -> float:
    return layout.bay_pitch_m * 100 * RACK_DEPTH_CM * LEVEL_HEIGHT_CM * FILL_FACTOR


def unit_volume_cm3(dimensions_mm: list[int]) -> float:
    length, width, height = dimensions_mm
    return max(1.0, length * width * height / 1000)


def all_bins(layout: Layout) -> list[str]:
    return [
        canonical_code(zone, aisle, bay, level)
        for zone in layout.zones
        for aisle in range(1, layout.aisles_per_zone + 1)
        for bay in range(1, layout.bays_per_aisle + 1)
        for level in range(1, layout.levels + 1)
    ]


def suggest(
    layout: Layout,
    sku: str,
    lot: str,
    quantity: int,
    unit_cm3: float,
    contents: dict[str, list[dict[str, Any]]],
    volumes: dict[str, float],
    velocity_rank: float,
) -> PutawaySuggestion | None:
    """`contents`: bin -> [{sku, lot, quantity}]; `volumes`: sku -> unit volume (cm3);
    `velocity_rank`: 0 for the fastest mover, 1 for the slowest (share of SKUs faster)."""
    capacity = bin_volume_cm3(layout)
    depot = layout.depot

    def used(code: str) -> float:
        return sum(volumes.get(c["sku"], 1000.0) * c["quantity"] for c in contents.get(code, []))

    def room(code: str) -> int:
        return int((capacity - used(code)) // unit_cm3)

    def dist(code: str) -> float:
        return layout.distance(depot, parse_bin(layout, code)) / 100

    same_lot = [
        b
        for b, items in contents.items()
        if any(c["sku"] == sku and c["lot"] == lot for c in items) and room(b) >= quantity
    ]
    if same_lot:
        best = min(same_lot, key=dist)
        return PutawaySuggestion(
            best,
            f"lot {lot} of {sku} is already in {best}",
            room(best),
            round(dist(best), 2),
            sorted(same_lot, key=dist)[1:4],
        )
    empty = [b for b in all_bins(layout) if not contents.get(b) and room(b) >= quantity]
    if not empty:
        return None
    # Golden zone first for fast movers: low levels near the depot.
    empty.sort(key=lambda b: (dist(b), parse_bin(layout, b).level))
    index = min(len(empty) - 1, int(velocity_rank * (len(empty) - 1)))
    best = empty[index]
    speed = "fast" if velocity_rank < 0.2 else "slow" if velocity_rank > 0.6 else "medium"
    return PutawaySuggestion(
        best,
        f"empty bin for a {speed} mover ({dist(best):.1f} m from the depot)",
        room(best),
        round(dist(best), 2),
        empty[index + 1 : index + 4],
    )


def plan(
    layout: Layout,
    sku: str,
    lot: str,
    quantity: int,
    unit_cm3: float,
    contents: dict[str, list[dict[str, Any]]],
    volumes: dict[str, float],
    velocity_rank: float,
) -> list[tuple[str, int, str]]:
    """Placements [(bin, units, reason)]: one bin when one holds it all, else bin after bin."""
    contents = {b: list(items) for b, items in contents.items()}
    out: list[tuple[str, int, str]] = []
    left = quantity
    while left > 0:
        whole = suggest(layout, sku, lot, left, unit_cm3, contents, volumes, velocity_rank)
        if whole is not None:
            out.append((whole.bin, left, whole.reason))
            return out
        part = suggest(layout, sku, lot, 1, unit_cm3, contents, volumes, velocity_rank)
        if part is None or part.capacity_units < 1:
            raise ValueError(f"no room left in the warehouse for {left} more units of {sku}")
        take = min(left, part.capacity_units)
        out.append((part.bin, take, part.reason + f"; {take} of {quantity} units fit here"))
        contents.setdefault(part.bin, []).append({"sku": sku, "lot": lot, "quantity": take})
        volumes.setdefault(sku, unit_cm3)
        left -= take
    return out
