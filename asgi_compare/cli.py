"""``asgi-compare``: serve, prove, report, measure, bundle and compare the four adapters.

Examples::

    asgi-compare serve quart --port 8000 --root-path /px
    asgi-compare conformance --framework sanic -- -k items
    asgi-compare conformance --server all --mode all
    asgi-compare conformance --server uvicorn --proxy traefik --mode strip
    asgi-compare proxy-report
    asgi-compare bench --framework falcon --duration 5
    asgi-compare manifest quart
    asgi-compare side-by-side
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from asgi_compare.extras import require
from asgi_compare.harness import (
    FRAMEWORKS,
    PROXY_MODES,
    SERVERS,
    applies,
    entrypoint,
    server_command,
)


def cmd_serve(args: argparse.Namespace) -> int:
    require("serve", "serve")
    if not applies(args.framework, args.server):
        having = ", ".join(f for f in FRAMEWORKS if applies(f, args.server))
        raise SystemExit(
            f"asgi-compare serve: only {having} has a {args.server} server, not {args.framework}"
        )
    cmd, env = server_command(
        entrypoint(args.framework),
        args.server,
        host=args.host,
        port=args.port,
        root_path=args.root_path,
        workers=args.workers,
        lean=False,  # an operator watching the terminal wants the access log
    )
    shown = " ".join(f"{k}={v}" for k, v in env.items()) + " " + " ".join(cmd[2:])
    print("$", shown.strip(), flush=True)  # noqa: T201
    os.execve(cmd[0], cmd, {**os.environ, **env})
    return 0  # not reached: the server replaces this process


def cmd_conformance(args: argparse.Namespace) -> int:
    require("conformance", "test")
    import pytest

    # The suite's plugin, which defines --framework and the rest, loads only where asked for:
    # named here, before pytest parses those options.
    pytest_args = ["-p", "conformance_tests.plugin", "--pyargs", "conformance_tests"]
    pytest_args += ["-p", "no:cacheprovider"]
    for option in ("framework", "server", "mode", "proxy", "header"):
        for value in getattr(args, option) or ():
            pytest_args += [f"--{option}", value]
    if args.url:
        pytest_args += ["--url", args.url]
    if args.every_test:
        pytest_args += ["--every-test"]
    return int(pytest.main([*pytest_args, *args.pytest_args]))


def cmd_proxy_report(args: argparse.Namespace) -> int:
    import time

    # Your own app needs the servers and the probes' clients only; the four adapters, theirs.
    require("proxy-report", "report" if args.app else "serve")
    from asgi_compare import proxy_report

    start = time.monotonic()
    command = "asgi-compare proxy-report" + "".join(f" {a}" for a in args.argv)
    if args.app:
        return _proxy_report_app(args, command, start)
    servers = args.server
    out = args.out or Path("docs/proxy-report.md")
    page = args.html or Path("docs/proxy-report.html")
    rows = proxy_report.run(
        args.framework, servers, args.mode, progress=not args.quiet, proxies=args.proxy
    )
    meta = proxy_report.meta_for(command, time.monotonic() - start, servers, args.mode, args.proxy)
    proxy_report.write(rows, meta, out, page)
    print("probes passed behind each proxy and mode: native app . adapter")  # noqa: T201
    print(proxy_report.summary(rows))  # noqa: T201
    print(f"wrote {out}, {page} and {page.with_suffix('.json')}")  # noqa: T201
    broken = list(proxy_report.iter_failures(rows, "adapter"))
    for row in broken:
        print(  # noqa: T201
            f"adapter fails: {row.framework} {row.server} {row.proxy} {row.mode}",
            file=sys.stderr,
        )
    return 1 if broken else 0


# proxy-report's --server default, told apart by identity from the same list given.
_ALL_SERVERS = list(SERVERS)


def _proxy_report_app(args: argparse.Namespace, command: str, start: float) -> int:
    """``proxy-report --app``: the user's own app; exit 1 when any probe fails."""
    import time

    from asgi_compare import proxy_report

    # Sanic's own server serves Sanic apps only: not asked for, it is left out.
    servers = args.server
    if servers is _ALL_SERVERS:
        servers = [s for s in SERVERS if s != "native"]
    out = args.out or Path("proxy-report.md")
    page = args.html or Path("proxy-report.html")
    try:
        found, cells = proxy_report.run_app(
            args.app,
            servers=servers,
            proxies=args.proxy,
            modes=args.mode,
            paths=args.probe or (),
            websockets=args.probe_ws or (),
            subprotocols=args.ws_subprotocol or (),
            app_dir=args.app_dir,
            progress=not args.quiet,
        )
    except RuntimeError as exc:
        print(f"asgi-compare proxy-report: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    meta = proxy_report.meta_for(command, time.monotonic() - start, servers, args.mode, args.proxy)
    report = proxy_report.AppReport(args.app, found, tuple(args.probe or ()), cells, meta)
    proxy_report.write_app(report, out, page)
    print(proxy_report.summary_app(report))  # noqa: T201
    print(f"wrote {out}, {page} and {page.with_suffix('.json')}")  # noqa: T201
    return 1 if report.failed else 0


def cmd_bench(args: argparse.Namespace) -> int:
    require("bench", "serve")
    from asgi_compare import bench
    from asgi_compare.bench.render import write
    from asgi_compare.bench.run import run

    settings = bench.Settings(
        frameworks=args.framework,
        servers=args.server,
        endpoints=[e for e in args.endpoint if e != "none"],
        duration=args.duration,
        connections=args.connections,
        extras=[e for e in args.extras if e != "none"],  # "none" alone: no extras
        pin=not args.no_pin and (os.cpu_count() or 1) >= 2,
        rounds=args.rounds,
        profile=args.profile,
        live=[m for m in args.live if m != "none"],
    )

    def say(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)  # noqa: T201

    try:
        results = run(settings, say, args.out)
    except RuntimeError as exc:  # what it needs is missing: wrk, websockets
        print(f"asgi-compare bench: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    command = "asgi-compare bench" + "".join(f" {a}" for a in args.argv)
    write(results, args.out, command)
    print(f"wrote {args.out}/results.md, results.json and charts/ in {results.seconds:.0f} s")  # noqa: T201
    errors = [c.error for c in results.cells] + [c.error for c in results.live]
    return 1 if any(errors + [i.error for i in results.idle]) else 0


def cmd_manifest(args: argparse.Namespace) -> int:
    require("manifest", "connect")
    from asgi_compare.manifest import write_bundle

    out = args.out or Path("deploy") / args.framework
    manifest = write_bundle(args.framework, out)
    print(f"wrote {manifest}")  # noqa: T201
    print(f"deploy with: rsconnect deploy manifest {manifest}")  # noqa: T201
    return 0


def cmd_side_by_side(args: argparse.Namespace) -> int:
    require("side-by-side", "guide")
    from asgi_compare.side_by_side import write

    write(args.out, args.html)
    print(f"wrote {args.out} and {args.html}")  # noqa: T201
    return 0


def _list(allowed: tuple[str, ...]) -> Callable[[str], list[str]]:
    def parse(value: str) -> list[str]:
        chosen = [v.strip() for v in value.split(",") if v.strip()]
        if chosen == ["all"]:
            return list(allowed)
        unknown = [v for v in chosen if v not in allowed]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"unknown {', '.join(unknown)}; choose from {', '.join(allowed)} or all"
            )
        return chosen

    return parse


def _add_lists(parser: argparse.ArgumentParser, *options: tuple[str, tuple[str, ...]]) -> None:
    """Comma-separated choices, all of them by default."""
    for option, allowed in options:
        parser.add_argument(
            option,
            type=_list(allowed),
            default=list(allowed),
            help=f"comma-separated, from {', '.join(allowed)} (default: all)",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asgi-compare",
        description="One web API on FastAPI, Quart, Falcon and Sanic: serve an adapter, prove "
        "the four answer every request alike (in-process, on real servers behind nginx, or at a "
        "deployed URL), report what each framework does behind a proxy, measure their speed, "
        "bundle one for Posit Connect, and show them side by side. `asgi-compare COMMAND "
        "--help` explains each command.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="serve one adapter with a real ASGI server",
        description="Serve one adapter by its entrypoint (<framework>_app.app:app).",
    )
    serve.add_argument("framework", choices=FRAMEWORKS, help="the adapter to serve")
    serve.add_argument(
        "--server",
        choices=SERVERS,
        default="uvicorn",
        help="default: uvicorn; native is Sanic's own server (sanic only)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="default: 8000")
    serve.add_argument(
        "--root-path",
        default="",
        help="the prefix a proxy serves the app under, given to the server's own option "
        "(Sanic's server has none: the app is told by ASGI_COMPARE_ROOT_PATH); see "
        "docs/proxy.md for which to use behind which proxy",
    )
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    serve.set_defaults(func=cmd_serve)

    from asgi_compare.harness import PROXIES

    conf = sub.add_parser(
        "conformance",
        help="run the conformance suite and print a per-framework summary",
        description="Run the conformance suite against the adapters: in-process by default, "
        "or on real servers reached directly or behind real proxies (--server, --mode, "
        "--proxy), or against a deployment "
        "(--url). Arguments after -- go to pytest (e.g. -- -k items -x).",
    )
    conf.add_argument(
        "--framework",
        action="append",
        choices=FRAMEWORKS,
        help="test this adapter only (repeatable; default: all four)",
    )
    conf.add_argument(
        "--server",
        action="append",
        help="asgi (in-process, the default), uvicorn, hypercorn, granian, native (Sanic's own "
        "server), or all; repeatable or comma-separated",
    )
    conf.add_argument(
        "--mode",
        action="append",
        help="for real servers: none (reached directly; the default), strip, forwarded, keep, "
        "or all; modes other than none run a real proxy in front",
    )
    conf.add_argument(
        "--proxy",
        action="append",
        help=f"the proxies in front of the servers in those modes: {', '.join(PROXIES)} "
        "(default: nginx), or all; NAME@SERVER for one server only (e.g. all@uvicorn); "
        "without --mode, every mode each proxy has",
    )
    conf.add_argument(
        "--every-test",
        action="store_true",
        help="run every test behind every proxy: by default what the app alone decides (its "
        "validation, its state, the adapters compared) runs behind nginx on uvicorn only, and "
        "behind every proxy what a proxy can change",
    )
    conf.add_argument(
        "--url",
        help="test an already-running deployment (e.g. on Posit Connect) instead; its path is "
        "the prefix",
    )
    conf.add_argument(
        "--header",
        action="append",
        help="a header for every request with --url, e.g. 'Authorization: Key ...' (repeatable)",
    )
    conf.add_argument("pytest_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    conf.set_defaults(func=cmd_conformance)

    report = sub.add_parser(
        "proxy-report",
        help="probe every framework (or your own app) x server x proxy x mode",
        description="Serve a minimal native app and the adapter of each framework on each "
        "server, directly and behind real proxies in each mode they support, probe what a "
        "deployer meets (routing, redirects, Location, the docs' spec URL, OpenAPI servers, "
        "root_path, URL building, a WebSocket, an event stream), and write a Markdown table, "
        "an HTML page with a summary grid and image, and JSON. Exits 1 when an adapter fails "
        "a probe (but for what a proxy declares it does to every app). With --app, do the "
        "same for your own ASGI app: what to probe is found in the app (its OpenAPI document, "
        "docs page, GET /, its WebSocket routes) and --probe, --probe-ws; each failure comes "
        "with its fix; exits 1 when any probe fails.",
    )
    _add_lists(report, ("--framework", FRAMEWORKS), ("--mode", PROXY_MODES))
    report.add_argument(
        "--server",
        type=_list(SERVERS),
        default=_ALL_SERVERS,
        help=f"comma-separated, from {', '.join(SERVERS)} (default: all; with --app, all "
        "but native, Sanic's own server)",
    )
    report.add_argument(
        "--proxy",
        type=_list(tuple(PROXIES)),
        default=["nginx"],
        help=f"comma-separated, from {', '.join(PROXIES)} (default: nginx); each in the "
        "modes it supports",
    )
    report.add_argument(
        "--app",
        metavar="MODULE:ATTR",
        help="report on this ASGI app instead of the four frameworks, e.g. main:app",
    )
    report.add_argument(
        "--app-dir",
        type=Path,
        metavar="DIR",
        help="import --app from DIR (before installed packages on the server's import path)",
    )
    report.add_argument(
        "--probe",
        action="append",
        metavar="PATH",
        help="with --app, also GET this path (repeatable), e.g. /health; one that answers "
        "text/event-stream is also probed for streaming unbuffered",
    )
    report.add_argument(
        "--probe-ws",
        action="append",
        metavar="PATH",
        help="with --app, also open a WebSocket at this path (repeatable), e.g. /ws; the "
        "WebSocket routes Starlette, FastAPI, Litestar and Quart list are found without it",
    )
    report.add_argument(
        "--ws-subprotocol",
        action="append",
        metavar="NAME",
        help="with --app, offer this subprotocol in each WebSocket handshake (repeatable, in "
        "order; default: none)",
    )
    report.add_argument(
        "--out",
        type=Path,
        help="the Markdown report (default: docs/proxy-report.md; with --app, proxy-report.md)",
    )
    report.add_argument(
        "--html",
        type=Path,
        help="the HTML page; JSON (and the summary image) go beside it (default: "
        "docs/proxy-report.html; with --app, proxy-report.html)",
    )
    report.add_argument("--quiet", action="store_true", help="no progress lines")
    report.set_defaults(func=cmd_proxy_report)

    from asgi_compare.bench.endpoints import ENDPOINTS, EXTRAS, IDLE, LIVE, LIVE_MEASURES, ROUNDS

    endpoints = (*ENDPOINTS, "none")
    extras = (*EXTRAS, "none")
    live = (*LIVE_MEASURES, "none")
    bench = sub.add_parser(
        "bench",
        help="measure the adapters on real servers, against bare, plain and raw baselines",
        description="Drive wrk against each adapter on each server (one worker, server and "
        "load generator pinned to different cores), with baselines in the same run: a raw ASGI "
        "app, and per framework a bare app (the adapter's libraries and structure, without core) "
        "and a plain one (the framework alone), in alternating rounds once the servers idle; "
        "then per adapter cold start and imports, GET /hello's p99 under concurrent fits, the "
        "event loop's longest stall, 200 concurrent sleeping requests, the plot, and one "
        "worker against two on every server. The live routes too, per adapter, bare app and raw "
        "app on every server: WebSocket echo round trips a second, events a second, and the "
        "server's memory with idle WebSockets open. Writes Markdown, JSON and charts (with "
        "--profile, py-spy flame graphs too). --endpoint none --extras none measures the live "
        "routes alone. Speed is reported, never asserted.",
    )
    _add_lists(
        bench,
        ("--framework", FRAMEWORKS),
        ("--server", SERVERS),
        ("--endpoint", endpoints),
        ("--extras", extras),
    )
    bench.set_defaults(endpoint=list(ENDPOINTS))  # all of them, not "none"
    bench.add_argument(
        "--live",
        type=_list(live),
        default=list(LIVE_MEASURES),
        help="the live routes' measurements, comma-separated, from "
        + ", ".join(f"{name} ({load.what})" for name, load in LIVE.items())
        + f", idle ({IDLE}), or none (default: all)",
    )
    bench.add_argument(
        "--duration",
        type=int,
        default=1,
        help="seconds per run of wrk and of each live load (default 1; GET /hello and the "
        "live loads run --rounds times per app)",
    )
    bench.add_argument(
        "--connections", type=int, default=32, help="wrk's open connections (default 32)"
    )
    bench.add_argument(
        "--rounds",
        type=int,
        default=ROUNDS,
        help=f"alternating rounds of GET /hello and of each live load per app (default {ROUNDS})",
    )
    bench.add_argument(
        "--profile",
        action="store_true",
        help="also record py-spy flame graphs of each adapter and its bare app on uvicorn "
        "(OUT/flame/*.svg)",
    )
    bench.add_argument("--no-pin", action="store_true", help="do not pin server and wrk to cores")
    bench.add_argument(
        "--out", type=Path, default=Path("bench-results"), help="default: bench-results/"
    )
    bench.add_argument("--quiet", action="store_true", help="no progress lines")
    bench.set_defaults(func=cmd_bench)

    manifest = sub.add_parser(
        "manifest",
        help="write a Posit Connect bundle and manifest.json for one adapter",
        description="Copy core/ and the adapter into a folder with a requirements.txt pinned "
        "to the versions installed here, and let rsconnect-python (offline) write its "
        "manifest.json, entrypoint <framework>_app.app:app.",
    )
    manifest.add_argument("framework", choices=FRAMEWORKS, help="the adapter to bundle")
    manifest.add_argument("--out", type=Path, help="the bundle folder (default: deploy/FRAMEWORK)")
    manifest.set_defaults(func=cmd_manifest)

    guide = sub.add_parser(
        "side-by-side",
        help="write the side-by-side guide: each endpoint in the four frameworks",
        description="Generate docs/side-by-side.md and a syntax-highlighted HTML page from the "
        "adapters' own source: for each endpoint the four handlers next to each other, then "
        "per framework how it does routing, validation, errors, sync and async work, docs and "
        "root_path.",
    )
    guide.add_argument("--out", type=Path, default=Path("docs/side-by-side.md"))
    guide.add_argument("--html", type=Path, default=Path("docs/side-by-side.html"))
    guide.set_defaults(func=cmd_side_by_side)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv[1:]
    if getattr(args, "pytest_args", None) and args.pytest_args[0] == "--":
        args.pytest_args = args.pytest_args[1:]
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
