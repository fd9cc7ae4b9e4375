"""The PostgreSQL store against a real PostgreSQL server (Debian's ``postgresql``, started here):
the memory and SQLite stores' contract, shared by processes, its schema made once when many
start together, clear errors for a bad URL, and a database that goes away and comes back."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from asgi_compare.harness import free_port
from asgi_compare.harness.postgres import PostgresMissing, PostgresServer, server_bindir
from conformance_tests._apis import OUTAGE_BOUND_S
from core.errors import ItemNotFound, ModelNotFitted, StoreUnavailable, error_response
from core.models import FitData, Item
from core.postgres import PostgresDatabase, PostgresItemStore, PostgresModelStore
from core.service import Service
from core.settings import Settings, SettingsError
from core.store import open_stores
from tests._stores import at_once, run_items, run_model


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    with PostgresServer(tmp_path_factory.mktemp("postgres"), durable=False) as server:
        yield server


@pytest.fixture
def url(postgres: PostgresServer) -> str:
    """A new, empty database."""
    return postgres.create_database()


@contextmanager
def opened(url: str) -> Iterator[tuple[PostgresItemStore, PostgresModelStore]]:
    """The stores ``ASGI_COMPARE_STORE=url`` opens, their pool closed afterwards."""
    items, model = open_stores(Settings(store=url))
    assert isinstance(items, PostgresItemStore) and isinstance(model, PostgresModelStore)
    try:
        yield items, model
    finally:
        items.db.close()


def test_answers_as_the_memory_store_does(url: str) -> None:
    """The same calls as the memory and SQLite stores' test: ids, pages, errors, and the fit's
    coefficients, predictions and plot bytes."""
    memory_items, memory_model = open_stores(Settings())
    with opened(url) as (items, model):
        assert run_items(items) == run_items(memory_items)
        assert run_model(model) == run_model(memory_model)


def test_every_process_sees_the_same_database(url: str) -> None:
    with opened(url) as (items, model), opened(url) as (other_items, other_model):
        items.add(Item(name="a", price=1.0))
        first, second = Service.create(Settings()), Service.create(Settings())
        first.model.store, second.model.store = model, other_model
        coefs = first.model.fit(FitData(X=[[1.0], [2.0], [3.0]], y=[1.0, 2.0, 4.0]))
        assert [i.name for i in other_items.page(0, 10)] == ["a"]
        assert second.model.coefs() == coefs
        assert second.model.plot_png() == first.model.plot_png()
        second.model.reset()
        with pytest.raises(ModelNotFitted):
            first.model.plot_png()


def test_concurrent_patches_from_two_processes_lose_no_field(url: str) -> None:
    with opened(url) as (items, _), opened(url) as (other, _):
        item_id = items.add(Item(name="n", price=1.0)).id
        for n in range(20):
            changes: list[dict[str, Any]] = [
                {"name": f"name {n}"},
                {"description": f"description {n}"},
                {"price": float(n)},
                {"tax": n / 100},
            ]
            stores = [items, other, items, other]
            threads = [
                threading.Thread(target=s.update, args=(item_id, c))
                for s, c in zip(stores, changes, strict=True)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            got = items.get(item_id).model_dump()
            assert got == {**got, **{k: v for c in changes for k, v in c.items()}}, f"round {n}"


def test_many_processes_create_the_schema_at_once(postgres: PostgresServer, tmp_path: Path) -> None:
    """The worker processes of several servers start together on a new database."""
    for round_ in range(2):
        url, go = postgres.create_database(), tmp_path / f"go-{round_}"
        errors = at_once("core.postgres", f"core.postgres.PostgresDatabase({url!r})", go)
        assert not errors, errors[0][-800:]
        with psycopg.connect(url) as conn:
            versions = conn.execute("SELECT version FROM asgi_compare_schema").fetchall()
            models = conn.execute("SELECT count(*) FROM model").fetchone()
        assert (versions, models) == ([(1,)], (1,))


def test_a_schema_newer_than_the_app_is_refused(url: str) -> None:
    PostgresDatabase(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE asgi_compare_schema SET version = 99")
    with pytest.raises(SettingsError, match="schema version 99, newer than this app's 1"):
        PostgresDatabase(url)


def test_ids_past_bigint_are_not_found(url: str) -> None:
    with opened(url) as (items, _):
        for call in (
            lambda: items.get(2**63),
            lambda: items.update(2**63, {"name": "x"}),
            lambda: items.delete(2**64),
        ):
            with pytest.raises(ItemNotFound):
                call()


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ("postgresql://u:secret@[::1/db", "not a PostgreSQL URL libpq can read"),
        ("postgresql://u:secret@127.0.0.1/db?sslmod=require", "invalid URI query parameter"),
        ("postgresql://u:secret@127.0.0.1:notaport/db", 'invalid integer value "notaport"'),
        ("postgresql://u:secret@127.0.0.1:{free}/db", "cannot use the PostgreSQL database"),
        ("postgresql://asgi_compare:secret@127.0.0.1:{port}/postgres", "password authentication"),
        ("{url}_missing", 'database "db_[0-9]+_missing" does not exist'),
    ],
    ids=["bad-url", "bad-option", "bad-port", "unreachable", "wrong-password", "no-database"],
)
def test_a_database_that_cannot_be_used_stops_the_app(
    postgres: PostgresServer, url: str, store: str, message: str
) -> None:
    store = store.format(free=free_port(), port=postgres.port, url=url)
    with pytest.raises(SettingsError, match=message) as caught:
        Service.create(Settings(store=store))
    assert str(caught.value).startswith("ASGI_COMPARE_STORE")
    assert "secret" not in str(caught.value) and postgres.password not in str(caught.value)


def test_an_outage_is_a_503_and_the_store_recovers(postgres: PostgresServer, url: str) -> None:
    with opened(url) as (items, model):
        acknowledged = [items.add(Item(name=f"n{i}", price=i)) for i in range(5)]
        postgres.stop()
        try:
            for call in (
                lambda: items.get(0),
                lambda: items.add(Item(name="lost", price=1.0)),
                lambda: items.page(0, 10),
                model.load,
            ):
                started = time.monotonic()
                with pytest.raises(StoreUnavailable):
                    call()
                assert time.monotonic() - started < OUTAGE_BOUND_S
        finally:
            postgres.start()
        answer = error_response(StoreUnavailable())
        assert (answer.status, answer.headers) == (503, {"Retry-After": "5"})
        assert answer.json_bytes().startswith(b'{"detail": "The database is not available')
        deadline = time.monotonic() + 60  # a restart on a loaded machine takes seconds
        while True:  # the pool reconnects by itself: no new store, no restart
            try:
                assert items.page(0, 100) == acknowledged
                break
            except StoreUnavailable:
                assert time.monotonic() < deadline, "not recovered in 60 s"
                time.sleep(0.2)
        assert items.add(Item(name="after", price=1.0)).id == len(acknowledged)


def test_the_password_stays_out_of_reprs_and_messages() -> None:
    url = "postgresql://app:hunter2@db.example:5432/api"
    assert "hunter2" not in repr(Settings.from_env({"ASGI_COMPARE_STORE": url}))
    with pytest.raises(SettingsError, match=r"not 'postgresq://\*\*\*@db.example/api'") as caught:
        open_stores(Settings(store="postgresq://app:hunter2@db.example/api"))  # mistyped scheme
    assert "hunter2" not in str(caught.value)


def test_missing_postgresql_names_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)  # no pg_config on PATH
    with pytest.raises(PostgresMissing, match=r"install Debian's 'postgresql' package"):
        server_bindir(debian_root=tmp_path)
