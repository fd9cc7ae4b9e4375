"""Every row of docs/contract.md, for each adapter at each mount."""

from __future__ import annotations

import math
import time
import uuid
from importlib.metadata import version
from typing import Any

import httpx
import pytest

from asgi_compare.harness import FRAMEWORKS
from conformance_tests._data import lecture_data, sklearn_fit
from conformance_tests.plugin import Api

pytestmark = pytest.mark.anyio

ITEM = {"name": "Widget", "price": 9.99}
GADGET = {"name": "Gadget", "price": 4.99, "description": "A useful gadget", "tax": 0.25}


def media_type(r: httpx.Response) -> str:
    return str(r.headers.get("content-type", "")).split(";")[0].strip()


def json_of(r: httpx.Response) -> Any:
    assert media_type(r) == "application/json", r.text
    return r.json()


def detail(r: httpx.Response) -> Any:
    return json_of(r)["detail"]


def unique(name: str) -> str:
    """Names this test alone uses: tests on a shared server see each other's items."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


async def all_items(api: Api) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json_of(await api.client.get("/items?limit=1000"))
    return items


async def add_items(api: Api, *items: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        r = await api.client.post("/items", json=item)
        assert r.status_code == 201, r.text
        out.append(r.json())
    return out


# --- docs and the root --------------------------------------------------------------------


async def test_root_redirects_to_docs_under_the_prefix(api: Api) -> None:
    r = await api.client.get("/")
    assert r.status_code == 307
    assert r.headers["location"] == f"{api.root}/docs"


async def test_docs_page_loads_the_spec_from_under_the_prefix(api: Api) -> None:
    r = await api.client.get("/docs")
    assert r.status_code == 200
    assert media_type(r) == "text/html"
    assert f"'{api.root}/openapi.json'" in r.text or f'"{api.root}/openapi.json"' in r.text
    assert "SwaggerUIBundle" in r.text


ROUTES = {
    "/hello": {"get"},
    "/about": {"get"},
    "/add": {"get"},
    "/user/{user_id}": {"get"},
    "/async-route": {"get"},
    "/greetings": {"get"},
    "/greetings/{lang}": {"get"},
    "/items": {"get", "post"},
    "/items/{item_id}": {"get", "put", "patch", "delete"},
    "/fit": {"post"},
    "/predict": {"post"},
    "/coefs": {"get"},
    "/plot": {"get"},
    "/reset": {"get", "post"},
}


async def test_openapi_documents_every_route_and_the_prefix(api: Api) -> None:
    doc = json_of(await api.client.get("/openapi.json"))
    assert doc["openapi"].startswith("3.")
    assert {path: set(ops) for path, ops in doc["paths"].items()} == ROUTES
    if api.root:
        assert doc["servers"] == [{"url": api.root}]
    else:
        assert "servers" not in doc


# --- small routes ---------------------------------------------------------------------------


async def test_hello(api: Api) -> None:
    r = await api.client.get("/hello")
    assert r.status_code == 200
    assert json_of(r) == {"message": "Hello World"}


async def test_about_names_the_framework_and_the_root_path_it_saw(api: Api) -> None:
    about = json_of(await api.client.get("/about"))
    assert about["root_path"] == api.root
    assert about["framework"] in FRAMEWORKS
    if api.local:  # a deployment by URL runs whatever it runs, at its own versions
        assert about["framework"] == api.framework
        assert about["framework_version"] == version(api.framework)


@pytest.mark.app_only
@pytest.mark.parametrize(
    ("query", "result"),
    [("x=1&y=1", 2), ("x=-7&y=12", 5), ("x=-7", -7), ("x=1.0&y=2.0", 3), ("x=3&x=4", 4)],
)
async def test_add(api: Api, query: str, result: int) -> None:
    r = await api.client.get(f"/add?{query}")
    assert r.status_code == 200
    assert json_of(r) == {"result": result}


@pytest.mark.app_only
async def test_user_echoes_name_only_when_given(api: Api) -> None:
    assert json_of(await api.client.get("/user/7?name=Ada")) == {"user_id": 7, "name": "Ada"}
    assert json_of(await api.client.get("/user/7")) == {"user_id": 7}


@pytest.mark.app_only
async def test_async_route_sleeps_for_the_delay_given(api: Api) -> None:
    start = time.monotonic()
    r = await api.client.get("/async-route?delay=0.2")
    assert time.monotonic() - start >= 0.2
    assert json_of(r) == {"message": "This is an asynchronous route"}


# The default is the app's; one real server is enough to see it hold there too.
@pytest.mark.app_only
@pytest.mark.targets(servers=("asgi", "uvicorn"))
async def test_async_route_sleeps_one_second_by_default(api: Api) -> None:
    start = time.monotonic()
    r = await api.client.get("/async-route")
    assert time.monotonic() - start >= 1.0
    assert r.status_code == 200


@pytest.mark.app_only
@pytest.mark.parametrize(
    ("delay", "error_type"),
    [
        ("-0.1", "greater_than_equal"),
        ("10.5", "less_than_equal"),
        ("abc", "float_parsing"),
        ("nan", "less_than_equal"),
        ("-inf", "greater_than_equal"),
    ],
)
async def test_async_route_rejects_delays_out_of_bounds(
    api: Api, delay: str, error_type: str
) -> None:
    r = await api.client.get(f"/async-route?delay={delay}")
    assert r.status_code == 422
    [error] = detail(r)
    assert (error["type"], error["loc"], error["input"]) == (error_type, ["query", "delay"], delay)


# --- greetings ------------------------------------------------------------------------------


@pytest.mark.app_only
async def test_greetings_are_listed_sorted_by_language(api: Api) -> None:
    body = json_of(await api.client.get("/greetings"))
    assert [g["lang"] for g in body] == ["ar", "bn", "chr", "en", "es", "sw", "zh"]
    assert {"lang": "zh", "text": "你好"} in body


async def test_one_greeting_and_an_unknown_language(api: Api) -> None:
    assert json_of(await api.client.get("/greetings/es")) == {"lang": "es", "text": "Hola"}
    r = await api.client.get("/greetings/xx")
    assert r.status_code == 404
    assert detail(r) == "Greeting not found"


# --- items ----------------------------------------------------------------------------------


async def test_post_item_answers_201_with_id_and_location(api: Api) -> None:
    r = await api.client.post("/items", json=ITEM)
    assert r.status_code == 201
    first = json_of(r)["id"]
    assert json_of(r) == {**ITEM, "description": None, "tax": None, "id": first}
    assert r.headers["location"] == f"{api.root}/items/{first}"
    r = await api.client.post("/items", json=GADGET)
    assert (r.json()["id"], r.headers["location"]) == (first + 1, f"{api.root}/items/{first + 1}")


@pytest.mark.app_only
async def test_items_are_listed_in_insertion_order_with_paging(api: Api) -> None:
    names = [unique(f"n{i}") for i in range(5)]
    added = await add_items(api, *({"name": n, "price": 1} for n in names))
    listed = await all_items(api)
    mine = [(i["id"], i["name"]) for i in listed if i["name"] in names]
    assert mine == [(i["id"], i["name"]) for i in added]
    assert [i for i, _ in mine] == sorted(i for i, _ in mine)
    start = [i["name"] for i in listed].index(names[0])
    page = json_of(await api.client.get(f"/items?offset={start + 1}&limit=2"))
    assert [i["name"] for i in page] == names[1:3]
    assert json_of(await api.client.get(f"/items?offset={len(listed)}")) == []


@pytest.mark.app_only
@pytest.mark.parametrize(
    ("query", "field", "error_type"),
    [
        ("limit=0", "limit", "greater_than_equal"),
        ("limit=1001", "limit", "less_than_equal"),
        ("offset=-1", "offset", "greater_than_equal"),
        ("limit=ten", "limit", "int_parsing"),
    ],
)
async def test_item_paging_bounds(api: Api, query: str, field: str, error_type: str) -> None:
    r = await api.client.get(f"/items?{query}")
    assert r.status_code == 422
    [error] = detail(r)
    assert (error["type"], error["loc"]) == (error_type, ["query", field])


async def test_get_put_patch_delete_one_item(api: Api) -> None:
    [item] = await add_items(api, ITEM)
    url = f"/items/{item['id']}"
    assert json_of(await api.client.get(url))["name"] == "Widget"
    replaced = json_of(await api.client.put(url, json=GADGET))
    assert replaced == {**GADGET, "id": item["id"]}
    patched = json_of(await api.client.patch(url, json={"price": 1.5, "tax": None}))
    assert patched == {**GADGET, "price": 1.5, "tax": None, "id": item["id"]}
    r = await api.client.delete(url)
    assert (r.status_code, r.content) == (204, b"")
    assert (await api.client.get(url)).status_code == 404


@pytest.mark.app_only
async def test_ids_are_never_reused(api: Api) -> None:
    first, second = await add_items(api, ITEM, ITEM)
    assert second["id"] == first["id"] + 1
    assert (await api.client.delete(f"/items/{second['id']}")).status_code == 204
    [third] = await add_items(api, ITEM)
    assert third["id"] == second["id"] + 1


@pytest.mark.app_only
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
async def test_negative_and_unknown_item_ids(api: Api, method: str) -> None:
    body = ITEM if method in ("PUT", "PATCH") else None
    r = await api.client.request(method, "/items/-1", json=body)
    assert (r.status_code, detail(r)) == (400, "Item ID cannot be negative")
    r = await api.client.request(method, "/items/999999999", json=body)
    assert (r.status_code, detail(r)) == (404, "Item not found")


@pytest.mark.app_only
async def test_patch_validates_only_the_fields_given(api: Api) -> None:
    [item] = await add_items(api, GADGET)
    url = f"/items/{item['id']}"
    r = await api.client.patch(url, json={"name": None})
    assert r.status_code == 422
    assert [(e["type"], e["loc"]) for e in detail(r)] == [("string_type", ["body", "name"])]
    r = await api.client.patch(url, json={"price": "NaN"})
    assert [(e["type"], e["loc"]) for e in detail(r)] == [("float_type", ["body", "price"])]
    assert json_of(await api.client.get(url)) == item


@pytest.mark.app_only
async def test_item_path_and_body_errors_are_reported_together(api: Api) -> None:
    r = await api.client.put("/items/abc", json={"name": "x"})
    assert r.status_code == 422
    assert [e["loc"] for e in detail(r)] == [["path", "item_id"], ["body", "price"]]


@pytest.mark.app_only
@pytest.mark.parametrize(
    "price", ["NaN", "Infinity", "-Infinity", '"nan"', '"inf"', '"-Infinity"', "1e400"]
)
async def test_item_floats_must_be_finite(api: Api, price: str) -> None:
    before = await all_items(api)
    content = f'{{"name": "x", "price": {price}}}'  # JSON literals, strings and an overflow
    r = await api.client.post(
        "/items", content=content, headers={"content-type": "application/json"}
    )
    assert r.status_code == 422, r.text
    [error] = detail(r)
    expected = "float_type" if price.startswith('"') else "finite_number"
    assert (error["type"], error["loc"]) == (expected, ["body", "price"])
    assert await all_items(api) == before


@pytest.mark.app_only
@pytest.mark.parametrize("price", ["true", '"2.5"', "[1]"])
async def test_body_numbers_must_be_json_numbers(api: Api, price: str) -> None:
    r = await api.client.post(
        "/items",
        content=f'{{"name": "x", "price": {price}}}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    assert [(e["type"], e["loc"]) for e in detail(r)] == [("float_type", ["body", "price"])]


# --- the model ------------------------------------------------------------------------------


@pytest.mark.app_only
async def test_model_routes_before_any_fit(api: Api) -> None:
    assert json_of(await api.client.post("/reset")) == {}
    assert json_of(await api.client.get("/coefs")) == {"intercept": None, "coef": None}
    for r in (
        await api.client.post("/predict", json={"X": [[1.0]]}),
        await api.client.get("/plot"),
    ):
        assert (r.status_code, detail(r)) == (400, "Model has not been fitted yet")


@pytest.mark.app_only
async def test_fit_predict_coefs_plot_reset(api: Api) -> None:
    X, y = lecture_data()
    reference = sklearn_fit(X, y)
    fit = json_of(await api.client.post("/fit", json={"X": X, "y": y}))
    assert math.isclose(fit["intercept"], reference.intercept_, abs_tol=1e-9)
    assert fit["coef"] == pytest.approx(reference.coef_.tolist(), abs=1e-9)
    assert json_of(await api.client.get("/coefs")) == fit
    y_hat = json_of(await api.client.post("/predict", json={"X": X[:10]}))["y_hat"]
    assert y_hat == pytest.approx(reference.predict(X[:10]).tolist(), abs=1e-9)
    r = await api.client.get("/plot")
    assert (r.status_code, media_type(r)) == (200, "image/png")
    assert r.content.startswith(b"\x89PNG\r\n\x1a\n")
    for method in ("GET", "POST"):
        await api.client.post("/fit", json={"X": X, "y": y})
        assert json_of(await api.client.request(method, "/reset")) == {}
        assert json_of(await api.client.get("/coefs")) == {"intercept": None, "coef": None}
        assert (await api.client.get("/plot")).status_code == 400


@pytest.mark.app_only
async def test_predict_with_the_wrong_column_count_is_422(api: Api) -> None:
    X, y = lecture_data(20)
    await api.client.post("/fit", json={"X": X, "y": y})
    r = await api.client.post("/predict", json={"X": [[1.0, 2.0]]})
    assert r.status_code == 422
    [error] = detail(r)
    assert error["loc"] == ["body", "X"]


@pytest.mark.app_only
@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"X": [[1.0], [2.0]]}, ["body", "y"]),
        ({"X": [], "y": []}, ["body", "X"]),
        ({"X": [[1.0, 2.0], [3.0]], "y": [1.0, 2.0]}, ["body", "X"]),
        ({"X": [[1.0], [2.0]], "y": [1.0]}, ["body"]),
        ({"X": [[1.0], ["nan"]], "y": [1.0, 2.0]}, ["body", "X", 1, 0]),
        ({"X": [[1.0], [2.0]], "y": [1.0, "-inf"]}, ["body", "y", 1]),
        ({"X": [[]], "y": [1.0]}, ["body", "X", 0]),
        ({"X": "[[1]]", "y": [1.0]}, ["body", "X"]),
    ],
    ids=["no-y", "empty-X", "ragged", "len-mismatch", "nan-in-X", "inf-in-y", "empty-row", "X-str"],
)
async def test_fit_rejects_bad_shapes_and_values(api: Api, body: Any, loc: list[Any]) -> None:
    await api.client.post("/reset")
    r = await api.client.post("/fit", json=body)
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in detail(r)] == [loc]
    assert json_of(await api.client.get("/coefs")) == {"intercept": None, "coef": None}


@pytest.mark.app_only
async def test_a_fit_or_prediction_that_overflows_is_422_and_keeps_the_fit(api: Api) -> None:
    X, y = lecture_data(20)
    fit = json_of(await api.client.post("/fit", json={"X": X, "y": y}))
    r = await api.client.post("/fit", json={"X": [[1.0], [2.0]], "y": [1e308, -1e308]})
    assert r.status_code == 422
    assert [e["loc"] for e in detail(r)] == [["body"]]
    assert json_of(await api.client.get("/coefs")) == fit
    r = await api.client.post("/predict", json={"X": [[1e308] * 5]})
    assert r.status_code == 422
    assert [e["loc"] for e in detail(r)] == [["body", "X"]]


# --- routing edges --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/items/1/extra", "/docs/x", "/hello/there/"])
async def test_unknown_path_is_404(api: Api, path: str) -> None:
    r = await api.client.get(path)
    assert (r.status_code, detail(r)) == (404, "Not Found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/hello", {"GET", "HEAD"}),
        ("POST", "/items/3", {"GET", "HEAD", "PUT", "PATCH", "DELETE"}),
        ("PUT", "/items", {"GET", "HEAD", "POST"}),
        ("GET", "/fit", {"POST"}),
    ],
)
async def test_wrong_method_is_405_with_allow(
    api: Api, method: str, path: str, allowed: set[str]
) -> None:
    r = await api.client.request(method, path)
    assert (r.status_code, detail(r)) == (405, "Method Not Allowed")
    assert {m.strip() for m in r.headers["allow"].split(",")} == allowed


@pytest.mark.parametrize(("path", "redirect"), [("/hello/", "/hello"), ("/add/?x=1", "/add?x=1")])
async def test_trailing_slash_redirects_keeping_the_prefix(
    api: Api, path: str, redirect: str
) -> None:
    r = await api.client.get(path)
    assert r.status_code == 307
    assert r.headers["location"] == f"{api.root}{redirect}"


@pytest.mark.parametrize("path", ["/hello", "/greetings/en", "/items", "/coefs", "/about"])
async def test_head_answers_as_get_without_a_body(api: Api, path: str) -> None:
    get, head = await api.client.get(path), await api.client.head(path)
    assert head.status_code == get.status_code == 200
    assert media_type(head) == media_type(get)
    assert head.content == b""


async def test_answers_sent_whole_carry_their_length(api: Api) -> None:
    """Without a Content-Length, Go's ``httputil.ReverseProxy`` (Traefik) sends an answer's
    head at once and may cut its body short when the request had one (golang/go#40747)."""
    json_body = {"content-type": "application/json"}
    answers = [
        await api.client.get("/hello"),
        await api.client.get("/items/abc"),
        await api.client.get("/nowhere"),
        await api.client.post("/items", json={"name": "sized", "price": 1.0}),
        await api.client.post("/fit", content=b'{"X": [[1, 2]], "y": [1', headers=json_body),
        await api.client.patch("/items/0", content=b"[" * 64, headers=json_body),
    ]
    got = [(r.request.method, r.status_code, r.headers.get("content-length")) for r in answers]
    assert got == [(r.request.method, r.status_code, str(len(r.content))) for r in answers]


# --- bodies that are not JSON, or not valid JSON --------------------------------------------


@pytest.mark.app_only
@pytest.mark.parametrize("content", [b"{bad", b'{"name": "x",', b"[1, 2", b"\xff\xfe"], ids=repr)
async def test_malformed_json_is_422_at_the_body(api: Api, content: bytes) -> None:
    r = await api.client.post(
        "/items", content=content, headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    [error] = detail(r)
    assert (error["type"], error["loc"][0]) == ("json_invalid", "body")


@pytest.mark.app_only
async def test_json_that_is_not_text_is_a_clear_400(api: Api) -> None:
    r = await api.client.post(
        "/items",
        content=b'{"name": "\xff", "price": 1}',
        headers={"content-type": "application/json"},
    )
    assert (r.status_code, detail(r)) == (400, "There was an error parsing the body")


@pytest.mark.app_only
@pytest.mark.parametrize(
    ("content", "content_type", "error_type"),
    [
        (b"name=x&price=1", "application/x-www-form-urlencoded", "model_attributes_type"),
        (b"\xff\xfe\xfd", "text/plain", "model_attributes_type"),
        (b'{"name": "x", "price": 1}', None, "model_attributes_type"),
        (b"", "application/json", "missing"),
        (b"null", "application/json", "model_attributes_type"),
        (b"[1]", "application/json", "model_attributes_type"),
    ],
    ids=["form", "binary", "no-content-type", "empty", "null", "array"],
)
async def test_bodies_that_are_not_an_item_object_are_422(
    api: Api, content: bytes, content_type: str | None, error_type: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    r = await api.client.post("/items", content=content, headers=headers)
    assert r.status_code == 422
    [error] = detail(r)
    assert (error["type"], error["loc"]) == (error_type, ["body"])
    assert "Traceback" not in r.text
