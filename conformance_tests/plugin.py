"""The suite's pytest plugin: its options, markers, parametrization and per-framework summary.

``api`` is the fixture every contract test uses: one adapter reached over HTTP by an
``httpx.AsyncClient``, and the prefix it is served under. It is parametrized over the adapters
(ids ``fastapi``, ``quart``, ``falcon``, ``sanic``; ``--framework`` selects some) and over
*targets*, chosen with ``--server``, ``--mode`` and ``--proxy``:

- ``asgi`` (the default): a fresh app per test, in-process over ASGI with its lifespan started,
  at three mounts: no prefix, and the prefix ``/px`` in both forms servers use (uvicorn puts it
  into the scope's ``path``, hypercorn leaves it out);
- ``uvicorn``, ``hypercorn``, ``granian``, ``native`` (Sanic's own server): a real server process
  on a loopback port, started once per adapter, server and mode, reached directly
  (``--mode none``) or through real proxies (nginx unless ``--proxy`` names others) in the
  modes ``strip``, ``forwarded``, ``keep``: every proxy that runs apart from its servers
  reaches the same server process (jupyter-server-proxy starts one of its own);
- ``--url URL``: a deployment that is already running; nothing is started.

Tests marked ``fresh_state`` get a restarted server, and are left out with ``--url``. Tests
marked ``app_only`` ask what the app alone decides (its validation, its state, the adapters
compared with each other), which a proxy passes on unchanged: they run in-process, on every
server directly and behind nginx on uvicorn, and behind the other proxies only with
``--every-test``; behind every proxy run the tests of what a proxy can change (the prefix,
redirects, headers, framing, bodies it may refuse, WebSockets and streams).
Run in parallel with pytest-xdist, each worker starts the servers of the tests it is given.

The plugin is opt-in: conformance_tests/conftest.py loads it, and it acts only on the suite's
own tests, those in this package, so it changes nothing in another suite run alongside (even
with ``-p conformance_tests.plugin``). A test elsewhere joins in by its marker,
``pytest.mark.asgi_compare``, and brings the fixtures with ``-p conformance_tests.fixtures``.
The fixtures (conformance_tests/fixtures.py) are the suite's conftest's, not the plugin's.
"""

from __future__ import annotations

import functools
import signal
from pathlib import Path

import pytest

from asgi_compare.harness import PROXIES, REFERENCE
from conformance_tests._apis import Api, load_app, open_in_process, own_server
from conformance_tests._options import (
    SELECTION,
    Selection,
    Target,
    add_options,
    selection,
    server_of,
)
from conformance_tests._summary import FrameworkSummary

__all__ = ["Api", "Target", "load_app", "open_in_process", "own_server"]

_PACKAGE = Path(__file__).resolve().parent
MARKER = "asgi_compare"


@functools.cache
def _in_package(path: Path) -> bool:
    return path.resolve().is_relative_to(_PACKAGE)


def in_suite(item: pytest.Item) -> bool:
    """Whether the plugin acts on this test: one of the suite's, or one marked to join it."""
    return _in_package(item.path) or item.get_closest_marker(MARKER) is not None


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}: a test outside conformance_tests that the suite's options parametrize "
        "(its fixtures come with -p conformance_tests.fixtures)",
    )
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
        "targets(servers=(...), modes=(...), where=f): run only on these servers and proxy "
        "modes, and only on the targets for which f(target) is true",
    )
    config.addinivalue_line(
        "markers",
        "app_only: what the app alone decides, which a proxy passes on unchanged (validation, "
        "state, the adapters compared): behind a proxy, run only at uvicorn behind the default "
        "proxy (unless --every-test)",
    )
    config.addinivalue_line(
        "markers",
        "websocket: the test opens WebSockets (left out behind a proxy that passes none on, "
        "as its class declares)",
    )
    config.addinivalue_line(  # pytest-xdist's own, known here too when it is not installed
        "markers", "xdist_group(name): with --dist loadgroup, the group's tests on one worker"
    )
    config.stash[SELECTION] = Selection.of(config)
    config.pluginmanager.register(FrameworkSummary(in_suite), "asgi-compare-summary")


@pytest.hookimpl(tryfirst=True)  # before the main loop runs the tests, returning nothing
def pytest_runtestloop(session: pytest.Session) -> None:
    """Stopped by SIGTERM (a CI timeout, kill), pytest would die without tearing down its
    fixtures and leave servers and nginx running; as with Ctrl-C, it now tears down.

    Only while the suite's tests run, and only where nobody handles SIGTERM already.
    """
    if session.config.option.collectonly or not any(map(in_suite, session.items)):
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)
        # After pytest_sessionfinish, which tears down the session's fixtures.
        session.config.add_cleanup(_restore)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _restore() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if not in_suite(metafunc.definition):
        return
    chosen = selection(metafunc.config)
    names = metafunc.fixturenames
    # A test that starts servers of its own shares none of its target's: it stays spread.
    shares = metafunc.definition.get_closest_marker("starts_servers") is None
    if "target" in names and "framework" in names:
        pairs = [
            pytest.param(f, t, id=f"{f}-{t.id}", marks=_same_worker(f, t) if shares else ())
            for f, t in chosen.pairs()
        ]
        metafunc.parametrize(("framework", "target"), pairs, scope="session")
    elif "target" in names:  # the differential test: every adapter on one target, its own four
        targets = [
            pytest.param(t, id=t.id) for t in chosen.targets if t.server not in ("native", "url")
        ]
        if targets:  # with none, the test is deselected rather than skipped
            metafunc.parametrize("target", targets, scope="session")
    elif "framework" in names:  # session-scoped: a fixture may start one server per adapter
        metafunc.parametrize("framework", chosen.frameworks, scope="session")


def _same_worker(framework: str, target: Target) -> tuple[pytest.MarkDecorator, ...]:
    """Under pytest-xdist's ``--dist loadgroup`` (make test), the tests that share a real
    server (the ``deployment`` behind ``api``, one for each adapter, server and mode, behind
    whichever proxies reach it: :func:`server_of`) run on one worker, which starts that server
    once; spread test by test, each worker started each of them (39% of a loaded run's worker
    time went to fixture setup). In-process tests start nothing, and stay spread."""
    return () if target.in_process else (pytest.mark.xdist_group(server_of(framework, target)),)


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by deployment
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put each deployment's fresh_state tests first, and leave out what the selection cannot
    run; only the suite's tests are moved or left out, every other keeps its place."""
    suite = [item for item in items if in_suite(item)]
    if not suite:
        return
    ours = set(map(id, suite))
    ordered = iter(_by_deployment(suite))
    items[:] = [next(ordered) if id(item) in ours else item for item in items]
    chosen = selection(config)
    in_process = any(t.in_process for t in chosen.targets)
    drop = [item for item in items if id(item) in ours and not _runnable(item, chosen, in_process)]
    if drop:
        config.hook.pytest_deselected(items=drop)
        dropped = set(map(id, drop))
        items[:] = [item for item in items if id(item) not in dropped]


def _by_deployment(items: list[pytest.Item]) -> list[pytest.Item]:
    """A real server is started once per adapter, server and mode, whichever proxies reach it;
    the test that runs first on it sees a fresh app, so a fresh_state test placed there needs no
    restart. The tests of each target stay together, in their order."""
    keys = [_deployment_key(item, i) for i, item in enumerate(items)]
    first: dict[tuple[str, ...], int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    order = sorted(
        range(len(items)),
        key=lambda i: (first[keys[i]], items[i].get_closest_marker("fresh_state") is None, i),
    )
    return [items[i] for i in order]


def _deployment_key(item: pytest.Item, index: int) -> tuple[str, ...]:
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "framework" in params and "target" in params:
        return (server_of(params["framework"], params["target"]),)
    return ("", str(index))


def _runnable(item: pytest.Item, chosen: Selection, in_process: bool) -> bool:
    params = getattr(getattr(item, "callspec", None), "params", {})
    differential = "all_apis" in getattr(item, "fixturenames", ())
    return not (
        # the differential test with no target where all four run (e.g. --server native)
        (differential and "target" not in params)
        # ... or with the reference alone selected: nothing to compare it with
        or (differential and set(chosen.frameworks) <= {REFERENCE})
        or (chosen.url and item.get_closest_marker("fresh_state"))
        or (chosen.url and differential)
        or (chosen.url and item.get_closest_marker("starts_servers"))
        or not _wanted_target(item, params.get("target"))
        or (item.get_closest_marker("app_only") and not chosen.runs_app_only(params.get("target")))
        or (item.get_closest_marker("websocket") and not _passes_websockets(params.get("target")))
        or (not in_process and item.get_closest_marker("in_process"))
    )


def _passes_websockets(target: Target | None) -> bool:
    """Whether WebSockets reach the app on ``target``: everywhere but behind a proxy whose
    configuration passes none on (``nginx-default``: tests/test_proxies.py shows it)."""
    return target is None or not target.proxy or PROXIES[target.proxy].websocket


def _wanted_target(item: pytest.Item, target: Target | None) -> bool:
    marker = item.get_closest_marker("targets")
    if marker is None:
        return True
    where = marker.kwargs.get("where")
    return (
        target is not None
        and target.server in marker.kwargs.get("servers", (target.server,))
        and target.mode in marker.kwargs.get("modes", (target.mode,))
        and (where is None or bool(where(target)))
    )
