import pytest

from asgi_compare.harness import FRAMEWORKS

pytest_plugins = ["pytester"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=FRAMEWORKS)
def adapter(request: pytest.FixtureRequest) -> str:
    """Each adapter in turn, by name (the tests that take it run once per framework)."""
    name: str = request.param
    return name
