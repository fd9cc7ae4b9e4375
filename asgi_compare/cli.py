"""``asgi-compare``: serve one adapter, or prove all four identical.

Examples::

    asgi-compare serve quart --port 8000 --root-path /px
    asgi-compare conformance
    asgi-compare conformance --framework sanic -- -k items
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

FRAMEWORKS = ("fastapi", "quart", "falcon", "sanic")
SERVERS = ("uvicorn", "hypercorn")


def entrypoint(framework: str) -> str:
    """The ASGI entrypoint every deployment uses, e.g. ``quart_app.app:app``."""
    return f"{framework}_app.app:app"


def server_command(
    framework: str, server: str, host: str, port: int, root_path: str, workers: int
) -> list[str]:
    app = entrypoint(framework)
    if server == "uvicorn":
        cmd = [sys.executable, "-m", "uvicorn", app, "--host", host, "--port", str(port)]
        if root_path:
            cmd += ["--root-path", root_path]
        return [*cmd, "--workers", str(workers)]
    cmd = [sys.executable, "-m", "hypercorn", app, "--bind", f"{host}:{port}"]
    if root_path:
        cmd += ["--root-path", root_path]
    return [*cmd, "--workers", str(workers)]


def cmd_serve(args: argparse.Namespace) -> int:
    cmd = server_command(
        args.framework, args.server, args.host, args.port, args.root_path, args.workers
    )
    print("$", " ".join(cmd[1:] if cmd[0] == sys.executable else cmd), flush=True)  # noqa: T201
    os.execv(cmd[0], cmd)
    return 0  # not reached: the server replaces this process


def cmd_conformance(args: argparse.Namespace) -> int:
    import pytest

    pytest_args = ["--pyargs", "conformance_tests", "-p", "no:cacheprovider"]
    for name in args.framework or ():
        pytest_args += ["--framework", name]
    return int(pytest.main([*pytest_args, *args.pytest_args]))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asgi-compare",
        description="One web API on FastAPI, Quart, Falcon and Sanic: serve it, or prove the "
        "four adapters answer every request alike.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="serve one adapter with a real ASGI server",
        description="Serve one adapter by its entrypoint (<framework>_app.app:app).",
    )
    serve.add_argument("framework", choices=FRAMEWORKS, help="the adapter to serve")
    serve.add_argument("--server", choices=SERVERS, default="uvicorn", help="default: uvicorn")
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="default: 8000")
    serve.add_argument(
        "--root-path",
        default="",
        help="the prefix a proxy serves the app under, passed to the server (e.g. /px)",
    )
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    serve.set_defaults(func=cmd_serve)

    conf = sub.add_parser(
        "conformance",
        help="run the conformance suite and print a per-framework summary",
        description="Run the conformance suite in-process against the adapters; arguments "
        "after -- go to pytest (e.g. -- -k items -x).",
    )
    conf.add_argument(
        "--framework",
        action="append",
        choices=FRAMEWORKS,
        help="test this adapter only (repeatable; default: all four)",
    )
    conf.add_argument("pytest_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    conf.set_defaults(func=cmd_conformance)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "pytest_args", None) and args.pytest_args[0] == "--":
        args.pytest_args = args.pytest_args[1:]
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
