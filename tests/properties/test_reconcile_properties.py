"""Carrier bill reconciliation (adapters/settlement/reconcile.py) on generated bills and labels.

Each example is a generic-layout CSV bill (parsed by `parse_bill`, as uploads are) against a
generated set of labels: waybills billed once, twice or on an earlier bill, unknown and voided
ones, spaces and lower case in waybills, credits (negative amounts), surcharges in and out of
the quote, and bills and quotes in one or several currencies.

What must hold whatever the input:
- every bill line appears exactly once in `lines`, in file order;
- what we expect to pay per line is what an independent reading of the rules says: the quoted
  total of the waybill's last label, or nothing for an unknown, voided or repeated waybill;
- the totals add up: per currency, billed = expected + overcharge - undercharge over the lines
  whose bill and quote share a currency (all of them when the bill has one currency), and
  every total is the sum of its lines;
- the discrepancy rows, the lines' kinds and the totals' counts tell the same story, and a
  line we owe nothing for is flagged for that reason alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
from hypothesis import event, example, given, note, settings
from hypothesis import strategies as st

from adapters.settlement import DISCREPANCY_KINDS, parse_bill, reconcile
from adapters.settlement.files import EXPECTED_COLUMNS
from tests.properties.settings import REPRODUCIBLE

EXAMPLES = 200
SURCHARGES = ("remote_area", "oversize", "additional_handling")
HEADER = (
    "waybill,carrier,service,billed_weight_kg,base,fuel,"
    + ",".join(f"surcharge_{s}" for s in SURCHARGES)
    + ",currency,bill_line_ref"
)
# The label columns, as the bill upload use case builds them (also when there are no labels).
LABEL_COLUMNS = EXPECTED_COLUMNS
NOT_OWED = {"unknown_waybill", "voided_label_billed", "duplicate_billing"}


def amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def norm(waybill: str) -> str:
    return "".join(waybill.split()).upper()


@st.composite
def spelled(draw: st.DrawFn, waybill: str) -> str:
    """The same waybill as a carrier or a label might write it: case and spaces vary."""
    if draw(st.booleans()):
        return waybill
    out = waybill.lower() if draw(st.booleans()) else waybill
    cut = draw(st.integers(1, len(out) - 1))
    return out[:cut] + " " + out[cut:]


@dataclass
class Case:
    labels: list[dict]
    bill_rows: list[dict]  # what was written into the CSV, one per line (line 2, 3, ...)
    previously_billed: list[str]

    def csv(self) -> bytes:
        rows = [HEADER]
        for r in self.bill_rows:
            rows.append(
                ",".join(
                    [
                        r["waybill"],
                        "acme",
                        "EXPRESS",
                        r["kg"],
                        amount(r["base"]),
                        amount(r["fuel"]),
                        *(amount(r[s]) if r[s] is not None else "" for s in SURCHARGES),
                        r["currency"],
                        f"R{len(rows)}",
                    ]
                )
            )
        return ("\n".join(rows) + "\n").encode()


@st.composite
def cases(draw: st.DrawFn) -> Case:
    one_currency = draw(st.booleans())
    currencies = ["EUR"] if one_currency else ["EUR", "USD", "GBP"]
    pool = [f"WB{n:04d}" for n in draw(st.sets(st.integers(0, 9999), min_size=1, max_size=8))]
    labels = []
    for wb in pool:
        for _ in range(draw(st.sampled_from([0, 1, 1, 2]))):  # none, one or two: the last wins
            base = draw(st.integers(0, 50_000))
            fuel_pct = draw(st.sampled_from([0.0, 10.0, 19.75, 20.5]))
            quoted = {
                s: draw(st.integers(0, 3_000))
                for s in draw(st.sets(st.sampled_from(SURCHARGES[:2]), max_size=2))
            }
            fuel = round((base + sum(quoted.values())) * fuel_pct / 100)
            labels.append(
                {
                    "waybill": draw(spelled(wb)),
                    "carrier": "acme",
                    "service": "express",
                    "order_id": f"O-{wb}",
                    "shipment_id": f"S-{wb}",
                    "status": draw(st.sampled_from(["labelled", "dispatched", "voided"])),
                    "chargeable_weight_kg": draw(st.integers(1, 80)) / 2,
                    "quoted_base_cents": base,
                    "quoted_fuel_cents": fuel,
                    "fuel_pct": fuel_pct,
                    "quoted_surcharges": json.dumps(quoted),
                    "quoted_total_cents": base + fuel + sum(quoted.values()),
                    "currency": draw(st.sampled_from(currencies)),
                }
            )
    last = {norm(lab["waybill"]): lab for lab in labels}
    bill_rows = []
    for _ in range(draw(st.integers(1, 12))):
        wb = (
            draw(st.sampled_from(pool))
            if draw(st.integers(0, 4))
            else "ZZ" + draw(st.sampled_from(["1", "2", "3"]))
        )
        label = last.get(wb)
        if label is not None and draw(st.booleans()):
            row = draw(near_the_quote(label))
        else:
            row = {
                "kg": f"{draw(st.integers(1, 40_000)) / 1000:.3f}",
                "base": draw(st.integers(-5_000, 60_000)),
                "fuel": draw(st.integers(-1_000, 12_000)),
                **{s: draw(st.none() | st.integers(-500, 4_000)) for s in SURCHARGES},
                "currency": draw(st.sampled_from(currencies)),
            }
        bill_rows.append({"waybill": draw(spelled(wb)), **row})
    previously = draw(st.lists(st.sampled_from(pool).flatmap(spelled), max_size=2))
    return Case(labels, bill_rows, previously)


@st.composite
def near_the_quote(draw: st.DrawFn, label: dict) -> dict:
    """A bill line that bills (about) what was quoted: the tolerance edges get exercised."""
    quoted = json.loads(label["quoted_surcharges"])
    base = label["quoted_base_cents"] + draw(st.integers(-3, 3))
    surcharges = {
        s: (quoted[s] + draw(st.integers(-2, 2)) if s in quoted else None) for s in SURCHARGES
    }
    fuel_base = base + sum(v or 0 for k, v in surcharges.items() if k != "additional_handling")
    grams = round(label["chargeable_weight_kg"] * 1000) + draw(st.integers(-700, 2_000))
    return {
        "kg": f"{max(grams, 1) / 1000:.3f}",
        "base": base,
        "fuel": round(fuel_base * label["fuel_pct"] / 100) + draw(st.integers(-30, 30)),
        **surcharges,
        "currency": label["currency"],
    }


def expected_by_rule(case: Case) -> list[tuple[str | None, int, str]]:
    """Per bill line, read from the rules alone: (why nothing is owed or None, cents expected,
    the currency that amount is in)."""
    last = {norm(lab["waybill"]): lab for lab in case.labels}
    before = {norm(w) for w in case.previously_billed}
    seen: set[str] = set()
    out = []
    for row in case.bill_rows:
        key = norm(row["waybill"])
        label = last.get(key)
        repeated = key in seen or key in before
        seen.add(key)
        if label is None:
            out.append(("unknown_waybill", 0, row["currency"]))
        elif label["status"] == "voided":
            out.append(("voided_label_billed", 0, row["currency"]))
        elif repeated:
            out.append(("duplicate_billing", 0, row["currency"]))
        else:
            out.append((None, label["quoted_total_cents"], label["currency"]))
    return out


def billed_total(row: dict) -> int:
    return row["base"] + row["fuel"] + sum(row[s] or 0 for s in SURCHARGES)


def run(case: Case) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    bill = parse_bill(case.csv(), "bill.csv", "generic")
    labels = pd.DataFrame(case.labels, columns=LABEL_COLUMNS)
    lines, disc, totals = reconcile(bill, labels, previously_billed=case.previously_billed)
    note(lines.to_string())
    note(disc.to_string())
    return lines, disc, totals


def kinds_by_line(disc: pd.DataFrame) -> dict[int, set[str]]:
    return {int(line): set(group["kind"]) for line, group in disc.groupby("line")}


@settings(REPRODUCIBLE, max_examples=EXAMPLES)
@given(cases())
def test_reconciliation_accounts_for_every_line_and_its_totals_add_up(case: Case) -> None:
    lines, disc, totals = run(case)
    n = len(case.bill_rows)
    for kind in disc["kind"].unique():
        event(kind)  # which kinds the examples reach: pytest --hypothesis-show-statistics
    event("one currency" if len(totals["by_currency"]) == 1 else "several currencies")

    # Every line exactly once, in file order, with what was billed on it.
    assert lines["line"].tolist() == list(range(2, n + 2))
    assert lines["total_cents"].tolist() == [billed_total(r) for r in case.bill_rows]
    assert totals["lines"] == n

    # What we expect to pay, line by line, as the rules say.
    rule = expected_by_rule(case)
    assert lines["expected_cents"].tolist() == [cents for _, cents, _ in rule]
    assert lines["expected_currency"].tolist() == [cur for _, _, cur in rule]
    labelled = {norm(lab["waybill"]) for lab in case.labels}
    assert totals["matched"] == sum(norm(r["waybill"]) in labelled for r in case.bill_rows)
    comparable = [r["currency"] == cur for r, (_, _, cur) in zip(case.bill_rows, rule, strict=True)]
    for i, row in enumerate(case.bill_rows):
        diff = lines["difference_cents"].iloc[i]
        if comparable[i]:
            assert diff == billed_total(row) - rule[i][1]
        else:
            assert pd.isna(diff)

    # Totals: each the sum of its lines, and billed = expected + over - under per currency
    # over the comparable lines.
    by = totals["by_currency"]
    for cur in {r["currency"] for r in case.bill_rows} | {c for _, _, c in rule}:
        t = by[cur]
        in_bill = [i for i, r in enumerate(case.bill_rows) if r["currency"] == cur]
        in_quote = [i for i, (_, _, c) in enumerate(rule) if c == cur]
        assert t["lines"] == len(in_bill)
        assert t["billed_total"] == sum(billed_total(case.bill_rows[i]) for i in in_bill)
        assert t["expected_total"] == sum(rule[i][1] for i in in_quote)
        diffs = [billed_total(case.bill_rows[i]) - rule[i][1] for i in in_bill if comparable[i]]
        assert t["overcharge"] == sum(d for d in diffs if d > 0)
        assert t["undercharge"] == sum(-d for d in diffs if d < 0)
        billed_here = sum(billed_total(case.bill_rows[i]) for i in in_bill if comparable[i])
        expected_here = sum(rule[i][1] for i in in_quote if comparable[i])
        assert billed_here == expected_here + t["overcharge"] - t["undercharge"]
    if len(by) == 1:
        assert all(comparable)
        assert totals["billed_total"] == (
            totals["expected_total"] + totals["overcharge"] - totals["undercharge"]
        )
    else:
        assert totals["currency"] is None and totals["billed_total"] is None

    # Discrepancy rows, the lines' kinds and the totals' counts agree.
    kinds_of_line = kinds_by_line(disc)
    for i, (why, _, _) in enumerate(rule):
        line = i + 2
        kinds = set(filter(None, lines["discrepancy_kinds"].iloc[i].split(";")))
        assert kinds == kinds_of_line.get(line, set())
        assert bool(lines["has_discrepancy"].iloc[i]) == bool(kinds)
        if why is not None:
            # Flagged for why it is not owed, and for nothing that is checked on owed lines
            # (that it is flagged for that reason alone is the test below).
            assert why in kinds and kinds <= NOT_OWED
        else:
            assert not kinds & NOT_OWED
            assert ("currency_mismatch" in kinds) == (not comparable[i])
    assert totals["discrepancy_lines"] == len(kinds_of_line)
    counts = disc["kind"].value_counts() if len(disc) else {}
    assert totals["discrepancies"] == {k: int(counts.get(k, 0)) for k in DISCREPANCY_KINDS}
    assert disc["line"].tolist() == sorted(disc["line"].tolist())


# Found by the property above in its first form (minimal): an unknown waybill billed twice. The
# second line is flagged unknown_waybill AND duplicate_billing, and each row claims the line's
# whole total, so the discrepancy rows (and dispute_file, one row each) claim 2 x 10.00 for a
# line that is 10.00 over. The same happens to a voided label billed twice, and to an unknown or
# voided waybill that an earlier bill had.
UNKNOWN_TWICE = Case(
    labels=[],
    bill_rows=[
        {
            "waybill": "ZZ1",
            "kg": "1.000",
            "base": 1000,
            "fuel": 0,
            **dict.fromkeys(SURCHARGES),
            "currency": "EUR",
        }
    ]
    * 2,
    previously_billed=[],
)


@settings(REPRODUCIBLE, max_examples=EXAMPLES)
@given(cases())
@example(UNKNOWN_TWICE)
def test_a_line_owed_nothing_is_disputed_once(case: Case) -> None:
    lines, disc, _totals = run(case)
    kinds = kinds_by_line(disc)
    for i, (why, _, _) in enumerate(expected_by_rule(case)):
        if why is not None:
            assert kinds[i + 2] == {why}
            claimed = disc.loc[disc["line"] == i + 2, "difference_cents"].sum()
            assert claimed == lines["total_cents"].iloc[i]
