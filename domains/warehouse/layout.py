"""A single-block warehouse layout, its bin codes and the walking distance between two points.

Pure: standard library only. The layout is plain data (`to_dict`/`from_dict`) so a warehouse's
layout can be recorded in an event and replayed without anything else.

Geometry (all of it in integer centimetres once a point exists, so every distance adds up
exactly and the exact route references in routing.py agree to the centimetre):

- Zones sit side by side along the cross-aisles, in the order given; each has `aisles_per_zone`
  aisles, one pitch apart, numbered 1.. within the zone. The global aisle index is 0-based across
  zones (zone A aisle 1 is 0, zone B aisle 1 is `aisles_per_zone`) and aisle g's centre line is
  at x = g * aisle_pitch_m: the first aisle of the first zone is at x = 0.
- y runs along the aisles. y = 0 is the centre line of the front cross-aisle (where the pack
  station is), y = H the centre line of the back one, H = cross_aisle_m + bays_per_aisle *
  bay_pitch_m: half a cross-aisle, the racks, half a cross-aisle. Bay b (1-based) is picked from
  the aisle centre line at y = cross_aisle_m / 2 + (b - 0.5) * bay_pitch_m.
- A picker walks only aisle centre lines and the two cross-aisle centre lines. Within one aisle
  the distance is |y1 - y2|; between aisles it is |x1 - x2| + min(y1 + y2, 2H - y1 - y2), through
  the front or the back cross-aisle, whichever is shorter. The depot is a point on the front
  cross-aisle (y = 0) at `depot_x_m`; it need not be in front of an aisle.
- The level (height) does not change the walking distance.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domains.common import DomainError


class InvalidLayout(DomainError):
    """A layout whose dimensions cannot describe a warehouse."""


class InvalidBinCode(DomainError):
    """A bin code that is malformed or names a place the layout does not have (answered 422)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"invalid bin code {code!r}: {reason}")
        self.code = code
        self.reason = reason


def _cm(metres: float) -> int:
    return round(metres * 100)


@dataclass(frozen=True)
class BinLocation:
    code: str  # canonical: A-03-12-2
    zone: str
    aisle: int  # 1-based within the zone
    bay: int  # 1-based, counted from the front cross-aisle
    level: int  # 1-based; no effect on walking distance
    x_m: float
    y_m: float
    aisle_index: int  # 0-based across all zones

    @property
    def x_cm(self) -> int:
        return _cm(self.x_m)

    @property
    def y_cm(self) -> int:
        return _cm(self.y_m)


@dataclass(frozen=True)
class Depot:
    """The pack station: a point on the front cross-aisle, in no aisle."""

    x_m: float
    y_m: float = 0.0
    aisle_index: None = None
    code: str = "DEPOT"

    @property
    def x_cm(self) -> int:
        return _cm(self.x_m)

    @property
    def y_cm(self) -> int:
        return 0


Point = BinLocation | Depot

_FIELDS = (
    "zones",
    "aisles_per_zone",
    "bays_per_aisle",
    "levels",
    "aisle_pitch_m",
    "bay_pitch_m",
    "cross_aisle_m",
    "depot_x_m",
)


@dataclass(frozen=True)
class Layout:
    zones: Sequence[str]  # zone letters, left to right; stored as a tuple
    aisles_per_zone: int
    bays_per_aisle: int
    levels: int
    aisle_pitch_m: float = 3.0
    bay_pitch_m: float = 1.0
    cross_aisle_m: float = 3.0
    depot_x_m: float = 0.0

    def __post_init__(self) -> None:
        # A tuple keeps the frozen layout hashable and safe to share.
        object.__setattr__(self, "zones", tuple(self.zones))
        if not self.zones:
            raise InvalidLayout("a layout needs at least one zone")
        for z in self.zones:
            if not isinstance(z, str) or not re.fullmatch(r"[A-Z]+", z):
                raise InvalidLayout(f"zone {z!r} is not upper-case letters")
        if len(set(self.zones)) != len(self.zones):
            raise InvalidLayout(f"zones repeat: {list(self.zones)}")
        for name in ("aisles_per_zone", "bays_per_aisle", "levels"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidLayout(f"{name} must be a whole number >= 1, got {value!r}")
        for name in ("aisle_pitch_m", "bay_pitch_m"):
            value = getattr(self, name)
            if not math.isfinite(value) or _cm(value) < 1:
                raise InvalidLayout(f"{name} must be at least 0.01 m, got {value!r}")
        if not math.isfinite(self.cross_aisle_m) or self.cross_aisle_m < 0:
            raise InvalidLayout(f"cross_aisle_m must be >= 0, got {self.cross_aisle_m!r}")
        if not math.isfinite(self.depot_x_m):
            raise InvalidLayout(f"depot_x_m must be a finite number, got {self.depot_x_m!r}")

    # --- dimensions -----------------------------------------------------------------------

    @property
    def aisle_count(self) -> int:
        return len(self.zones) * self.aisles_per_zone

    @property
    def depth_m(self) -> float:
        """H: from the front cross-aisle's centre line to the back one's."""
        return self.cross_aisle_m + self.bays_per_aisle * self.bay_pitch_m

    @property
    def depth_cm(self) -> int:
        return _cm(self.depth_m)

    def aisle_x_cm(self, aisle_index: int) -> int:
        return _cm(aisle_index * self.aisle_pitch_m)

    @property
    def depot(self) -> Depot:
        return Depot(self.depot_x_m)

    def describe(self) -> str:
        return (
            f"{len(self.zones)} zone(s) x {self.aisles_per_zone} aisles x "
            f"{self.bays_per_aisle} bays x {self.levels} levels; aisle pitch "
            f"{self.aisle_pitch_m:g} m, bay pitch {self.bay_pitch_m:g} m, cross-aisles "
            f"{self.cross_aisle_m:g} m, depot at x={self.depot_x_m:g} m on the front cross-aisle"
        )

    # --- distances (integer centimetres) ---------------------------------------------------

    def distance(self, a: Point, b: Point) -> int:
        """Shortest walk from a to b along aisles and cross-aisles, in centimetres."""
        if a.aisle_index is not None and a.aisle_index == b.aisle_index:
            return abs(a.y_cm - b.y_cm)
        h = self.depth_cm
        ya, yb = a.y_cm, b.y_cm
        return abs(a.x_cm - b.x_cm) + min(ya + yb, 2 * h - ya - yb)

    def distance_matrix(self, points: Sequence[Point]) -> list[list[int]]:
        """Pairwise distances in centimetres; callers put the depot first for the solvers."""
        return [[self.distance(a, b) for b in points] for a in points]

    # --- storage ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {name: getattr(self, name) for name in _FIELDS}
        d["zones"] = list(self.zones)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Layout:
        missing = [name for name in _FIELDS if name not in data]
        if missing:
            raise InvalidLayout(f"layout is missing {', '.join(missing)}")
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise InvalidLayout(f"layout has unknown fields {', '.join(unknown)}")
        return cls(**{name: data[name] for name in _FIELDS})


# zone-aisle-bay-level; digits only, any padding (A-3-7-1 and A-03-07-1 are the same bin).
_BIN = re.compile(r"([A-Za-z]+)-(\d+)-(\d+)-(\d+)")


def canonical_code(zone: str, aisle: int, bay: int, level: int) -> str:
    return f"{zone}-{aisle:02d}-{bay:02d}-{level}"


def parse_bin(layout: Layout, code: str) -> BinLocation:
    """The bin's place in the layout; InvalidBinCode says what is wrong with a bad code."""
    if not isinstance(code, str):
        raise InvalidBinCode(repr(code), "a bin code is a string like A-03-12-2")
    m = _BIN.fullmatch(code.strip())
    if m is None:
        raise InvalidBinCode(
            code, "expected zone-aisle-bay-level, e.g. A-03-12-2 (letters, then three numbers)"
        )
    zone = m.group(1).upper()
    aisle, bay, level = int(m.group(2)), int(m.group(3)), int(m.group(4))
    if zone not in layout.zones:
        raise InvalidBinCode(code, f"zone {zone} is not one of {', '.join(layout.zones)}")
    if not 1 <= aisle <= layout.aisles_per_zone:
        raise InvalidBinCode(
            code,
            f"aisle {aisle} is beyond the {layout.aisles_per_zone} aisles of zone {zone}"
            if aisle > 0
            else "aisles are numbered from 1",
        )
    if not 1 <= bay <= layout.bays_per_aisle:
        raise InvalidBinCode(
            code,
            f"bay {bay} is beyond the {layout.bays_per_aisle} bays of aisle {zone}-{aisle:02d}"
            if bay > 0
            else "bays are numbered from 1",
        )
    if not 1 <= level <= layout.levels:
        raise InvalidBinCode(
            code,
            f"level {level} is beyond the {layout.levels} levels of the racks"
            if level > 0
            else "levels are numbered from 1",
        )
    index = layout.zones.index(zone) * layout.aisles_per_zone + aisle - 1
    return BinLocation(
        code=canonical_code(zone, aisle, bay, level),
        zone=zone,
        aisle=aisle,
        bay=bay,
        level=level,
        x_m=index * layout.aisle_pitch_m,
        y_m=layout.cross_aisle_m / 2 + (bay - 0.5) * layout.bay_pitch_m,
        aisle_index=index,
    )
