"""Limits: a body over ``ASGI_COMPARE_MAX_BODY_BYTES`` is refused with 413 while it is read,
and an X over ``ASGI_COMPARE_MAX_CELLS`` values with 413, both with JSON that names the limit.

On every real server, a 100 MB upload, declared by Content-Length or chunked, is refused
while the server's peak memory (VmHWM of each of its processes) grows by a small fraction
of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack

import httpx
import pytest

from asgi_compare.harness import SERVERS, Deployment
from conformance_tests.plugin import Api, open_in_process
from core.settings import Settings

MB = 1_000_000
UPLOAD = 100 * MB
GROWTH_ALLOWED = 25 * MB  # a quarter of the upload; holding it would take 100 MB


def zeros(total: int, chunk: int = MB) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        n = min(chunk, total - sent)
        sent += n
        yield b"0" * n


@pytest.mark.starts_servers
@pytest.mark.targets(servers=SERVERS, modes=("none",))
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_100_mb_upload_is_refused_without_holding_it(
    deployment: Deployment | None, declared: bool
) -> None:
    assert deployment is not None and deployment.proc is not None
    with httpx.Client(base_url=deployment.base_url, timeout=60) as client:
        # Load what the app loads anyway (NumPy, scikit-learn, matplotlib) before measuring.
        fit = client.post("/fit", json={"X": [[1.0], [2.0], [3.0]], "y": [1.0, 2.0, 4.0]})
        assert fit.status_code == 200, fit.text
        assert client.get("/plot").status_code == 200
        before = deployment.peak_memory()
        headers = {"content-type": "application/json"}
        if declared:
            headers["content-length"] = str(UPLOAD)
        r = client.post("/items", content=zeros(UPLOAD), headers=headers)
        grown = deployment.peak_memory() - before
        assert client.get("/hello").status_code == 200  # still serving
    assert r.status_code == 413, r.text
    assert r.json() == {
        "detail": "Request body is larger than 1048576 bytes (ASGI_COMPARE_MAX_BODY_BYTES)"
    }
    assert grown < GROWTH_ALLOWED, f"peak memory grew by {grown / MB:.1f} MB"
    print(f"peak memory grew by {grown / MB:.1f} MB")  # noqa: T201 (shown with -s)


async def pieces(*parts: bytes) -> AsyncIterator[bytes]:
    """A body httpx sends chunked: it has no length up front."""
    for part in parts:
        yield part


@pytest.mark.anyio
@pytest.mark.in_process
async def test_the_body_limit_is_a_setting(framework: str) -> None:
    async with AsyncExitStack() as stack:
        api: Api = await open_in_process(stack, framework, settings=Settings(max_body_bytes=64))
        small = {"name": "a" * 20, "price": 1}
        assert (await api.client.post("/items", json=small)).status_code == 201
        big = await api.client.post("/items", json={"name": "a" * 60, "price": 1})
        assert big.status_code == 413
        assert big.json() == {
            "detail": "Request body is larger than 64 bytes (ASGI_COMPARE_MAX_BODY_BYTES)"
        }
        chunked = await api.client.post("/items", content=pieces(b'{"name": "', b"a" * 60, b'"}'))
        assert chunked.status_code == 413
        assert [i["name"] for i in (await api.client.get("/items")).json()] == [small["name"]]


@pytest.mark.anyio
@pytest.mark.in_process
async def test_the_cap_on_values_is_a_setting(framework: str) -> None:
    async with AsyncExitStack() as stack:
        api: Api = await open_in_process(stack, framework, settings=Settings(max_cells=6))
        ok = await api.client.post("/fit", json={"X": [[1, 2], [2, 1], [3, 5]], "y": [1, 2, 3]})
        assert ok.status_code == 200, ok.text
        fit = await api.client.post("/fit", json={"X": [[1, 2, 3]] * 3, "y": [1, 2, 3]})
        assert fit.status_code == 413
        assert fit.json() == {
            "detail": "X has 9 values (rows x columns); the limit is 6 (ASGI_COMPARE_MAX_CELLS)"
        }
        predict = await api.client.post("/predict", json={"X": [[1, 2]] * 4})
        assert predict.status_code == 413
        assert "X has 8 values" in predict.json()["detail"]
        assert (await api.client.get("/coefs")).json() == ok.json()  # the first fit is kept
