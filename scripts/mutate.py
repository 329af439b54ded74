"""Mutation check over the modules that carry guarantees (issue 21); `make mutate`.

Each group names the files to mutate, optionally the functions inside them (mutmut mutant-name
globs), and the test subset that exercises them. A group runs mutmut 3 in its own scratch copy
of the project under var/mutate/<group>/ (mutmut keys its `mutants/` tree and its settings on the
working directory, so one copy per group keeps each group's files, functions and tests apart and
leaves the worktree untouched). PostgreSQL tests are deselected (`-m "not postgres"`) and Kafka
tests are not in any subset, for time; the SQLite paths they share are what gets mutated.

The report, var/mutate-report.md (and var/mutate-report.json), gives per group and per file the
killed / survived / timeout / no-tests counts, and every surviving mutant with file:line and the
mutation. Not part of `make test`.

    python -m scripts.mutate                       # every group, in priority order
    python -m scripts.mutate retry split           # just these groups
    python -m scripts.mutate --budget 600 reconcile  # time box per group, in seconds
    python -m scripts.mutate --report-only         # rebuild the report from the last runs
    python -m scripts.mutate --survivors reconcile # after adding tests: re-run only the last
                                                   # run's survivors, keep the other verdicts
    python -m scripts.mutate --resume runner       # carry on a run its time box stopped

Every survivor needs a written reason in tests/mutation-survivors.md (its mutant name in
backticks); the report counts and flags those without one.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "mutate"
PACKAGES = ["domains", "adapters", "api", "projections", "scripts"]


@dataclass(frozen=True)
class Group:
    name: str
    files: list[str]
    tests: list[str]
    # mutmut mutant-name globs; empty means every function of `files`
    functions: list[str] = field(default_factory=list)


# Priority order: the run goes top to bottom, so a short budget covers the most important first.
GROUPS = [
    Group(
        "retry",
        ["domains/store.py", "domains/orders/application.py", "domains/warehouse/model.py"],
        [
            "tests/unit/test_aggregates.py",
            "tests/unit/test_inventory_copy.py",
            "tests/unit/test_reservation_and_retry.py",
            "tests/application/test_intake_batch_behaviour.py",
            "tests/application/test_orders.py",
            "tests/application/test_warehouse.py",
            "tests/integration/test_store_paths.py",
            "tests/integration/test_reservation_races.py",
            "tests/integration/test_intake_passes.py",
        ],
        [
            "domains.store.x_retry_on_conflict__mutmut_*",
            "domains.store.xǁStoreǁretry__mutmut_*",
            "domains.orders.application.xǁ*ǁintake_batch__mutmut_*",
            "domains.orders.application.xǁ*ǁ_intake_attempt__mutmut_*",
            "domains.warehouse.model.xǁInventoryǁreserve__mutmut_*",
            "domains.warehouse.model.xǁInventoryǁrelease__mutmut_*",
            "domains.warehouse.model.xǁInventoryǁpick__mutmut_*",
        ],
    ),
    Group(
        "split",
        ["domains/orders/split.py", "adapters/orders/split_cpsat.py"],
        [
            "tests/unit/test_split_policy.py",
            "tests/properties/test_split_oracle.py",
            "tests/unit/test_split_explained.py",
            "tests/unit/test_split_record_lanes.py",
        ],
    ),
    Group(
        "reconcile",
        ["adapters/settlement/reconcile.py", "adapters/settlement/checks.py"],
        # tests/properties/test_reconcile_properties.py also exercises it but takes minutes
        # per mutant of the shared helpers: left out for time
        [
            "tests/unit/test_reconcile.py",
            "tests/unit/test_reconcile_rows.py",
            "tests/unit/test_reconcile_amounts_read.py",
            "tests/unit/test_reconcile_frame.py",
            "tests/unit/test_reconcile_shapes.py",
            "tests/application/test_settlement.py",
        ],
    ),
    Group(
        "upcasters",
        ["domains/orders/model.py", "domains/warehouse/model.py"],
        [
            "tests/integration/test_upcasting.py",
            "tests/integration/test_legacy_store.py",
            "tests/integration/test_stored_v1_records.py",
            "tests/unit/test_aggregates.py",
        ],
        [
            "domains.orders.model.*upcast*",
            "domains.warehouse.model.*upcast*",
        ],
    ),
    Group(
        "runner",
        ["projections/runner.py"],
        [
            "tests/integration/test_context_queries.py",
            "tests/integration/test_spine_scenarios.py",
            "tests/integration/test_view_queries.py",
            "tests/integration/test_story_rebuild_and_snapshots.py",
            "tests/integration/test_runner_batches.py",
        ],
    ),
    Group(
        "auth",
        ["api/auth.py", "api/deps.py", "api/access.py"],
        [
            "tests/e2e/test_http.py",
            "tests/unit/test_auth.py",
            "tests/e2e/test_access.py",
            "tests/e2e/test_keys_http.py",
            "tests/unit/test_auth_files.py",
        ],
        [
            "api.auth.*",
            "api.access.*",
            "api.deps.x_authorize__mutmut_*",
            "api.deps.x_bearer_credentials__mutmut_*",
        ],
    ),
    Group(
        "consumer",
        ["adapters/kafka/consumer.py"],
        ["tests/unit/test_consumer_pipeline.py", "tests/unit/test_consumer_dead_letters.py"],
    ),
    Group(
        "routing",
        ["domains/warehouse/routing.py"],
        ["tests/unit/test_layout_routing.py", "tests/properties/test_route_oracle.py"],
    ),
]
BY_NAME = {g.name: g for g in GROUPS}

ALIVE = ("survived", "no tests", "suspicious")
STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
    37: "type check",
    None: "not checked",
    -11: "segfault",
    -9: "segfault",
}


IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")


def prepare(group: Group) -> Path:
    """A fresh scratch copy of the project with a [tool.mutmut] section for this group."""
    d = WORK / group.name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    for pkg in [*PACKAGES, "tests"]:
        shutil.copytree(ROOT / pkg, d / pkg, ignore=IGNORE)
    shutil.copy2(ROOT / "README.md", d / "README.md")  # tests/e2e/test_access.py reads it
    _settings(group, d)
    return d


def refresh_tests(group: Group) -> Path:
    """The group's last scratch copy with today's tests (for `--survivors`): the mutated
    files must be unchanged since that run, or the mutants' names no longer match."""
    d = WORK / group.name
    for rel in group.files:
        if (d / rel).read_bytes() != (ROOT / rel).read_bytes():
            raise SystemExit(f"{rel} changed since the last {group.name} run: run it in full")
    shutil.rmtree(d / "tests")
    shutil.copytree(ROOT / "tests", d / "tests", ignore=IGNORE)
    _settings(group, d)
    return d


def _settings(group: Group, d: Path) -> None:
    tests = [t for t in group.tests if (ROOT / t).exists()]
    text = (ROOT / "pyproject.toml").read_text()
    settings = tomllib.loads(text).get("tool", {}).get("mutmut", {})
    settings.update(
        only_mutate=group.files,
        pytest_add_cli_args_test_selection=tests,
        also_copy=[*settings.get("also_copy", []), "README.md"],
    )
    pyproject = re.sub(r"\n\[tool\.mutmut\]\n.*?(?=\n\[)", "\n", text, flags=re.S)
    pyproject += "\n[tool.mutmut]\n" + "".join(
        f"{key} = {json.dumps(value)}\n" for key, value in settings.items()
    )
    (d / "pyproject.toml").write_text(pyproject)


def last_survivors(group: Group) -> tuple[list[str], dict[str, dict[str, int]]]:
    """The mutants the group's last run left alive (survived, no tests, suspicious), and
    every verdict of that run per file (mutmut's meta files), to put back afterwards."""
    d = WORK / group.name
    names, verdicts = [], {}
    for rel in group.files:
        meta = d / "mutants" / (rel + ".meta")
        if not meta.exists():
            continue
        codes = json.loads(meta.read_text()).get("exit_code_by_key", {})
        verdicts[rel] = codes
        names += [k for k, c in codes.items() if STATUS.get(c, "suspicious") in ALIVE]
    return names, verdicts


def restore_verdicts(group: Group, verdicts: dict[str, dict[str, int]], rerun: set[str]) -> None:
    """After a `--survivors` run: a changed test selection makes mutmut forget every verdict;
    the mutants not re-run keep the last run's (tests were added, so killed stays killed)."""
    d = WORK / group.name
    for rel, codes in verdicts.items():
        meta = d / "mutants" / (rel + ".meta")
        data = json.loads(meta.read_text())
        for key, code in codes.items():
            if key not in rerun and key in data["exit_code_by_key"]:
                data["exit_code_by_key"][key] = code
        meta.write_text(json.dumps(data))


def run_group(
    group: Group, budget: float, children: int, survivors: bool = False, resume: bool = False
) -> dict:
    rerun: set[str] = set()
    if resume:
        # mutmut keeps the verdicts it has and runs the rest, unless mutants are named: so
        # only for groups that mutate whole files (no function globs).
        if group.functions:
            raise SystemExit(f"{group.name} names its functions: --resume cannot skip the done")
        last = json.loads((WORK / group.name / "run.json").read_text())
        d = refresh_tests(group)
        targets: list[str] = []
    elif survivors:
        names, verdicts = last_survivors(group)
        if not names:
            raise SystemExit(f"{group.name}: no survivors in the last run to re-run")
        rerun = set(names)
        d = refresh_tests(group)
        targets = sorted(rerun)
    else:
        d = prepare(group)
        targets = group.functions
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    cmd = [sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *targets]
    log = (d / "mutmut.log").open("w")
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=d, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    timed_out = False
    try:
        proc.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGINT)  # mutmut stops and keeps what it has checked
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    elapsed = time.monotonic() - started
    result = {
        "group": group.name,
        "seconds": round(elapsed),
        "timed_out": timed_out,
        "exit_code": proc.returncode,
    }
    if resume:
        result["seconds"] += last.get("seconds", 0)
    if survivors:
        restore_verdicts(group, verdicts, rerun)
        last = json.loads((d / "run.json").read_text()) if (d / "run.json").exists() else {}
        result["survivors_rerun"] = {"mutants": len(rerun), "seconds": round(elapsed)}
        result["seconds"] = last.get("seconds", 0)
        result["timed_out"] = last.get("timed_out", False)
    (d / "run.json").write_text(json.dumps(result))
    return result


def function_span(source: str, mangled: str) -> tuple[int, int] | None:
    """(first line incl. decorators, last line) of the function a mutant name points at."""
    parts = mangled.split("ǁ")
    if len(parts) == 3:  # xǁClassǁmethod
        cls, name = parts[1], parts[2]
    else:
        cls, name = None, mangled[2:]
    for node in ast.walk(ast.parse(source)):
        if cls is not None and isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == name:
                    first = min([item.lineno, *(dec.lineno for dec in item.decorator_list)])
                    return first, item.end_lineno or item.lineno
        if (
            cls is None
            and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == name
        ):
            return node.lineno, node.end_lineno or node.lineno
    return None


def locate(
    source_lines: list[str], span: tuple[int, int] | None, diff: str
) -> tuple[int | None, str]:
    """The file line of the mutation and a one-line `old -> new` description. `mutmut show`
    diffs the function alone, so its hunk offset is added to the function's first line; the
    line's text confirms it (else the nearest line with that text in the function is taken)."""
    lines = diff.splitlines()
    removed = [ln[1:] for ln in lines if ln.startswith("-") and not ln.startswith("---")]
    added = [ln[1:] for ln in lines if ln.startswith("+") and not ln.startswith("+++")]
    offset = None
    for i, ln in enumerate(lines):
        m = re.match(r"@@ -(\d+)", ln)
        if m:
            n = int(m.group(1))
            for body in lines[i + 1 :]:
                if body.startswith("-"):
                    offset = n
                    break
                if not body.startswith("+"):
                    n += 1
            break
    line = None
    if removed and span:
        target = removed[0].strip()
        guess = span[0] + (offset or 1) - 1
        matches = [i for i in range(span[0], span[1] + 1) if source_lines[i - 1].strip() == target]
        if matches:
            line = min(matches, key=lambda i: abs(i - guess))
    desc = f"`{' / '.join(r.strip() for r in removed)}` -> `{' / '.join(a.strip() for a in added)}`"
    return line, desc


def collect(group: Group) -> dict:
    d = WORK / group.name
    info = json.loads((d / "run.json").read_text()) if (d / "run.json").exists() else {}
    import fnmatch

    files = []
    survivors = []
    for rel in group.files:
        meta = d / "mutants" / (rel + ".meta")
        if not meta.exists():
            continue
        codes = json.loads(meta.read_text()).get("exit_code_by_key", {})
        source = (ROOT / rel).read_text()
        lines = source.splitlines()
        counts: dict[str, int] = {}
        for key, code in sorted(codes.items(), key=lambda kv: _mutant_order(kv[0])):
            if group.functions and not any(fnmatch.fnmatch(key, p) for p in group.functions):
                continue
            status = STATUS.get(code, "suspicious")
            counts[status] = counts.get(status, 0) + 1
            if status in ALIVE:
                diff = subprocess.run(
                    [sys.executable, "-m", "mutmut", "show", key],
                    cwd=d,
                    capture_output=True,
                    text=True,
                    env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
                ).stdout
                mangled = key.split(".")[-1].rsplit("__mutmut_", 1)[0]
                line, desc = locate(lines, function_span(source, mangled), diff)
                survivors.append(
                    {"mutant": key, "status": status, "file": rel, "line": line, "mutation": desc}
                )
        files.append({"file": rel, **counts})
    return {
        **info,
        "group": group.name,
        "tests": group.tests,
        "files": files,
        "survivors": survivors,
    }


def _mutant_order(key: str) -> tuple[str, int]:
    base, _, n = key.rpartition("__mutmut_")
    return base, int(n) if n.isdigit() else 0


def score(entry: dict) -> str:
    k = entry.get("killed", 0) + entry.get("timeout", 0)
    checked = k + entry.get("survived", 0) + entry.get("no tests", 0) + entry.get("suspicious", 0)
    return f"{100 * k / checked:.0f}%" if checked else "-"


REASONS = ROOT / "tests" / "mutation-survivors.md"


def reasoned() -> set[str]:
    """The mutant names the committed reasons file gives a reason for."""
    if not REASONS.exists():
        return set()
    return set(re.findall(r"`([\w.ǁ]+__mutmut_\d+)`", REASONS.read_text()))


def write_report(results: list[dict]) -> None:
    out = ROOT / "var"
    out.mkdir(exist_ok=True)
    explained = reasoned()
    for r in results:
        for s in r["survivors"]:
            s["reason_written"] = s["mutant"] in explained
    (out / "mutate-report.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    md = [
        "# Mutation check (mutmut)",
        "",
        "Score = (killed + timeout) / checked. `no tests`: no test in the group's subset runs "
        "the function. `not checked`: the group's time box ran out first.",
        "",
        f"`no reason`: survivors whose mutant name is not in {REASONS.relative_to(ROOT)}.",
        "",
        "| group | file | killed | survived | timeout | no tests | not checked | score | no reason | time |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rerun = r.get("survivors_rerun")
        took = f"{r.get('seconds', '?')}s{' (time box hit)' if r.get('timed_out') else ''}"
        if rerun:
            took += f" + {rerun['seconds']}s re-running {rerun['mutants']} survivors"
        for f in r["files"]:
            unexplained = sum(
                1 for s in r["survivors"] if s["file"] == f["file"] and not s["reason_written"]
            )
            md.append(
                f"| {r['group']} | {f['file']} | {f.get('killed', 0)} | {f.get('survived', 0)} | "
                f"{f.get('timeout', 0)} | {f.get('no tests', 0)} | {f.get('not checked', 0)} | "
                f"{score(f)} | {unexplained} | {took} |"
            )
    md += ["", "## Surviving mutants", ""]
    for r in results:
        if not r["survivors"]:
            continue
        md.append(f"### {r['group']}")
        md.append("")
        for s in r["survivors"]:
            flag = "" if s["reason_written"] else " **no reason written**"
            md.append(
                f"- {s['file']}:{s['line']} ({s['status']}) {s['mutation']}  `{s['mutant']}`{flag}"
            )
        md.append("")
    (out / "mutate-report.md").write_text("\n".join(md) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("groups", nargs="*", help=f"any of: {', '.join(BY_NAME)} (default: all)")
    ap.add_argument("--budget", type=float, default=900, help="seconds per group (default 900)")
    ap.add_argument("--children", type=int, default=2, help="parallel mutant workers (default 2)")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument(
        "--resume",
        action="store_true",
        help="carry on a time-boxed run where it stopped (groups that mutate whole files)",
    )
    ap.add_argument(
        "--survivors",
        action="store_true",
        help="re-run only the last run's surviving mutants, with today's tests (after tests\n"
        "were added; the mutated files must be unchanged); the other verdicts are kept",
    )
    args = ap.parse_args()
    unknown = [g for g in args.groups if g not in BY_NAME]
    if unknown:
        ap.error(f"unknown group(s) {unknown}; groups: {', '.join(BY_NAME)}")
    chosen = [BY_NAME[g] for g in args.groups] if args.groups else GROUPS
    started = time.monotonic()
    if not args.report_only:
        for g in chosen:
            r = run_group(g, args.budget, args.children, args.survivors, args.resume)
            print(
                f"{g.name}: {r['seconds']}s{' (time box hit)' if r['timed_out'] else ''}",
                flush=True,
            )
    # The report covers every group that has run, not only this invocation's: the others'
    # results are read back from var/mutate/<group>/result.json.
    results = []
    for g in GROUPS:
        d = WORK / g.name
        if not (d / "run.json").exists():
            continue
        if g in chosen or not (d / "result.json").exists():
            (d / "result.json").write_text(json.dumps(collect(g), ensure_ascii=False))
        results.append(json.loads((d / "result.json").read_text()))
    write_report(results)
    print(f"report: var/mutate-report.md ({time.monotonic() - started:.0f}s)")


if __name__ == "__main__":
    main()
