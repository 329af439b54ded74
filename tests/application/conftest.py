"""The application on the library's in-memory store (eventsourcing.popo), seeded with the shipped
reference data, on a clock each test sets: the fixture every test in this folder starts from.

It overrides the `app` of tests/conftest.py (a store per backend) for this folder only: these
tests are about what the use cases decide, not about persistence, so one fast store will do.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.popo import POPOApplicationRecorder

from adapters.bootstrap import build_app
from adapters.reference.seed import seed_reference
from domains.crossdock import Crossdock

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday morning; orders are placed at 08:00


class SettableClock:
    """The application's clock (domains.ports.Clock), moved by the test."""

    def __init__(self, at: datetime = START) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock()


@pytest.fixture
def app(clock: SettableClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Crossdock]:
    # The library reads the environment itself and prefers CROSSDOCK_-prefixed keys over the
    # settings it is given, so an exported CROSSDOCK_PERSISTENCE_MODULE would silently put
    # these tests on that store: drop it here, and check what was built.
    monkeypatch.delenv("CROSSDOCK_PERSISTENCE_MODULE", raising=False)
    a = build_app({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock)
    assert isinstance(a.recorder, POPOApplicationRecorder), type(a.recorder)
    seed_reference(a)
    yield a
    a.close()
