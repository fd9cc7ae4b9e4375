"""One app on one server, reached directly or through a proxy."""

from __future__ import annotations

import http.client
import subprocess
import time
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path

from asgi_compare.harness import processes
from asgi_compare.harness.ports import free_port
from asgi_compare.harness.proxies import Proxy, ProxyProcess
from asgi_compare.harness.registry import PREFIX, PROXY_MODES, applies, entrypoint
from asgi_compare.harness.servers import server_command


@dataclass(eq=False)
class Deployment:
    """A server process for ``framework``'s app (or ``app``), on ports fixed when made.

    With a ``mode`` other than ``none`` the deployment registers its route with ``proxy`` at
    once, so a proxy started for several deployments serves them all from its first
    configuration; ``start()`` starts the proxy, or reloads it for a route it does not serve yet.

    With an ``upstream`` (a deployment of the same app, server and mode, behind another proxy
    that runs apart from its servers) there is no server of its own: the route leads to the
    upstream's, which ``start()`` starts if it is not running, and which ``stop()`` leaves to
    its owner. One server process then answers behind several proxies, as a server behind a
    chain or a choice of proxies does.
    """

    framework: str
    server: str
    mode: str = "none"
    _: KW_ONLY
    workdir: Path
    proxy: Proxy | None = field(default=None, repr=False)
    app: str | None = None  # the entrypoint, when not the adapter's own
    env: dict[str, str] = field(default_factory=dict)  # settings for the app, e.g. its store
    workers: int = 1
    lean: bool = True  # no access log, warnings only
    tuned: bool = False  # fastest loop and parser, one process (the bench)
    cpu: int | None = None  # pin the server to this CPU (taskset), apart from the load generator
    upstream: Deployment | None = field(default=None, repr=False)  # whose server this one reaches
    port: int = field(init=False)
    proxy_port: int | None = field(init=False)  # None without a proxy
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _started: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in PROXY_MODES:
            raise ValueError(f"unknown proxy mode {self.mode!r}; choose from {PROXY_MODES}")
        if self.app is None and not applies(self.framework, self.server):
            raise ValueError(f"{self.framework} has no {self.server} server")
        if self.mode != "none" and self.proxy is None:
            raise ValueError(f"proxy mode {self.mode!r} needs a proxy")
        if self.mode == "none" and self.proxy is not None:
            raise ValueError("proxy mode 'none' takes no proxy")
        if self.upstream is not None:
            u = self.upstream
            if (u.framework, u.server, u.mode, u.app) != (
                self.framework,
                self.server,
                self.mode,
                self.app,
            ):
                raise ValueError(f"{self.id} cannot reach the server of {u.id}")
            if not isinstance(self.proxy, ProxyProcess) or u.upstream is not None:
                raise ValueError("only a proxy that runs apart from its servers reaches another's")
        self.port = free_port() if self.upstream is None else self.upstream.port
        self.proxy_port = None if self.proxy is None else self.proxy.add(self.mode, self.port)

    @property
    def id(self) -> str:
        return f"{self.framework or 'raw'}-{self.server}-{self.mode}"

    @property
    def root(self) -> str:
        """The prefix the app is served under, as its clients see it."""
        return "" if self.mode == "none" else PREFIX

    @property
    def server_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What a client uses: through the proxy and its prefix, if there is one."""
        if self.proxy_port is None:
            return self.server_url
        return f"http://127.0.0.1:{self.proxy_port}{PREFIX}"

    @property
    def log(self) -> Path:
        """The server's standard output and error."""
        return self.workdir / f"{self.id}-{self.port}.log"

    def command(self) -> tuple[list[str], dict[str, str]]:
        """The command line and environment ``start()`` runs."""
        argv, env = server_command(
            self.app or entrypoint(self.framework),
            self.server,
            port=self.port,
            mode=self.mode,
            workers=self.workers,
            lean=self.lean,
            tuned=self.tuned,
        )
        if self.cpu is not None:
            argv = ["taskset", "-c", str(self.cpu), *argv]  # taskset execs: same process group
        if self.proxy is not None and self.proxy_port is not None:
            argv = self.proxy.wrap(self.proxy_port, argv)  # a proxy that starts its server
        return argv, {**env, **self.env}

    def start(self) -> None:
        """Spawn the server (with an ``upstream``, start the upstream's if it is not running),
        and start or reload the proxy until it listens for this route."""
        self._started = time.perf_counter()
        if self.upstream is None:
            argv, env = self.command()
            self.proc = processes.spawn(argv, env, self.log)
        else:
            if self.upstream.proc is None:
                self.upstream.start()
            self.proc = self.upstream.proc
        if self.proxy is not None and self.proxy_port is not None:
            try:
                self.proxy.serve(self.proxy_port)
            except BaseException:
                self.stop()  # a server nobody can reach as planned
                raise

    def wait_ready(self, timeout: float = 120.0, path: str | None = None) -> float:
        """Until the server listens, or with ``path`` until GET ``path`` answers 200.

        Returns the seconds since ``start()``: with ``path``, a cold start as a client sees it.
        ``timeout`` is a hang guard, not a deadline: on 2 cores busy with the tests, servers
        started eight at a time took over 30 s to listen.
        """
        if self.proc is None:
            raise RuntimeError(f"{self.id}: not started")
        deadline = time.perf_counter() + timeout
        try:
            processes.wait_for_port(self.port, self.proc, self.log, timeout)
            while path is not None and not self._answers(path):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"exited with {self.proc.returncode}:\n{self._tail()}")
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"GET {path} not 200 after {timeout:.0f}s:\n{self._tail()}")
                time.sleep(0.005)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{self.id}: server {exc}") from None
        return time.perf_counter() - self._started

    def _tail(self) -> str:
        return processes.tail(self.log)

    def _answers(self, path: str) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5.0)
        try:
            conn.request("GET", path)
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def stop(self) -> None:
        """Stop the server's process group (the proxy serves others: ``proxy.stop()``); with an
        ``upstream``, only let go of the upstream's."""
        if self.upstream is not None:
            self.proc = None
        elif self.proc is not None:
            processes.stop(self.proc)
            self.proc = None

    def kill(self) -> None:
        """SIGKILL to every process of the server at once, as a crash or the OOM killer would."""
        if self.upstream is not None:
            self.upstream.kill()
            self.proc = None
        elif self.proc is not None:
            processes.kill(self.proc)
            self.proc = None

    def restart(self) -> None:
        if self.upstream is not None:
            self.upstream.restart()
            self.proc = None
        self.stop()
        self.start()
        self.wait_ready()

    def peak_memory(self) -> int:
        """Bytes: the peak resident memory of the server and its workers, summed."""
        return 0 if self.proc is None else processes.peak_memory(self.proc.pid)
