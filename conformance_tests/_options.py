"""The suite's command-line options, and the adapters and targets they select."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from asgi_compare.harness import FRAMEWORKS, PROXIES, PROXY_MODES, SERVERS, applies
from asgi_compare.harness.proxies import ProxyProcess

DEPLOYED = "deployed"  # the framework id of a --url target: whatever is running there
DEFAULT_PROXY = "nginx"  # in front of the servers when modes are chosen and proxies are not
# Where tests marked ``app_only`` run behind a proxy too: uvicorn behind the default proxy.
# Elsewhere behind a proxy they are left out (``--every-test`` keeps them).
FULL_CELL = ("uvicorn", DEFAULT_PROXY)
PX = "/px"  # the prefix of the in-process mounts

# In-process mounts: the prefix, and whether the scope's path carries it.
MOUNTS: dict[str, tuple[str, bool]] = {
    "no-prefix": ("", True),
    "prefix-in-path": (PX, True),
    "prefix-stripped": (PX, False),
}


@dataclass(frozen=True, slots=True)
class Target:
    """Where the adapters run: in-process at a mount, on a real server (behind a proxy in a
    mode, or reached directly in mode ``none``), or at a URL."""

    server: str  # "asgi", one of SERVERS, or "url"
    mode: str  # a mount (asgi), a proxy mode (servers), or "url"
    proxy: str = ""  # a name from PROXIES, on a server in a mode other than none

    @property
    def id(self) -> str:
        if self.server == "url":
            return "url"
        return "-".join(part for part in (self.server, self.proxy, self.mode) if part)

    @property
    def in_process(self) -> bool:
        return self.server == "asgi"


def server_of(framework: str, target: Target) -> str:
    """The name of the server process that ``framework``'s deployment on ``target`` answers
    from. There is one for each adapter, server and mode, reached by every proxy that runs
    apart from its servers; a proxy that starts its server itself (jupyter-server-proxy) has
    its own."""
    proxy = PROXIES.get(target.proxy)
    own = target.proxy if proxy is not None and not issubclass(proxy, ProxyProcess) else ""
    return "-".join(part for part in (framework, target.server, target.mode, own) if part)


def add_options(parser: pytest.Parser) -> None:
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
        "--mode",
        action="append",
        help=f"how real servers are reached: {', '.join(PROXY_MODES)} (directly), or all "
        "(default: none, or with --proxy every mode that proxy has); repeatable or "
        "comma-separated",
    )
    group.addoption(
        "--proxy",
        action="append",
        help=f"the real proxies in front of the servers in modes other than none: "
        f"{', '.join(PROXIES)}, or all (default: {DEFAULT_PROXY}); NAME@SERVER puts it in front "
        "of that server only (e.g. all@uvicorn; several: @uvicorn+granian); repeatable or "
        "comma-separated. A mode given here (strip, ...) means that mode behind "
        f"{DEFAULT_PROXY}, as --mode does",
    )
    group.addoption(
        "--every-test",
        action="store_true",
        help="run every test behind every proxy; by default a test marked app_only (what the "
        "app alone decides, which a proxy passes on unchanged) runs in-process, on each server "
        f"directly and behind {DEFAULT_PROXY} on uvicorn, not behind the other proxies",
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


def _modes_and_proxies(
    modes: list[str] | None, proxies: list[str] | None
) -> tuple[list[str], list[tuple[str, list[str] | None]]]:
    """The modes, and each proxy with the servers it stands in front of (None: every one)."""
    named: list[tuple[str, list[str] | None]] = []
    given_modes = list(modes or [])
    for value in proxies or []:
        for part in value.split(","):
            name, at, where = part.strip().partition("@")
            if name in PROXY_MODES:  # the mode, behind the default proxy
                given_modes.append(name)
                continue
            on = _choices(where.split("+"), SERVERS, []) if at else None
            named += [(n, on) for n in _choices([name], tuple(PROXIES), [])]
    if not named:
        named = [(DEFAULT_PROXY, None)]
    default = ["none"] if proxies is None or given_modes else list(PROXY_MODES[1:])
    return _choices(given_modes or None, PROXY_MODES, default), named


@dataclass(frozen=True)
class Selection:
    """The adapters and targets the options ask for."""

    frameworks: list[str]
    targets: list[Target]
    url: str | None
    headers: dict[str, str]
    every_test: bool = False

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
            return cls([DEPLOYED], [Target("url", "url")], url.rstrip("/"), headers, True)
        servers = _choices(config.getoption("server"), ("asgi", *SERVERS), ["asgi"])
        modes, proxies = _modes_and_proxies(config.getoption("mode"), config.getoption("proxy"))
        targets = [Target("asgi", m) for m in MOUNTS if "asgi" in servers]
        for server in (s for s in SERVERS if s in servers):
            targets += [Target(server, "none")] if "none" in modes else []
            targets += [
                Target(server, mode, proxy)
                for proxy, on in proxies
                if on is None or server in on
                for mode in modes
                if mode in PROXIES[proxy].modes
            ]
        if not targets:
            raise pytest.UsageError("no proxy chosen serves the modes chosen: see --help")
        every = bool(config.getoption("every_test"))
        return cls(frameworks, list(dict.fromkeys(targets)), None, headers, every)

    def pairs(self) -> list[tuple[str, Target]]:
        return [
            (f, t)
            for t in self.targets
            for f in self.frameworks
            if t.server in ("asgi", "url") or applies(f, t.server)
        ]

    def runs_app_only(self, target: Target | None) -> bool:
        """Whether tests marked ``app_only`` run on ``target``: wherever no proxy stands in
        front, at :data:`FULL_CELL`, and everywhere with ``--every-test``."""
        return (
            self.every_test
            or target is None
            or not target.proxy
            or (target.server, target.proxy) == FULL_CELL
        )

    @property
    def on_servers(self) -> list[Target]:
        """The targets on real servers this run starts."""
        return [t for t in self.targets if t.server in SERVERS]


SELECTION = pytest.StashKey[Selection]()


def selection(config: pytest.Config) -> Selection:
    return config.stash[SELECTION]
