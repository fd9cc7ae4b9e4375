from __future__ import annotations

import pytest

# The suite's fixtures, for its own tests only: a conftest's fixtures are visible in its
# directory, where a plugin's would be visible to every test of the session.
from conformance_tests.fixtures import (
    all_apis,
    api,
    artifacts,
    deployment,
    framework,
    matrix,
    target,
)

__all__ = [
    "all_apis",
    "anyio_backend",
    "api",
    "artifacts",
    "deployment",
    "framework",
    "matrix",
    "target",
]

# The suite's plugin is loaded by the suite itself, never into other test sessions.
pytest_plugins = ["conformance_tests.plugin"]


@pytest.fixture
def anyio_backend() -> str:
    """asyncio only: Sanic and Quart run on asyncio, not trio."""
    return "asyncio"
