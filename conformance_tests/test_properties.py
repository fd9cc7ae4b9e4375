"""Property-based: Hypothesis generates sequences of requests, valid and hostile, and every
adapter must answer each exactly as the reference does (status, media type, body, Location,
Allow), with no 5xx, from the same fresh state.

Requests are drawn from the route table (so the paths are real ones and each method is one the
route has, or not), with path parameters, query strings and bodies drawn from JSON, text and
raw bytes. Each example runs every adapter in-process from scratch, so failures shrink to the
shortest sequence that tells two adapters apart.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asgi_compare.harness import FRAMEWORKS, REFERENCE
from conformance_tests._data import Req, observe
from conformance_tests.plugin import open_in_process
from core.routes import OPERATIONS

pytestmark = pytest.mark.in_process

EXAMPLES = int(os.environ.get("ASGI_COMPARE_PROPERTY_EXAMPLES", "60"))
# /about names its framework, so it is the one route whose answers differ.
TEMPLATES = sorted({op.path for op in OPERATIONS if op.in_schema and op.path != "/about"})
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "PROPFIND"]
JSON = "application/json"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
numbers = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6)
item_like = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=10) | json_values,
        "price": numbers | json_values,
        "tax": numbers | st.none(),
        "description": st.text(max_size=10) | st.none(),
    },
)


@st.composite
def matrices(draw: st.DrawFn) -> dict[str, Any]:
    rows = draw(st.integers(0, 5))
    cols = draw(st.integers(0, 3))
    ragged = draw(st.booleans()) and rows > 1
    X = [
        draw(st.lists(numbers, min_size=cols, max_size=cols + (1 if ragged and r else 0)))
        for r in range(rows)
    ]
    body: dict[str, Any] = {"X": X}
    if draw(st.booleans()):
        body["y"] = draw(st.lists(numbers, min_size=max(rows - 1, 0), max_size=rows + 1))
    return body


bodies = st.one_of(
    item_like.map(lambda b: (json.dumps(b).encode(), JSON)),
    matrices().map(lambda b: (json.dumps(b).encode(), JSON)),
    json_values.map(lambda b: (json.dumps(b).encode(), JSON)),
    st.binary(max_size=20).map(lambda b: (b, JSON)),
    st.text(max_size=20).map(lambda t: (t.encode(), "text/plain")),
    st.just((b"", JSON)),
)
segments = st.one_of(
    st.integers(-5, 5).map(str),
    st.integers(10**18, 10**22).map(str),
    st.sampled_from(["en", "zh", "xx", "0x1", "1.0", "1e3", " 1", "%"]),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=6),
)
query_values = st.one_of(
    st.integers(-3, 12).map(str),
    st.sampled_from(["", "nan", "inf", "1.5", "0.001", "true", "1e400"]),
    st.text(max_size=5),
)
delays = st.sampled_from(["0", "0.001", "", "nan", "-1", "11", "1e400", "abc"])  # none is slow


@st.composite
def requests(draw: st.DrawFn) -> Req:
    template = draw(st.sampled_from(TEMPLATES))
    path = re.sub(r"\{[^}]+\}", lambda _: quote(draw(segments), safe=""), template)
    if draw(st.booleans()):
        names = draw(st.lists(st.sampled_from(["x", "y", "name", "delay", "offset", "limit"])))
        query = {n: draw(delays if n == "delay" else query_values) for n in names}
        path += "?" + urlencode(query)
    method = draw(st.sampled_from(METHODS))
    if method in ("POST", "PUT", "PATCH"):
        content, content_type = draw(bodies)
        return Req(method, path, content=content, headers={"content-type": content_type})
    return Req(method, path)


async def answers(sequence: list[Req]) -> dict[str, list[dict[str, Any]]]:
    names = [REFERENCE, *(f for f in FRAMEWORKS if f != REFERENCE)]
    out: dict[str, list[dict[str, Any]]] = {}
    async with AsyncExitStack() as stack:
        apis = [await open_in_process(stack, name) for name in names]
        for api in apis:
            seen = []
            for req in sequence:
                r = await api.client.request(
                    req.method, req.url, content=req.content, headers=req.headers
                )
                assert r.status_code < 500, f"{api.framework}: {req} -> {r.status_code} {r.text}"
                seen.append(observe(req, r))
            out[api.framework] = seen
    return out


@given(sequence=st.lists(requests(), min_size=1, max_size=6))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_every_adapter_answers_generated_requests_alike(sequence: list[Req]) -> None:
    seen = asyncio.run(answers(sequence))
    expected = seen[REFERENCE]
    for framework, got in seen.items():
        for req, want, have in zip(sequence, expected, got, strict=True):
            assert have == want, f"{req}: {REFERENCE} {want} but {framework} {have}"
