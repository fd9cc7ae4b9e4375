"""The suite's options, fixtures and per-framework summary, as a pytest plugin.

``api`` is the fixture every contract test uses: one adapter reached over HTTP by an
``httpx.AsyncClient``, and the prefix it is served under. It is parametrized over the adapters
(ids ``fastapi``, ``quart``, ``falcon``, ``sanic``; ``--framework`` selects some) and over
*targets*, chosen with ``--server`` and ``--proxy``:

- ``asgi`` (the default): a fresh app per test, in-process over ASGI with its lifespan started,
  at three mounts: no prefix, and the prefix ``/px`` in both forms servers use (uvicorn puts it
  into the scope's ``path``, hypercorn leaves it out);
- ``uvicorn``, ``hypercorn``, ``granian``, ``native`` (Sanic's own server): a real server process
  on a loopback port, started once per adapter, server and proxy mode, reached directly
  (``--proxy none``) or through a real nginx (``strip``, ``forwarded``, ``keep``);
- ``--url URL``: a deployment that is already running; nothing is started.

Tests marked ``fresh_state`` get a restarted server, and are left out with ``--url``.
"""

from __future__ import annotations

import importlib
import signal
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager

from asgi_compare.deploy import PROXIES, SERVERS, Deployment, Matrix, Nginx, applies, free_ports
from core.settings import Settings

FRAMEWORKS = ("fastapi", "quart", "falcon", "sanic")
REFERENCE = "fastapi"  # FastAPI's answers are the reference where the contract is silent
DEPLOYED = "deployed"  # the framework id of a --url target: whatever is running there
PX = "/px"


@dataclass(frozen=True, slots=True)
class Target:
    """Where the adapters run: in-process at a mount, on a real server, or at a URL."""

    server: str  # "asgi", one of SERVERS, or "url"
    mode: str  # a mount (asgi), a proxy mode (servers), or "url"

    @property
    def id(self) -> str:
        return self.server if self.server == "url" else f"{self.server}-{self.mode}"

    @property
    def in_process(self) -> bool:
        return self.server == "asgi"


# In-process mounts: the prefix, and whether the scope's path carries it.
MOUNTS: dict[str, tuple[str, bool]] = {
    "no-prefix": ("", True),
    "prefix-in-path": (PX, True),
    "prefix-stripped": (PX, False),
}


@dataclass(frozen=True, slots=True)
class Api:
    """What a test gets: the client, the adapter's id and the prefix it is served under."""

    framework: str
    root: str
    client: httpx.AsyncClient
    local: bool = True  # started by this run (so its framework and versions are known)


# --- options -----------------------------------------------------------------------------------


def _choices(values: list[str] | None, allowed: tuple[str, ...], default: list[str]) -> list[str]:
    chosen: list[str] = []
    for value in values or default:
        for part in value.split(","):
            part = part.strip()
            if part == "all":
                chosen += [a for a in allowed if a not in chosen]
            elif part not in allowed:
                raise pytest.UsageError(f"unknown {part!r}; choose from {', '.join(allowed)}, all")
            elif part not in chosen:
                chosen.append(part)
    return chosen


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("asgi-compare", "asgi-compare conformance suite")
    group.addoption(
        "--framework",
        action="append",
        help=f"test this adapter only: {', '.join(FRAMEWORKS)} (repeatable; default: all four)",
    )
    group.addoption(
        "--server",
        action="append",
        help="where the adapters run: asgi (in-process, the default), "
        f"{', '.join(SERVERS)} (native: Sanic's own server), or all; repeatable or comma-separated",
    )
    group.addoption(
        "--proxy",
        action="append",
        help=f"how real servers are reached: {', '.join(PROXIES)}, or all (default: none); "
        "modes other than none go through a real nginx under /prefix",
    )
    group.addoption(
        "--url",
        help="test an already-running deployment at this URL (its path is the prefix); "
        "nothing is started and tests that need a fresh app are left out",
    )
    group.addoption(
        "--artifacts",
        default="test-artifacts",
        help="where tests keep what a person may want to look at, e.g. screenshots "
        "(default: test-artifacts/)",
    )
    group.addoption(
        "--header",
        action="append",
        default=[],
        help="a header for every request with --url, e.g. 'Authorization: Key abc' (repeatable)",
    )


@dataclass(frozen=True)
class Selection:
    frameworks: list[str]
    targets: list[Target]
    url: str | None
    headers: dict[str, str]

    @classmethod
    def of(cls, config: pytest.Config) -> Selection:
        frameworks = _choices(config.getoption("framework"), FRAMEWORKS, list(FRAMEWORKS))
        url: str | None = config.getoption("url")
        headers = {}
        for line in config.getoption("header"):
            name, sep, value = line.partition(":")
            if not sep or not name.strip():
                raise pytest.UsageError(f"--header wants 'Name: value', not {line!r}")
            headers[name.strip()] = value.strip()
        if url:
            return cls([DEPLOYED], [Target("url", "url")], url.rstrip("/"), headers)
        servers = _choices(config.getoption("server"), ("asgi", *SERVERS), ["asgi"])
        proxies = _choices(config.getoption("proxy"), PROXIES, ["none"])
        targets = [Target("asgi", m) for m in MOUNTS if "asgi" in servers]
        targets += [Target(s, p) for s in SERVERS if s in servers for p in proxies]
        return cls(frameworks, targets, None, headers)

    def pairs(self) -> list[tuple[str, Target]]:
        return [
            (f, t)
            for t in self.targets
            for f in self.frameworks
            if t.server in ("asgi", "url") or applies(f, t.server)
        ]


_SELECTION = pytest.StashKey[Selection]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fresh_state: the test needs an app with no items and no fit yet"
    )
    config.addinivalue_line(
        "markers", "in_process: the test builds its own apps in-process (left out without asgi)"
    )
    config.addinivalue_line(
        "markers", "starts_servers: the test starts servers of its own (left out with --url)"
    )
    config.addinivalue_line(
        "markers",
        "targets(servers=(...), modes=(...)): run only on these servers and proxy modes",
    )
    config.stash[_SELECTION] = Selection.of(config)
    config.pluginmanager.register(FrameworkSummary(), "asgi-compare-summary")
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        # Stopped by SIGTERM (a CI timeout, kill), pytest would die without tearing down its
        # fixtures and leave servers and nginx running; as with Ctrl-C, it now tears down.
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    selection = metafunc.config.stash[_SELECTION]
    names = metafunc.fixturenames
    if "target" in names and "framework" in names:
        pairs = selection.pairs()
        ids = [f"{f}-{t.id}" for f, t in pairs]
        metafunc.parametrize(("framework", "target"), pairs, ids=ids, scope="session")
    elif "target" in names:  # the differential test: every adapter on one target
        targets = [t for t in selection.targets if t.server not in ("native", "url")]
        if targets:  # with none, the test is deselected rather than skipped
            metafunc.parametrize("target", targets, ids=[t.id for t in targets], scope="session")
    elif "framework" in names:  # session-scoped: a fixture may start one server per adapter
        metafunc.parametrize("framework", selection.frameworks, scope="session")


def _wanted_target(item: pytest.Item, target: Target | None) -> bool:
    marker = item.get_closest_marker("targets")
    if marker is None:
        return True
    return (
        target is not None
        and target.server in marker.kwargs.get("servers", (target.server,))
        and target.mode in marker.kwargs.get("modes", (target.mode,))
    )


def _deployment_key(item: pytest.Item, index: int) -> tuple[str, ...]:
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "framework" in params and "target" in params:
        return (params["framework"], params["target"].id)
    return ("", str(index))


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by deployment
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out what the selection cannot run; put each deployment's fresh_state tests first.

    A real server is started once per adapter, server and mode; the test that runs first on it
    sees a fresh app, so a fresh_state test placed there needs no restart.
    """
    first: dict[tuple[str, ...], int] = {}
    for i, item in enumerate(items):
        first.setdefault(_deployment_key(item, i), i)
    order = {id(item): i for i, item in enumerate(items)}
    items.sort(
        key=lambda item: (
            first[_deployment_key(item, order[id(item)])],
            item.get_closest_marker("fresh_state") is None,
            order[id(item)],
        )
    )
    selection = config.stash[_SELECTION]
    in_process = any(t.in_process for t in selection.targets)
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        wanted = not (
            # the differential test with no target where all four run (e.g. --server native)
            ("all_apis" in getattr(item, "fixturenames", ()) and "target" not in params)
            or (selection.url and item.get_closest_marker("fresh_state"))
            or (selection.url and "all_apis" in getattr(item, "fixturenames", ()))
            or (selection.url and item.get_closest_marker("starts_servers"))
            or not _wanted_target(item, params.get("target"))
            or (not in_process and item.get_closest_marker("in_process"))
        )
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# --- fixtures ----------------------------------------------------------------------------------


def load_app(framework: str, settings: Settings | None = None) -> Any:
    """A fresh app of this adapter, from its own ``create_app()``; settings from the
    environment unless given."""
    module = importlib.import_module(f"{framework}_app.app")
    factory: Callable[[Settings | None], Any] = module.create_app
    return factory(settings)


def as_served(app: Any) -> Any:
    """The app as a server calls it: every scope says ASGI 3.0.

    Neither asgi-lifespan nor httpx puts ``scope["asgi"]`` in; Falcon then takes the app for
    ASGI 2.0 and refuses to start ("Falcon requires ASGI version 3.x").
    """

    async def served(scope: Any, receive: Any, send: Any) -> None:
        scope.setdefault("asgi", {"version": "3.0", "spec_version": "2.4"})
        await app(scope, receive, send)

    return served


async def open_in_process(
    stack: AsyncExitStack,
    framework: str,
    mount: str = "no-prefix",
    settings: Settings | None = None,
) -> Api:
    root, path_has_root = MOUNTS[mount]
    app = as_served(load_app(framework, settings))
    manager = await stack.enter_async_context(LifespanManager(app))
    transport = httpx.ASGITransport(app=manager.app, root_path=root)
    base = "http://testserver" + (root if path_has_root else "")
    client = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url=base))
    return Api(framework, root, client)


async def open_deployed(stack: AsyncExitStack, d: Deployment) -> Api:
    client = httpx.AsyncClient(base_url=d.base_url, timeout=30.0)
    await stack.enter_async_context(client)
    return Api(d.framework, d.root, client)


@pytest.fixture(scope="session")
def artifacts(request: pytest.FixtureRequest) -> Path:
    folder = Path(request.config.getoption("artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def matrix(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Matrix:
    selection = request.config.stash[_SELECTION]
    servers = [t.server for t in selection.targets if t.server in SERVERS]
    proxies = [t.mode for t in selection.targets if t.server in SERVERS]
    return Matrix.plan(
        tmp_path_factory.mktemp("deploy"),
        selection.frameworks,
        list(dict.fromkeys(servers)),
        list(dict.fromkeys(proxies)),
        REFERENCE,
    )


@pytest.fixture(scope="session")
def nginx(matrix: Matrix) -> Iterator[Nginx]:
    proxy = Nginx(matrix.workdir, matrix.all())
    proxy.start()
    yield proxy
    proxy.stop()


def _running(request: pytest.FixtureRequest, d: Deployment) -> None:
    if d.proxy != "none":
        request.getfixturevalue("nginx")
    d.start()
    d.wait_ready()


@pytest.fixture(scope="session")
def deployment(
    request: pytest.FixtureRequest, framework: str, target: Target
) -> Iterator[Deployment | None]:
    """The shared real server of this adapter, server and proxy mode; None in-process."""
    if target.server not in SERVERS:
        yield None
        return
    d = request.getfixturevalue("matrix").shared[(framework, target.server, target.mode)]
    _running(request, d)
    yield d
    d.stop()


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
            if request.node.get_closest_marker("fresh_state") and deployment.used:
                deployment.restart()
            deployment.used = True
            yield await open_deployed(stack, deployment)
        else:
            selection = request.config.stash[_SELECTION]
            assert selection.url is not None
            root = urlsplit(selection.url).path.rstrip("/")
            client = httpx.AsyncClient(
                base_url=selection.url, headers=selection.headers, timeout=30.0
            )
            await stack.enter_async_context(client)
            yield Api(DEPLOYED, root, client, local=False)


@pytest.fixture
async def all_apis(request: pytest.FixtureRequest, target: Target) -> AsyncIterator[list[Api]]:
    """Every selected adapter plus the reference, each fresh, all on the same target."""
    names = list(request.config.stash[_SELECTION].frameworks)
    if REFERENCE not in names:
        names.insert(0, REFERENCE)
    async with AsyncExitStack() as stack:
        if target.in_process:
            yield [await open_in_process(stack, name, target.mode) for name in names]
            return
        matrix: Matrix = request.getfixturevalue("matrix")
        group = [matrix.differential[(name, target.server, target.mode)] for name in names]
        if target.mode != "none":
            request.getfixturevalue("nginx")
        stack.callback(stop_all, group)
        for d in group:  # start all four, then wait: their start-ups overlap
            d.start()
        for d in group:
            d.wait_ready()
        yield [await open_deployed(stack, d) for d in group]


@contextmanager
def own_server(
    framework: str,
    server: str,
    workdir: Path,
    env: dict[str, str] | None = None,
    *,
    workers: int = 1,
    lean: bool = True,
) -> Iterator[Deployment]:
    """A server of a test's own (no proxy), with settings for the app, stopped afterwards."""
    port, spare = free_ports(2, start=26000)
    d = Deployment(
        framework, server, "none", port, spare, workdir, env=env or {}, workers=workers, lean=lean
    )
    d.start()
    try:
        d.wait_ready(timeout=60.0)
        yield d
    finally:
        d.stop()


def stop_all(deployments: list[Deployment]) -> None:
    """Stop together: hypercorn and Sanic's own server take over a second each to exit."""
    with ThreadPoolExecutor(len(deployments)) as pool:
        list(pool.map(Deployment.stop, deployments))


# --- the per-framework summary -----------------------------------------------------------------

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
        for owner in [*FRAMEWORKS, DEPLOYED, DIFFERENTIAL]:
            if owner in self.tally:
                c = self.tally[owner]
                verdict = "CONFORMS" if c["failed"] == 0 and c["passed"] > 0 else "DIFFERS"
                tr.write_line(
                    f"{owner:<20} {c['passed']:>7} {c['failed']:>7} {c['skipped']:>8}  {verdict}"
                )
