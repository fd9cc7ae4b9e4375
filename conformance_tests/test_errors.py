"""No silent 500s: every unexpected error is answered with the contract's bare 500 and leaves
exactly one log record with its traceback (logger ``asgi_compare``), in-process and on every
server. Errors the frameworks raise themselves go through core's error table; nothing else is
answered by an adapter."""

from __future__ import annotations

import importlib
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest

from asgi_compare.harness import SERVERS, entrypoint
from conformance_tests._apis import client_of
from conformance_tests.plugin import Target, own_server
from core.service import Service
from core.settings import Settings

SERVER_ERROR = {"detail": "Internal Server Error"}
TRACEBACK = "Traceback (most recent call last)"
ITEM = {"name": "n", "price": 1.0}


class BrokenStore:
    """An item store whose every call fails, as a store whose database has gone away."""

    def _fail(self, *args: Any) -> NoReturn:
        raise RuntimeError("the item store is down")

    add = page = get = replace = update = delete = _fail


def corrupt(db: Path) -> None:
    """Overwrite the SQLite file's header, as a disk fault or a stray write would.

    First everything written is moved from the write-ahead log into the file itself, as SQLite
    does on its own every 1000 pages; otherwise the log still holds the first page and the
    damage goes unread.
    """
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with db.open("r+b") as f:
        f.write(b"this is not an SQLite file, not any more " * 2)


def create_app(framework: str, **kwargs: Any) -> Any:
    module = importlib.import_module(entrypoint(framework).partition(":")[0])
    return module.create_app(**kwargs)


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.mark.anyio
@pytest.mark.in_process
async def test_a_store_that_raises_is_a_500_and_one_log_record(
    framework: str, caplog: pytest.LogCaptureFixture
) -> None:
    service = Service.create(Settings(), items=BrokenStore())
    async with client_of(create_app(framework, service=service)) as client:
        caplog.clear()
        r = await client.get("/items")
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == SERVER_ERROR
    [record] = errors_logged(caplog)
    assert record.name == "asgi_compare"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert "/items" in record.getMessage()


@pytest.mark.anyio
@pytest.mark.in_process
async def test_a_corrupted_sqlite_file_is_a_500_that_says_why(
    framework: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "api.db"
    app = create_app(framework, settings=Settings(store=f"sqlite:///{db}"))
    async with client_of(app) as client:
        assert (await client.post("/items", json=ITEM)).status_code == 201
        corrupt(db)
        caplog.clear()
        r = await client.get("/items")
    assert r.status_code == 500
    assert r.json() == SERVER_ERROR
    [record] = errors_logged(caplog)
    assert record.name == "asgi_compare"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], sqlite3.DatabaseError)


@pytest.mark.starts_servers
@pytest.mark.targets(servers=SERVERS, modes=("none",))
def test_on_a_real_server_a_corrupted_sqlite_file_is_a_500_and_one_traceback(
    framework: str, target: Target, tmp_path: Path
) -> None:
    db = tmp_path / "api.db"
    with own_server(
        framework, target.server, tmp_path, {"ASGI_COMPARE_STORE": f"sqlite:///{db}"}
    ) as d:
        with httpx.Client(base_url=d.base_url, timeout=30) as client:
            assert client.post("/items", json=ITEM).status_code == 201
            corrupt(db)
            r = client.get("/items")
            assert r.status_code == 500
            assert r.json() == SERVER_ERROR
            log = _log_once_written(d.log, "DatabaseError")
            assert log.count(TRACEBACK) == 1, log
            assert "sqlite3.DatabaseError: file is not a database" in log, log
            assert "unhandled error in GET /items" in log, log


def _log_once_written(path: Path, text: str, timeout: float = 60.0) -> str:
    """The server's log once ``text`` is in it (a server may write it after answering)."""
    deadline = time.monotonic() + timeout
    log = path.read_text(errors="replace")
    while text not in log and time.monotonic() < deadline:
        time.sleep(0.1)
        log = path.read_text(errors="replace")
    time.sleep(0.5)  # and anything written right after it
    return path.read_text(errors="replace")
