from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """asyncio only: Sanic and Quart run on asyncio, not trio."""
    return "asyncio"
