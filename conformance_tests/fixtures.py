"""The suite's fixtures: ``api`` (one adapter on the test's target), ``all_apis`` (every adapter
on one target), ``deployment`` (the real server behind ``api``), ``matrix`` and ``artifacts``,
and the parameters ``framework`` and ``target``, which the plugin's ``pytest_generate_tests``
gives their values.

They are the suite's own, visible to its tests through conformance_tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from asgi_compare.harness import REFERENCE, SERVERS, Deployment
from conformance_tests._apis import Api, open_deployed, open_in_process, tls
from conformance_tests._matrix import Matrix, stop_all
from conformance_tests._options import DEPLOYED, Target, selection

__all__ = ["all_apis", "api", "artifacts", "deployment", "framework", "matrix", "target"]


# The plugin parametrizes these two; as fixtures of the suite's own they take precedence over
# fixtures of the same names elsewhere (a parametrized ``target`` in a project's root conftest
# would otherwise be parametrized a second time in the suite's tests).
@pytest.fixture(scope="session")
def framework() -> str:
    """The adapter under test: fastapi, quart, falcon or sanic (``--framework``)."""
    raise pytest.UsageError("the framework parameter comes from conformance_tests.plugin")


@pytest.fixture(scope="session")
def target() -> Target:
    """Where the adapters run: in-process at a mount, on a server and proxy mode, or a URL."""
    raise pytest.UsageError("the target parameter comes from conformance_tests.plugin")


@pytest.fixture(scope="session")
def artifacts(request: pytest.FixtureRequest) -> Path:
    folder = Path(request.config.getoption("artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def matrix(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    chosen = selection(request.config)
    planned = Matrix.plan(tmp_path_factory.mktemp("deploy"), chosen.frameworks, chosen.on_servers)
    yield planned
    planned.close()


@pytest.fixture(scope="session")
def deployment(
    request: pytest.FixtureRequest, framework: str, target: Target
) -> Iterator[Deployment | None]:
    """The shared real server of this adapter and target; None in-process."""
    if target.server not in SERVERS:
        yield None
        return
    shared: Matrix = request.getfixturevalue("matrix")
    key = (framework, target)
    yield shared.start(key)
    shared.stop(key)


@pytest.fixture
async def api(
    request: pytest.FixtureRequest,
    framework: str,
    target: Target,
    deployment: Deployment | None,
) -> AsyncIterator[Api]:
    async with AsyncExitStack() as stack:
        if target.in_process:
            yield await open_in_process(stack, framework, target.mode)
        elif deployment is not None:
            shared: Matrix = request.getfixturevalue("matrix")
            fresh = request.node.get_closest_marker("fresh_state") is not None
            d = shared.use((framework, target), fresh=fresh)
            yield await open_deployed(stack, d)
        else:
            chosen = selection(request.config)
            assert chosen.url is not None
            root = urlsplit(chosen.url).path.rstrip("/")
            client = httpx.AsyncClient(
                base_url=chosen.url, headers=chosen.headers, timeout=30.0, verify=tls()
            )
            await stack.enter_async_context(client)
            yield Api(DEPLOYED, root, client, local=False)


@pytest.fixture
async def all_apis(request: pytest.FixtureRequest, target: Target) -> AsyncIterator[list[Api]]:
    """Every selected adapter plus the reference, each fresh, all on the same target."""
    names = list(selection(request.config).frameworks)
    if REFERENCE not in names:
        names.insert(0, REFERENCE)
    async with AsyncExitStack() as stack:
        if target.in_process:
            yield [await open_in_process(stack, name, target.mode) for name in names]
            return
        planned: Matrix = request.getfixturevalue("matrix")
        group = [planned.differential[(name, target)] for name in names]
        stack.callback(stop_all, group)
        for d in group:  # start all four, then wait: their start-ups overlap
            d.start()
        for d in group:
            d.wait_ready()
        yield [await open_deployed(stack, d) for d in group]
