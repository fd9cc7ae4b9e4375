"""Items and the fit in PostgreSQL: ``ASGI_COMPARE_STORE=postgresql://USER:PASSWORD@HOST:PORT/DB``.

For processes on several machines (Posit Connect's servers, Kubernetes pods, hosts behind a
load balancer): every process that names the same database gives the same answers, byte for
byte those of the in-process stores. psycopg 3 with its connection pool (``psycopg_pool``);
every call blocks on the network, so adapters make them off the event loop.

- The schema is created, or upgraded, when an app starts, under an advisory lock: the worker
  processes of several servers may start at once.
- Every write is one transaction, committed before the client is answered. A PATCH reads the
  item ``FOR UPDATE``, so PATCHes of one item from any processes apply one after the other.
- The database going away (stopped, restarted, unreachable) is :class:`StoreUnavailable`:
  a 503 with ``Retry-After``, within :data:`WAIT_S` seconds, never a 500. The pool checks a
  connection before handing it out and reconnects in the background, so the app recovers by
  itself when the database is back.
- A URL that cannot be used, or a database that cannot be reached when the app starts, is a
  :class:`SettingsError` naming ``ASGI_COMPARE_STORE``: the app does not start.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool

from core.errors import ItemNotFound, StoreUnavailable
from core.items import checked_id
from core.models import Item, StoredItem
from core.regression import FitState
from core.settings import SettingsError

__all__ = [
    "WAIT_S",
    "PostgresDatabase",
    "PostgresItemStore",
    "PostgresModelStore",
]

POOL_SIZE = 16  # connections per process: more than the threads adapters run store calls in
WAIT_S = 3.0  # the longest a request waits for a connection before its 503
WAIT_DOWN_S = 0.25  # ... once the database is known to be down: an outage must not queue requests
RECONNECT_S = 2.0  # a failed reconnection is given up after this; the next request tries again
# Defaults for what the URL does not say. Keepalives: a host that vanishes without closing the
# connection (a network partition) is noticed in seconds, not after the kernel's two hours.
_CONNECT_DEFAULTS = {
    "connect_timeout": "3",
    "application_name": "asgi-compare",
    "keepalives_idle": "5",
    "keepalives_interval": "2",
    "keepalives_count": "3",
}
_SCHEMA_LOCK = 0x61736769  # pg_advisory_xact_lock key: "asgi"
_INT64_MAX = 2**63 - 1  # bigint's largest; the API's ids are unbounded

# Schema versions, in order: an app applies those the database does not have yet. Never edit
# one that has been released; add the next.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE items (
        -- an identity is never handed out twice, also after a rollback or a restart
        id bigint GENERATED ALWAYS AS IDENTITY (MINVALUE 0 START WITH 0) PRIMARY KEY,
        data text NOT NULL  -- the item's fields as JSON
    );
    CREATE TABLE model (
        id integer PRIMARY KEY CHECK (id = 1),  -- one row: the current fit, or NULLs for none
        version bigint NOT NULL,
        intercept double precision,
        coef text,  -- JSON: floats written with repr, read back to the same bits
        x text,
        y text
    );
    INSERT INTO model (id, version) VALUES (1, 0);
    """,
)

log = logging.getLogger(__name__)


def redacted(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(a URL that cannot be parsed)"
    host, port, dbname = (params.get(k, "") for k in ("host", "port", "dbname"))
    return f"postgresql://{params.get('user', '')}:***@{host}:{port}/{dbname}"


class PostgresDatabase:
    """A connection pool to one database, opened on first use; the schema made at once."""

    def __init__(self, url: str) -> None:
        try:
            params = conninfo_to_dict(url)
        except psycopg.ProgrammingError as exc:
            reason = str(exc).replace(url, "...")  # libpq quotes the URL, password and all
            raise SettingsError(
                f"ASGI_COMPARE_STORE is not a PostgreSQL URL libpq can read ({reason}); "
                "expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
            ) from None
        self.conninfo = make_conninfo("", **{**_CONNECT_DEFAULTS, **params})
        self.where = redacted(url)
        self._migrate()
        self.pool: ConnectionPool[psycopg.Connection[TupleRow]] = ConnectionPool(
            self.conninfo,
            min_size=1,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True},
            open=False,  # in the process that serves: a server's manager may import the app too
            timeout=WAIT_S,
            # One round trip per request, so a connection the server closed (a restart) is
            # replaced rather than failing a request.
            check=ConnectionPool.check_connection,
            reconnect_timeout=RECONNECT_S,
            name="asgi-compare",
        )
        self._opening = threading.Lock()
        self._opened = False
        self._down = False

    def _migrate(self) -> None:
        """Create or upgrade the schema; several processes may do it at the same moment."""
        try:
            with psycopg.connect(self.conninfo, autocommit=True) as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS asgi_compare_schema (version integer NOT NULL)"
                )
                row = conn.execute("SELECT max(version) FROM asgi_compare_schema").fetchone()
                have = row[0] if row and row[0] is not None else 0
                if have > len(_MIGRATIONS):
                    raise SettingsError(
                        f"ASGI_COMPARE_STORE: the database {self.where} has schema version "
                        f"{have}, newer than this app's {len(_MIGRATIONS)}"
                    )
                for version, sql in enumerate(_MIGRATIONS[have:], start=have + 1):
                    # Several statements in one: allowed because no parameters are passed.
                    conn.execute(sql)
                    conn.execute("DELETE FROM asgi_compare_schema")
                    conn.execute("INSERT INTO asgi_compare_schema VALUES (%s)", (version,))
        except psycopg.Error as exc:
            raise SettingsError(
                f"ASGI_COMPARE_STORE: cannot use the PostgreSQL database {self.where}: "
                f"{str(exc).strip()}"
            ) from None

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[TupleRow]]:
        """A connection from the pool; any failure to reach the database is a 503."""
        self._open()
        try:
            with self.pool.connection(timeout=WAIT_DOWN_S if self._down else None) as conn:
                yield conn
        except psycopg.OperationalError as exc:  # the pool's timeout included
            if not self._down:
                log.warning("PostgreSQL %s is not available: %s", self.where, exc)
            self._down = True
            raise StoreUnavailable() from exc
        if self._down:
            log.warning("PostgreSQL %s is available again", self.where)
            self._down = False

    def _open(self) -> None:
        if not self._opened:
            with self._opening:
                if not self._opened:
                    self.pool.open()
                    self._opened = True

    def close(self) -> None:
        self.pool.close()


def _id(item_id: int) -> int:
    item_id = checked_id(item_id)
    if item_id > _INT64_MAX:
        raise ItemNotFound()  # no row can have it
    return item_id


def _stored(item_id: int, data: str) -> StoredItem:
    return StoredItem(id=item_id, **json.loads(data))


class PostgresItemStore:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    def add(self, item: Item) -> StoredItem:
        data = item.model_dump_json()
        with self.db.connection() as conn:
            row = conn.execute("INSERT INTO items (data) VALUES (%s) RETURNING id", (data,))
            (item_id,) = _one(row.fetchone())
        return _stored(item_id, data)

    def page(self, offset: int, limit: int) -> list[StoredItem]:
        with self.db.connection() as conn:
            rows = conn.execute(
                "SELECT id, data FROM items ORDER BY id LIMIT %s OFFSET %s",
                (min(limit, _INT64_MAX), min(offset, _INT64_MAX)),
            ).fetchall()
        return [_stored(item_id, data) for item_id, data in rows]

    def get(self, item_id: int) -> StoredItem:
        row_id = _id(item_id)
        with self.db.connection() as conn:
            row = conn.execute("SELECT data FROM items WHERE id = %s", (row_id,)).fetchone()
        if row is None:
            raise ItemNotFound()
        return _stored(item_id, row[0])

    def replace(self, item_id: int, item: Item) -> StoredItem:
        data, row_id = item.model_dump_json(), _id(item_id)
        with self.db.connection() as conn:
            cursor = conn.execute("UPDATE items SET data = %s WHERE id = %s", (data, row_id))
        if cursor.rowcount == 0:
            raise ItemNotFound()
        return _stored(item_id, data)

    def update(self, item_id: int, changes: dict[str, Any]) -> StoredItem:
        row_id = _id(item_id)
        with self.db.connection() as conn, conn.transaction():
            # FOR UPDATE: two PATCHes of one item, from any processes on any hosts, apply one
            # after the other and neither loses the other's field.
            row = conn.execute(
                "SELECT data FROM items WHERE id = %s FOR UPDATE", (row_id,)
            ).fetchone()
            if row is None:
                raise ItemNotFound()
            data = Item.model_validate_json(row[0]).model_copy(update=changes).model_dump_json()
            conn.execute("UPDATE items SET data = %s WHERE id = %s", (data, row_id))
        return _stored(item_id, data)

    def delete(self, item_id: int) -> None:
        row_id = _id(item_id)
        with self.db.connection() as conn:
            cursor = conn.execute("DELETE FROM items WHERE id = %s", (row_id,))
        if cursor.rowcount == 0:
            raise ItemNotFound()


class PostgresModelStore:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    def save(
        self, intercept: float, coef: list[float], X: list[list[float]], y: list[float]
    ) -> None:
        with self.db.connection() as conn:
            conn.execute(
                "UPDATE model SET version = version + 1, intercept = %s, coef = %s, x = %s,"
                " y = %s WHERE id = 1",
                (intercept, json.dumps(coef), json.dumps(X), json.dumps(y)),
            )

    def load(self, training: bool = False) -> FitState | None:
        columns = "version, intercept, coef" + (", x, y" if training else "")
        with self.db.connection() as conn:
            row = _one(conn.execute(f"SELECT {columns} FROM model WHERE id = 1").fetchone())
        if row[2] is None:
            return None
        version, intercept, coef, *data = row
        X, y = (json.loads(d) for d in data) if training else (None, None)
        return FitState(version, intercept, json.loads(coef), X, y)

    def clear(self) -> None:
        with self.db.connection() as conn:
            conn.execute(
                "UPDATE model SET version = version + 1, intercept = NULL, coef = NULL, x = NULL,"
                " y = NULL WHERE id = 1"
            )


def _one(row: TupleRow | None) -> TupleRow:
    if row is None:  # the schema guarantees a row; a database changed by hand may not have it
        raise RuntimeError("PostgreSQL returned no row where the schema guarantees one")
    return row
