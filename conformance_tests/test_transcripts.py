"""The lecture's client session, request by request: status and JSON body must match exactly."""

from __future__ import annotations

from typing import Any

import pytest

from conformance_tests._data import lecture_data, sklearn_fit
from conformance_tests.plugin import Api

pytestmark = pytest.mark.anyio

INT_MSG = "Input should be a valid integer, unable to parse string as an integer"

TRANSCRIPT: list[tuple[str, int, Any]] = [
    ("/add?x=1&y=1", 200, {"result": 2}),
    ("/add?x=-7&y=12", 200, {"result": 5}),
    ("/add?x=-7", 200, {"result": -7}),
    ("/add?x=1.0&y=2.0", 200, {"result": 3}),
    (
        "/add?y=-7",
        422,
        {
            "detail": [
                {"type": "missing", "loc": ["query", "x"], "msg": "Field required", "input": None}
            ]
        },
    ),
    (
        "/add?x=abc&y=1",
        422,
        {
            "detail": [
                {"type": "int_parsing", "loc": ["query", "x"], "msg": INT_MSG, "input": "abc"}
            ]
        },
    ),
    (
        "/add?x=1.5&y=2.",
        422,
        {
            "detail": [
                {"type": "int_parsing", "loc": ["query", "x"], "msg": INT_MSG, "input": "1.5"},
                {"type": "int_parsing", "loc": ["query", "y"], "msg": INT_MSG, "input": "2."},
            ]
        },
    ),
    ("/user/1234?name=Colin", 200, {"user_id": 1234, "name": "Colin"}),
    ("/user/3141", 200, {"user_id": 3141}),
    (
        "/user/Colin",
        422,
        {
            "detail": [
                {
                    "type": "int_parsing",
                    "loc": ["path", "user_id"],
                    "msg": INT_MSG,
                    "input": "Colin",
                }
            ]
        },
    ),
]


@pytest.mark.parametrize(("url", "status", "body"), TRANSCRIPT, ids=[t[0] for t in TRANSCRIPT])
async def test_lecture_get_transcript(api: Api, url: str, status: int, body: Any) -> None:
    r = await api.client.get(url)
    assert (r.status_code, r.json()) == (status, body)


@pytest.mark.app_only
@pytest.mark.fresh_state
async def test_lecture_items_transcript(api: Api) -> None:
    r = await api.client.post("/items", json={"name": "Widget"})
    assert (r.status_code, r.json()) == (
        422,
        {
            "detail": [
                {
                    "type": "missing",
                    "loc": ["body", "price"],
                    "msg": "Field required",
                    "input": {"name": "Widget"},
                }
            ]
        },
    )
    r = await api.client.get("/items/99")
    assert (r.status_code, r.json()) == (404, {"detail": "Item not found"})
    r = await api.client.post("/items", json={"name": "Widget", "price": 9.99})
    assert r.json() == {"name": "Widget", "description": None, "price": 9.99, "tax": None, "id": 0}
    r = await api.client.get("/items/0")
    assert r.json() == {"name": "Widget", "description": None, "price": 9.99, "tax": None, "id": 0}


async def test_lecture_model_transcript(api: Api) -> None:
    X, y = lecture_data()
    reference = sklearn_fit(X, y)
    r = await api.client.post("/fit", json={"X": X, "y": y})
    assert r.status_code == 200
    fit = r.json()
    assert fit["coef"] == pytest.approx([5, 0, 0, 3, -2], abs=0.2)
    assert fit["intercept"] == pytest.approx(reference.intercept_, abs=1e-9)
    assert fit["coef"] == pytest.approx(reference.coef_.tolist(), abs=1e-9)
    r = await api.client.post("/predict", json={"X": X})
    assert r.status_code == 200
    assert r.json()["y_hat"] == pytest.approx(reference.predict(X).tolist(), abs=1e-9)
    assert (await api.client.get("/coefs")).json() == fit
    r = await api.client.get("/plot")
    assert (r.status_code, r.headers["content-type"]) == (200, "image/png")
