"""The proxy report, run for real on a small slice, and docs/proxy.md against the suite's nginx."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from asgi_compare import cli, proxy_report
from asgi_compare.harness import Nginx, Route
from asgi_compare.harness.proxies import nginx_binary

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
            "--out",
            str(out / "r.md"),
            "--html",
            str(out / "r.html"),
            "--quiet",
        ]
    )
    assert code == 0  # every adapter probe passed
    return out


def test_report_shows_the_native_failure_and_the_adapter_fix(falcon_strip: Path) -> None:
    data = json.loads((falcon_strip / "r.json").read_text())
    rows = {row["variant"]: row for row in data["rows"]}
    native = {p["name"]: p for p in rows["native"]["probes"]}
    adapter = {p["name"]: p for p in rows["adapter"]["probes"]}
    # uvicorn --root-path puts the prefix into the path; Falcon routes on it and 404s.
    assert (native["route"]["ok"], native["route"]["seen"]) == (False, "404")
    assert all(p["ok"] in (True, None) for p in adapter.values())
    assert adapter["post_location"]["seen"].startswith("201 /prefix/items/")


def test_report_renders_markdown_and_html(falcon_strip: Path) -> None:
    markdown = (falcon_strip / "r.md").read_text()
    assert "| uvicorn | nginx | strip | native | ✗ `404` |" in markdown
    assert re.search(r"\| uvicorn \| 0/\d · 6/6 \|", markdown)
    page = (falcon_strip / "r.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and 'class="bad"' in page
    # The summary at a glance: a compact grid in the page, and a heat map beside it.
    assert '<table class="grid">' in page and '<img src="r.png"' in page
    assert "![Probes passed per cell, native app and adapter](r.png)" in markdown
    assert (falcon_strip / "r.png").read_bytes().startswith(b"\x89PNG")


def test_report_json_has_the_proxy_axis(falcon_strip: Path) -> None:
    data = json.loads((falcon_strip / "r.json").read_text())
    assert {(r["proxy"], r["mode"]) for r in data["rows"]} == {("nginx", "strip")}
    assert data["meta"]["proxies"] == ["nginx"]


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
    assert all(
        p["ok"] in (True, None)
        for r in data["rows"]
        if r["variant"] == "adapter"
        for p in r["probes"]
    )
    assert proxy_report.PROBES == tuple(p["name"] for p in data["rows"][0]["probes"])
