"""The harness: free ports, each server's command line, a deployment's life, proxy reloads."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from asgi_compare.harness import (
    PREFIX,
    Deployment,
    Nginx,
    entrypoint,
    free_port,
    group_alive,
    peak_memory,
    processes,
    server_command,
)
from asgi_compare.harness import ports as ports_module
from asgi_compare.harness.proxies import HAProxy, JupyterServerProxy

RAW = entrypoint("", "raw")  # GET /hello; starts in well under a second


def get(url: str) -> tuple[int, bytes]:
    host_port, _, path = url.removeprefix("http://").partition("/")
    host, _, port = host_port.partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", "/" + path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- free_port ---------------------------------------------------------------------------------


def test_free_ports_are_bindable_and_never_repeat() -> None:
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_the_kernel_offers_again_is_not_handed_out_twice(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With claims of its own: in the shared folder, another live process of the run (a
    parallel test worker) may hold port 40001 or 40002 for real, and then neither is handed
    out here, rightly (once in a CI run, StopIteration)."""
    monkeypatch.setattr(ports_module, "RESERVED", tmp_path)
    kernel_offers(monkeypatch, 40001, 40001, 40002)  # a closed probe's port may come again
    assert [free_port(), free_port()] == [40001, 40002]


def test_a_port_another_live_process_was_given_is_not_handed_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Parallel test workers plan their ports up front: one worker's planned port, which
    nothing listens on yet, must not become the other's."""
    monkeypatch.setattr(ports_module, "RESERVED", tmp_path)
    with subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from asgi_compare.harness import ports\n"
            f"ports.RESERVED = ports.Path({str(tmp_path)!r})\n"
            "print(ports.free_port(), flush=True)\n"
            "sys.stdin.read()\n",  # alive, holding its port, until it is stopped
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as other:
        try:
            assert other.stdout is not None
            taken = int(other.stdout.readline())
            kernel_offers(monkeypatch, taken, 40002)
            assert free_port() == 40002
        finally:
            other.kill()  # killed, it cannot give its port back; the claim lapses with it
    kernel_offers(monkeypatch, taken)
    assert free_port() == taken


def kernel_offers(monkeypatch: pytest.MonkeyPatch, *ports: int) -> None:
    """Make port 0 bind to ``ports``, in turn, and forget the ports handed out so far."""
    offered = iter(ports)

    class Probe:
        def __init__(self, *args: Any) -> None:
            self.port = next(offered)

        def __enter__(self) -> Probe:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def bind(self, address: tuple[str, int]) -> None:
            pass

        def getsockname(self) -> tuple[str, int]:
            return ("127.0.0.1", self.port)

    monkeypatch.setattr(socket, "socket", Probe)
    monkeypatch.setattr(ports_module, "_handed_out", set())


# --- server_command ----------------------------------------------------------------------------

PX = ["/prefix"]
SETTING = {"ASGI_COMPARE_ROOT_PATH": "/prefix"}


@pytest.mark.parametrize(
    ("server", "mode", "option", "env"),
    [
        # server, mode -> the root-path option given (with its value), the app's setting
        ("uvicorn", "none", [], {}),
        ("uvicorn", "strip", ["--root-path", *PX], {}),
        ("uvicorn", "forwarded", [], {}),
        ("uvicorn", "keep", [], SETTING),  # uvicorn's option would prefix the path again
        ("hypercorn", "none", [], {}),
        ("hypercorn", "strip", ["--root-path", *PX], {}),
        ("hypercorn", "forwarded", [], {}),
        ("hypercorn", "keep", ["--root-path", *PX], {}),
        ("granian", "strip", ["--url-path-prefix", *PX], {}),
        ("granian", "forwarded", [], {}),
        ("granian", "keep", ["--url-path-prefix", *PX], {}),
        ("native", "none", [], {}),
        ("native", "strip", [], SETTING),  # Sanic's own server has no root-path option
        ("native", "forwarded", [], {}),
        ("native", "keep", [], SETTING),
    ],
)
def test_each_server_is_told_the_prefix_its_own_way(
    server: str, mode: str, option: list[str], env: dict[str, str]
) -> None:
    entry = entrypoint("sanic")
    argv, extra = server_command(entry, server, port=8123, mode=mode)
    assert extra == env
    for name in ("--root-path", "--url-path-prefix"):
        if name in argv:
            assert argv[argv.index(name) : argv.index(name) + 2] == option
    assert bool(option) == any(a in argv for a in ("--root-path", "--url-path-prefix"))
    assert argv[0] == sys.executable and "8123" in " ".join(argv)
    if server == "granian":
        assert argv[-1] == entry  # granian takes the app after its options
    else:
        assert argv[3] == entry
    if server == "uvicorn":
        assert argv[argv.index("--timeout-graceful-shutdown") + 1] == "5"
        # the app, not uvicorn, decides whom to believe, in every mode
        assert "--no-proxy-headers" in argv


@pytest.mark.parametrize(
    ("server", "root_path", "option", "env"),
    [
        ("uvicorn", "/px", ["--root-path", "/px"], {}),
        ("hypercorn", "/px", ["--root-path", "/px"], {}),
        ("granian", "/px", ["--url-path-prefix", "/px"], {}),
        ("native", "/px", [], {"ASGI_COMPARE_ROOT_PATH": "/px"}),
    ],
)
def test_a_root_path_of_ones_own_goes_where_strip_mode_would_put_the_prefix(
    server: str, root_path: str, option: list[str], env: dict[str, str]
) -> None:
    argv, extra = server_command(entrypoint("sanic"), server, port=1, root_path=root_path)
    assert extra == env
    if option:
        assert argv[argv.index(option[0]) : argv.index(option[0]) + 2] == option


def test_a_proxy_mode_brings_its_own_prefix() -> None:
    with pytest.raises(ValueError, match="brings its own prefix"):
        server_command(RAW, "uvicorn", port=1, mode="strip", root_path="/px")


@pytest.mark.parametrize(
    ("server", "lean", "tuned", "present", "absent"),
    [
        ("uvicorn", True, False, ["--no-access-log", "--log-level"], ["--loop"]),
        ("uvicorn", False, True, ["--loop", "uvloop", "--http", "httptools"], ["--no-access-log"]),
        ("hypercorn", False, False, ["--access-logfile", "-"], ["--worker-class"]),
        ("hypercorn", True, True, ["--worker-class", "uvloop"], ["--access-logfile"]),
        ("granian", True, False, ["--log-level", "warning"], ["--access-log", "--no-ws"]),
        ("granian", False, True, ["--access-log", "--loop", "uvloop"], ["--no-ws"]),
        (
            "native",
            True,
            False,
            ["--no-motd", "--no-access-logs", "--workers"],
            ["--single-process"],
        ),
        ("native", False, True, ["--access-logs", "--single-process"], ["--workers"]),
    ],
)
def test_lean_and_tuned_flags(
    server: str, lean: bool, tuned: bool, present: list[str], absent: list[str]
) -> None:
    argv, _ = server_command(entrypoint("sanic"), server, port=1, lean=lean, tuned=tuned)
    assert set(present) <= set(argv)
    assert not set(absent) & set(argv)


def test_entrypoints() -> None:
    assert entrypoint("quart") == "quart_app.app:app"
    assert entrypoint("quart", "native") == "asgi_compare.native.quart_native:app"
    assert entrypoint("quart", "bare") == "asgi_compare.bench_apps.quart_bare:app"
    assert RAW == "asgi_compare.bench_apps.raw:app"
    with pytest.raises(ValueError, match="choose from"):
        entrypoint("django")


# --- Deployment --------------------------------------------------------------------------------


def vm_hwm(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(x for x in status.splitlines() if x.startswith("VmHWM:")).split()[1]) * 1024


def test_a_deployment_starts_answers_measures_and_stops_its_whole_group(tmp_path: Path) -> None:
    # Two workers: a supervisor and its children, all in the server's process group.
    d = Deployment("", "uvicorn", workdir=tmp_path, app=RAW, workers=2)
    assert d.port != d.proxy_port and d.base_url == d.server_url == f"http://127.0.0.1:{d.port}"
    d.start()
    try:
        seconds = d.wait_ready(path="/hello")
        assert 0 < seconds < 30
        assert get(f"{d.base_url}/hello") == (200, b'{"message":"Hello World"}')
        assert d.proc is not None
        pgid = d.proc.pid
        group = d.peak_memory()
        assert group > vm_hwm(pgid)  # the workers count too
        assert peak_memory(pgid) >= group  # the same measure, read again: peaks only grow
    finally:
        d.stop()
    assert d.proc is None and not group_alive(pgid)
    assert d.log.exists()


# A supervisor that exits on SIGTERM, and a worker that ignores it, as a loaded server's slow
# worker does: only SIGKILL ends the worker, after its supervisor, so it is left an orphan.
STUBBORN = """
import os, signal, sys, time
if os.fork() == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(600)
    sys.exit(0)
print("ready", flush=True)
time.sleep(600)
"""


def test_stop_ends_and_reaps_a_worker_that_outlives_its_supervisor(tmp_path: Path) -> None:
    """The orphaned, SIGKILLed worker is reaped here, whether or not PID 1 reaps orphans
    (a container's often does not): no zombie of the group is left, and none counts as alive.
    Without the reaping, this failed on every run here, where PID 1 never reaps."""
    log = tmp_path / "stubborn.log"
    proc = processes.spawn([sys.executable, "-c", STUBBORN], {}, log)
    while "ready" not in log.read_text():  # the worker was forked first
        assert proc.poll() is None, log.read_text()
        time.sleep(0.01)
    [worker] = [pid for pid in processes.group_members(proc.pid) if pid != proc.pid]
    processes.stop(proc, timeout=0.5)
    assert not group_alive(proc.pid)
    assert processes.group_members(proc.pid) == {}, "a zombie of the group was left"
    assert not Path(f"/proc/{worker}").exists()


def test_a_zombie_is_not_a_live_process() -> None:
    """A process that has exited but is not yet reaped still makes ``killpg(pgid, 0)`` succeed."""
    child = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    try:
        while processes.group_members(child.pid).get(child.pid) != "Z":
            time.sleep(0.01)  # exited, not reaped: Popen has not been asked
        os.killpg(child.pid, 0)  # the old test of "alive" says yes
        assert not group_alive(child.pid)
    finally:
        child.wait()
    assert processes.group_members(child.pid) == {}


# A server whose main thread has ended while another still serves its listening socket: what
# SIGKILL leaves for a moment, while a large server's threads tear down. The main thread ends
# by the exit system call, which ends the calling thread only.
HALF_EXITED = """
import ctypes, os, socket, sys, threading, time
sock = socket.socket()
sock.bind(("127.0.0.1", int(sys.argv[1])))
sock.listen()
threading.Thread(target=time.sleep, args=(600,)).start()
print("ready", flush=True)
ctypes.CDLL(None).syscall({"x86_64": 60, "aarch64": 93}[os.uname().machine], 0)
"""


def test_a_process_whose_main_thread_ended_runs_while_another_thread_does(tmp_path: Path) -> None:
    """Its /proc state says zombie, yet its socket still listens: it has not ended, and kill()
    returns only once it has. Before, a server SIGKILLed and started again on its port was
    found listening by the old socket, then refused the first request (7 runs in 8 here)."""
    if os.uname().machine not in ("x86_64", "aarch64"):
        pytest.fail(f"no exit system call number known for {os.uname().machine}")
    port = free_port()
    log = tmp_path / "half.log"
    proc = processes.spawn([sys.executable, "-c", HALF_EXITED, str(port)], {}, log)
    while "ready" not in log.read_text():
        assert proc.poll() is None, log.read_text()
        time.sleep(0.01)
    leader = Path(f"/proc/{proc.pid}/stat")
    while leader.read_text().rsplit(")", 1)[1].split()[0] != "Z":
        time.sleep(0.01)  # the main thread has ended; the other sleeps on
    assert processes.listening(port)
    assert group_alive(proc.pid)
    processes.kill(proc)
    assert not processes.listening(port)
    assert not group_alive(proc.pid)


def test_a_pinned_deployment_runs_on_its_cpu_only(tmp_path: Path) -> None:
    d = Deployment("", "uvicorn", workdir=tmp_path, app=RAW, cpu=0, tuned=True)
    d.start()
    try:
        d.wait_ready()
        assert d.proc is not None
        status = Path(f"/proc/{d.proc.pid}/status").read_text()
        assert "Cpus_allowed_list:\t0\n" in status
    finally:
        d.stop()


def test_a_deployment_that_cannot_start_says_why(tmp_path: Path) -> None:
    d = Deployment("", "uvicorn", workdir=tmp_path, app="no_such_module:app")
    d.start()
    with pytest.raises(RuntimeError, match="no_such_module"):
        d.wait_ready(timeout=20)
    assert d.proc is None


def test_a_mode_and_its_proxy_go_together(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="proxy mode 'strip' needs a proxy"):
        Deployment("quart", "uvicorn", "strip", workdir=tmp_path)
    with pytest.raises(ValueError, match="takes no proxy"):
        Deployment("quart", "uvicorn", workdir=tmp_path, proxy=Nginx(tmp_path))
    with pytest.raises(ValueError, match="has no native server"):
        Deployment("quart", "native", workdir=tmp_path)


def test_only_the_same_server_behind_a_proxy_apart_from_it_is_shared(tmp_path: Path) -> None:
    owner = Deployment("quart", "uvicorn", "strip", workdir=tmp_path, proxy=Nginx(tmp_path))
    with pytest.raises(ValueError, match="cannot reach the server of quart-uvicorn-strip"):
        Deployment(
            "quart", "uvicorn", "keep", workdir=tmp_path, proxy=HAProxy(tmp_path), upstream=owner
        )
    with pytest.raises(ValueError, match="only a proxy that runs apart"):
        Deployment(
            "quart",
            "uvicorn",
            "strip",
            workdir=tmp_path,
            proxy=JupyterServerProxy(tmp_path),
            upstream=owner,
        )


# --- proxies -------------------------------------------------------------------------------------


def test_one_server_answers_behind_two_proxies_and_is_its_owners_to_stop(tmp_path: Path) -> None:
    nginx, haproxy = Nginx(tmp_path), HAProxy(tmp_path)
    owner = Deployment("", "uvicorn", "forwarded", workdir=tmp_path, app=RAW, proxy=nginx)
    other = Deployment(
        "", "uvicorn", "forwarded", workdir=tmp_path, app=RAW, proxy=haproxy, upstream=owner
    )
    assert other.port == owner.port and other.proxy_port != owner.proxy_port
    pid = 0
    try:
        other.start()  # the owner's server, started for it, and both routes
        other.wait_ready()
        assert owner.proc is not None and other.proc is owner.proc
        pid = owner.proc.pid
        assert get(f"{other.base_url}/hello") == (200, b'{"message":"Hello World"}')
        assert get(f"{owner.base_url}/hello")[0] == 200
        other.stop()  # lets go of the server
        assert other.proc is None and group_alive(pid)
        assert get(f"{owner.base_url}/hello")[0] == 200
        other.start()  # takes the running one again
        assert other.proc is owner.proc and owner.proc.pid == pid
        other.restart()  # restarts the owner's
        assert owner.proc is not None and owner.proc.pid != pid and other.proc is owner.proc
        assert not group_alive(pid)
        pid = owner.proc.pid
    finally:
        other.stop()
        owner.stop()
        nginx.stop()
        haproxy.stop()
    assert pid and not group_alive(pid)


def test_a_route_added_after_the_proxy_started_is_served_by_a_reload(tmp_path: Path) -> None:
    proxy = Nginx(tmp_path)
    first = Deployment("", "uvicorn", "forwarded", workdir=tmp_path, app=RAW, proxy=proxy)
    later: Deployment | None = None
    try:
        first.start()
        first.wait_ready()
        assert get(f"{first.base_url}/hello")[0] == 200
        assert proxy.proc is not None
        nginx_pid = proxy.proc.pid

        # hypercorn keeps the path apart from its root_path, which the raw app ignores
        later = Deployment("", "hypercorn", "strip", workdir=tmp_path, app=RAW, proxy=proxy)
        assert later.base_url == f"http://127.0.0.1:{later.proxy_port}{PREFIX}"
        later.start()
        later.wait_ready()
        assert get(f"{later.base_url}/hello") == (200, b'{"message":"Hello World"}')
        assert get(f"{first.base_url}/hello")[0] == 200  # the first route still served
        assert proxy.proc is not None and proxy.proc.pid == nginx_pid  # reloaded, not restarted
    finally:
        first.stop()
        if later is not None:
            later.stop()
        proxy.stop()
    assert not group_alive(nginx_pid)
