"""Fuzzing the documented API (schemathesis, in process, no server): every operation of
/openapi.json called with generated input, valid and invalid, under a key of every role in
turn and without one. No answer may be a 5xx, and every answer must be documented: its status,
its content type and its body's schema (errors included: api/error_docs.py).

Bounded and repeatable: a few examples per operation, derandomized (the same cases every run).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from adapters.reference.seed import seed_reference
from api.app import build_services, create_app
from api.auth import KeyStore
from tests.api_keys import ROLE_KEYS, bearer_keys

pytestmark = pytest.mark.fuzz  # runs in `make test`; `pytest -m fuzz` runs it alone

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    store = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(tmp_path_factory.mktemp("fuzz") / "events.db"),
    }
    keys, entries = bearer_keys(ROLE_KEYS)
    svc = build_services(store, KeyStore(entries))
    seed_reference(svc.app)
    svc.app.warehouse.receive_stock("LAX", "SKU-TEA-001", 50, "opening")
    yield create_app(svc), list(keys.values())
    svc.db.close()
    svc.app.close()


MAX_EXAMPLES = 10  # per operation and generation mode


class Keys:
    """Which key the next case of an operation goes out with: first none, then each role's in
    turn; a key answered 401 or 403 is dropped for that operation, so most cases reach the
    work behind the roles that may do it."""

    def __init__(self, headers: list[dict[str, str]]) -> None:
        self.pool: list[dict[str, str]] = [{}, *headers]
        self.turn = 0

    def apply(self, case) -> dict[str, str]:
        key = self.pool[self.turn % len(self.pool)]
        self.turn += 1
        sent = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        case.headers = {**sent, **key}
        return key

    def answered(self, key: dict[str, str], status: int) -> None:
        if status in (401, 403) and len(self.pool) > 1 and key in self.pool:
            self.pool.remove(key)


def test_every_operation_answers_as_documented_and_never_5xx(fuzzed):
    app, headers = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        keys = Keys(headers)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=MAX_EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def call(case):
                key = keys.apply(case)  # noqa: B023 - called within this iteration
                keys.answered(key, case.call_and_validate(checks=CHECKS).status_code)  # noqa: B023

            try:
                call()
            except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001 - collected, reported together below
                failures.append(f"{operation.label} ({mode.value}): {exc}"[:3000])
    assert operations >= 40
    assert not failures, "\n\n".join(failures)
