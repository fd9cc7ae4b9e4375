from pathlib import Path

import pytest

from asgi_compare.harness import FRAMEWORKS

pytest_plugins = ["pytester"]

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist's ``--dist loadgroup`` (``make test`` runs these tests and the suite
    in one session) each file here runs on one worker, as ``--dist loadfile`` would have it:
    the servers and proxies a module starts for its tests start once."""
    for item in items:
        if item.path.resolve().parent == HERE and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(f"tests/{item.path.name}"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=FRAMEWORKS)
def adapter(request: pytest.FixtureRequest) -> str:
    """Each adapter in turn, by name (the tests that take it run once per framework)."""
    name: str = request.param
    return name
