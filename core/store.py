"""Where items and the fit live, chosen by ``ASGI_COMPARE_STORE``.

``memory`` (the default) keeps them in the process: quick, but each worker process of a server
has its own, and a restart forgets them. ``sqlite:///PATH`` keeps them in one SQLite file
(the standard library's ``sqlite3``): every worker process on the machine sees the same items
and fit, and they outlive a restart or a crash. The file is in WAL mode, so readers never wait
for a writer; every write is one transaction, committed before the client is answered.

Every call blocks on file I/O, so adapters make them off the event loop, as they do CPU work.
Each thread has its own connection; a writer that finds the file locked by another process
waits for it (``busy_timeout``) rather than failing.

``postgresql://USER:PASSWORD@HOST:PORT/DB`` keeps them in PostgreSQL (:mod:`core.postgres`),
for processes on several machines.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from core.errors import ItemNotFound
from core.items import ItemStore, MemoryItemStore, checked_id
from core.models import Item, StoredItem
from core.regression import FitState, MemoryModelStore, ModelStore
from core.settings import MEMORY, Settings, SettingsError

__all__ = [
    "POSTGRESQL",
    "SQLITE",
    "SqliteDatabase",
    "SqliteItemStore",
    "SqliteModelStore",
    "open_stores",
]

SQLITE = "sqlite:///"
POSTGRESQL = ("postgresql://", "postgres://")  # libpq takes both schemes
BUSY_TIMEOUT_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: an id is never handed out twice
    data TEXT NOT NULL                     -- the item's fields as JSON
);
CREATE TABLE IF NOT EXISTS model (
    id INTEGER PRIMARY KEY CHECK (id = 1), -- one row: the current fit, or NULLs for none
    version INTEGER NOT NULL,
    intercept REAL,
    coef TEXT,
    X TEXT,
    y TEXT
);
INSERT OR IGNORE INTO model (id, version) VALUES (1, 0);
"""


def open_stores(settings: Settings) -> tuple[ItemStore, ModelStore]:
    """The item store and model store ``settings.store`` names."""
    if settings.store == MEMORY:
        return MemoryItemStore(), MemoryModelStore()
    if settings.store.startswith(SQLITE):
        path = settings.store.removeprefix(SQLITE)
        if path in ("", ":memory:"):  # a memory database would be one per thread
            raise SettingsError("ASGI_COMPARE_STORE=sqlite:///PATH needs a file path")
        db = SqliteDatabase(Path(path))
        return SqliteItemStore(db), SqliteModelStore(db)
    if settings.store.startswith(POSTGRESQL):
        # Imported here: psycopg is loaded only by apps that use it.
        from core import postgres

        pg = postgres.PostgresDatabase(settings.store)
        return postgres.PostgresItemStore(pg), postgres.PostgresModelStore(pg)
    shown = re.sub(r"//[^/]*@", "//***@", settings.store)  # a mistyped URL's password too
    raise SettingsError(
        f"ASGI_COMPARE_STORE must be {MEMORY!r}, 'sqlite:///PATH' or "
        "'postgresql://USER:PASSWORD@HOST:PORT/DATABASE' "
        f"(e.g. sqlite:///data/api.db, or sqlite:////abs/path.db), not {shown!r}"
    )


class SqliteDatabase:
    """One SQLite file, a connection per thread, the schema created on first open."""

    def __init__(self, path: Path) -> None:
        if not path.parent.is_dir():
            raise SettingsError(
                f"ASGI_COMPARE_STORE: the folder {str(path.parent)!r} does not exist"
            )
        self.path = path
        self._local = threading.local()
        self._set_up(self.connection())

    @staticmethod
    def _set_up(conn: sqlite3.Connection) -> None:
        """WAL mode (kept in the file) and the schema, also when other processes do the same.

        The worker processes of one server open a new file together. Switching to WAL needs the
        file to itself, and SQLite answers "database is locked" at once instead of waiting as
        it does for writes: a worker crashed at start on this. It is tried again until it works.
        """
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(_SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: each statement commits by itself unless a BEGIN says otherwise.
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            # In WAL mode NORMAL survives a crash of the process (kill -9) without losing a
            # committed write; only a power cut can take the last few (FULL would fsync each).
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
        return conn


_INT64_MAX = 2**63 - 1  # SQLite's largest integer; Python's ints go on


def _row_id(item_id: int) -> int:
    """The row of an API id: SQLite counts from 1, the API from 0."""
    row_id = checked_id(item_id) + 1
    if row_id > _INT64_MAX:
        raise ItemNotFound()  # no row can have it
    return row_id


def _stored(row_id: int, data: str) -> StoredItem:
    return StoredItem(id=row_id - 1, **json.loads(data))  # SQLite counts from 1, the API from 0


class SqliteItemStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    def add(self, item: Item) -> StoredItem:
        data = item.model_dump_json()
        (row_id,) = (
            self.db.connection()
            .execute("INSERT INTO items (data) VALUES (?) RETURNING id", (data,))
            .fetchone()
        )
        return _stored(row_id, data)

    def page(self, offset: int, limit: int) -> list[StoredItem]:
        rows = self.db.connection().execute(
            "SELECT id, data FROM items ORDER BY id LIMIT ? OFFSET ?",
            (limit, min(offset, _INT64_MAX)),
        )
        return [_stored(row_id, data) for row_id, data in rows]

    def get(self, item_id: int) -> StoredItem:
        row = (
            self.db.connection()
            .execute("SELECT id, data FROM items WHERE id = ?", (_row_id(item_id),))
            .fetchone()
        )
        if row is None:
            raise ItemNotFound()
        return _stored(*row)

    def replace(self, item_id: int, item: Item) -> StoredItem:
        data = item.model_dump_json()
        cursor = self.db.connection().execute(
            "UPDATE items SET data = ? WHERE id = ?", (data, _row_id(item_id))
        )
        if cursor.rowcount == 0:
            raise ItemNotFound()
        return _stored(item_id + 1, data)

    def update(self, item_id: int, changes: dict[str, Any]) -> StoredItem:
        row_id = _row_id(item_id)
        conn = self.db.connection()
        # IMMEDIATE takes the write lock before reading: two PATCHes of one item, in any
        # threads or processes, apply one after the other and neither loses the other's field.
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT data FROM items WHERE id = ?", (row_id,)).fetchone()
            if row is None:
                raise ItemNotFound()
            updated = Item.model_validate_json(row[0]).model_copy(update=changes)
            data = updated.model_dump_json()
            conn.execute("UPDATE items SET data = ? WHERE id = ?", (data, row_id))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return _stored(row_id, data)

    def delete(self, item_id: int) -> None:
        cursor = self.db.connection().execute("DELETE FROM items WHERE id = ?", (_row_id(item_id),))
        if cursor.rowcount == 0:
            raise ItemNotFound()


class SqliteModelStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    def save(
        self, intercept: float, coef: list[float], X: list[list[float]], y: list[float]
    ) -> None:
        self.db.connection().execute(
            "UPDATE model SET version = version + 1, intercept = ?, coef = ?, X = ?, y = ?",
            (intercept, json.dumps(coef), json.dumps(X), json.dumps(y)),
        )

    def load(self, training: bool = False) -> FitState | None:
        columns = "version, intercept, coef" + (", X, y" if training else "")
        row = self.db.connection().execute(f"SELECT {columns} FROM model").fetchone()
        if row[2] is None:
            return None
        version, intercept, coef, *data = row
        X, y = (json.loads(d) for d in data) if training else (None, None)
        return FitState(version, intercept, json.loads(coef), X, y)

    def clear(self) -> None:
        self.db.connection().execute(
            "UPDATE model SET version = version + 1, intercept = NULL, coef = NULL, X = NULL,"
            " y = NULL"
        )
