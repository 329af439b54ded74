"""List queries over the views (projections/db.py `Where` and `ViewDB.page`) on both stores."""

from __future__ import annotations

import pytest

from projections.db import ViewDB, Where


@pytest.fixture
def db(store):
    views = ViewDB(store)
    views.execute("CREATE TABLE t_items (id TEXT PRIMARY KEY, kind TEXT, codes TEXT, at TEXT)")
    views.executemany(
        "INSERT INTO t_items VALUES (?, ?, ?, ?)",
        [
            ("1", "a", "x,a_b", "2026-11-01T00:00:00+00:00"),
            ("2", "a", "axb", "2026-11-02T00:00:00+00:00"),
            ("3", "b", "", "2026-11-03T00:00:00+00:00"),
            ("4", "b", "x%,y", "2026-11-04T00:00:00+00:00"),
            ("5", "a", "y", "2026-11-05T00:00:00+00:00"),
        ],
    )
    yield views
    views.close()


def ids(db: ViewDB, where: Where, limit: int = 10, offset: int = 0) -> tuple[list[str], int]:
    rows, total = db.page("t_items", where, "id", limit, offset)
    return [r["id"] for r in rows], total


def test_filters_combine_and_absent_ones_are_no_filter(db):
    assert ids(db, Where()) == (["1", "2", "3", "4", "5"], 5)
    assert ids(db, Where().equal("kind", "a").equal("codes", None).listed("codes", "")) == (
        ["1", "2", "5"],
        3,
    )
    assert ids(db, Where().equal("kind", "a").listed("codes", "y")) == (["5"], 1)
    window = Where().compare("at", ">=", "2026-11-02T00:00:00+00:00")
    assert ids(db, window.compare("at", "<=", "2026-11-04T00:00:00+00:00")) == (["2", "3", "4"], 3)


def test_list_membership_is_exact_not_a_pattern(db):
    assert ids(db, Where().listed("codes", "a_b")) == (["1"], 1)  # "_" is not any character
    assert ids(db, Where().listed("codes", "x%")) == (["4"], 1)  # "%" is not anything
    assert ids(db, Where().listed("codes", "%")) == ([], 0)
    assert ids(db, Where().listed("codes", "x")) == (["1"], 1)  # a whole item, not a prefix


def test_pages_and_total(db):
    assert ids(db, Where(), limit=2, offset=0) == (["1", "2"], 5)
    assert ids(db, Where(), limit=2, offset=4) == (["5"], 5)
    assert ids(db, Where().equal("kind", "b"), limit=1, offset=1) == (["4"], 2)


def test_only_comparisons_are_accepted_as_operators():
    with pytest.raises(ValueError, match="not a comparison"):
        Where().compare("at", "= 1 OR 1 =", "x")
