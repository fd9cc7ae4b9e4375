"""``asgi-compare proxy-report --app`` on apps this project did not write, for real.

One server (uvicorn), nginx, modes strip and forwarded (one report nginx-default's strip
instead); every app's report runs at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs; types-jsonschema is no dependency
import pytest

from asgi_compare import cli
from asgi_compare.harness.proxies import nginx_binary
from asgi_compare.proxy_report.discover import websocket_routes

ROOT = Path(__file__).resolve().parent.parent
APPS = Path(__file__).resolve().parent / "apps"

# The Starlette sample has no OpenAPI document: its redirects are named, and its event stream.
STARLETTE_PATHS = ("--probe", "/login", "--probe", "/users", "--probe", "/events")
# Its WebSocket takes the last subprotocol offered: a proxy that chooses the first shows.
OFFERED = ("--ws-subprotocol", "one", "--ws-subprotocol", "two")
NGINX_DEFAULT = ("--proxy", "nginx-default", "--mode", "strip")
# What each report serves: the --app, and the rest of its command line.
REPORTS: dict[str, list[str]] = {
    "fastapi": ["--app", "asgi_compare.native.fastapi_native:app"],
    "falcon": ["--app", "asgi_compare.native.falcon_native:app"],
    "fastapi+mw": ["--app", "tests.apps.wrapped:fastapi"],
    "falcon+mw": ["--app", "tests.apps.wrapped:falcon"],
    "fastapi+root": ["--app", "tests.apps.wrapped:fastapi_rooted"],
    "starlette": [
        "--app",
        "starlette_sample:app",
        "--app-dir",
        str(APPS),
        *STARLETTE_PATHS,
        *OFFERED,
    ],
    "starlette@nginx-default": [
        "--app",
        "starlette_sample:app",
        "--app-dir",
        str(APPS),
        "--probe",
        "/events",
        *NGINX_DEFAULT,
    ],
    "starlette+mw": ["--app", "tests.apps.wrapped:starlette", *STARLETTE_PATHS],
    "litestar": ["--app", "litestar_sample:app", "--app-dir", str(APPS)],
    "litestar+mw": ["--app", "tests.apps.wrapped:litestar"],
    "no-docs": ["--app", "no_docs_sample:app", "--app-dir", str(APPS), "--probe", "/health"],
}

# The documented JSON (asgi_compare/proxy_report/render_app.py, docs/own-app.md).
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["schema", "app", "meta", "found", "probes", "cells", "failed"],
    "properties": {
        "schema": {"const": 2},
        "app": {"type": "string"},
        "failed": {"type": "boolean"},
        "probes": {"type": "object", "additionalProperties": {"type": "string"}},
        "cells": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["server", "proxy", "mode", "probes"],
                "properties": {
                    "server": {"type": "string"},
                    "proxy": {"type": "string"},
                    "mode": {"type": "string"},
                    "probes": {
                        "type": "object",
                        "minProperties": 1,
                        "additionalProperties": {
                            "type": "object",
                            "required": ["ok", "detail", "fix"],
                            "properties": {
                                "ok": {"type": ["boolean", "null"]},
                                "detail": {"type": "string"},
                                "fix": {"type": ["string", "null"]},
                            },
                        },
                    },
                },
            },
        },
    },
}

Report = tuple[int, dict[str, Any], Path]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    if nginx_binary() is None:
        pytest.fail("nginx is not installed: run `make test`, which installs it")
    out = tmp_path_factory.mktemp("own")

    def one(name: str) -> Report:
        md, page = out / f"{name}.md", out / f"{name}.html"
        argv = ["proxy-report", "--server", "uvicorn", "--proxy", "nginx"]
        argv += ["--mode", "strip,forwarded", *REPORTS[name]]  # its own --proxy, --mode last
        argv += ["--out", str(md), "--html", str(page), "--quiet"]
        code = cli.main(argv)
        return code, json.loads(page.with_suffix(".json").read_text()), md

    with ThreadPoolExecutor(4) as pool:
        return dict(zip(REPORTS, pool.map(one, REPORTS), strict=True))


def _probes(data: dict[str, Any], mode: str) -> dict[str, dict[str, Any]]:
    (cell,) = [c for c in data["cells"] if c["mode"] == mode]
    probes: dict[str, dict[str, Any]] = cell["probes"]
    return probes


def _all_probes(data: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for cell in data["cells"]:
        for name, p in cell["probes"].items():
            yield cell["mode"], name, p


@pytest.mark.parametrize("name", list(REPORTS))
def test_json_follows_the_documented_schema(reports: dict[str, Report], name: str) -> None:
    code, data, _ = reports[name]
    jsonschema.validate(data, SCHEMA)
    cells = {("uvicorn", "nginx", "strip"), ("uvicorn", "nginx", "forwarded")}
    if NGINX_DEFAULT[1] in REPORTS[name]:
        cells = {("uvicorn", "nginx-default", "strip")}
    assert {(c["server"], c["proxy"], c["mode"]) for c in data["cells"]} == cells
    failed = any(p["ok"] is False for _, _, p in _all_probes(data))
    assert data["failed"] is failed
    assert code == (1 if failed else 0)
    for _, _, p in _all_probes(data):
        assert (p["fix"] is not None) is (p["ok"] is False)  # a fix for every failure only


@pytest.mark.parametrize("framework", ["fastapi", "falcon"])
@pytest.mark.parametrize("mode", ["strip", "forwarded"])
def test_finds_the_failures_the_committed_report_shows(
    reports: dict[str, Report], framework: str, mode: str
) -> None:
    committed = json.loads((ROOT / "docs" / "proxy-report.json").read_text())
    (row,) = [
        r
        for r in committed["rows"]
        if (r["framework"], r["server"], r["proxy"], r["mode"], r["variant"])
        == (framework, "uvicorn", "nginx", mode, "native")
    ]
    native = {p["name"]: p for p in row["probes"]}
    own = _probes(reports[framework][1], mode)
    # The native apps' GET / redirects to the docs: the same request, the same verdict.
    assert own["root"]["ok"] is native["redirect"]["ok"]
    assert own["root"]["detail"] == native["redirect"]["seen"]
    for name in ("docs_spec", "servers"):
        if native[name]["ok"] is not None and own[name]["ok"] is not None:
            assert own[name]["ok"] is native[name]["ok"], name


def test_fastapi_redirect_loses_the_prefix_behind_nginx_strip(reports: dict[str, Report]) -> None:
    code, data, md = reports["fastapi"]
    root = _probes(data, "strip")["root"]
    assert (root["ok"], root["detail"]) == (False, "307 /docs")
    assert "PrefixMiddleware(app)" in root["fix"] and "proxy_redirect / /prefix/;" in root["fix"]
    assert code == 1
    assert "| uvicorn | nginx | strip | ✓ | ✗ `307 /docs` |" in md.read_text()


@pytest.mark.parametrize("app", ["fastapi", "falcon", "starlette", "litestar"])
def test_wrapped_apps_pass_every_probe_the_middleware_fixes(
    reports: dict[str, Report], app: str
) -> None:
    _, bare, _ = reports[app]
    _, wrapped, _ = reports[f"{app}+mw"]
    fixable = [
        (mode, name)
        for mode, name, p in _all_probes(bare)
        if p["ok"] is False and "PrefixMiddleware" in p["fix"]
    ]
    assert fixable, f"{app} fails nothing the middleware fixes"
    for mode, name in fixable:
        assert _probes(wrapped, mode)[name]["ok"] is True, (mode, name)
    # Wrapping breaks nothing that passed.
    for mode, name, p in _all_probes(bare):
        if p["ok"] is True:
            assert _probes(wrapped, mode)[name]["ok"] is True, (mode, name)


def test_an_app_without_openapi_or_root_still_runs_its_probes(reports: dict[str, Report]) -> None:
    code, data, _ = reports["no-docs"]
    assert data["found"] == {
        "spec": None,
        "docs": None,
        "route": None,
        "redirect": None,
        "root": False,
        "paths": ["/health"],
        "websockets": {},  # a plain ASGI app lists no routes
        "websockets_listed": "no route list of Starlette, FastAPI, Litestar or Quart",
        "subprotocols": [],
        "streams": [],
    }
    for cell in data["cells"]:
        for name in ("route", "root", "redirect", "docs_spec", "servers"):
            assert cell["probes"][name]["ok"] is None  # n/a, never a pass
    # A raw ASGI app routes on the path as it is: uvicorn's --root-path puts the prefix in.
    health = _probes(data, "strip")["GET /health"]
    assert (health["ok"], health["detail"]) == (False, "404")
    assert "path_includes_root=False" in health["fix"]
    assert _probes(data, "forwarded")["GET /health"]["ok"] is True
    assert code == 1


def test_discovery_reads_the_openapi_document(reports: dict[str, Report]) -> None:
    found = reports["litestar"][1]["found"]
    assert (found["spec"], found["docs"]) == ("/schema/openapi.json", "/schema")
    assert (found["route"], found["redirect"]) == ("/books", "/library")
    found = reports["fastapi"][1]["found"]
    assert (found["spec"], found["docs"], found["route"]) == ("/openapi.json", "/docs", "/about")
    assert found["redirect"] == "/about/"  # Starlette's trailing-slash redirect


def test_an_app_configured_with_the_prefix_passes(reports: dict[str, Report]) -> None:
    # Served directly it already gives out /prefix/docs: behind the proxy that is expected.
    code, data, _ = reports["fastapi+root"]
    assert data["found"]["spec"] == "/prefix/openapi.json"
    assert all(p["ok"] is True for _, _, p in _all_probes(data))
    assert code == 0


def test_websocket_routes_are_found_in_the_app_and_its_stream_is_probed(
    reports: dict[str, Report],
) -> None:
    # FastAPI's APIWebSocketRoute in app.routes; a route in a Starlette Mount; Quart's url map
    # is read the same way (discover.websocket_routes), and Litestar's routes.
    assert reports["fastapi"][1]["found"]["websockets"] == {"/ws": "101"}
    found = reports["starlette"][1]["found"]
    assert found["websockets"] == {"/live/echo": "101 two"}
    assert found["subprotocols"] == ["one", "two"] and found["streams"] == ["/events"]
    assert reports["litestar"][1]["found"]["websockets"] == {}
    for mode in ("strip", "forwarded"):
        probes = _probes(reports["starlette"][1], mode)
        assert probes["WS /live/echo"] == {"ok": True, "detail": "101 two", "fix": None}
        assert probes["stream GET /events"]["ok"] is True, probes["stream GET /events"]
        assert probes["GET /events"]["ok"] is True


def test_behind_nginx_default_the_websocket_fails_with_the_upgrade_lines(
    reports: dict[str, Report],
) -> None:
    code, data, md = reports["starlette@nginx-default"]
    ws = _probes(data, "strip")["WS /live/echo"]
    assert (ws["ok"], ws["detail"]) == (False, "HTTP 404 (directly 101)")
    assert "map $http_upgrade $connection_upgrade" in ws["fix"]
    assert "proxy_set_header Upgrade $http_upgrade;" in ws["fix"]
    assert "proxy_set_header Connection $connection_upgrade;" in ws["fix"]
    assert _probes(data, "strip")["stream GET /events"]["ok"] is True
    assert code == 1 and "### uvicorn behind nginx-default (strip)" in md.read_text()


def test_websocket_routes_are_read_where_each_framework_lists_them() -> None:
    assert websocket_routes("asgi_compare.native.quart_native:app") == (
        ("/ws",),
        "Quart's url_map (websocket rules)",
    )
    assert websocket_routes("starlette_sample:app", APPS)[0] == ("/live/echo",)  # in a Mount
    assert websocket_routes("tests.apps.wrapped:fastapi")[0] == ("/ws",)  # through .app
    assert websocket_routes("asgi_compare.native.falcon_native:app") == (
        (),
        "no route list of Starlette, FastAPI, Litestar or Quart",
    )
    paths, why = websocket_routes("no_such_module:app")
    assert paths == () and why.startswith("not imported here (ModuleNotFoundError")
