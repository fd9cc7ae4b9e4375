"""What a bench run measured, as typed values; :mod:`.render` writes them out."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from asgi_compare.bench.endpoints import EXTRAS, LIVE_MEASURES, ROUNDS


@dataclass(frozen=True)
class Settings:
    frameworks: list[str]
    servers: list[str]
    endpoints: list[str]
    duration: float = 1.0  # seconds per run of wrk (whole seconds: wrk's -d)
    connections: int = 32
    extras: list[str] = field(default_factory=lambda: list(EXTRAS))
    pin: bool = True
    rounds: int = ROUNDS
    profile: bool = False
    live: list[str] = field(default_factory=lambda: list(LIVE_MEASURES))


@dataclass(frozen=True)
class WrkRun:
    """One run of wrk, as its ``--latency`` report gives it."""

    rps: float = 0.0
    requests: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    non_2xx: int = 0
    socket_errors: int = 0
    # The server's CPU time per answered request (all its processes), in microseconds: what
    # the app costs, nearly unchanged when other work on a shared machine slows the run.
    cpu_us: float = 0.0


def median_run(runs: list[WrkRun]) -> WrkRun:
    """Rates and latencies: the median run's; counts: all runs together."""
    return WrkRun(
        rps=statistics.median(r.rps for r in runs),
        requests=sum(r.requests for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        non_2xx=sum(r.non_2xx for r in runs),
        socket_errors=sum(r.socket_errors for r in runs),
        cpu_us=statistics.median(r.cpu_us for r in runs),
    )


@dataclass(frozen=True)
class Cell:
    """One app on one server under load on one endpoint."""

    app: str  # adapter, bare, plain or raw
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
    cpu_us: float = 0.0  # the server's CPU time per request (0: not measured)

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
            cpu_us=run.cpu_us,
        )


@dataclass(frozen=True)
class Ratio:
    """GET /hello, adapter against bare, from rounds that measured the two one after the other;
    and against plain, measured in the same rounds.

    ``rounds`` holds each round's adapter / bare; ``ratio`` is their median, so drift on a
    shared machine between rounds cancels out. ``plain_ratio`` (adapter / plain) and
    ``bare_plain`` (bare / plain) are medians of the rounds' ratios too.
    """

    framework: str
    server: str
    ratio: float
    rounds: list[float]
    adapter_rps: float
    bare_rps: float
    raw_rps: float  # 0 where the server has no raw baseline (Sanic's own)
    # bare's CPU per request / the adapter's (median of the rounds): the same ratio measured
    # by what each request costs the server rather than by how many it answered
    cpu_ratio: float = 0.0
    adapter_cpu_us: float = 0.0
    bare_cpu_us: float = 0.0
    same_answer: bool = True  # status, body and headers (but the date and framing) byte for byte
    plain_rps: float = 0.0  # 0: no plain baseline measured
    plain_ratio: float = 0.0
    bare_plain: float = 0.0  # what the adapter's libraries and structure cost, as a ratio
    bare_plain_rounds: list[float] = field(default_factory=list)
    plain_cpu_us: float = 0.0
    plain_same_answer: bool = True  # plain's answer against the adapter's, as same_answer


@dataclass(frozen=True)
class LiveRun:
    """One run of the live routes' load process: what it counted (round trips or events) over
    its measured span, and the CPU time each side spent in it."""

    rate: float = 0.0  # counted a second
    count: int = 0
    seconds: float = 0.0
    cpu_us: float = 0.0  # the server's CPU time per round trip or event, in microseconds
    server_cpu: float = 0.0  # the server's CPU time over the span, in cores (1.0: one busy)
    client_cpu: float = 0.0  # the load process's, likewise: near 1.0, the client was the limit
    errors: int = 0  # wrong echoes, or streams with another count of events

    @classmethod
    def of(
        cls, count: int, seconds: float, client_s: float, server_s: float, errors: int
    ) -> LiveRun:
        return cls(
            rate=round(count / seconds, 1) if seconds else 0.0,
            count=count,
            seconds=seconds,
            cpu_us=round(server_s / count * 1e6, 1) if count else 0.0,
            server_cpu=round(server_s / seconds, 2) if seconds else 0.0,
            client_cpu=round(client_s / seconds, 2) if seconds else 0.0,
            errors=errors,
        )


def median_live(runs: list[LiveRun]) -> LiveRun:
    """Rates and CPU: the median run's; counts: all runs together."""
    return LiveRun(
        rate=statistics.median(r.rate for r in runs),
        count=sum(r.count for r in runs),
        seconds=round(sum(r.seconds for r in runs), 3),
        cpu_us=statistics.median(r.cpu_us for r in runs),
        server_cpu=statistics.median(r.server_cpu for r in runs),
        client_cpu=statistics.median(r.client_cpu for r in runs),
        errors=sum(r.errors for r in runs),
    )


@dataclass(frozen=True)
class LiveCell:
    """One app on one server under one live load (:data:`~.endpoints.LIVE`): the median of
    its rounds."""

    app: str  # adapter, bare or raw
    framework: str  # "" for raw
    server: str
    measure: str  # echo-1, echo-100, events
    run: LiveRun = field(default_factory=LiveRun)
    rounds: list[float] = field(default_factory=list)  # each round's rate
    error: str = ""


@dataclass(frozen=True)
class LiveRatio:
    """A live load, adapter against bare, from rounds that measured the two one after the
    other: ``rounds`` holds each round's adapter / bare, ``ratio`` their median."""

    framework: str
    server: str
    measure: str
    ratio: float
    rounds: list[float]
    adapter_rate: float
    bare_rate: float
    raw_rate: float  # 0 where the server has no raw baseline (Sanic's own)
    cpu_ratio: float = 0.0  # bare's CPU per round trip or event / the adapter's (median)
    adapter_cpu_us: float = 0.0
    bare_cpu_us: float = 0.0
    # the subprotocol, a text's echo, a binary's, and GET /events?count=3 alike (the hello
    # aside: bare's has no about)
    same_answer: bool = True


@dataclass(frozen=True)
class IdleSockets:
    """The server's resident memory (every process of it) with idle WebSockets open, each past
    its handshake and hello, against before they opened; both read once the server idled."""

    app: str
    framework: str
    server: str
    sockets: int  # asked for
    opened: int = 0
    open_seconds: float = 0.0  # to open them all, 50 handshakes at a time
    rss_before_mb: float = 0.0
    rss_open_mb: float = 0.0
    delta_mb: float = 0.0
    kb_per_socket: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class Settled:
    """How long a server group took to be steady before it was measured."""

    server: str
    seconds: float  # from start to idle: ready, a small fit on each adapter, imports done
    steady: bool  # False: still busy at the time limit, measured anyway
    live: bool = False  # the group of the live routes' measurements


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
class ImportTime:
    """``python -X importtime -c "import <adapter>"``: what the adapter imports at start."""

    framework: str
    total_ms: float  # the adapter module's cumulative import time, app created
    top: list[tuple[str, float]]  # the largest top-level packages: name, cumulative ms
    scientific: list[str]  # NumPy, scikit-learn, matplotlib: those imported at start


@dataclass(frozen=True)
class LoopHealth:
    """GET /hello's p99 idle, then while four clients keep posting large fits."""

    idle_p99_ms: float
    busy_p99_ms: float
    ratio: float
    fit_body_mb: float
    fit_seconds_max: float
    fit_statuses: list[int]
    fits: int = 0  # fits answered during the busy run
    coef_sha256: str = ""  # of every fit's coefficients; "" if any two differed
    busy_requests: int = 0  # GET /hello answered while the fits ran


@dataclass(frozen=True)
class Stall:
    """The longest the event loop went without running a 2 ms ticker, at the default limits."""

    max_ms: float
    ticks: int
    over_10ms: int
    over_50ms: int
    fit_rows: int  # rows of 50 values in each fit: the largest the default limits accept
    fit_body_kb: float
    fits: int
    fit_statuses: list[int]


@dataclass(frozen=True)
class Sleeps:
    """Many concurrent GET /async-route?delay=1: async handlers should overlap.

    ``max_ms``: the slowest answer, timed by wrk from its request's send (the connections
    were open before); every request sleeps 1,000 ms.
    """

    requests: int
    answered: int
    max_ms: float
    errors: int


@dataclass(frozen=True)
class PlotTiming:
    """GET /plot: the first answer is drawn, the repeated ones cached."""

    first_ms: float
    cached_median_ms: float
    png_sha256: str = ""
    png_bytes: int = 0
    same_bytes_repeated: bool = True


@dataclass(frozen=True)
class Scaling:
    """One adapter with one worker and with two, neither pinned, wrk on the same two cores."""

    framework: str
    server: str
    rps_1: float
    rps_2: float
    rss_worker_mb_1: float  # resident memory of each worker, averaged, after the load
    rss_worker_mb_2: float
    rss_total_mb_2: float  # every process of the two-worker server, its supervisor too
    error: str = ""

    @property
    def gain(self) -> float:
        return self.rps_2 / self.rps_1 if self.rps_1 else 0.0


@dataclass(frozen=True)
class Profile:
    """py-spy flame graphs of an adapter and its bare app under the same wrk load."""

    framework: str
    server: str
    adapter_svg: str  # relative to the output folder
    bare_svg: str
    adapter_rps: float
    bare_rps: float
    top_adapter: list[tuple[str, float]]  # frames with the most samples, inclusive %
    top_bare: list[tuple[str, float]]
    error: str = ""


@dataclass
class Results:
    settings: Settings
    cells: list[Cell] = field(default_factory=list)
    ratios: list[Ratio] = field(default_factory=list)
    settled: list[Settled] = field(default_factory=list)
    cold_start: list[ColdStart] = field(default_factory=list)
    imports: dict[str, ImportTime] = field(default_factory=dict)  # by framework
    loop: dict[str, LoopHealth] = field(default_factory=dict)
    stall: dict[str, Stall] = field(default_factory=dict)
    sleeps: dict[str, Sleeps] = field(default_factory=dict)
    plot: dict[str, PlotTiming] = field(default_factory=dict)
    scaling: list[Scaling] = field(default_factory=list)
    profiles: list[Profile] = field(default_factory=list)
    live: list[LiveCell] = field(default_factory=list)
    live_ratios: list[LiveRatio] = field(default_factory=list)
    idle: list[IdleSockets] = field(default_factory=list)
    seconds: float = 0.0
