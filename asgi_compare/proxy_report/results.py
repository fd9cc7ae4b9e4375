"""What a proxy report found, as typed values; :mod:`.render` writes them out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from asgi_compare.harness import PROXIES, PROXY_MODES, SERVERS, installed_versions
from asgi_compare.proxy_report.discover import Discovery
from asgi_compare.proxy_report.fixes import Fix
from asgi_compare.proxy_report.probes import Probe


@dataclass(frozen=True)
class Row:
    """The probes of one app (native or adapter) of one framework on one server and mode."""

    framework: str
    server: str
    proxy: str  # "none" for mode none
    mode: str
    variant: str
    probes: tuple[Probe, ...]
    # The fix of each failed WebSocket and stream probe, by probe name (fixes.live_fix): what
    # a proxy does to them is the same for every app, so it is said here as for --app.
    fixes: dict[str, str] = field(default_factory=dict)

    @property
    def score(self) -> tuple[int, int]:
        judged = [p for p in self.probes if p.ok is not None]
        return sum(bool(p.ok) for p in judged), len(judged)


Column = tuple[str, str]  # (proxy, mode)


def columns(rows: list[Row]) -> list[Column]:
    """The proxy and mode pairs of a report, in the order they ran."""
    return list(dict.fromkeys((r.proxy, r.mode) for r in rows))


def column_title(rows: list[Row], column: Column) -> str:
    """The mode alone while one proxy ran; otherwise proxy and mode."""
    proxy, mode = column
    if mode == "none" or len({r.proxy for r in rows if r.mode != "none"}) <= 1:
        return mode
    return f"{proxy} {mode}"


Key = tuple[str, str, str, str]  # framework, server, proxy, mode


def pairs(rows: list[Row]) -> dict[Key, tuple[Row, Row]]:
    """Per framework, server, proxy and mode: the native app's row and the adapter's."""
    by_key = {(r.framework, r.server, r.proxy, r.mode, r.variant): r for r in rows}
    out = {}
    for framework, server, proxy, mode, _ in by_key:
        n = by_key.get((framework, server, proxy, mode, "native"))
        a = by_key.get((framework, server, proxy, mode, "adapter"))
        if n and a:
            out[framework, server, proxy, mode] = (n, a)
    return out


def declared(proxy: str, mode: str, p: Probe) -> bool:
    """Whether probe ``p`` failed as the proxy's class declares it must, whatever the app does:
    a WebSocket behind a proxy that passes no handshake on, or the hello's root_path behind
    one that sends no prefix with a handshake (mode forwarded). (A stream is read as an
    ``EventSource`` reads it, which every proxy here streams.)"""
    if p.ok is not False or p.name != "websocket" or proxy not in PROXIES:
        return False
    cls = PROXIES[proxy]
    unprefixed = mode == "forwarded" and not cls.forwards_prefix_on_websocket
    return not cls.websocket or (unprefixed and p.seen.startswith("hello root_path"))


def iter_failures(rows: list[Row], variant: str) -> Iterator[Row]:
    """The rows of ``variant`` with a failed probe that is not the proxy's by declaration."""
    return (
        r
        for r in rows
        if r.variant == variant
        and any(p.ok is False and not declared(r.proxy, r.mode, p) for p in r.probes)
    )


@dataclass(frozen=True)
class Meta:
    """How and when a report was made."""

    command: str
    date: str
    seconds: float
    versions: dict[str, str]
    servers: list[str]
    modes: list[str]
    proxies: list[str] = field(default_factory=list)


def meta_for(
    command: str,
    seconds: float,
    servers: list[str] | None = None,
    modes: list[str] | None = None,
    proxies: list[str] | None = None,
) -> Meta:
    return Meta(
        command=command,
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        seconds=seconds,
        versions=installed_versions("starlette"),
        servers=list(SERVERS if servers is None else servers),
        modes=list(PROXY_MODES if modes is None else modes),
        proxies=["nginx"] if proxies is None else list(proxies),
    )


@dataclass(frozen=True)
class Cell:
    """The probes of an app on one server behind one proxy and mode, with a fix per failure."""

    server: str
    proxy: str  # "none" for mode none
    mode: str
    probes: tuple[Probe, ...]
    fixes: dict[str, Fix] = field(default_factory=dict)  # by probe name, failed probes only

    @property
    def failed(self) -> bool:
        return any(p.ok is False for p in self.probes)


@dataclass(frozen=True)
class AppReport:
    """``asgi-compare proxy-report --app``: one app, every server x proxy x mode."""

    app: str
    found: Discovery
    paths: tuple[str, ...]  # the caller's own paths (``--probe``)
    cells: list[Cell]
    meta: Meta

    @property
    def failed(self) -> bool:
        return any(c.failed for c in self.cells)
