"""The proxy report, run for real on a small slice, and docs/proxy.md against the suite's nginx."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from asgi_compare import cli, proxy_report
from asgi_compare.harness import PROXIES, Nginx, Route
from asgi_compare.harness.proxies import ProxyProcess, nginx_binary
from asgi_compare.proxy_report.fixes import upgrade_lines
from asgi_compare.proxy_report.probes import Probe
from asgi_compare.proxy_report.results import declared

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def falcon_strip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if nginx_binary() is None:
        pytest.fail("nginx is not installed: run `make test`, which installs it")
    out = tmp_path_factory.mktemp("report")
    code = cli.main(
        [
            "proxy-report",
            "--framework",
            "falcon",
            "--server",
            "uvicorn",
            "--mode",
            "strip",
            "--proxy",
            "nginx,nginx-default",
            "--out",
            str(out / "r.md"),
            "--html",
            str(out / "r.html"),
            "--quiet",
        ]
    )
    # Every adapter probe passed, but for nginx-default's WebSocket, which its class declares.
    assert code == 0
    return out


def _rows(out: Path, proxy: str) -> dict[str, dict[str, dict[str, Any]]]:
    """The native app's and the adapter's probes behind ``proxy``, by variant and name."""
    data = json.loads((out / "r.json").read_text())
    return {
        row["variant"]: {
            p["name"]: {**p, "fix": row["fixes"].get(p["name"])} for p in row["probes"]
        }
        for row in data["rows"]
        if row["proxy"] == proxy
    }


def test_report_shows_the_native_failure_and_the_adapter_fix(falcon_strip: Path) -> None:
    rows = _rows(falcon_strip, "nginx")
    native, adapter = rows["native"], rows["adapter"]
    # uvicorn --root-path puts the prefix into the path; Falcon routes on it and 404s.
    assert (native["route"]["ok"], native["route"]["seen"]) == (False, "404")
    assert all(p["ok"] in (True, None) for p in adapter.values())
    assert adapter["post_location"]["seen"].startswith("201 /prefix/items/")


def test_behind_nginx_default_the_websocket_fails_with_its_fix(falcon_strip: Path) -> None:
    """nginx's defaults pass the handshake on as a plain GET: the fix is nginx's own WebSocket
    lines, as the report's nginx runs them; behind that nginx, the same probe passes."""
    for variant, ws in (
        (v, p["websocket"]) for v, p in _rows(falcon_strip, "nginx-default").items()
    ):
        assert ws["ok"] is False and str(ws["seen"]).endswith("(Upgrade not passed on)"), variant
        fix = str(ws["fix"])
        assert "map $http_upgrade $connection_upgrade" in fix
        assert "proxy_set_header Upgrade $http_upgrade;" in fix
        assert "proxy_set_header Connection $connection_upgrade;" in fix
    adapter = _rows(falcon_strip, "nginx")["adapter"]
    assert adapter["websocket"]["ok"] is True, adapter["websocket"]
    assert adapter["websocket"]["seen"] == "101 asgi-compare.v1, hello root_path '/prefix', echoed"
    assert adapter["stream"]["ok"] is True, adapter["stream"]
    # Falcon natively routes on the path uvicorn --root-path puts the prefix in: it refuses the
    # handshake (403) as it answers its HTTP routes 404, and gets their fix.
    native = _rows(falcon_strip, "nginx")["native"]
    assert (native["websocket"]["ok"], native["websocket"]["seen"]) == (False, "HTTP 403")
    assert "path_includes_root=False" in str(native["websocket"]["fix"])
    markdown = (falcon_strip / "r.md").read_text()
    assert "## WebSockets and streams: the fixes" in markdown
    assert (
        "- **WebSocket under the prefix** *(the proxy's)* (behind nginx-default strip;" in markdown
    )


def test_a_failure_is_the_proxys_only_as_its_class_declares() -> None:
    unpassed = Probe("websocket", False, "HTTP 404 (Upgrade not passed on)")
    assert declared("nginx-default", "strip", unpassed)
    assert not declared("nginx", "strip", unpassed)
    unprefixed = Probe("websocket", False, "hello root_path ''")
    assert declared("jupyter-server-proxy", "forwarded", unprefixed)
    assert not declared("jupyter-server-proxy", "strip", unprefixed)
    assert not declared("nginx", "forwarded", unprefixed)
    assert not declared("nginx-default", "strip", Probe("route", False, "404"))


def test_report_renders_markdown_and_html(falcon_strip: Path) -> None:
    markdown = (falcon_strip / "r.md").read_text()
    assert "| uvicorn | nginx | strip | native | ✗ `404` |" in markdown
    assert re.search(r"\| uvicorn \| 0/\d · 8/8 \| 0/\d · 7/8 \|", markdown)
    page = (falcon_strip / "r.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and 'class="bad"' in page
    # The summary at a glance: a compact grid in the page, and a heat map beside it.
    assert '<table class="grid">' in page and '<img src="r.png"' in page
    assert "![Probes passed per cell, native app and adapter](r.png)" in markdown
    assert (falcon_strip / "r.png").read_bytes().startswith(b"\x89PNG")


def test_report_json_has_the_proxy_axis(falcon_strip: Path) -> None:
    data = json.loads((falcon_strip / "r.json").read_text())
    assert data["schema"] == proxy_report.render.SCHEMA == 2
    assert {(r["proxy"], r["mode"]) for r in data["rows"]} == {
        ("nginx", "strip"),
        ("nginx-default", "strip"),
    }
    assert data["meta"]["proxies"] == ["nginx", "nginx-default"]


def test_each_proxy_runs_only_the_modes_it_supports() -> None:
    pairs = proxy_report.cells(["nginx", "nginx-default"], ["none", "strip", "forwarded"])
    # nginx with its defaults sets no X-Forwarded-Prefix: it has no forwarded mode.
    assert pairs == [
        ("none", "none"),
        ("nginx", "strip"),
        ("nginx", "forwarded"),
        ("nginx-default", "strip"),
    ]


@pytest.mark.parametrize("mode", ["strip", "forwarded", "keep"])
def test_docs_show_the_nginx_blocks_the_suite_runs(mode: str) -> None:
    block = Nginx._server_block(Route(mode, listen=8080, upstream=8000))
    assert block in (DOCS / "proxy.md").read_text()


def test_the_committed_report_covers_the_whole_matrix() -> None:
    data = json.loads((DOCS / "proxy-report.json").read_text())
    cells = {(r["framework"], r["server"], r["mode"], r["variant"]) for r in data["rows"]}
    assert len(cells) == 2 * 4 * 13  # 13 framework-server pairs, 4 modes, native and adapter
    assert data["schema"] == proxy_report.render.SCHEMA
    assert all(
        p["ok"] in (True, None) or declared(r["proxy"], r["mode"], Probe(**p))
        for r in data["rows"]
        if r["variant"] == "adapter"
        for p in r["probes"]
    )
    assert proxy_report.PROBES == tuple(p["name"] for p in data["rows"][0]["probes"])
    # Behind nginx's defaults every app's WebSocket fails, with nginx's WebSocket lines as its fix.
    behind = [r for r in data["rows"] if r["proxy"] == "nginx-default"]
    assert behind and all(
        "proxy_set_header Upgrade $http_upgrade;" in r["fixes"]["websocket"] for r in behind
    )


@pytest.mark.parametrize(
    ("proxy", "runs"), [("nginx-default", "nginx"), ("apache", "apache"), ("haproxy", "haproxy")]
)
def test_the_websocket_fix_quotes_the_configuration_the_report_runs(
    tmp_path: Path, proxy: str, runs: str
) -> None:
    """Each statement the fix quotes is in the configuration of a proxy that passes the
    handshake on (nginx-default's fix: the suite's nginx), as the report runs it."""
    running = PROXIES[runs](tmp_path)
    assert isinstance(running, ProxyProcess)
    config = " ".join(running.config([Route("strip", 8080, 8000)]).split())
    quoted = re.findall(r"`([^`]+)`", upgrade_lines(proxy))
    assert quoted
    for statement in (s.strip() for q in quoted for s in q.split(";")):
        assert statement in config, (proxy, statement)
