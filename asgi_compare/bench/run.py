"""The bench's plan and loop: which apps run side by side, in which order, measured how."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from asgi_compare.bench.endpoints import EXTRAS, IDLE_WEBSOCKETS, LIVE
from asgi_compare.bench.live import idle_sockets, live_client, live_run, safe_live_answer
from asgi_compare.bench.load import wrk_binary
from asgi_compare.bench.measure import (
    FAILURES,
    Answer,
    answer,
    cell,
    cold_start,
    concurrent_sleeps,
    deployment,
    hello,
    import_time,
    loop_health,
    peak_rss_mb,
    plot_timing,
    profile,
    scaling,
    settle,
    stall,
    warm,
)
from asgi_compare.bench.results import (
    Cell,
    LiveCell,
    LiveRatio,
    LiveRun,
    Ratio,
    Results,
    Settings,
    Settled,
    WrkRun,
    median_live,
    median_run,
)
from asgi_compare.harness import AppKind, Deployment, applies, entrypoint
from asgi_compare.live_load import raise_file_limit

App = tuple[AppKind, str]  # (adapter, a baseline or raw; framework, "" for raw)
# Each framework's baselines, served beside its adapter and measured in the same rounds, in
# this order before it: bare last, so that the goal's pair runs one right after the other.
BASELINES: tuple[AppKind, ...] = ("plain", "bare")
EXTRAS_HOST = "uvicorn"  # one server is enough for what depends on the framework
WARM_LOAD = 1.0  # seconds of GET /hello per app once its server idles, before the rounds
WARM_LIVE = 0.5  # seconds of each live load per app once its server idles, before the rounds
# The apps whose live routes are measured: the plain baselines have none.
LIVE_APPS: tuple[AppKind, ...] = ("raw", "bare", "adapter")


def groups(settings: Settings) -> list[tuple[str, list[App]]]:
    """Per server: the apps served side by side, the raw baseline first."""
    out = []
    for server in settings.servers:
        apps: list[App] = [] if server == "native" else [("raw", "")]
        for framework in settings.frameworks:
            if applies(framework, server):
                apps += [*((kind, framework) for kind in BASELINES), ("adapter", framework)]
        out.append((server, apps))
    return out


def live_groups(settings: Settings) -> list[tuple[str, list[App]]]:
    """Per server: the apps whose live routes are measured side by side, the raw app first,
    then each framework's bare app and its adapter."""
    return [(server, [a for a in apps if a[0] in LIVE_APPS]) for server, apps in groups(settings)]


class Progress:
    """One line per measurement: how many of the planned are done, and the time so far."""

    def __init__(self, total: int, say: Callable[[str], None]) -> None:
        self.total, self.done, self.say = total, 0, say
        self.began = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.began

    def __call__(self, what: str, result: str) -> None:
        self.done += 1
        width = len(str(self.total))
        self.say(f"[{self.done:>{width}}/{self.total}] {self.elapsed:5.0f}s  {what:<34}{result}")

    def note(self, line: str) -> None:
        self.say(f"{'':>{2 * len(str(self.total)) + 3}} {self.elapsed:5.0f}s  {line}")


def planned(settings: Settings) -> int:
    """How many progress lines a run of ``settings`` prints."""
    plan = groups(settings)
    others = [e for e in settings.endpoints if e != "hello"]
    total = sum(
        (len(apps) if "hello" in settings.endpoints else 0)
        + sum(app == "adapter" for app, _ in apps) * len(others)
        for _, apps in plan
    )
    live = [m for m in settings.live if m in LIVE] + [m for m in settings.live if m == "idle"]
    total += sum(len(apps) * len(live) for _, apps in live_groups(settings))
    per_framework = [e for e in settings.extras if e in EXTRAS and e != "scaling"]
    total += len(settings.frameworks) * len(per_framework)
    if "scaling" in settings.extras:
        total += sum(applies(f, s) for f in settings.frameworks for s in settings.servers)
    return total + (len(profiled(settings)) if settings.profile else 0)


def profiled(settings: Settings) -> list[tuple[str, str]]:
    """Flame graphs on uvicorn for every framework, and on a framework's own server."""
    own = [(f, "native") for f in settings.frameworks if applies(f, "native")]
    return [(f, "uvicorn") for f in settings.frameworks] + own


def run(settings: Settings, say: Callable[[str], None], out: Path | None = None) -> Results:
    """GET /hello on every server: all apps of a server run side by side, idle but one, and
    are measured in alternating rounds once the servers idle (median of ``rounds``), so drift
    on a shared machine hits every app alike; the adapters' other endpoints follow, once each.
    Then per framework the extras, the scaling and, with ``settings.profile``, flame graphs
    into ``out``."""
    if settings.endpoints or settings.extras or settings.profile:
        wrk_binary()  # no wrk: fail before starting anything
    if settings.live:
        live_client()
    results = Results(settings)
    progress = Progress(planned(settings), say)
    with tempfile.TemporaryDirectory(prefix="asgi-compare-bench-") as tmp:
        workdir = Path(tmp)
        if settings.endpoints:
            for server, apps in groups(settings):
                _cells(results, server, apps, workdir, progress)
        if settings.live:
            if "idle" in settings.live:
                # The servers started from now on inherit the limit; where the hard limit is
                # lower, each idle measurement says so.
                limit = raise_file_limit(IDLE_WEBSOCKETS)
                if limit:
                    progress.note(f"! {limit}")
            for server, apps in live_groups(settings):
                _live(results, server, apps, workdir, progress)
        for framework in settings.frameworks:
            _extras(results, framework, workdir, progress)
        if "scaling" in settings.extras:
            for server in settings.servers:
                frameworks = [f for f in settings.frameworks if applies(f, server)]
                for got in scaling(frameworks, server, settings, workdir) if frameworks else []:
                    results.scaling.append(got)
                    progress(
                        f"scaling {got.framework}/{server}",
                        f"error: {got.error}"
                        if got.error
                        else f"1 worker {got.rps_1:,.0f} req/s, 2: {got.rps_2:,.0f} "
                        f"(x{got.gain:.2f}); RSS/worker {got.rss_worker_mb_1} MB, "
                        f"{got.rss_worker_mb_2} MB",
                    )
        if settings.profile:
            folder = out or Path("bench-results")
            for framework, server in profiled(settings):
                got_profile = profile(framework, server, settings, folder, workdir)
                results.profiles.append(got_profile)
                progress(
                    f"profile {framework}/{server}",
                    f"error: {got_profile.error}"
                    if got_profile.error
                    else f"{got_profile.adapter_svg}, {got_profile.bare_svg}",
                )
    results.seconds = progress.elapsed
    return results


def _cells(
    results: Results, server: str, apps: list[App], workdir: Path, progress: Progress
) -> None:
    """Every cell of one server, each reported as soon as it is measured."""
    settings = results.settings
    deployments = {a: deployment(*a, server, workdir, settings.pin) for a in apps}

    def measured(c: Cell) -> None:
        results.cells.append(c)
        progress(
            f"{c.app:<8}{c.framework or '-':<9}{c.server:<10}{c.endpoint}",
            f"error: {c.error}" if c.error else f"{c.rps:>9,.0f} req/s  p99 {c.p99_ms:7.2f} ms",
        )

    try:
        began = time.perf_counter()
        for d in deployments.values():
            d.start()
        for (app, _), d in deployments.items():
            d.wait_ready(path="/hello", timeout=60)
            if app == "adapter":  # the state of a used app: its scientific stack loaded
                warm(d)
        _, steady = settle(list(deployments.values()))
        waited = round(time.perf_counter() - began, 1)
        results.settled.append(Settled(server, waited, steady))
        note = "" if steady else " (still busy at the time limit)"
        progress.note(f"{server}: {len(apps)} servers started and idle after {waited} s{note}")
        for d in deployments.values():
            hello(d, settings, workdir, WARM_LOAD)
        if "hello" in settings.endpoints:
            _hello_rounds(results, server, deployments, workdir, measured)
        for (app, _), d in deployments.items():
            if app == "adapter":
                for name in settings.endpoints:
                    if name != "hello":
                        measured(cell(d, app, name, settings, workdir))
    except FAILURES as exc:
        progress.note(f"! {server}: {exc}")
    finally:
        for d in deployments.values():
            d.stop()


def _hello_rounds(
    results: Results,
    server: str,
    deployments: dict[App, Deployment],
    workdir: Path,
    measured: Callable[[Cell], None],
) -> None:
    """Rounds of GET /hello over every app, forwards then backwards, so that an adapter and
    its bare app are measured one right after the other, each first in every other round, and
    its plain app in the same rounds."""
    settings = results.settings
    apps = list(deployments)
    rounds: dict[App, list[WrkRun]] = {a: [] for a in apps}
    for r in range(settings.rounds):
        for a in apps if r % 2 == 0 else apps[::-1]:
            rounds[a].append(hello(deployments[a], settings, workdir, settings.duration))
    for (app, framework), runs in rounds.items():
        rss = peak_rss_mb(deployments[(app, framework)])
        measured(Cell.of(app, framework, server, "hello", median_run(runs), rss))
    raw = rounds.get(("raw", ""))
    for framework in settings.frameworks:
        kinds: tuple[AppKind, ...] = ("adapter", *BASELINES)
        of = {kind: rounds.get((kind, framework)) for kind in kinds}
        adapter, bare, plain = of["adapter"], of["bare"], of["plain"]
        if adapter is None or bare is None or plain is None:
            continue
        answers = {kind: _answer(deployments[(kind, framework)]) for kind in kinds}
        bare_plain = _per_round(bare, plain)
        cpu = [
            round(b.cpu_us / a.cpu_us, 3) if a.cpu_us else 0.0
            for a, b in zip(adapter, bare, strict=True)
        ]
        each = _per_round(adapter, bare)
        results.ratios.append(
            Ratio(
                framework,
                server,
                ratio=round(statistics.median(each), 2),
                rounds=each,
                adapter_rps=median_run(adapter).rps,
                bare_rps=median_run(bare).rps,
                raw_rps=median_run(raw).rps if raw else 0.0,
                cpu_ratio=round(statistics.median(cpu), 2),
                adapter_cpu_us=median_run(adapter).cpu_us,
                bare_cpu_us=median_run(bare).cpu_us,
                same_answer=_same(answers, "bare"),
                plain_rps=median_run(plain).rps,
                plain_ratio=round(statistics.median(_per_round(adapter, plain)), 2),
                bare_plain=round(statistics.median(bare_plain), 2),
                bare_plain_rounds=bare_plain,
                plain_cpu_us=median_run(plain).cpu_us,
                plain_same_answer=_same(answers, "plain"),
            )
        )


def _per_round(a: list[WrkRun], b: list[WrkRun]) -> list[float]:
    """Each round's requests per second of ``a`` over ``b``'s."""
    return [round(x.rps / y.rps, 3) if y.rps else 0.0 for x, y in zip(a, b, strict=True)]


def _answer(d: Deployment) -> Answer | None:
    try:
        return answer(d)
    except FAILURES:
        return None


def _same(answers: dict[AppKind, Answer | None], baseline: AppKind) -> bool:
    """Whether ``baseline`` answered GET /hello as the adapter did (neither failing)."""
    return answers["adapter"] is not None and answers[baseline] == answers["adapter"]


def _live(
    results: Results, server: str, apps: list[App], workdir: Path, progress: Progress
) -> None:
    """The live routes of every app of one server: all started at once and, once they idle,
    each load in alternating rounds as GET /hello; then each app's memory with idle
    WebSockets, one app after the other."""
    settings = results.settings
    loads = [m for m in settings.live if m in LIVE]
    deployments = {a: deployment(*a, server, workdir, settings.pin) for a in apps}

    def measured(c: LiveCell) -> None:
        results.live.append(c)
        unit = LIVE[c.measure].unit
        progress(
            f"{c.app:<8}{c.framework or '-':<9}{c.server:<10}{c.measure}",
            f"error: {c.error}"
            if c.error
            else f"{c.run.rate:>9,.0f} {unit}/s  CPU {c.run.cpu_us:,.0f} µs each; cores: "
            f"server {c.run.server_cpu:.2f}, client {c.run.client_cpu:.2f}",
        )

    try:
        began = time.perf_counter()
        for d in deployments.values():
            d.start()
        for (app, _), d in deployments.items():
            d.wait_ready(path="/hello", timeout=60)
            if app == "adapter":
                warm(d)
        _, steady = settle(list(deployments.values()))
        waited = round(time.perf_counter() - began, 1)
        results.settled.append(Settled(server, waited, steady, live=True))
        note = "" if steady else " (still busy at the time limit)"
        progress.note(f"{server}: {len(apps)} servers started and idle after {waited} s{note}")
        for d in deployments.values():
            for name in loads:
                try:
                    live_run(d, name, WARM_LIVE, settings.pin)
                except FAILURES:
                    pass  # the rounds run it again, and report what fails
        if loads:
            _live_rounds(results, server, deployments, loads, measured)
        if "idle" in settings.live:
            for (app, _), d in deployments.items():
                got = idle_sockets(d, app, settings.pin)
                results.idle.append(got)
                progress(
                    f"{app:<8}{d.framework if app != 'raw' else '-':<9}{server:<10}idle",
                    f"error: {got.error}"
                    if got.error
                    else f"{got.opened:,} WebSockets: RSS {got.rss_before_mb} to "
                    f"{got.rss_open_mb} MB (+{got.delta_mb} MB, {got.kb_per_socket} KB each)",
                )
    except FAILURES as exc:
        progress.note(f"! {server}: {str(exc).splitlines()[0][:300]}")
    finally:
        for d in deployments.values():
            d.stop()


def _live_rounds(
    results: Results,
    server: str,
    deployments: dict[App, Deployment],
    loads: list[str],
    measured: Callable[[LiveCell], None],
) -> None:
    """Each load in rounds over every app, forwards then backwards (as GET /hello's), after
    checking that each bare app answers the live routes as its adapter does."""
    settings = results.settings
    apps = list(deployments)
    answers = {a: safe_live_answer(d) for a, d in deployments.items() if a[0] != "raw"}
    for name in loads:
        runs: dict[App, list[LiveRun]] = {a: [] for a in apps}
        errors: dict[App, str] = {}
        for r in range(settings.rounds):
            for a in apps if r % 2 == 0 else apps[::-1]:
                if a in errors:
                    continue
                try:
                    runs[a].append(live_run(deployments[a], name, settings.duration, settings.pin))
                except FAILURES as exc:
                    errors[a] = str(exc).splitlines()[0][:200]
        for (app, framework), got in runs.items():
            error = errors.get((app, framework), "")
            run = median_live(got) if got and not error else LiveRun()
            measured(LiveCell(app, framework, server, name, run, [x.rate for x in got], error))
        raw = runs.get(("raw", ""))
        for framework in settings.frameworks:
            adapter, bare = runs.get(("adapter", framework)), runs.get(("bare", framework))
            failed = {("adapter", framework), ("bare", framework)} & set(errors)
            if not adapter or not bare or failed:
                continue
            each = [
                round(a.rate / b.rate, 3) if b.rate else 0.0
                for a, b in zip(adapter, bare, strict=True)
            ]
            cpu = [
                round(b.cpu_us / a.cpu_us, 3) if a.cpu_us else 0.0
                for a, b in zip(adapter, bare, strict=True)
            ]
            said = answers.get(("adapter", framework))
            results.live_ratios.append(
                LiveRatio(
                    framework,
                    server,
                    name,
                    ratio=round(statistics.median(each), 2),
                    rounds=each,
                    adapter_rate=median_live(adapter).rate,
                    bare_rate=median_live(bare).rate,
                    raw_rate=median_live(raw).rate if raw and ("raw", "") not in errors else 0.0,
                    cpu_ratio=round(statistics.median(cpu), 2),
                    adapter_cpu_us=median_live(adapter).cpu_us,
                    bare_cpu_us=median_live(bare).cpu_us,
                    same_answer=said is not None
                    and "error" not in said
                    and said == answers.get(("bare", framework)),
                )
            )


def _extras(results: Results, framework: str, workdir: Path, progress: Progress) -> None:
    """Cold start, imports, loop health, sleeps and the plot on one server; then the longest
    stall of the loop at the default limits, behind the ticker."""
    settings, extras = results.settings, results.settings.extras

    def attempt(what: str, measure: Callable[[], str]) -> None:
        try:
            line = measure()
        except FAILURES as exc:
            line = f"error: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}"
        progress(f"{what} {framework}/{EXTRAS_HOST}", line)

    def cold() -> str:
        got = cold_start(framework, EXTRAS_HOST, settings, workdir)
        results.cold_start.append(got)
        return f"median {got.median:.3f} s of " + ", ".join(f"{t:.2f}" for t in got.seconds)

    def imports() -> str:
        got = results.imports[framework] = import_time(framework)
        return (
            f"{got.total_ms:.0f} ms: "
            + ", ".join(f"{name} {ms:.0f}" for name, ms in got.top)
            + f"; scientific: {', '.join(got.scientific) or 'none'}"
        )

    if "cold" in extras:
        attempt("cold start", cold)
    if "imports" in extras:
        attempt("imports", imports)
    served = [e for e in ("loop", "async", "plot") if e in extras]
    if served:
        d = deployment("adapter", framework, EXTRAS_HOST, workdir, settings.pin)
        try:
            d.start()
            d.wait_ready(path="/hello", timeout=60)
            warm(d)
            settle([d])
        except FAILURES as exc:
            d.stop()
            for e in served:
                progress(f"{e} {framework}/{EXTRAS_HOST}", f"error: {str(exc).splitlines()[0]}")
            served = []

        def loop() -> str:
            got = results.loop[framework] = loop_health(d, settings, workdir)
            return (
                f"p99 idle {got.idle_p99_ms:.2f} ms, busy {got.busy_p99_ms:.2f} ms "
                f"(x{got.ratio}); {got.fits} fits {got.fit_statuses}, "
                f"coef {got.coef_sha256 or 'DIFFER'}"
            )

        def sleeps() -> str:
            got = results.sleeps[framework] = concurrent_sleeps(d, settings, workdir)
            return f"{got.answered}/{got.requests} answered, slowest {got.max_ms} ms"

        def plot() -> str:
            got = results.plot[framework] = plot_timing(d)
            return (
                f"first {got.first_ms} ms, repeated {got.cached_median_ms} ms, png {got.png_sha256}"
            )

        try:
            for e in served:
                attempt(e, {"loop": loop, "async": sleeps, "plot": plot}[e])
        finally:
            d.stop()
    if "stall" in extras:
        attempt("stall", lambda: _stall(results, framework, workdir))


def _stall(results: Results, framework: str, workdir: Path) -> str:
    """The adapter behind the ticker, at the default limits (no raised limits in its env)."""
    env = {"ASGI_COMPARE_BENCH_APP": entrypoint(framework)}
    d = deployment(
        "adapter",
        framework,
        EXTRAS_HOST,
        workdir,
        results.settings.pin,
        env=env,
        entry="asgi_compare.bench_apps.ticker:app",
    )
    try:
        d.start()
        d.wait_ready(path="/hello", timeout=60)
        warm(d)
        settle([d])
        got = results.stall[framework] = stall(d, results.settings.pin)
    finally:
        d.stop()
    return (
        f"longest {got.max_ms} ms; {got.over_10ms} over 10 ms; "
        f"{got.fits} fits of {got.fit_rows} x 50 {got.fit_statuses}"
    )
