"""Real deployments: server processes on loopback, behind a real nginx.

Every process runs in its own process group and is stopped with its children (Sanic's and
granian's workers, uvicorn's reloader-free worker), also when a test fails or the run is
interrupted.

The four proxy modes (see docs/proxy.md):

- ``none``: the client talks to the server; no prefix.
- ``strip``: nginx serves ``/prefix/`` and strips it; the server gets its root-path option,
  or, where it has none (Sanic's own server), the app gets ``ASGI_COMPARE_ROOT_PATH``.
- ``forwarded``: nginx strips the prefix and sends ``X-Forwarded-Prefix``, ``-Proto``,
  ``-Host`` and ``-For``; the server is told nothing (uvicorn runs with ``--no-proxy-headers``
  so that the app, not uvicorn, decides whom to believe).
- ``keep``: nginx passes ``/prefix/...`` unchanged; hypercorn and granian get their root-path
  option; uvicorn's would prepend the prefix again ("/prefix/prefix/items"), so uvicorn, like
  Sanic's own server, runs with ``ASGI_COMPARE_ROOT_PATH`` instead.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "/prefix"
SERVERS = ("uvicorn", "hypercorn", "granian", "native")
PROXIES = ("none", "strip", "forwarded", "keep")
NATIVE_SERVER_OF = {"sanic": "sanic"}  # frameworks that ship a server of their own


def applies(framework: str, server: str) -> bool:
    """ASGI servers serve every adapter; ``native`` is a framework's own server, if it has one."""
    return server != "native" or framework in NATIVE_SERVER_OF


# --- ports ---------------------------------------------------------------------------------


def free_ports(count: int, start: int = 21000) -> Iterator[int]:
    """Free loopback ports below Linux's ephemeral range, so no outgoing connection takes one."""
    port, found = start, 0
    while found < count:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                port += 1
                continue
        yield port
        found += 1
        port += 1


# --- commands --------------------------------------------------------------------------------


ROOT_OPTION = {"uvicorn": "--root-path", "hypercorn": "--root-path", "granian": "--url-path-prefix"}


def how_told_the_prefix(server: str, proxy: str) -> str | None:
    """``"option"`` (the server's root-path option), ``"setting"`` (the app's), or ``None``."""
    if proxy in ("none", "forwarded"):
        return None
    if server not in ROOT_OPTION:
        return "setting"  # Sanic's own server has no root-path option
    if proxy == "keep" and server == "uvicorn":
        return "setting"  # uvicorn would prepend the prefix to a path that already has it
    return "option"


def command(
    app: str,
    server: str,
    host: str,
    port: int,
    *,
    workers: int = 1,
    root_path: str = "",
    root_setting: str = "",
    lean: bool = False,
    tuned: bool = False,
) -> tuple[list[str], dict[str, str]]:
    """The one place that knows each server's command line; returns it and extra environment.

    ``root_path`` goes to the server's root-path option, or, for Sanic's own server, which has
    none, to the app as ``ASGI_COMPARE_ROOT_PATH``; ``root_setting`` always goes to the app.
    ``lean``: no access log, warnings only, no WebSocket support (the API has none); otherwise
    every server writes its access log to standard output.
    ``tuned``: the fastest event loop and HTTP parser each server offers, one process.
    """
    py = sys.executable
    hosting = ["--host", host, "--port", str(port)]
    if server == "uvicorn":
        cmd = [py, "-m", "uvicorn", app, *hosting, "--workers", str(workers)]
        cmd += ["--loop", "uvloop", "--http", "httptools"] if tuned else []
        cmd += ["--no-access-log", "--log-level", "warning"] if lean else []
    elif server == "hypercorn":
        cmd = [py, "-m", "hypercorn", app, "--bind", f"{host}:{port}", "--workers", str(workers)]
        cmd += ["--worker-class", "uvloop"] if tuned else []
        cmd += [] if lean else ["--access-logfile", "-"]
    elif server == "granian":
        cmd = [py, "-m", "granian", "--interface", "asgi", *hosting, "--workers", str(workers)]
        cmd += ["--loop", "uvloop"] if tuned else []
        cmd += ["--no-ws", "--log-level", "warning"] if lean else ["--access-log"]
    elif server == "native":
        cmd = [py, "-m", "sanic", app, *hosting]
        cmd += ["--single-process"] if tuned else ["--workers", str(workers)]
        cmd += ["--no-motd", "--no-access-logs"] if lean else ["--access-logs"]
    else:
        raise ValueError(f"unknown server {server!r}; choose from {', '.join(SERVERS)}")
    env = {"ASGI_COMPARE_ROOT_PATH": root_setting} if root_setting else {}
    if root_path and server in ROOT_OPTION:
        cmd += [ROOT_OPTION[server], root_path]
    elif root_path:
        env["ASGI_COMPARE_ROOT_PATH"] = root_path
    if server == "granian":
        cmd.append(app)  # granian takes the app after its options
    return cmd, env


def server_command(
    framework: str,
    server: str,
    proxy: str,
    port: int,
    app: str | None = None,
    workers: int = 1,
    lean: bool = True,
) -> tuple[list[str], dict[str, str]]:
    """The command line and extra environment that serve ``framework`` for this proxy mode.

    ``app`` is the entrypoint, by default the adapter's own (``<framework>_app.app:app``);
    ``lean=False`` keeps the server's access log and informational messages.
    """
    told = how_told_the_prefix(server, proxy)
    cmd, env = command(
        app or f"{framework}_app.app:app",
        server,
        "127.0.0.1",
        port,
        workers=workers,
        root_path=PREFIX if told == "option" else "",
        root_setting=PREFIX if told == "setting" else "",
        lean=lean,
    )
    if server == "uvicorn":
        cmd += ["--timeout-graceful-shutdown", "5"]
        if proxy == "forwarded":
            # uvicorn would replace the scope's client with X-Forwarded-For before the app
            # sees it, and the app could no longer tell whether its peer is a trusted proxy.
            cmd += ["--no-proxy-headers"]
    return cmd, env


# --- processes -------------------------------------------------------------------------------

_LIVE: set[subprocess.Popen[bytes]] = set()


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """SIGTERM to the whole group, then SIGKILL to whatever is left after ``timeout``.

    Waiting for the leader is not enough: Sanic's and granian's managers exit while their
    workers are still shutting down.
    """
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc.poll()
        if not group_alive(proc.pid):
            break
        time.sleep(0.05)
    else:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    _LIVE.discard(proc)


@atexit.register
def _stop_all() -> None:
    for proc in list(_LIVE):
        stop_process(proc, timeout=2.0)


def spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            start_new_session=True,  # its own process group: stopped with all its workers
        )
    _LIVE.add(proc)
    return proc


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode}:\n{_tail(log)}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    stop_process(proc)
    raise RuntimeError(f"not listening on {port} after {timeout:.0f}s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Deployment:
    """One adapter on one server, reached directly or through nginx."""

    framework: str
    server: str
    proxy: str
    port: int  # the server's
    proxy_port: int  # nginx's listen port for this deployment (unused when proxy is none)
    workdir: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    used: bool = False  # has served a test since it started
    app: str | None = None  # the entrypoint, when not the adapter's own
    env: dict[str, str] = field(default_factory=dict)  # settings for the app, e.g. its store
    workers: int = 1
    lean: bool = True  # no access log

    @property
    def id(self) -> str:
        return f"{self.framework}-{self.server}-{self.proxy}"

    @property
    def root(self) -> str:
        return "" if self.proxy == "none" else PREFIX

    @property
    def base_url(self) -> str:
        if self.proxy == "none":
            return f"http://127.0.0.1:{self.port}"
        return f"http://127.0.0.1:{self.proxy_port}{PREFIX}"

    @property
    def log(self) -> Path:
        return self.workdir / f"{self.id}-{self.port}.log"

    def start(self) -> None:
        cmd, env = server_command(
            self.framework, self.server, self.proxy, self.port, self.app, self.workers, self.lean
        )
        self.proc = spawn(cmd, {**env, **self.env}, self.log)
        self.used = False

    def wait_ready(self, timeout: float = 30.0) -> None:
        assert self.proc is not None
        try:
            wait_for_port(self.port, self.proc, self.log, timeout)
        except RuntimeError as exc:
            raise RuntimeError(f"{self.id}: server {exc}") from None

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()
        self.wait_ready()


# --- nginx ---------------------------------------------------------------------------------

# Host is set in each location: any proxy_set_header in a location drops the server block's.
# Passing the client's Host is what deployments do; with nginx's default ($proxy_host), an app
# that builds absolute URLs (Starlette's url_for) names the upstream, and nginx's default
# proxy_redirect then rewrites it into a second prefix.
_LOCATIONS = {
    # proxy_pass with a URI ("/") replaces the matched /prefix/ with it: the prefix is stripped.
    "strip": f"""
        location {PREFIX}/ {{
            proxy_pass http://127.0.0.1:{{port}}/;
            proxy_set_header Host $http_host;
        }}""",
    "forwarded": f"""
        location {PREFIX}/ {{
            proxy_pass http://127.0.0.1:{{port}}/;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Prefix {PREFIX};
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}""",
    # proxy_pass without a URI passes the request's path unchanged, prefix included.
    "keep": f"""
        location {PREFIX}/ {{
            proxy_pass http://127.0.0.1:{{port}};
            proxy_set_header Host $http_host;
        }}""",
}


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


def nginx_server_block(mode: str, listen: int, upstream: int) -> str:
    location = _LOCATIONS[mode].replace("{port}", str(upstream))
    return f"""
    server {{
        listen 127.0.0.1:{listen};
        client_max_body_size 200m;
        proxy_http_version 1.1;
        proxy_read_timeout 60s;{location}
    }}"""


def nginx_config(workdir: Path, deployments: list[Deployment]) -> str:
    blocks = "".join(
        nginx_server_block(d.proxy, d.proxy_port, d.port) for d in deployments if d.proxy != "none"
    )
    # As root, nginx's workers would run as nobody and could not write request bodies that
    # outgrow memory into the session's private temporary directory.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return f"""# Generated by asgi-compare for one run.
{user}worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/client_body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
{blocks}
}}
"""


class Nginx:
    def __init__(self, workdir: Path, deployments: list[Deployment]) -> None:
        self.workdir = workdir
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(nginx_config(workdir, deployments))
        self.proc: subprocess.Popen[bytes] | None = None
        self.ports = [d.proxy_port for d in deployments if d.proxy != "none"]

    def start(self) -> None:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError(
                "nginx is not installed: `make test` installs it (apt-get install nginx)"
            )
        log = self.workdir / "nginx-stdout.log"
        cmd = [binary, "-c", str(self.conf), "-p", str(self.workdir), "-g", "daemon off;"]
        self.proc = spawn(cmd, {}, log)
        if self.ports:
            wait_for_port(self.ports[0], self.proc, self.workdir / "nginx-error.log", 10.0)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None


@dataclass
class Matrix:
    """Every deployment the selected options call for, with ports fixed up front.

    ``shared`` deployments serve most tests one after another; ``differential`` ones are started
    four at a time, fresh, for the test that compares all adapters on one server and mode.
    """

    workdir: Path
    shared: dict[tuple[str, str, str], Deployment]
    differential: dict[tuple[str, str, str], Deployment]

    @classmethod
    def plan(
        cls,
        workdir: Path,
        frameworks: list[str],
        servers: list[str],
        proxies: list[str],
        reference: str,
    ) -> Matrix:
        def keys(names: list[str]) -> list[tuple[str, str, str]]:
            return [(f, s, p) for s in servers for p in proxies for f in names if applies(f, s)]

        compared = frameworks if reference in frameworks else [reference, *frameworks]
        shared_keys, differential_keys = keys(frameworks), keys(compared)
        ports = free_ports(2 * (len(shared_keys) + len(differential_keys)))
        shared = {k: Deployment(*k, next(ports), next(ports), workdir) for k in shared_keys}
        differential = {
            k: Deployment(*k, next(ports), next(ports), workdir) for k in differential_keys
        }
        return cls(workdir, shared, differential)

    def all(self) -> list[Deployment]:
        return [*self.shared.values(), *self.differential.values()]
