"""Pick waves and pick lists: what a picker walks, in route order, and what was scanned.

A wave is the decision record of a release: which shipments went in (earliest cut-off first),
how they were packed onto carts (caps on lines and weight), and each cart's route. A pick list
is one cart's task; assigning it is a version-checked write, so two pickers never share one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import InvalidTransition

OPEN, ASSIGNED, DONE = "open", "assigned", "done"


def plan_carts(
    shipments: list[dict[str, Any]], max_lines: int, max_weight_g: int
) -> list[list[dict[str, Any]]]:
    """First-fit in cut-off order; a shipment never spans carts. A shipment bigger than a cart
    gets a cart of its own (it still has to be picked)."""
    carts: list[list[dict[str, Any]]] = []
    loads: list[tuple[int, int]] = []
    for s in sorted(shipments, key=lambda s: (s["cutoff"], s["shipment_id"])):
        lines, weight = len(s["picks"]), s["weight_g"]
        for i, (n, w) in enumerate(loads):
            if n + lines <= max_lines and w + weight <= max_weight_g:
                carts[i].append(s)
                loads[i] = (n + lines, w + weight)
                break
        else:
            carts.append([s])
            loads.append((lines, weight))
    return carts


class Wave(Aggregate):
    @staticmethod
    def create_id(wave_id: UUID) -> UUID:
        return wave_id

    @event("Released")
    def __init__(
        self,
        wave_id: UUID,
        warehouse_id: str,
        cutoff: str,
        max_lines: int,
        max_weight_g: int,
        shipments: list[str],
        pick_lists: list[str],
        released_by: str,
    ) -> None:
        self.warehouse_id = warehouse_id
        self.cutoff = cutoff
        self.max_lines = max_lines
        self.max_weight_g = max_weight_g
        self.shipments = shipments
        self.pick_lists = pick_lists
        self.released_by = released_by


class PickList(Aggregate):
    @staticmethod
    def create_id(pick_list_id: UUID) -> UUID:
        return pick_list_id

    @event("Created")
    def __init__(
        self,
        pick_list_id: UUID,
        warehouse_id: str,
        wave_id: str,
        cart_no: int,
        cutoff: str,
        lines: list[dict[str, Any]],
        route: dict[str, Any],
    ) -> None:
        self.warehouse_id = warehouse_id
        self.wave_id = wave_id
        self.cart_no = cart_no
        self.cutoff = cutoff
        # line: line_no, order_id, shipment_no, sku, lot, bin, quantity, picked, short
        self.lines = [dict(ln, picked=0, short=0) for ln in lines]
        self.route = route
        self.status = OPEN
        self.picker: str | None = None
        self.scans: dict[str, dict[str, Any]] = {}

    # ---------------------------------------------------------------- queries
    def remaining(self, line: dict[str, Any]) -> int:
        return line["quantity"] - line["picked"] - line["short"]

    def ordered_lines(self) -> list[dict[str, Any]]:
        """Open lines in route order (the route visits bins; lines in one bin by line number)."""
        rank = {code: i for i, code in enumerate(self.route["sequence"])}
        return sorted(
            (ln for ln in self.lines if self.remaining(ln) > 0),
            key=lambda ln: (rank.get(ln["bin"], len(rank)), ln["line_no"]),
        )

    def next_line(self) -> dict[str, Any] | None:
        todo = self.ordered_lines()
        return todo[0] if todo else None

    def line(self, line_no: int) -> dict[str, Any]:
        for ln in self.lines:
            if ln["line_no"] == line_no:
                return ln
        raise InvalidTransition(f"pick list has no line {line_no}")

    def shipment_done(self, order_id: str, shipment_no: int) -> bool:
        return all(
            self.remaining(ln) == 0
            for ln in self.lines
            if ln["order_id"] == order_id and ln["shipment_no"] == shipment_no
        )

    # ---------------------------------------------------------------- commands
    @event("Assigned")
    def assign(self, picker: str) -> None:
        if self.status != OPEN:
            raise InvalidTransition(f"pick list is {self.status}")
        self.status = ASSIGNED
        self.picker = picker

    def _check_scan(self, picker: str, scan_id: str) -> None:
        """Only the assigned picker scans, and a scan id is applied once."""
        if self.status != ASSIGNED or self.picker != picker:
            raise InvalidTransition(f"pick list is {self.status} and belongs to {self.picker}")
        if scan_id in self.scans:
            raise InvalidTransition(f"scan {scan_id} was already applied")

    def scan(self, scan_id: str, picker: str, line_no: int, quantity: int) -> None:
        self._check_scan(picker, scan_id)
        self._scanned(
            scan_id=scan_id,
            picker=picker,
            line_no=line_no,
            quantity=quantity,
            done=self._would_finish(line_no, quantity, 0),
        )

    @event("Scanned")
    def _scanned(self, scan_id: str, picker: str, line_no: int, quantity: int, done: bool) -> None:
        self.line(line_no)["picked"] += quantity
        self.scans[scan_id] = {"line_no": line_no, "quantity": quantity, "kind": "pick"}
        if done:
            self.status = DONE

    def _would_finish(self, line_no: int, picked: int, short: int) -> bool:
        return all(
            self.remaining(ln) - ((picked + short) if ln["line_no"] == line_no else 0) == 0
            for ln in self.lines
        )

    def report_short(
        self,
        scan_id: str,
        picker: str,
        line_no: int,
        found: int,
        missing: int,
        reason: str,
        new_lines: list[dict[str, Any]],
        route: dict[str, Any],
        resolution: str,
    ) -> None:
        """The bin held fewer units than listed. `new_lines` are replacement picks from other
        bins or lots of this warehouse, already reserved; `route` is the re-planned rest."""
        self._check_scan(picker, scan_id)
        done = self._would_finish(line_no, found, missing) and not new_lines
        self._shorted(
            scan_id=scan_id,
            picker=picker,
            line_no=line_no,
            found=found,
            missing=missing,
            reason=reason,
            new_lines=new_lines,
            route=route,
            resolution=resolution,
            done=done,
        )

    @event("ShortReported")
    def _shorted(
        self,
        scan_id: str,
        picker: str,
        line_no: int,
        found: int,
        missing: int,
        reason: str,
        new_lines: list[dict[str, Any]],
        route: dict[str, Any],
        resolution: str,
        done: bool,
    ) -> None:
        line = self.line(line_no)
        line["picked"] += found
        line["short"] += missing
        self.lines += [dict(ln, picked=0, short=0) for ln in new_lines]
        self.route = route
        self.scans[scan_id] = {
            "line_no": line_no,
            "found": found,
            "missing": missing,
            "kind": "short",
            "resolution": resolution,
        }
        if done:
            self.status = DONE

    def details(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "warehouse_id": self.warehouse_id,
            "wave_id": self.wave_id,
            "cart_no": self.cart_no,
            "cutoff": self.cutoff,
            "status": self.status,
            "picker": self.picker,
            "route": self.route,
            "next": [
                {
                    "line_no": ln["line_no"],
                    "bin": ln["bin"],
                    "sku": ln["sku"],
                    "lot": ln["lot"],
                    "quantity": self.remaining(ln),
                    "order_id": ln["order_id"],
                    "shipment_no": ln["shipment_no"],
                }
                for ln in self.ordered_lines()
            ],
            "lines": self.lines,
            "version": self.version,
        }
