"""The two stores behave alike, and the settings that choose and bound them fail clearly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.errors import ModelNotFitted, TooManyValues
from core.items import ItemStore
from core.models import FitData, Item
from core.regression import Regression
from core.service import Service
from core.settings import Settings, SettingsError
from core.store import open_stores
from tests._stores import at_once, run_items, run_model


def stores(tmp_path: Path) -> dict[str, tuple[ItemStore, Any]]:
    memory = open_stores(Settings())
    sqlite = open_stores(Settings(store=f"sqlite:///{tmp_path / 'api.db'}"))
    return {"memory": memory, "sqlite": sqlite}


def test_both_item_stores_answer_alike(tmp_path: Path) -> None:
    (memory, _), (sqlite, _) = stores(tmp_path).values()
    assert run_items(memory) == run_items(sqlite)


def test_both_model_stores_answer_alike(tmp_path: Path) -> None:
    answers = [run_model(model_store) for _, model_store in stores(tmp_path).values()]
    assert answers[0] == answers[1]


def test_a_second_process_sees_the_same_file(tmp_path: Path) -> None:
    settings = Settings(store=f"sqlite:///{tmp_path / 'api.db'}")
    first, second = Service.create(settings), Service.create(settings)
    first.items.add(Item(name="a", price=1.0))
    first.model.fit(FitData(X=[[1.0], [2.0], [3.0]], y=[1.0, 2.0, 4.0]))
    assert [i.name for i in second.items.page(0, 10)] == ["a"]
    assert second.model.coefs() == first.model.coefs()
    second.model.reset()
    with pytest.raises(ModelNotFitted):
        first.model.plot_png()


def test_the_cap_on_values_names_the_limit() -> None:
    with pytest.raises(TooManyValues, match=r"X has 6 values .* the limit is 5"):
        Regression(max_cells=5).fit(FitData(X=[[1.0, 2.0]] * 3, y=[1.0, 2.0, 3.0]))


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ASGI_COMPARE_STORE": "mysql://x"}, "must be 'memory', 'sqlite:///PATH' or 'postgres"),
        ({"ASGI_COMPARE_STORE": "sqlite:///"}, "needs a file path"),
        ({"ASGI_COMPARE_STORE": "sqlite:////no/such/folder/a.db"}, "does not exist"),
        ({"ASGI_COMPARE_MAX_BODY_BYTES": "1MB"}, "must be a whole number"),
        ({"ASGI_COMPARE_MAX_CELLS": "0"}, "must be at least 1"),
    ],
)
def test_bad_settings_say_what_is_wrong(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Service.create(Settings.from_env(environ))


def test_settings_from_the_environment() -> None:
    s = Settings.from_env(
        {
            "ASGI_COMPARE_MAX_BODY_BYTES": "2_000_000",
            "ASGI_COMPARE_MAX_CELLS": "10",
            "ASGI_COMPARE_API_KEY": "secret-value",
        }
    )
    assert (s.max_body_bytes, s.max_cells, s.store, s.api_key) == (
        2_000_000,
        10,
        "memory",
        "secret-value",
    )
    assert "secret-value" not in repr(s)
    assert Settings.from_env({}).api_key is None


def test_many_processes_can_open_a_new_file_at_once(tmp_path: Path) -> None:
    """Worker processes of one server start together; each opens, and may create, the file."""
    for round_ in range(5):
        path, go = tmp_path / f"api-{round_}.db", tmp_path / f"go-{round_}"
        errors = at_once(
            "core.store", f"core.store.SqliteDatabase(pathlib.Path({str(path)!r}))", go
        )
        assert not errors, errors[0][-500:]
