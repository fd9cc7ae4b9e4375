"""The proxy report's plans and runs: deployments started in batches, probed, stopped.

:func:`run` compares each framework's native app with its adapter; :func:`run_app` probes an
app this project did not write. Both serve on every server, behind every proxy in each mode it
supports (``cells``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from asgi_compare.harness import PROXIES, Deployment, Proxy, applies, entrypoint
from asgi_compare.harness.proxies import proxies_in
from asgi_compare.proxy_report.app_probes import probe_app, probe_names
from asgi_compare.proxy_report.discover import Discovery, discover, websocket_routes
from asgi_compare.proxy_report.fixes import LIVE_PROBES, fix, live_fix
from asgi_compare.proxy_report.probes import PROBES, Probe, probe
from asgi_compare.proxy_report.results import Cell, Row

Variant = Literal["native", "adapter"]
VARIANTS: tuple[Variant, ...] = ("native", "adapter")  # the registry's app kinds compared
NO_PROXY = "none"  # the proxy of mode none


def cells(proxies: Sequence[str], modes: Sequence[str]) -> list[tuple[str, str]]:
    """(proxy, mode) pairs: no proxy, if ``none`` is asked for, then each proxy's own modes."""
    out = [(NO_PROXY, "none")] if "none" in modes else []
    for name in proxies:
        out += [(name, m) for m in modes if m in PROXIES[name].modes]
    return out


@dataclass(frozen=True)
class Planned:
    variant: Variant
    proxy: str
    deployment: Deployment


def plan(
    workdir: Path,
    proxies: dict[str, Proxy],
    frameworks: list[str],
    servers: list[str],
    modes: list[str],
) -> list[list[Planned]]:
    """Deployments in batches of one server, proxy and mode, started and probed together."""
    batches: dict[tuple[str, str, str], list[Planned]] = {}
    for s in servers:
        for px, m in cells(list(proxies), modes):
            for f in frameworks:
                if not applies(f, s):
                    continue
                for v in VARIANTS:
                    proxy = None if px == NO_PROXY else proxies[px]
                    d = Deployment(f, s, m, workdir=workdir, proxy=proxy, app=entrypoint(f, v))
                    batches.setdefault((s, px, m), []).append(Planned(v, px, d))
    return list(batches.values())


@contextmanager
def _proxies(names: Sequence[str]) -> Iterator[tuple[Path, dict[str, Proxy]]]:
    """A work directory and one proxy of each name, stopped (with their servers') at the end."""
    with tempfile.TemporaryDirectory(prefix="asgi-compare-report-") as tmp:
        workdir = Path(tmp)
        proxies = proxies_in(workdir, names)
        try:
            yield workdir, proxies
        finally:
            for proxy in proxies.values():
                proxy.stop()


def _start(batch: Sequence[Deployment], say: Callable[[str], None]) -> dict[int, str]:
    """Start every deployment; the ones that did not come up, by id(), with why (and the
    tail of the server's log)."""
    failed: dict[int, str] = {}
    for d in batch:
        try:
            d.start()
        except RuntimeError as exc:
            failed[id(d)] = str(exc)
    for d in batch:
        if id(d) not in failed:
            try:
                d.wait_ready()
            except RuntimeError as exc:
                failed[id(d)] = str(exc)
    for why in failed.values():
        say(f"  ! {why.splitlines()[0]}")
    return failed


def run(
    frameworks: list[str],
    servers: list[str],
    modes: list[str],
    progress: bool = True,
    proxies: Sequence[str] = ("nginx",),
) -> list[Row]:
    """Probe each app as a client of the proxy (or the server, mode none) would reach it."""
    say = _sayer(progress)
    rows: list[Row] = []
    with _proxies(proxies) as (workdir, running):
        batches = plan(workdir, running, frameworks, servers, modes)
        done, total, started = 0, sum(len(b) for b in batches), time.monotonic()
        try:
            with httpx.Client(timeout=10.0) as client, ThreadPoolExecutor(8) as pool:
                for batch in batches:
                    failed = _start([p.deployment for p in batch], say)

                    def ask(p: Planned, failed: dict[int, str] = failed) -> tuple[Probe, ...]:
                        d = p.deployment
                        if id(d) in failed:
                            return tuple(Probe(n, False, "server did not start") for n in PROBES)
                        upgrades = p.proxy == NO_PROXY or PROXIES[p.proxy].websocket
                        return probe(client, d.base_url, d.root, upgrades)

                    # Together: the stream probe waits on the events' pace, not on the machine.
                    for p, probes in zip(batch, pool.map(ask, batch), strict=True):
                        d = p.deployment
                        fixes = {
                            x.name: live_fix(x, server=d.server, proxy=p.proxy, mode=d.mode).text
                            for x in probes
                            if x.ok is False and x.name in LIVE_PROBES
                        }
                        row = Row(d.framework, d.server, p.proxy, d.mode, p.variant, probes, fixes)
                        rows.append(row)
                        done += 1
                        ok, of = row.score
                        say(
                            f"[{done:>3}/{total}] {time.monotonic() - started:5.0f}s  "
                            f"{d.framework:<8}{d.server:<10}{p.proxy:<21}{d.mode:<10}"
                            f"{p.variant:<8}{ok}/{of}"
                        )
                    list(pool.map(lambda p: p.deployment.stop(), batch))
        finally:
            for batch in batches:
                for p in batch:
                    p.deployment.stop()
    return rows


def run_app(
    app: str,
    *,
    servers: Sequence[str],
    proxies: Sequence[str] = ("nginx",),
    modes: Sequence[str],
    paths: Sequence[str] = (),
    websockets: Sequence[str] = (),
    subprotocols: Sequence[str] = (),
    app_dir: Path | None = None,
    progress: bool = True,
) -> tuple[Discovery, list[Cell]]:
    """Serve ``app`` (``module:attribute``) in every cell and probe what it showed directly.

    What to probe is found on the first server without a proxy (the mode none cell, or one
    more deployment when none is not asked for), and the WebSocket routes in the app object
    (imported here), beside ``websockets``; each handshake offers ``subprotocols``.
    ``app_dir`` comes before the installed packages on the server's import path, as
    uvicorn's ``--app-dir`` puts it.
    """
    listed, where = websocket_routes(app, app_dir)
    say = _sayer(progress)
    env = {} if app_dir is None else {"PYTHONPATH": _import_path(app_dir)}
    names = tuple(paths)
    with _proxies(proxies) as (workdir, running):
        planned: list[tuple[str, Deployment]] = []
        for s in servers:
            for px, m in cells(proxies, modes):
                proxy = None if px == NO_PROXY else running[px]
                d = Deployment("app", s, m, workdir=workdir, proxy=proxy, app=app, env=env)
                planned.append((px, d))
        reference = next(
            (d for px, d in planned if d.server == servers[0] and px == NO_PROXY), None
        )
        extra = (
            [] if reference else [Deployment("app", servers[0], workdir=workdir, app=app, env=env)]
        )
        reference = reference or extra[0]
        everything = [*extra, *(d for _, d in planned)]
        out: list[Cell] = []
        try:
            with httpx.Client(timeout=10.0) as client:
                failed = _start(everything, say)
                if id(reference) in failed:
                    raise RuntimeError(f"{app} did not start: {failed[id(reference)]}")
                found = discover(
                    client,
                    reference.server_url,
                    names,
                    [*listed, *websockets],
                    subprotocols,
                    where,
                )
                say(f"found: {_found(found)}")
                for px, d in planned:
                    if id(d) in failed:
                        why = f"server did not start: {failed[id(d)].splitlines()[0]}"[:120]
                        probes = tuple(Probe(n, False, why) for n in probe_names(names, found))
                    else:
                        probes = probe_app(client, d.base_url, d.root, found, names)
                    out.append(Cell(d.server, px, d.mode, probes))
                    ok = sum(p.ok is True for p in probes)
                    of = sum(p.ok is not None for p in probes)
                    say(f"{d.server:<10}{px:<22}{d.mode:<10}{ok}/{of}")
        finally:
            for d in everything:
                d.stop()
    return found, with_fixes(out, found)


def with_fixes(out: list[Cell], found: Discovery) -> list[Cell]:
    """Each cell with the fix of each failed probe."""
    lists_root = any(
        p.name == "servers" and p.ok is True for c in out if c.mode != "none" for p in c.probes
    )
    return [
        Cell(
            c.server,
            c.proxy,
            c.mode,
            c.probes,
            {
                p.name: fix(
                    p, found, server=c.server, proxy=c.proxy, mode=c.mode, lists_root=lists_root
                )
                for p in c.probes
                if p.ok is False
            },
        )
        for c in out
    ]


def _import_path(app_dir: Path) -> str:
    old = os.environ.get("PYTHONPATH", "")
    return os.pathsep.join(p for p in (str(app_dir.resolve()), old) if p)


def _found(found: Discovery) -> str:
    shown = {
        "spec": found.spec,
        "docs": found.docs,
        "route": found.route,
        "redirect": found.redirect,
        "/": "yes" if found.root else None,
        "WebSockets": ", ".join(found.websockets) or None,
        "streams": ", ".join(found.streams) or None,
    }
    return ", ".join(f"{k} {v}" for k, v in shown.items() if v) or "nothing"


def _sayer(progress: bool) -> Callable[[str], None]:
    def say(line: str) -> None:
        if progress:
            print(line, file=sys.stderr, flush=True)  # noqa: T201

    return say
