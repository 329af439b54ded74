"""Shared fixtures: stores (SQLite file always; PostgreSQL when reachable), seeded apps, HTTP.

PostgreSQL tests skip with a reason on a machine without a server, but under CI=true a missing
server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

import pytest

from adapters.bootstrap import build_app, store_env
from adapters.reference.seed import seed_reference
from domains.crossdock import Crossdock

PG = {
    "PERSISTENCE_MODULE": "eventsourcing.postgres",
    "POSTGRES_DBNAME": os.environ.get("TEST_POSTGRES_DBNAME", "test"),
    "POSTGRES_HOST": os.environ.get("TEST_POSTGRES_HOST", "127.0.0.1"),
    "POSTGRES_PORT": os.environ.get("TEST_POSTGRES_PORT", "5432"),
    "POSTGRES_USER": os.environ.get("TEST_POSTGRES_USER", "postgres"),
    "POSTGRES_PASSWORD": os.environ.get("TEST_POSTGRES_PASSWORD", "postgres"),
}


def pg_connect(
    env: Mapping[str, str],
    *,
    autocommit: bool = True,
    in_schema: bool = False,
    connect_timeout: int | None = None,
) -> Any:
    """The one way tests open a PostgreSQL connection of their own (the application opens its
    own). `env` holds POSTGRES_* settings (PG, or a test's pg_env()); `in_schema` puts the test's
    POSTGRES_SCHEMA first on the search path, so its tables need no schema prefix."""
    import psycopg

    options = {}
    if in_schema:
        options["options"] = f"-c search_path={env['POSTGRES_SCHEMA']}"
    if connect_timeout is not None:
        options["connect_timeout"] = connect_timeout
    return psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        autocommit=autocommit,
        **options,
    )


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        with pg_connect(PG, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # any failure means "no usable server here"
        return f"PostgreSQL not reachable at {PG['POSTGRES_HOST']}:{PG['POSTGRES_PORT']}: {exc}"


def unavailable(reason: str) -> NoReturn:
    """Skip for want of a server or tool, with the reason; under CI=true fail instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def need_postgres() -> None:
    reason = postgres_available()
    if reason is not None:
        unavailable(reason)


def pg_env() -> dict[str, str]:
    """A fresh schema per test, so tests never see each other's events."""
    need_postgres()
    return {**PG, "POSTGRES_SCHEMA": "t_" + uuid.uuid4().hex[:12]}


def drop_schema(env: dict[str, str]) -> None:
    with pg_connect(env) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{env["POSTGRES_SCHEMA"]}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[dict[str, str]]:
    """Store settings for each backend; the same scenario runs on both."""
    if request.param == "sqlite":
        yield {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(tmp_path / "events.db"),
        }
        return
    env = pg_env()
    yield env
    drop_schema(env)


@pytest.fixture
def sqlite_store(tmp_path) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(tmp_path / "events.db"),
    }


def make_app(env: dict[str, str]) -> Crossdock:
    app = build_app(env)
    seed_reference(app)
    return app


@pytest.fixture
def app(store) -> Iterator[Crossdock]:
    a = make_app(store)
    yield a
    a.close()


@pytest.fixture
def sqlite_app(sqlite_store) -> Iterator[Crossdock]:
    a = make_app(sqlite_store)
    yield a
    a.close()


__all__ = ["build_app", "make_app", "need_postgres", "pg_connect", "pg_env", "store_env"]
