"""Unit tests of core's pieces, without any web framework."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np
import pytest

from core.errors import (
    ItemNotFound,
    MethodNotAllowed,
    NegativeItemId,
    RequestInvalid,
    error_response,
)
from core.greetings import Greetings
from core.items import MemoryItemStore
from core.models import FitData, Item, PredictData
from core.regression import Regression
from core.settings import Settings
from core.validation import RequestParser, encode_errors, is_json_content_type, query_values


@pytest.mark.parametrize(
    ("raw", "prefix"), [("", ""), ("/", ""), ("px", "/px"), ("/px/", "/px"), (" /a/b ", "/a/b")]
)
def test_root_path_setting_is_normalised(raw: str, prefix: str) -> None:
    assert Settings.from_env({"ASGI_COMPARE_ROOT_PATH": raw}).root_path == prefix


def test_greetings_file_of_the_wrong_shape_fails_loudly(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text('["en", "Hello"]', encoding="utf-8")
    with pytest.raises(ValueError, match="one JSON object"):
        Greetings.from_file(path)


def test_error_table() -> None:
    assert (error_response(ItemNotFound()).status, error_response(ItemNotFound()).body) == (
        404,
        {"detail": "Item not found"},
    )
    assert error_response(NegativeItemId()).status == 400
    assert error_response(MethodNotAllowed(["GET", "HEAD"])).headers == {"Allow": "GET, HEAD"}
    crash = error_response(ZeroDivisionError("secret"))
    assert (crash.status, crash.body) == (500, {"detail": "Internal Server Error"})


def test_encoded_errors_are_valid_json_whatever_the_input() -> None:
    encoded = encode_errors(
        [
            {"type": "t", "loc": ("body", 0), "msg": "m", "input": [math.nan, -math.inf, b"\xff"]},
            {
                "type": "value_error",
                "loc": ("body",),
                "msg": "m",
                "input": 1,
                "ctx": {"error": ValueError("x")},
            },
            {"type": "missing", "loc": ("query", "x"), "msg": "Field required", "input": {"y": 1}},
        ]
    )
    assert encoded == [
        {"type": "t", "loc": ["body", 0], "msg": "m", "input": ["nan", "-inf", "\ufffd"]},
        {"type": "value_error", "loc": ["body"], "msg": "m", "input": 1, "ctx": {"error": {}}},
        {"type": "missing", "loc": ["query", "x"], "msg": "Field required", "input": None},
    ]


def test_query_values_keep_blanks_and_the_last_repeat() -> None:
    assert query_values(b"x=1&x=2&y=&z") == {"x": "2", "y": "", "z": ""}


@pytest.mark.parametrize(
    ("content_type", "is_json"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/vnd.api+json", True),
        ("text/json", False),
        ("application/x-www-form-urlencoded", False),
        (None, False),
    ],
)
def test_json_content_types(content_type: str | None, is_json: bool) -> None:
    assert is_json_content_type(content_type) is is_json


def test_parser_reports_every_part_in_fastapis_order() -> None:
    from core.models import ItemRef

    parser = RequestParser()
    parser.path(ItemRef, {"item_id": "x"})
    parser.body(Item, b"{}", "application/json")
    with pytest.raises(RequestInvalid) as caught:
        parser.check()
    assert [e["loc"] for e in caught.value.detail] == [
        ["path", "item_id"],
        ["body", "name"],
        ["body", "price"],
    ]


def test_deeply_nested_json_is_a_clear_error_not_a_crash() -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    parser = RequestParser()
    with pytest.raises(Exception) as caught:
        parser.body(Item, body, "application/json")
        parser.check()
    assert error_response(caught.value).status in (400, 422)


def test_item_ids_stay_distinct_across_threads() -> None:
    store = MemoryItemStore()
    item = Item(name="n", price=1.0)

    def add_many() -> None:
        for _ in range(250):
            store.add(item)

    threads = [threading.Thread(target=add_many) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [i.id for i in store.page(0, 5000)] == list(range(2000))


def test_regression_matches_least_squares_and_caches_its_plot() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 4.0
    model = Regression()
    coefs = model.fit(FitData(X=X.tolist(), y=y.tolist()))
    assert coefs.intercept == pytest.approx(4.0)
    assert coefs.coef == pytest.approx([1.0, -2.0, 0.5])
    first = model.plot_png()
    assert first.startswith(b"\x89PNG") and model.plot_png() is first
    model.fit(FitData(X=X.tolist(), y=(y + 1).tolist()))
    assert model.plot_png() is not first
    assert model.predict(PredictData(X=[[0.0, 0.0, 0.0]])).y_hat == pytest.approx([5.0])
    model.reset()
    assert model.coefs().intercept is None
