"""One list of requests, valid and invalid, sent in order to every adapter: all must agree.

Each adapter starts fresh and receives the same sequence, so state-changing requests keep
their states in step. Compared: status, media type, the JSON body (or the exact bytes of a
PNG), and the Location and Allow headers; for redirects and 204s, status and headers only.
/about names its framework and is left out.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance_tests._data import FIT, Req, observe
from conformance_tests.plugin import Api

pytestmark = pytest.mark.anyio


def post(url: str, json: Any) -> Req:
    return Req("POST", url, json=json)


def raw(
    method: str, url: str, content: bytes, content_type: str | None = "application/json"
) -> Req:
    return Req(
        method, url, content=content, headers={"content-type": content_type} if content_type else {}
    )


REQUESTS: list[Req] = [
    Req("GET", "/"),
    Req("GET", "/docs", body_compared=False),
    Req("GET", "/openapi.json", body_compared=False),
    Req("GET", "/hello"),
    Req("GET", "/add?x=1&y=2"),
    Req("GET", "/add?x=1.5&y=2."),
    Req("GET", "/add?y=1"),
    Req("GET", "/add?x="),
    Req("GET", "/add?x=99999999999999999999"),
    Req("GET", "/add?x=1&x=2&y=3&z=9"),
    Req("GET", "/add?x[]=1"),  # quart-schema would read "x[]" as x
    Req("GET", "/add?x=%FF"),  # not UTF-8 once decoded
    Req("GET", "/user/5?name=Z"),
    Req("GET", "/user/-5"),
    Req("GET", "/user/x%20y"),
    Req("GET", "/async-route?delay=0"),
    Req("GET", "/async-route?delay=11"),
    Req("GET", "/async-route?delay=nan"),
    Req("GET", "/greetings"),
    Req("GET", "/greetings/zh"),
    Req("GET", "/greetings/xx"),
    Req("GET", "/items"),
    post("/items", {"name": "A", "price": 1}),
    post("/items", {"name": "B", "price": "2.5", "tax": 0.1, "extra": True}),
    post("/items", {"name": "W"}),
    post("/items", {}),
    post("/items", {"name": 5, "price": True}),
    raw("POST", "/items", b'{"name": "n", "price": NaN}'),
    raw("POST", "/items", b'{"name": "n", "price": -Infinity}'),
    raw("POST", "/items", b"{bad"),
    raw("POST", "/items", b"hello", "text/plain"),
    raw("POST", "/items", b""),
    raw("POST", "/items", b'{"name": "\xff", "price": 1}'),
    raw("POST", "/items", b'{"name": "n", "price": 1}', "application/vnd.api+json"),
    Req("GET", "/items?limit=1&offset=1"),
    Req("GET", "/items?limit=0&offset=-1"),
    Req("GET", "/items/0"),
    Req("GET", "/items/-3"),
    Req("GET", "/items/abc"),
    Req("PUT", "/items/1", json={"name": "B2", "price": 3}),
    Req("PUT", "/items/9", json={"name": "B2", "price": 3}),
    Req("PUT", "/items/x", json={"price": "p"}),
    raw("PUT", "/items/x", b"{bad"),  # a JSON syntax error is reported alone, path errors not
    Req("PATCH", "/items/0", json={"description": "d"}),
    Req("PATCH", "/items/0", json={"price": None}),
    Req("DELETE", "/items/1"),
    Req("DELETE", "/items/1"),
    Req("GET", "/items"),
    post("/predict", {"X": [[1.0, 2.0]]}),
    Req("GET", "/coefs"),
    Req("GET", "/plot"),
    post("/fit", FIT),
    post("/fit", {"X": [[1.0], [2.0, 3.0]], "y": [1.0, 2.0]}),
    post("/fit", {"X": [[1.0]], "y": [1.0, 2.0]}),
    post("/fit", {"X": [[1.0], [2.0]], "y": [1e308, -1e308]}),
    post("/predict", {"X": [[1.0]]}),
    post("/predict", {"X": [[1.0, 2.0], [0.5, -1.0]]}),
    post("/predict", {"X": [[1e308, 1e308]]}),
    post("/fit", {"X": [[1e308], [-1e308], [1e308]], "y": [1.0, 2.0, 3.0]}),
    Req("GET", "/coefs"),
    Req("GET", "/plot"),
    Req("GET", "/reset"),
    Req("POST", "/reset"),
    Req("GET", "/coefs"),
    Req("GET", "/nope"),
    Req("DELETE", "/hello"),
    Req("GET", "/hello/"),
    Req("HEAD", "/items"),
    Req("HEAD", "/nope"),
]


def test_the_list_is_long_enough() -> None:
    assert len(REQUESTS) >= 40
    assert len({str(r) for r in REQUESTS}) >= 40


@pytest.mark.app_only
async def test_every_adapter_answers_every_request_alike(all_apis: list[Api]) -> None:
    reference, *others = all_apis
    assert others, "the differential test needs a second adapter"
    mismatches = []
    for req in REQUESTS:
        answers = {}
        for api in all_apis:
            r = await api.client.request(
                req.method, req.url, json=req.json, content=req.content, headers=req.headers
            )
            answers[api.framework] = observe(req, r)
            assert r.status_code < 500, f"{api.framework}: {req} -> {r.status_code} {r.text}"
        expected = answers[reference.framework]
        for api in others:
            if answers[api.framework] != expected:
                mismatches.append(
                    (str(req), reference.framework, expected, api.framework, answers[api.framework])
                )
    assert not mismatches, "\n".join(map(repr, mismatches))
