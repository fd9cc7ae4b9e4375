"""Unit tests of core's pieces, without any web framework."""

from __future__ import annotations

import asyncio
import math
import os
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from core import answers
from core.errors import (
    BodyNotParsable,
    ItemNotFound,
    MethodNotAllowed,
    NegativeItemId,
    RequestInvalid,
    TooManyValues,
    error_response,
)
from core.greetings import Greetings
from core.items import MemoryItemStore
from core.models import AddQuery, FitData, Item, PredictData, StoredItem, UserEcho
from core.openapi import documented_errors
from core.regression import Regression
from core.route_answers import RouteAnswers
from core.routes import ROUTES, Operation, RouteTable, operation
from core.settings import Settings
from core.validation import (
    BodyInvalid,
    RequestParser,
    body_value,
    encode_errors,
    invalid_request,
    is_json_content_type,
    query_values,
)


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


def test_malformed_json_is_reported_alone_as_fastapi_reads_the_body_first() -> None:
    from core.models import ItemRef

    parser = RequestParser()
    parser.path(ItemRef, {"item_id": "x"})
    with pytest.raises(RequestInvalid) as caught:
        parser.body(Item, b"{bad", "application/json")
        parser.check()
    assert [e["type"] for e in caught.value.detail] == ["json_invalid"]


def test_body_value_reads_a_body_as_fastapi_does() -> None:
    assert body_value(b'{"a": 1}', "application/vnd.api+json") == {"a": 1}
    assert body_value(b'{"a": 1}', "text/plain") == b'{"a": 1}'
    assert body_value(b'{"a": 1}', None) == b'{"a": 1}'
    with pytest.raises(BodyInvalid) as missing:
        body_value(b"", "application/json")
    assert (missing.value.detail[0]["type"], missing.value.alone) == ("missing", False)
    with pytest.raises(BodyInvalid) as bad:
        body_value(b"[1,", "application/json")
    assert (bad.value.detail[0]["loc"], bad.value.alone) == (["body", 3], True)
    with pytest.raises(BodyNotParsable):
        body_value(b'{"name": "\xff"}', "application/json")


def test_a_libraries_validation_error_reads_as_fastapis_with_the_path_first() -> None:
    replace = operation("replace_item")
    try:
        Item.model_validate({"name": 5})
    except ValidationError as exc:
        failure = exc
    detail = invalid_request(replace, {"item_id": "x"}, failure).detail
    assert [(e["type"], e["loc"]) for e in detail] == [
        ("int_parsing", ["path", "item_id"]),
        ("string_type", ["body", "name"]),
        ("missing", ["body", "price"]),
    ]
    assert invalid_request(replace, {"item_id": "1"}, failure).detail == detail[1:]
    try:
        AddQuery.model_validate({"y": "z"})
    except ValidationError as exc:
        failure = exc
    assert [e["loc"] for e in invalid_request(operation("add"), {}, failure).detail] == [
        ["query", "x"],
        ["query", "y"],
    ]


def test_a_missing_body_is_reported_with_the_path_a_malformed_one_alone() -> None:
    replace = operation("replace_item")
    for body, types in ((b"", ["int_parsing", "missing"]), (b"{", ["json_invalid"])):
        with pytest.raises(BodyInvalid) as caught:
            body_value(body, "application/json")
        detail = invalid_request(replace, {"item_id": "x"}, caught.value).detail
        assert [e["type"] for e in detail] == types


def test_models_read_as_fastapi_reads_requests() -> None:
    assert AddQuery.model_validate({"x": ["1", "2"]}).x == 2  # the last of a repeated name
    assert UserEcho(user_id=1).model_dump() == {"user_id": 1}
    assert UserEcho(user_id=1, name="a").model_dump() == {"user_id": 1, "name": "a"}
    with pytest.raises(ValidationError) as caught:
        Item.model_validate([1])  # from_attributes, as FastAPI validates a body
    assert caught.value.errors()[0]["type"] == "model_attributes_type"


def test_answers() -> None:
    assert answers.hello().message == "Hello World"
    assert answers.add(2, 3).result == 5
    assert answers.item_location(StoredItem(id=7, name="n", price=1.0)) == "/items/7"
    assert asyncio.run(answers.async_route(0)).message == "This is an asynchronous route"


def test_documented_errors_follow_the_route_table() -> None:
    assert documented_errors(operation("get_item")) == {400: "Bad Request", 404: "Not Found"}
    assert list(documented_errors(operation("create_item"))) == [400, 413]
    assert documented_errors(operation("hello")) == {}


def test_the_fit_pool_settings_come_from_the_environment() -> None:
    env = {"ASGI_COMPARE_OFFLOAD_BYTES": "1_024", "ASGI_COMPARE_FIT_PROCESSES": "3"}
    settings = Settings.from_env(env)
    assert (settings.offload_bytes, settings.fit_processes) == (1024, 3)
    assert (Settings.from_env({}).offload_bytes, Settings.from_env({}).fit_processes) == (
        64 * 1024,
        None,
    )


def test_only_a_body_past_the_threshold_leaves_the_process() -> None:
    from core.offload import FitPool
    from core.regression import MemoryModelStore

    pool = FitPool(Regression(), Settings(offload_bytes=10))
    assert not pool.takes(b"x" * 10) and pool.takes(b"x" * 11)
    assert pool.processes == len(os.sched_getaffinity(0))

    class Elsewhere(MemoryModelStore):  # stands for any store the settings do not name
        pass

    # A worker process could not reach it: its bodies stay in the server's process.
    elsewhere = FitPool(Regression(Elsewhere()), Settings(offload_bytes=10))
    assert not elsewhere.takes(b"x" * 11)


def test_an_error_raised_in_a_worker_process_is_raised_again_as_it_was() -> None:
    from core.offload import _Refused

    for exc in (
        TooManyValues(1500, 1000),
        BodyInvalid({"type": "missing", "loc": ("body",), "msg": "Field required"}, alone=True),
        BodyNotParsable(),
    ):
        # Pickling the error itself fails for TooManyValues (its __init__ takes two numbers).
        again = pickle.loads(pickle.dumps(_Refused.of(exc))).error()
        assert type(again) is type(exc)
        assert vars(again) == vars(exc)
        assert error_response(again) == error_response(exc)


def test_a_body_with_no_room_to_wait_in_a_file_goes_to_the_worker_itself(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from core import offload

    body = b'{"X": [[1.0], [2.0], [3.0]], "y": [1.0, 2.0, 4.0]}'
    spilled = offload._spill(body)
    assert isinstance(spilled, str) and Path(spilled).read_bytes() == body
    offload._remove(spilled)
    assert not Path(spilled).exists()
    monkeypatch.setattr(offload, "SPILL_DIR", str(tmp_path / "missing"))
    assert offload._spill(body) == body
    fitted = offload._fit_spilled(body, "application/json", 10)  # read as a worker reads it
    assert isinstance(fitted, offload._Fitted)
    expected = Regression().fit(FitData.model_validate_json(body))
    assert (fitted.intercept, fitted.coef) == (expected.intercept, expected.coef)


# --- the route table's fast answer ---------------------------------------------------------

_SLASHED = RouteTable(
    (
        Operation("GET", "/", "root"),
        Operation("GET", "/dir", "dir"),
        Operation("GET", "/dir/", "dir/"),
    )
)


@pytest.mark.parametrize("table", [ROUTES, _SLASHED], ids=["api", "slashed"])
def test_routed_says_what_the_full_answer_says(table: RouteTable) -> None:
    """``routed`` answers a static route from a set (the requests most servers see); it agrees
    with ``answer`` on every route, method and path form, a static path ending in ``/`` too."""
    route_answers = RouteAnswers(table)
    paths = {op.path.replace("{", "").replace("}", "") for op in table.operations}
    paths |= {p + "/" for p in paths} | {p.rstrip("/") for p in paths} | {"/nowhere", "//"}
    methods = {op.method for op in table.operations} | {"HEAD", "PUT", "OPTIONS"}
    checked = 0
    for method in sorted(methods):
        for path in sorted(paths):
            full = route_answers.answer(method, path, b"") is None
            assert route_answers.routed(method, path) is full, (method, path)
            checked += full
    assert checked >= len(table.operations)  # some requests do reach the framework


def test_a_websocket_message_is_measured_in_bytes_and_close_is_a_command() -> None:
    from core.live import MESSAGE_TOO_BIG, NORMAL_CLOSURE, Reply, reply

    assert reply("é" * 3, 6) == Reply('{"type": "echo", "text": "\\u00e9\\u00e9\\u00e9"}')
    assert reply("é" * 4, 6) == Reply(close=MESSAGE_TOO_BIG)  # 8 bytes, 4 characters
    assert reply(b"\x00" * 6, 6) == Reply(b"\x00" * 6)
    assert reply(b"\x00" * 7, 6) == Reply(close=MESSAGE_TOO_BIG)
    assert reply("close", 6) == Reply(close=NORMAL_CLOSURE)
    assert reply(b"close", 6) == Reply(b"close")  # the command is a text message


@pytest.mark.parametrize(
    ("last_event_id", "after"),
    [
        (None, 0),
        ("", 0),
        ("3", 3),
        (" 3 ", 3),
        ("5", 5),
        ("6", 0),
        ("0", 0),
        ("-1", 0),
        ("x", 0),
        ("٣", 0),
        ("3.0", 0),
    ],
)
def test_a_stream_resumes_only_after_an_id_it_sent(last_event_id: str | None, after: int) -> None:
    from core.live import resume_after

    assert resume_after(last_event_id, 5) == after
