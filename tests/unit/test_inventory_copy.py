"""Inventory's own deep copy (what the repository cache hands out for every command)."""

from __future__ import annotations

import copy
from typing import Any

from domains.warehouse.model import Inventory

MUTABLE = (dict, list, set)


def _shared_mutables(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths where the copy holds the very same mutable object as the original."""
    found = []
    if isinstance(a, MUTABLE) and a is b:
        found.append(path or "<root>")
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            found += _shared_mutables(a[k], b.get(k), f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found += _shared_mutables(x, y, f"{path}[{i}]")
    return found


def _stocked() -> Inventory:
    inv = Inventory("LAX", "SKU-TEA-001")
    inv.receive(10, "r1", lot="L1", bin="A-01-01", expiry="2027-01-01")
    inv.receive(5, "r2", lot="L2", bin="A-01-02", expiry="2027-06-01")
    inv.reserve("order-1", 4)
    inv.reserve("order-2", 9)
    return inv


def test_copy_has_the_same_state_and_shares_no_mutable_part():
    inv = _stocked()
    clone = copy.deepcopy(inv)
    assert type(clone) is Inventory
    assert vars(clone) == vars(inv)
    assert _shared_mutables(vars(inv), vars(clone)) == []


def test_changing_the_copy_leaves_the_original_alone():
    inv = _stocked()
    before = copy.deepcopy(vars(inv))  # plain dict: the library's generic deep copy
    clone = copy.deepcopy(inv)
    clone.reserve("order-3", 1)
    clone.release("order-1")
    clone.lots[next(iter(clone.lots))]["on_hand"] = 0
    clone.receipts.append("r3")
    assert vars(inv) == before


def test_an_attribute_added_later_is_still_copied_deeply():
    inv = _stocked()
    inv.__dict__["notes"] = {"x": [1, 2]}
    clone = copy.deepcopy(inv)
    assert clone.notes == {"x": [1, 2]} and clone.notes is not inv.notes
    assert clone.notes["x"] is not inv.notes["x"]
