"""The proxy report, run for real on a small slice, and docs/proxy.md against the suite's nginx."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from asgi_compare import cli, proxy_report
from asgi_compare.deploy import nginx_binary, nginx_server_block

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
    assert "| uvicorn | strip | native | ✗ `404` |" in markdown
    assert re.search(r"\| uvicorn \| 0/\d · 6/6 \|", markdown)
    page = (falcon_strip / "r.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and 'class="bad"' in page


@pytest.mark.parametrize("mode", ["strip", "forwarded", "keep"])
def test_docs_show_the_nginx_blocks_the_suite_runs(mode: str) -> None:
    assert nginx_server_block(mode, 8080, 8000) in (DOCS / "proxy.md").read_text()


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
