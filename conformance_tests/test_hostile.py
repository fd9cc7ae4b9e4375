"""A corpus of hostile requests, sent to every adapter on every target: each gets a 4xx JSON
answer, never a 500 or a traceback, and leaves the items and the fit as they were.

The app is given an item and a fit first, so that there is something to lose; the corpus is
then sent in order, and the items, the coefficients and the plot are compared with what they
were before it. Where the contract fixes the answer, the status is checked too.

The corpus is in two parts. What a proxy may change or refuse on the way (the method, the path
and query, an empty body, a body a proxy buffers or may find too large) is sent on every
target. A small body whose bytes alone are hostile, which every proxy passes on as it is, is
the app's alone to answer: those are sent where tests marked ``app_only`` run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from conformance_tests._data import lecture_data
from conformance_tests.plugin import Api, Target

pytestmark = pytest.mark.anyio

JSON = "application/json"
# What stands in front of the app and may answer some requests itself (names from the registry).
NGINX = frozenset({"nginx", "nginx-default", "connect"})  # the proxies that are nginx
APACHE = frozenset({"apache", "apache-no-reverse"})
JUPYTER = frozenset({"jupyter-server-proxy"})
LIMIT = 1024 * 1024  # the default ASGI_COMPARE_MAX_BODY_BYTES
# nginx's default client_body_buffer_size on 64-bit machines: past it, nginx writes a request
# body to a file before passing it on (other proxies stream it).
BUFFERED = 16 * 1024
DEEP = 100_000  # nesting far past what a recursive parser survives


@dataclass(frozen=True)
class Hostile:
    why: str
    method: str
    url: str
    body: bytes | None = None
    content_type: str | None = JSON
    status: int | None = None  # the contract's answer, where it fixes one
    headers: dict[str, str] = field(default_factory=dict)
    # Servers or proxies in front of the app (names from the registry) that refuse the request
    # before the app sees it, with a 4xx of their own that is not JSON; and how.
    refused_by: frozenset[str] = frozenset()
    refusal: str = ""
    app_only: bool = False  # a small body, hostile in its bytes only: no proxy changes it

    def refused(self, target: Target) -> bool:
        """Whether something in front of the app on ``target`` may answer instead of it."""
        return bool({target.server, target.proxy} & self.refused_by)

    def request_headers(self) -> dict[str, str]:
        ct = {"content-type": self.content_type} if self.content_type and self.body else {}
        return {**ct, **self.headers}


def _bodies(url: str, method: str = "POST") -> list[Hostile]:
    """What any JSON body endpoint is sent."""
    b = [
        ("truncated JSON", b'{"name": "a", "price": 1', JSON, 422),
        ("a missing comma", b'{"name": "a" "price": 1}', JSON, 422),
        ("a trailing comma", b'{"name": "a", "price": 1,}', JSON, 422),
        ("single quotes", b"{'name': 'a', 'price': 1}", JSON, 422),
        ("an empty body", b"", JSON, 422),
        ("whitespace only", b"   \n", JSON, 422),
        ("null", b"null", JSON, 422),
        ("a JSON array", b"[1, 2, 3]", JSON, 422),
        ("a JSON string", b'"name"', JSON, 422),
        ("a JSON number", b"42", JSON, 422),
        ("JSON sent as text/plain", b'{"name": "a", "price": 1}', "text/plain", 422),
        ("JSON sent as a form", b"name=a&price=1", "application/x-www-form-urlencoded", 422),
        ("JSON with no content type", b'{"name": "a", "price": 1}', None, 422),
        (
            "a multipart form",
            b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\na\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
            422,
        ),
        ("bytes that are not UTF-8", b'{"name": "\xff\xfe", "price": 1}', JSON, 400),
        ("binary garbage", bytes(range(256)) * 4, JSON, None),
        ("latin-1 text", "{'name': 'caf\xe9'}".encode("latin-1"), "text/plain", 422),
        ("a BOM, then garbage", b"\xef\xbb\xbf{garbage", JSON, None),
        ("deeply nested arrays", b"[" * DEEP + b"]" * DEEP, JSON, None),
        ("deeply nested objects", b'{"a": ' * DEEP + b"1" + b"}" * DEEP, JSON, None),
        ("a 5,000-digit integer", b'{"name": "a", "price": ' + b"9" * 5000 + b"}", JSON, None),
        ("a body over the limit", b'{"name": "' + b"a" * LIMIT + b'", "price": 1}', JSON, 413),
    ]
    return [
        Hostile(
            f"{method} {url}: {why}",
            method,
            url,
            body,
            ct,
            st,
            app_only=_in_bytes_only(body),
            **_refused(method, body),
        )
        for why, body, ct, st in b
    ]


def _in_bytes_only(body: bytes) -> bool:
    """Whether a body is hostile in its bytes alone: it has some, and too few to be buffered or
    refused on the way."""
    return 0 < len(body) <= BUFFERED


def _refused(method: str, body: bytes) -> dict[str, Any]:
    """jupyter-server-proxy 4.6 sends an empty PATCH body on as None, which tornado's client
    refuses: its own 500, before the app (jupyter_server_proxy/handlers.py l. 423-428,
    tornado/simple_httpclient.py l. 410-421)."""
    if method == "PATCH" and not body:
        return {"refused_by": JUPYTER, "refusal": "jupyter-server-proxy: 500 text/html"}
    return {}


def _numbers(url: str, method: str, template: str) -> list[Hostile]:
    """Numbers JSON does not have, or that overflow, wherever the body has a number."""
    values = [
        "NaN",
        "Infinity",
        "-Infinity",
        '"NaN"',
        '"Infinity"',
        '"1e400"',
        "1e400",
        "-1e400",
        "true",
        "null",
        "[]",
        "{}",
    ]
    return [
        Hostile(
            f"{method} {url}: the number {v}",
            method,
            url,
            template.replace("N", v).encode(),
            status=422,
            app_only=True,
        )
        for v in values
    ]


def _matrices() -> list[Hostile]:
    shapes = {
        "a ragged X": '{"X": [[1, 2], [3]], "y": [1, 2]}',
        "an empty X": '{"X": [], "y": []}',
        "an empty row": '{"X": [[]], "y": [1]}',
        "a flat X": '{"X": [1, 2, 3], "y": [1, 2, 3]}',
        "X three deep": '{"X": [[[1]], [[2]]], "y": [1, 2]}',
        "a y per column, not per row": '{"X": [[1, 2], [3, 4], [5, 6]], "y": [1, 2]}',
        "no y": '{"X": [[1], [2]]}',
        "y as a matrix": '{"X": [[1], [2]], "y": [[1], [2]]}',
        "strings in X": '{"X": [["1"], ["2"]], "y": [1, 2]}',
        "null in X": '{"X": [[null], [2]], "y": [1, 2]}',
        "X as an object": '{"X": {"0": [1]}, "y": [1]}',
    }
    out = [
        Hostile(f"POST /fit: {why}", "POST", "/fit", b.encode(), status=422, app_only=True)
        for why, b in shapes.items()
    ]
    predicts = {
        "a ragged X": '{"X": [[1, 2], [3]]}',
        "an empty X": '{"X": []}',
        "an empty row": '{"X": [[]]}',
        "the wrong number of columns": '{"X": [[1, 2, 3]]}',
        "a flat X": '{"X": [1, 2]}',
    }
    out += [
        Hostile(f"POST /predict: {why}", "POST", "/predict", b.encode(), status=422, app_only=True)
        for why, b in predicts.items()
    ]
    # Under the body limit, over the cap on values (ASGI_COMPARE_MAX_CELLS, default 100,000).
    wide = "[" + ",".join(["0"] * 1001) + "]"
    many = '{"X": [' + ",".join([wide] * 100) + '], "y": [' + ",".join(["0"] * 100) + "]}"
    out.append(Hostile("POST /fit: 100 x 1001 values", "POST", "/fit", many.encode(), status=413))
    out.append(
        Hostile(
            "POST /predict: 100 x 1001 values",
            "POST",
            "/predict",
            ('{"X": [' + ",".join([wide] * 100) + "]}").encode(),
            status=413,
        )
    )
    return out


LONG = 6000  # longer than most paths, shorter than nginx's and the servers' line limits

CORPUS: list[Hostile] = [
    *_bodies("/items"),
    *_bodies("/items/0", "PUT"),
    *_bodies("/items/0", "PATCH"),
    *_bodies("/fit"),
    *_bodies("/predict"),
    *_numbers("/items", "POST", '{"name": "n", "price": N}'),
    *_numbers("/items/0", "PATCH", '{"price": N}'),
    *_numbers("/fit", "POST", '{"X": [[1], [N]], "y": [1, 2]}'),
    *_numbers("/fit", "POST", '{"X": [[1], [2]], "y": [1, N]}'),
    *_numbers("/predict", "POST", '{"X": [[N, 1]]}'),
    *_matrices(),
    Hostile(
        "PATCH a name to null", "PATCH", "/items/0", b'{"name": null}', status=422, app_only=True
    ),
    Hostile(
        "PATCH a price to null", "PATCH", "/items/0", b'{"price": null}', status=422, app_only=True
    ),
    Hostile("an id that is not an int", "GET", "/items/abc", status=422),
    Hostile("an id with an exponent", "GET", "/items/1e3", status=422),
    Hostile("a negative id", "DELETE", "/items/-1", status=400),
    Hostile(
        "a NUL in an id",
        "DELETE",
        "/items/%00",
        status=422,
        refused_by=NGINX | APACHE,
        refusal="nginx when it strips the prefix: 400 text/html; Apache httpd: 404 text/html",
    ),
    Hostile("a huge id", "DELETE", "/items/" + "9" * 30, status=404),
    Hostile("a 6,000-digit id", "GET", "/items/" + "9" * LONG, status=422),
    Hostile(
        "a non-UTF-8 language",
        "GET",
        "/greetings/%FF%FE",
        status=404,
        refused_by=JUPYTER,
        refusal="jupyter-server-proxy (tornado cannot decode the path): 400 text/html",
    ),
    Hostile(
        "an encoded slash",
        "GET",
        "/greetings/a%2Fb",
        status=404,
        refused_by=APACHE,
        refusal="Apache httpd (AllowEncodedSlashes Off, its default): 404 text/html",
    ),
    Hostile("an overlong path", "GET", "/" + "a" * LONG, status=404),
    Hostile("an overlong path under a route", "GET", "/greetings/" + "a" * LONG, status=404),
    Hostile("an overlong query", "GET", "/add?x=1&y=" + "1" * LONG, status=422),
    Hostile("an overlong non-UTF-8 query", "GET", "/add?x=" + "%FF" * (LONG // 3), status=422),
    Hostile("a query with no value", "GET", "/add?x", status=422),
    Hostile("a NaN query", "GET", "/add?x=NaN", status=422),
    Hostile("an overflowing query", "GET", "/add?x=1e400", status=422),
    Hostile("a NaN delay", "GET", "/async-route?delay=nan", status=422),
    Hostile("an infinite delay", "GET", "/async-route?delay=inf", status=422),
    Hostile("a negative delay", "GET", "/async-route?delay=-1", status=422),
    Hostile("a negative offset", "GET", "/items?offset=-1", status=422),
    Hostile("a limit of zero", "GET", "/items?limit=0", status=422),
    Hostile("a limit past the maximum", "GET", "/items?limit=1001", status=422),
    Hostile(
        "an unknown method",
        "FOO",
        "/items",
        status=405,
        refused_by=frozenset({"uvicorn"}),
        refusal="uvicorn's httptools parser: 400 text/plain",
    ),
    # tornado answers the methods its handlers do not define itself.
    Hostile(
        "a WebDAV method",
        "PROPFIND",
        "/items",
        status=405,
        refused_by=JUPYTER,
        refusal="jupyter-server-proxy: 405 text/html",
    ),
    Hostile(
        "PURGE on a model route",
        "PURGE",
        "/fit",
        status=405,
        refused_by=JUPYTER,
        refusal="jupyter-server-proxy: 405 text/html",
    ),
    Hostile("DELETE on the list", "DELETE", "/items", status=405),
    Hostile("PUT on /fit", "PUT", "/fit", b'{"X": [[1]], "y": [1]}', status=405),
    Hostile("an unknown path", "POST", "/items/0/children", b"{}", status=404),
]


def _traceback_free(text: str) -> bool:
    return "Traceback" not in text and 'File "' not in text


def problem(h: Hostile, r: httpx.Response, target: Target) -> str | None:
    """What is wrong with an answer on ``target``, or None."""
    media = r.headers.get("content-type", "").split(";")[0].strip()
    if h.refused(target) and media != JSON:  # the answer of what stands in front of the app
        return None if _traceback_free(r.text) else "traceback text in the body"
    if not 400 <= r.status_code < 500:
        return f"status {r.status_code}"
    if h.status is not None and r.status_code != h.status:
        return f"status {r.status_code}, expected {h.status}"
    if media != JSON:
        return f"media type {media!r}"
    if not _traceback_free(r.text):
        return "traceback text in the body"
    try:
        body: Any = r.json()
    except ValueError:
        return "a body that is not JSON"
    if not isinstance(body, dict) or "detail" not in body:
        return f"a body without detail: {r.text[:200]}"
    return None


async def snapshot(client: httpx.AsyncClient) -> dict[str, Any]:
    """Every item, the coefficients and the plot's bytes."""
    items: list[Any] = []
    while True:
        page = await client.get("/items", params={"offset": len(items), "limit": 1000})
        assert page.status_code == 200, page.text
        items += page.json()
        if len(page.json()) < 1000:
            break
    coefs = (await client.get("/coefs")).json()
    plot = await client.get("/plot")
    return {"items": items, "coefs": coefs, "plot": hashlib.sha256(plot.content).hexdigest()}


def test_the_corpus_covers_the_issue() -> None:
    whys = " | ".join(h.why for h in CORPUS)
    for kind in (
        "truncated",
        "text/plain",
        "NaN",
        "Infinity",
        "nested",
        "digit",
        "ragged",
        "empty X",
        "not UTF-8",
        "overlong path",
        "overlong query",
        "unknown method",
        "over the limit",
    ):
        assert kind in whys, kind
    assert len(CORPUS) >= 150


ON_THE_WAY = [h for h in CORPUS if not h.app_only]
IN_THE_BYTES = [h for h in CORPUS if h.app_only]


async def test_hostile_requests_get_4xx_json_and_change_nothing(api: Api, target: Target) -> None:
    await sent_changing_nothing(api.client, ON_THE_WAY, target)


@pytest.mark.app_only
async def test_hostile_bodies_get_4xx_json_and_change_nothing(api: Api, target: Target) -> None:
    await sent_changing_nothing(api.client, IN_THE_BYTES, target)


async def sent_changing_nothing(
    client: httpx.AsyncClient, corpus: list[Hostile], target: Target
) -> None:
    """``corpus``, sent to an app holding an item and a fit: each answered as the corpus says,
    and the items, the coefficients and the plot as they were."""
    created = await client.post("/items", json={"name": "keep", "price": 1.5, "tax": 0.25})
    assert created.status_code == 201, created.text
    X, y = lecture_data(20)  # five columns
    fitted = await client.post("/fit", json={"X": X, "y": y})
    assert fitted.status_code == 200, fitted.text
    before = await snapshot(client)
    problems = []
    for h in corpus:
        r = await client.request(h.method, h.url, content=h.body, headers=h.request_headers())
        if (found := problem(h, r, target)) is not None:
            problems.append(f"{h.why}: {found}: {r.text[:160]!r}")
    after = await snapshot(client)
    assert not problems, f"{len(problems)} of {len(corpus)}:\n" + "\n".join(problems)
    assert after == before
