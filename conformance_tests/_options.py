"""The suite's command-line options, and the adapters and targets they select."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from asgi_compare.harness import FRAMEWORKS, PROXY_MODES, SERVERS, applies

DEPLOYED = "deployed"  # the framework id of a --url target: whatever is running there
PX = "/px"  # the prefix of the in-process mounts

# In-process mounts: the prefix, and whether the scope's path carries it.
MOUNTS: dict[str, tuple[str, bool]] = {
    "no-prefix": ("", True),
    "prefix-in-path": (PX, True),
    "prefix-stripped": (PX, False),
}


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
        "--proxy",
        action="append",
        help=f"how real servers are reached: {', '.join(PROXY_MODES)}, or all (default: none); "
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


@dataclass(frozen=True)
class Selection:
    """The adapters and targets the options ask for."""

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
        modes = _choices(config.getoption("proxy"), PROXY_MODES, ["none"])
        targets = [Target("asgi", m) for m in MOUNTS if "asgi" in servers]
        targets += [Target(s, m) for s in SERVERS if s in servers for m in modes]
        return cls(frameworks, targets, None, headers)

    def pairs(self) -> list[tuple[str, Target]]:
        return [
            (f, t)
            for t in self.targets
            for f in self.frameworks
            if t.server in ("asgi", "url") or applies(f, t.server)
        ]

    @property
    def on_servers(self) -> list[Target]:
        """The targets on real servers this run starts."""
        return [t for t in self.targets if t.server in SERVERS]


SELECTION = pytest.StashKey[Selection]()


def selection(config: pytest.Config) -> Selection:
    return config.stash[SELECTION]
