"""``asgi-compare proxy-report``: what each framework does behind a proxy, natively and adapted.

For every framework x server x proxy mode, the same probes run against two apps served the
same way: a minimal app written as the framework's docs write it (``asgi_compare.native``), with
no correction, and the asgi-compare adapter. Servers and nginx are real processes on loopback,
from :mod:`asgi_compare.deploy`.
"""

from __future__ import annotations

import html
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from asgi_compare.deploy import PREFIX, PROXIES, SERVERS, Deployment, Nginx, applies, free_ports

FRAMEWORKS = ("fastapi", "quart", "falcon", "sanic")
VARIANTS = ("native", "adapter")
PROBES = ("route", "redirect", "post_location", "docs_spec", "servers", "root_path", "url_for")
PROBE_TITLES = {
    "route": "routes",
    "redirect": "GET / redirect",
    "post_location": "POST Location",
    "docs_spec": "docs spec URL",
    "servers": "OpenAPI servers",
    "root_path": "root_path seen",
    "url_for": "URL building",
}
_SPEC_URL = re.compile(r"""(?:\burl\s*:\s*|spec-url=)["']([^"']+)["']""")


@dataclass(frozen=True)
class Probe:
    name: str
    ok: bool | None  # None: not applicable (nothing to probe)
    seen: str


@dataclass(frozen=True)
class Row:
    framework: str
    server: str
    mode: str
    variant: str
    probes: tuple[Probe, ...]

    @property
    def score(self) -> tuple[int, int]:
        judged = [p for p in self.probes if p.ok is not None]
        return sum(bool(p.ok) for p in judged), len(judged)


def entrypoint(framework: str, variant: str) -> str | None:
    return f"asgi_compare.native.{framework}_native:app" if variant == "native" else None


def _path(base: str, location: str) -> str:
    return urlsplit(urljoin(base, location)).path


def probe(client: httpx.Client, base: str, root: str) -> tuple[Probe, ...]:
    """Each probe asks one thing a deployer meets; the expected answer carries ``root``."""
    out: dict[str, Probe] = {}

    def check(name: str, fn: Callable[[], Probe]) -> None:
        try:
            out[name] = fn()
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            out[name] = Probe(name, False, f"{type(exc).__name__}: {exc}"[:80])

    def route() -> Probe:
        r = client.get(f"{base}/greetings/en")
        return Probe("route", r.status_code == 200 and "Hello" in r.text, str(r.status_code))

    def redirect() -> Probe:
        r = client.get(f"{base}/")
        loc = r.headers.get("location", "")
        ok = r.is_redirect and _path(str(r.url), loc) == f"{root}/docs"
        return Probe("redirect", ok, f"{r.status_code} {loc}".strip())

    def post_location() -> Probe:
        r = client.post(f"{base}/items", json={"name": "probe", "price": 1.0})
        loc = r.headers.get("location", "")
        ok = r.status_code == 201 and _path(str(r.url), loc).startswith(f"{root}/items/")
        return Probe("post_location", ok, f"{r.status_code} {loc}".strip())

    spec: dict[str, Any] | None = None

    def docs_spec() -> Probe:
        nonlocal spec
        r = client.get(f"{base}/docs", follow_redirects=True)
        found = _SPEC_URL.search(r.text) if r.status_code == 200 else None
        if found is None:
            return Probe("docs_spec", None, f"no docs page ({r.status_code})")
        url = urljoin(str(r.url), found.group(1))
        s = client.get(url)
        if s.status_code == 200 and "json" in s.headers.get("content-type", ""):
            spec = s.json()
        ok = spec is not None and urlsplit(url).path.startswith(f"{root}/")
        return Probe("docs_spec", ok, f"{found.group(1)} -> {s.status_code}")

    def servers() -> Probe:
        if spec is None:
            return Probe("servers", None, "no spec")
        listed = [s.get("url", "") for s in spec.get("servers", [])]
        ok = (
            any(urlsplit(u).path.rstrip("/") == root for u in listed)
            if root
            else (not listed or all(urlsplit(u).path in ("", "/") for u in listed))
        )
        return Probe("servers", ok, json.dumps(listed) if listed else "(none)")

    about: dict[str, Any] = {}

    def root_path() -> Probe:
        about.update(client.get(f"{base}/about").json())
        return Probe("root_path", about["root_path"] == root, repr(about["root_path"]))

    def url_for() -> Probe:
        if "url_for" not in about:
            return Probe("url_for", None, "no URL building (Locations only)")
        built = str(about["url_for"])
        return Probe("url_for", _path(base + "/", built) == f"{root}/greetings/en", built)

    for name, fn in (
        ("route", route),
        ("redirect", redirect),
        ("post_location", post_location),
        ("docs_spec", docs_spec),
        ("servers", servers),
        ("root_path", root_path),
        ("url_for", url_for),
    ):
        check(name, fn)
    return tuple(out[name] for name in PROBES)


def plan(
    workdir: Path, frameworks: list[str], servers: list[str], modes: list[str]
) -> list[list[Deployment]]:
    """Deployments in batches of one server and mode, started and probed together."""
    keys = [
        (s, m, f, v)
        for s in servers
        for m in modes
        for f in frameworks
        for v in VARIANTS
        if applies(f, s)
    ]
    ports = free_ports(2 * len(keys), start=24000)  # apart from the test suite's ports
    batches: dict[tuple[str, str], list[Deployment]] = {}
    for s, m, f, v in keys:
        d = Deployment(f, s, m, next(ports), next(ports), workdir, app=entrypoint(f, v))
        batches.setdefault((s, m), []).append(d)
    return list(batches.values())


def variant_of(d: Deployment) -> str:
    return "native" if d.app else "adapter"


def run(
    frameworks: list[str], servers: list[str], modes: list[str], progress: bool = True
) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="asgi-compare-report-") as tmp:
        workdir = Path(tmp)
        batches = plan(workdir, frameworks, servers, modes)
        everything = [d for batch in batches for d in batch]
        nginx = Nginx(workdir, everything) if any(d.proxy != "none" for d in everything) else None
        if nginx:
            nginx.start()
        done, total, started = 0, len(everything), time.monotonic()
        try:
            with httpx.Client(timeout=10.0) as client, ThreadPoolExecutor(8) as pool:
                for batch in batches:
                    for d in batch:
                        d.start()
                    for d in batch:
                        try:
                            d.wait_ready()
                            probes = probe(client, d.base_url, d.root)
                        except RuntimeError as exc:
                            probes = tuple(Probe(n, False, "server did not start") for n in PROBES)
                            _say(progress, f"  ! {exc}".splitlines()[0])
                        rows.append(Row(d.framework, d.server, d.proxy, variant_of(d), probes))
                        done += 1
                        if progress:
                            ok, of = rows[-1].score
                            _say(
                                progress,
                                f"[{done:>3}/{total}] {time.monotonic() - started:5.0f}s  "
                                f"{d.framework:<8}{d.server:<10}{d.proxy:<10}"
                                f"{variant_of(d):<8}{ok}/{of}",
                            )
                    list(pool.map(lambda d: d.stop(), batch))
        finally:
            for d in everything:
                d.stop()
            if nginx:
                nginx.stop()
    return rows


def _say(progress: bool, line: str) -> None:
    if progress:
        print(line, file=sys.stderr, flush=True)  # noqa: T201


def versions() -> dict[str, str]:
    names = ("fastapi", "starlette", "quart", "falcon", "sanic", "uvicorn", "hypercorn", "granian")
    found = {name: version(name) for name in names}
    found.update({"quart-schema": version("quart-schema"), "sanic-ext": version("sanic-ext")})
    return found


# --- rendering -------------------------------------------------------------------------------

MODES_TEXT = {
    "none": "no proxy: the client talks to the server; no prefix",
    "strip": f"nginx serves `{PREFIX}/` and strips it; the server's root-path option is set "
    "(uvicorn, hypercorn `--root-path`, granian `--url-path-prefix`), or for Sanic's own server, "
    "which has none, `ASGI_COMPARE_ROOT_PATH`",
    "forwarded": f"nginx strips `{PREFIX}` and sends `X-Forwarded-Prefix`, `-Proto`, `-Host`, "
    "`-For`; the server is told nothing",
    "keep": f"nginx passes `{PREFIX}/...` unchanged; hypercorn and granian get their root-path "
    "option; uvicorn and Sanic's own server get `ASGI_COMPARE_ROOT_PATH` (uvicorn's "
    "`--root-path` would prepend the prefix again)",
}


def _cell(p: Probe) -> str:
    if p.ok is None:
        return "n/a"
    return "✓" if p.ok else f"✗ `{p.seen}`"


def summary(rows: list[Row]) -> str:
    """One line per framework and server: probes passed per mode, native / adapter."""
    modes = list(dict.fromkeys(r.mode for r in rows))
    by_key = {(r.framework, r.server, r.mode, r.variant): r for r in rows}
    lines = [f"{'framework':<10}{'server':<11}" + "".join(f"{m:>13}" for m in modes)]
    for framework in dict.fromkeys(r.framework for r in rows):
        for server in dict.fromkeys(r.server for r in rows if r.framework == framework):
            cells = []
            for mode in modes:
                n = by_key.get((framework, server, mode, "native"))
                a = by_key.get((framework, server, mode, "adapter"))
                cells.append(
                    f"{n.score[0]}/{n.score[1]} . {a.score[0]}/{a.score[1]}" if n and a else ""
                )
            lines.append(f"{framework:<10}{server:<11}" + "".join(f"{c:>13}" for c in cells))
    return "\n".join(lines)


def render_markdown(rows: list[Row], meta: dict[str, Any]) -> str:
    lines = [
        "# Proxy report: frameworks x servers x proxy modes",
        "",
        f"Generated by `{meta['command']}` on {meta['date']} ({meta['seconds']:.0f} s).",
        "Regenerate with `make proxy-report` (or `.venv/bin/asgi-compare proxy-report`).",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()) + ".",
        "",
        "Each cell runs the same probes against two apps served the same way: a minimal app "
        "written as the framework's own docs write it (**native**, `asgi_compare/native/`), with "
        "no correction, and the asgi-compare **adapter**. The expected answer always carries the "
        f"prefix the client used (`{PREFIX}` behind nginx, none without a proxy).",
        "",
        "Modes:",
        "",
        *(f"- `{mode}`: {text}." for mode, text in MODES_TEXT.items()),
        "",
        "Probes: routes (`GET /greetings/en` answers), `GET /` redirect (to `{prefix}/docs`), "
        "`POST /items` Location (under the prefix), docs spec URL (the docs page loads a spec "
        "under the prefix, and it loads), OpenAPI servers (list the prefix), root_path seen "
        "(`/about`), URL building (the framework's own `url_for`, native apps only). "
        "`n/a`: nothing to probe (no docs page, no spec).",
        "",
        "## Summary: probes passed, native / adapter",
        "",
    ]
    servers = list(dict.fromkeys(r.server for r in rows))
    modes = list(dict.fromkeys(r.mode for r in rows))
    by_key = {(r.framework, r.server, r.mode, r.variant): r for r in rows}
    for framework in dict.fromkeys(r.framework for r in rows):
        lines += [f"**{framework}**", "", "| server | " + " | ".join(modes) + " |"]
        lines.append("|---|" + "---|" * len(modes))
        for server in servers:
            if not applies(framework, server):
                continue
            cells = []
            for mode in modes:
                n = by_key.get((framework, server, mode, "native"))
                a = by_key.get((framework, server, mode, "adapter"))
                if n and a:
                    cells.append(f"{n.score[0]}/{n.score[1]} · {a.score[0]}/{a.score[1]}")
                else:
                    cells.append("")
            lines.append(f"| {server} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Reading it", ""]
    for framework in dict.fromkeys(r.framework for r in rows):
        behind = [
            r
            for r in rows
            if r.framework == framework and r.variant == "native" and r.mode != "none"
        ]
        routed = [r for r in behind if r.probes[0].ok]
        failing: dict[str, None] = {}
        for r in routed:
            failing.update((PROBE_TITLES[p.name], None) for p in r.probes if p.ok is False)
        lines.append(
            f"- **{framework}**, natively behind the proxy, routes requests with "
            + (", ".join(f"{r.server}/{r.mode}" for r in routed) or "no server and mode")
            + (f"; even there these fail somewhere: {', '.join(failing)}." if failing else ".")
        )
    lines += [
        "",
        "What the adapters do differently, once, in `core/asgi.py` (see "
        "[proxy.md](proxy.md)): they accept the prefix in the scope's `path` or not and hand "
        "each framework the form it routes on; they take the prefix from "
        "`ASGI_COMPARE_ROOT_PATH` where the server cannot send it, or from a trusted proxy's "
        "`X-Forwarded-Prefix`; they add it to every path-only `Location`; their docs page and "
        "OpenAPI `servers` are built from it. Native apps have no such step: a redirect to "
        "`/docs` loses the prefix wherever one is used, and Falcon and Sanic 404 whenever the "
        "prefix is in the path.",
        "",
        "## Every probe",
        "",
    ]
    header = "| server | mode | app | " + " | ".join(PROBE_TITLES[p] for p in PROBES) + " |"
    for framework in dict.fromkeys(r.framework for r in rows):
        lines += [f"### {framework}", "", header, "|---|---|---|" + "---|" * len(PROBES)]
        for r in rows:
            if r.framework == framework:
                row = " | ".join(_cell(p) for p in r.probes)
                lines.append(f"| {r.server} | {r.mode} | {r.variant} | {row} |")
        lines.append("")
    return "\n".join(lines)


def render_html(rows: list[Row], meta: dict[str, Any]) -> str:
    head = "".join(f"<th>{html.escape(PROBE_TITLES[p])}</th>" for p in PROBES)
    body = []
    for r in rows:
        cells = []
        for p in r.probes:
            cls = "na" if p.ok is None else ("ok" if p.ok else "bad")
            mark = "n/a" if p.ok is None else ("✓" if p.ok else "✗")
            cells.append(
                f'<td class="{cls}" title="{html.escape(p.seen)}">{mark} '
                f"<small>{html.escape(p.seen) if p.ok is False else ''}</small></td>"
            )
        body.append(
            f"<tr><td>{r.framework}</td><td>{r.server}</td><td>{r.mode}</td>"
            f"<td>{r.variant}</td>{''.join(cells)}</tr>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>asgi-compare proxy report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; font-size: 14px; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}
td.ok {{ background: #e6f4ea; }} td.bad {{ background: #fce8e6; }} td.na {{ color: #888; }}
small {{ color: #555; }}
</style></head><body>
<h1>Proxy report: frameworks x servers x proxy modes</h1>
<p>Generated by <code>{html.escape(meta["command"])}</code> on {meta["date"]}.
Native: a minimal app written as the framework's docs write it; adapter: asgi-compare's.
Hover a cell for what was seen.</p>
<table><tr><th>framework</th><th>server</th><th>mode</th><th>app</th>{head}</tr>
{"".join(body)}
</table></body></html>
"""


def write(rows: list[Row], meta: dict[str, Any], markdown: Path, page: Path) -> None:
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(render_markdown(rows, meta) + "\n", encoding="utf-8")
    page.write_text(render_html(rows, meta), encoding="utf-8")
    data = page.with_suffix(".json")
    data.write_text(
        json.dumps({"meta": meta, "rows": [asdict(r) for r in rows]}, indent=1) + "\n",
        encoding="utf-8",
    )


def iter_failures(rows: list[Row], variant: str) -> Iterator[Row]:
    return (r for r in rows if r.variant == variant and r.score[0] != r.score[1])


def meta_for(command: str, seconds: float) -> dict[str, Any]:
    return {
        "command": command,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": seconds,
        "versions": versions(),
        "servers": list(SERVERS),
        "modes": list(PROXIES),
    }
