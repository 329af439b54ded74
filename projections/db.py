"""The view database: the same SQLite file or PostgreSQL database as the events.

Views are written in transactions that also move the view's tracking position, so each event
lands in a view exactly once. SQL is written once with `?` placeholders.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Where:
    """The WHERE clause of a list query. Column names come from the code, never from a request;
    every value is bound as a parameter. A filter given as None or "" is no filter."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def equal(self, column: str, value: Any) -> Where:
        if value not in (None, ""):
            self.clauses.append(f"{column} = ?")
            self.params.append(value)
        return self

    def listed(self, column: str, item: str | None) -> Where:
        """`column` holds a comma-separated list that contains `item`."""
        if item not in (None, ""):
            escaped = str(item).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            self.clauses.append(f"(',' || {column} || ',') LIKE ? ESCAPE '\\'")
            self.params.append(f"%,{escaped},%")
        return self

    def compare(self, column: str, op: str, value: Any) -> Where:
        if op not in ("<", "<=", ">", ">="):
            raise ValueError(f"not a comparison: {op!r}")
        if value is not None:
            self.clauses.append(f"{column} {op} ?")
            self.params.append(value)
        return self

    def clause(self, sql: str, *params: Any) -> Where:
        """A condition of the caller's fixed SQL with its `?` values bound: a subquery
        (`order_id IN (SELECT ...)`) or a keyset bound (`(a < ? OR (a = ? AND b > ?))`)."""
        self.clauses.append(f"({sql})")
        self.params.extend(params)
        return self

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) or "1=1"


class ViewDB:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = dict(env)
        self.dialect = "postgres" if env["PERSISTENCE_MODULE"].endswith("postgres") else "sqlite"
        self._local = threading.local()
        self._all: list[Any] = []

    # -- connections (one per thread) ------------------------------------------------
    def _connect(self) -> Any:
        if self.dialect == "sqlite":
            # The in-memory event store (eventsourcing.popo, the use-case tests) has no file:
            # its views live in one in-memory database shared by this ViewDB's threads.
            name = (
                self.env.get("SQLITE_DBNAME") or f"file:views-{id(self)}?mode=memory&cache=shared"
            )
            conn = sqlite3.connect(
                name,
                isolation_level=None,
                timeout=float(self.env.get("SQLITE_LOCK_TIMEOUT", "30")),
                check_same_thread=False,
                uri=name.startswith("file:"),
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            return conn
        import psycopg
        from psycopg.rows import dict_row

        conn = psycopg.connect(
            dbname=self.env["POSTGRES_DBNAME"],
            host=self.env.get("POSTGRES_HOST", "127.0.0.1"),
            port=int(self.env.get("POSTGRES_PORT", "5432")),
            user=self.env.get("POSTGRES_USER"),
            password=self.env.get("POSTGRES_PASSWORD"),
            autocommit=True,
            row_factory=dict_row,
        )
        schema = self.env.get("POSTGRES_SCHEMA")
        if schema:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            conn.execute(f'SET search_path TO "{schema}"')
        return conn

    @property
    def conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            self._all.append(conn)
        return conn

    def close(self) -> None:
        for conn in self._all:
            try:
                conn.close()
            except Exception:  # noqa: S110 - closing best effort at shutdown
                pass
        self._all.clear()
        self._local = threading.local()

    # -- SQL -------------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgres" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.dialect == "sqlite":
            self.conn.executemany(sql, rows)
        else:
            with self.conn.cursor() as cur:
                cur.executemany(self._sql(sql), rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.conn.execute(self._sql(sql), tuple(params))
        return [dict(r) for r in cur.fetchall()]

    def lookup(self, table: str, key: str, column: str, keys: Sequence[Any]) -> dict[Any, Any]:
        """`column` of the rows of `table` whose `key` is one of `keys`, by key (the names are
        the caller's fixed SQL; the keys are bound)."""
        if not keys:
            return {}
        marks = ", ".join("?" for _ in keys)
        rows = self.query(
            f"SELECT {key} AS k, {column} AS v FROM {table} "  # noqa: S608 - fixed names
            f"WHERE {key} IN ({marks})",
            tuple(keys),
        )
        return {r["k"]: r["v"] for r in rows}

    def page(
        self,
        table: str,
        where: Where,
        order_by: str,
        limit: int,
        offset: int,
        columns: str = "*",
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of a view's rows and how many rows match in all. `table`, `order_by` and
        `columns` are the caller's fixed SQL; the filters' values are bound."""
        total = self.query(
            f"SELECT COUNT(*) AS n FROM {table} WHERE {where.sql}",  # noqa: S608 - fixed names
            where.params,
        )[0]["n"]
        rows = self.query(
            f"SELECT {columns} FROM {table} WHERE {where.sql} "  # noqa: S608 - fixed names
            f"ORDER BY {order_by} LIMIT ? OFFSET ?",
            [*where.params, limit, offset],
        )
        return rows, total

    @contextmanager
    def transaction(self) -> Iterator[ViewDB]:
        conn = self.conn
        if self.dialect == "sqlite":
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        else:
            with conn.transaction():
                yield self
