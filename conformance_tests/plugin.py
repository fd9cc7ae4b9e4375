"""The suite's options, fixtures and per-framework summary, as a pytest plugin.

``api`` is the fixture every contract test uses: one adapter, created fresh for the test,
started with its lifespan, reached in-process over ASGI by an ``httpx.AsyncClient``. It is
parametrized over the adapters (ids ``fastapi``, ``quart``, ``falcon``, ``sanic``; ``--framework``
selects some) and over three mounts: no prefix, and the prefix ``/px`` in both forms servers
use (uvicorn puts it into the scope's ``path``, hypercorn leaves it out).
"""

from __future__ import annotations

import importlib
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

FRAMEWORKS = ("fastapi", "quart", "falcon", "sanic")
REFERENCE = "fastapi"  # FastAPI's answers are the reference where the contract is silent
PREFIX = "/px"


@dataclass(frozen=True, slots=True)
class Mount:
    """How the app is reached: its prefix, and whether the scope's path carries it."""

    id: str
    root: str
    path_has_root: bool

    def client(self, app: Any) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, root_path=self.root)
        base = "http://testserver" + (self.root if self.path_has_root else "")
        return httpx.AsyncClient(transport=transport, base_url=base)


MOUNTS = (
    Mount("no-prefix", "", True),
    Mount("prefix-in-path", PREFIX, True),
    Mount("prefix-stripped", PREFIX, False),
)


@dataclass(frozen=True, slots=True)
class Api:
    """What a test gets: the client, the framework's id and the prefix it is served under."""

    framework: str
    root: str
    client: httpx.AsyncClient


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("asgi-compare", "asgi-compare conformance suite")
    group.addoption(
        "--framework",
        action="append",
        choices=FRAMEWORKS,
        help="run the suite against this adapter only (repeatable; default: all four)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fresh_state: the test needs an app with no items and no fit yet"
    )
    config.pluginmanager.register(FrameworkSummary(), "asgi-compare-summary")


def selected_frameworks(config: pytest.Config) -> list[str]:
    chosen: list[str] | None = config.getoption("framework")
    return [f for f in FRAMEWORKS if f in chosen] if chosen else list(FRAMEWORKS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "framework" in metafunc.fixturenames:
        names = selected_frameworks(metafunc.config)
        metafunc.parametrize("framework", names, ids=names)
    if "mount" in metafunc.fixturenames:
        metafunc.parametrize("mount", MOUNTS, ids=[m.id for m in MOUNTS])


def load_app(framework: str) -> Any:
    """A fresh app of this adapter, from its own ``create_app()``."""
    module = importlib.import_module(f"{framework}_app.app")
    factory: Callable[[], Any] = module.create_app
    return factory()


def as_served(app: Any) -> Any:
    """The app as a server calls it: every scope says ASGI 3.0.

    Neither asgi-lifespan nor httpx puts ``scope["asgi"]`` in; Falcon then takes the app for
    ASGI 2.0 and refuses to start ("Falcon requires ASGI version 3.x").
    """

    async def served(scope: Any, receive: Any, send: Any) -> None:
        scope.setdefault("asgi", {"version": "3.0", "spec_version": "2.4"})
        await app(scope, receive, send)

    return served


async def open_api(stack: AsyncExitStack, framework: str, mount: Mount) -> Api:
    manager = await stack.enter_async_context(LifespanManager(as_served(load_app(framework))))
    client = await stack.enter_async_context(mount.client(manager.app))
    return Api(framework, mount.root, client)


@pytest.fixture
async def api(framework: str, mount: Mount) -> AsyncIterator[Api]:
    async with AsyncExitStack() as stack:
        yield await open_api(stack, framework, mount)


@pytest.fixture
async def all_apis(request: pytest.FixtureRequest, mount: Mount) -> AsyncIterator[list[Api]]:
    """Every selected adapter plus the reference, each fresh, all at the same mount."""
    names = selected_frameworks(request.config)
    if REFERENCE not in names:
        names.insert(0, REFERENCE)
    async with AsyncExitStack() as stack:
        yield [await open_api(stack, name, mount) for name in names]


# --- the per-framework summary --------------------------------------------------------------

DIFFERENTIAL = "all (differential)"


class FrameworkSummary:
    """Counts outcomes per adapter and prints them as a table at the end of the run."""

    def __init__(self) -> None:
        self.owner_of: dict[str, str] = {}
        self.tally: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            callspec = getattr(item, "callspec", None)
            if callspec is not None and "framework" in callspec.params:
                self.owner_of[item.nodeid] = callspec.params["framework"]
            elif "all_apis" in getattr(item, "fixturenames", ()):
                self.owner_of[item.nodeid] = DIFFERENTIAL

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        owner = self.owner_of.get(report.nodeid)
        if owner is None:
            return
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.tally[owner][report.outcome] += 1
        elif report.when == "teardown" and report.failed:
            self.tally[owner]["failed"] += 1

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.tally:
            return
        tr = terminalreporter
        tr.section("asgi-compare: conformance by framework")
        tr.write_line(f"{'framework':<20} {'passed':>7} {'failed':>7} {'skipped':>8}  verdict")
        for owner in [*FRAMEWORKS, DIFFERENTIAL]:
            if owner in self.tally:
                c = self.tally[owner]
                verdict = "CONFORMS" if c["failed"] == 0 and c["passed"] > 0 else "DIFFERS"
                tr.write_line(
                    f"{owner:<20} {c['passed']:>7} {c['failed']:>7} {c['skipped']:>8}  {verdict}"
                )
