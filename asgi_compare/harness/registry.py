"""What the project serves and how: frameworks, servers, proxy modes, entrypoints.

Every other module (the CLI, the bench, the proxy report, the suite, the bundle writer) reads
these names from here, so a fifth framework or server is one edit.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Literal, get_args

FRAMEWORKS = ("fastapi", "quart", "falcon", "sanic")
REFERENCE = "fastapi"  # its answers are the reference where the contract is silent
SERVERS = ("uvicorn", "hypercorn", "granian", "native")  # native: a framework's own server
PROXY_MODES = ("none", "strip", "forwarded", "keep")  # see docs/proxy.md
PREFIX = "/prefix"  # the prefix a proxy serves an app under

# Frameworks that ship a server of their own, served by ``native``.
NATIVE_SERVER = frozenset({"sanic"})

# The distributions each adapter needs besides the rest of the apps extra: a Posit Connect
# bundle for one adapter leaves out the other three's.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "fastapi": ("fastapi",),
    "quart": ("quart", "quart-schema"),
    "falcon": ("falcon",),
    "sanic": ("sanic", "sanic-ext"),
}

# The distribution each ASGI server comes in (native: the framework's own).
SERVER_DISTRIBUTIONS = ("uvicorn", "hypercorn", "granian")

AppKind = Literal["adapter", "native", "bare", "plain", "raw"]


def installed_versions(*extra: str) -> dict[str, str]:
    """The installed versions of what a result depends on: every framework with its libraries,
    every server, and ``extra`` distributions; recorded beside each report and benchmark. What
    is not installed is left out (a report on your own app, installed without the adapters)."""
    names = [*(d for f in FRAMEWORKS for d in DISTRIBUTIONS[f]), *SERVER_DISTRIBUTIONS, *extra]
    found: dict[str, str] = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def applies(framework: str, server: str) -> bool:
    """ASGI servers serve every adapter; ``native`` only a framework with a server of its own."""
    return server != "native" or framework in NATIVE_SERVER


def entrypoint(framework: str, kind: AppKind = "adapter") -> str:
    """The ``module:attribute`` a server loads.

    ``adapter``: the project's app; ``native``: the same few routes written the way the
    framework's docs teach, unaware of proxies (the proxy report's baseline); ``bare`` and
    ``plain``: GET /hello only, with the adapter's libraries and structure or with the framework
    alone (the bench's baselines); ``raw``: a plain ASGI callable, framework ignored.
    """
    if kind == "raw":
        return "asgi_compare.bench_apps.raw:app"
    if framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; choose from {', '.join(FRAMEWORKS)}")
    if kind == "adapter":
        return f"{framework}_app.app:app"
    if kind == "native":
        return f"asgi_compare.native.{framework}_native:app"
    if kind in ("bare", "plain"):
        return f"asgi_compare.bench_apps.{framework}_{kind}:app"
    raise ValueError(f"unknown kind {kind!r}; choose from {', '.join(get_args(AppKind))}")
