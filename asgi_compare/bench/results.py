"""What a bench run measured, as typed values; :mod:`.render` writes them out."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from asgi_compare.bench.endpoints import EXTRAS


@dataclass(frozen=True)
class Settings:
    frameworks: list[str]
    servers: list[str]
    endpoints: list[str]
    duration: float = 2.0
    connections: int = 32
    extras: list[str] = field(default_factory=lambda: list(EXTRAS))
    pin: bool = True


@dataclass(frozen=True)
class WrkRun:
    """One run of wrk, as its ``--latency`` report gives it."""

    rps: float = 0.0
    requests: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    non_2xx: int = 0
    socket_errors: int = 0


def median_run(runs: list[WrkRun]) -> WrkRun:
    """Rates and latencies: the median run's; counts: all runs together."""
    return WrkRun(
        rps=statistics.median(r.rps for r in runs),
        requests=sum(r.requests for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        non_2xx=sum(r.non_2xx for r in runs),
        socket_errors=sum(r.socket_errors for r in runs),
    )


@dataclass(frozen=True)
class Cell:
    """One app on one server under load on one endpoint."""

    app: str  # adapter, bare or raw
    framework: str  # "" for raw
    server: str
    endpoint: str
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    non_2xx: int = 0
    socket_errors: int = 0
    peak_rss_mb: float = 0.0
    error: str = ""

    @classmethod
    def of(
        cls,
        app: str,
        framework: str,
        server: str,
        endpoint: str,
        run: WrkRun,
        peak_rss_mb: float,
        error: str = "",
    ) -> Cell:
        return cls(
            app,
            framework,
            server,
            endpoint,
            rps=run.rps,
            p50_ms=run.p50_ms,
            p99_ms=run.p99_ms,
            requests=run.requests,
            non_2xx=run.non_2xx,
            socket_errors=run.socket_errors,
            peak_rss_mb=peak_rss_mb,
            error=error,
        )


@dataclass(frozen=True)
class ColdStart:
    """Process spawn to the first 200 on GET /hello, several times."""

    framework: str
    server: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass(frozen=True)
class LoopHealth:
    """GET /hello's p99 idle, then while large fits run at once."""

    idle_p99_ms: float
    busy_p99_ms: float
    ratio: float
    fit_body_mb: float
    fit_seconds_max: float
    fit_statuses: list[int]


@dataclass(frozen=True)
class Sleeps:
    """Many concurrent GET /async-route?delay=1: async handlers should overlap."""

    requests: int
    wall_seconds: float
    ok: int


@dataclass(frozen=True)
class PlotTiming:
    """GET /plot: the first answer is drawn, the repeated ones cached."""

    first_ms: float
    cached_median_ms: float


@dataclass
class Results:
    settings: Settings
    cells: list[Cell] = field(default_factory=list)
    cold_start: list[ColdStart] = field(default_factory=list)
    loop: dict[str, LoopHealth] = field(default_factory=dict)  # by framework
    sleeps: dict[str, Sleeps] = field(default_factory=dict)
    plot: dict[str, PlotTiming] = field(default_factory=dict)
    seconds: float = 0.0
