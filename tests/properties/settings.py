"""Shared Hypothesis settings for the property tests: reproducible and quiet.

`derandomize=True` makes every run draw the same examples (the seed comes from the test's own
source), `database=None` keeps no example database between runs, and `deadline=None` because
several properties call time-budgeted solvers whose wall time depends on the machine's load.

Properties that also assert over all their examples at once (the split's multi-warehouse share,
the router's mean ratio) run Hypothesis from inside the pytest test and check the totals after
it returns; when every example passes, each is run exactly once, so the totals are exact.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

REPRODUCIBLE = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
