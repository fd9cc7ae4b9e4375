"""The one place that knows each server's command line.

How a server learns the prefix a proxy serves it under depends on the proxy mode (see
docs/proxy.md):

- ``none``: no prefix.
- ``strip``: the proxy serves ``/prefix/`` and strips it; the server gets its root-path option,
  or, where it has none (Sanic's own server), the app gets ``ASGI_COMPARE_ROOT_PATH``.
- ``forwarded``: the proxy strips the prefix and sends ``X-Forwarded-Prefix``, ``-Proto``,
  ``-Host`` and ``-For``; the server is told nothing.
- ``keep``: the proxy passes ``/prefix/...`` unchanged; hypercorn and granian get their
  root-path option; uvicorn's would prepend the prefix again ("/prefix/prefix/items"), so
  uvicorn, like Sanic's own server, runs with ``ASGI_COMPARE_ROOT_PATH`` instead.

In every mode uvicorn runs with ``--no-proxy-headers``: by default it replaces the scope's
client and scheme with a 127.0.0.1 peer's ``X-Forwarded-For`` and ``-Proto`` (its
``--forwarded-allow-ips`` default) before the app sees them, so the app could no longer tell
whether its peer is a trusted proxy, and a loopback client's chain is walked into values the
client chose. The app applies them itself, by one rule on every server (core/forwarded.py).
hypercorn and granian (2.8) apply none unless asked; Sanic's own server none by default
(``PROXIES_COUNT``), and the adapter replaces what it would with the app's rule.
"""

from __future__ import annotations

import sys

from asgi_compare.harness.registry import PREFIX, PROXY_MODES, SERVERS

ROOT_SETTING = "ASGI_COMPARE_ROOT_PATH"  # the app's own root-path setting (core.settings)
_ROOT_OPTION = {
    "uvicorn": "--root-path",
    "hypercorn": "--root-path",
    "granian": "--url-path-prefix",
}


def _told_by_option(server: str, mode: str) -> bool:
    """Whether the server's root-path option, rather than the app's setting, carries the prefix."""
    if server not in _ROOT_OPTION:
        return False  # Sanic's own server has no root-path option
    # uvicorn >= 0.26 prepends root_path to a path that, in keep mode, already has it.
    return not (mode == "keep" and server == "uvicorn")


def server_command(
    entry: str,
    server: str,
    *,
    port: int,
    host: str = "127.0.0.1",
    mode: str = "none",
    workers: int = 1,
    lean: bool = True,
    tuned: bool = False,
    root_path: str = "",
) -> tuple[list[str], dict[str, str]]:
    """The command line that serves ``entry`` behind proxy ``mode``, and extra environment.

    ``root_path``: a prefix for a proxy of the caller's own (``asgi-compare serve``), given the
    way a ``strip`` proxy's would be; ``mode`` other than ``none`` brings its own prefix.
    ``lean``: no access log, warnings only; otherwise
    every server writes its access log to standard output.
    ``tuned``: the fastest event loop and HTTP parser each server offers, one process.
    """
    if server not in SERVERS:
        raise ValueError(f"unknown server {server!r}; choose from {', '.join(SERVERS)}")
    if mode not in PROXY_MODES:
        raise ValueError(f"unknown proxy mode {mode!r}; choose from {', '.join(PROXY_MODES)}")
    if root_path and mode != "none":
        raise ValueError(f"proxy mode {mode!r} brings its own prefix; root_path is for none")
    prefix = root_path or (PREFIX if mode in ("strip", "keep") else "")

    py = sys.executable
    hosting = ["--host", host, "--port", str(port)]
    if server == "uvicorn":
        argv = [py, "-m", "uvicorn", entry, *hosting, "--workers", str(workers)]
        argv += ["--loop", "uvloop", "--http", "httptools"] if tuned else []
        argv += ["--no-access-log", "--log-level", "warning"] if lean else []
    elif server == "hypercorn":
        argv = [py, "-m", "hypercorn", entry, "--bind", f"{host}:{port}"]
        argv += ["--workers", str(workers)]
        argv += ["--worker-class", "uvloop"] if tuned else []
        argv += [] if lean else ["--access-logfile", "-"]
    elif server == "granian":
        argv = [py, "-m", "granian", "--interface", "asgi", *hosting, "--workers", str(workers)]
        argv += ["--loop", "uvloop"] if tuned else []
        argv += ["--log-level", "warning"] if lean else ["--access-log"]
    else:  # native: Sanic's own server
        argv = [py, "-m", "sanic", entry, *hosting]
        argv += ["--single-process"] if tuned else ["--workers", str(workers)]
        argv += ["--no-motd", "--no-access-logs"] if lean else ["--access-logs"]

    env: dict[str, str] = {}
    if prefix and _told_by_option(server, mode):
        argv += [_ROOT_OPTION[server], prefix]
    elif prefix:
        env[ROOT_SETTING] = prefix
    if server == "uvicorn":
        # Without a limit, uvicorn waits for open connections as long as they last.
        argv += ["--timeout-graceful-shutdown", "5"]
        argv += ["--no-proxy-headers"]  # the app decides whom to believe (see above)
    if server == "granian":
        # Without a limit, granian waits for open connections as long as they last (an event
        # stream holds it until it ends: docs/reliability.md); then it kills its workers.
        argv += ["--workers-kill-timeout", "5"]
        argv.append(entry)  # granian takes the app after its options
    return argv, env
