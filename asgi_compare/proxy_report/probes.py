"""What a deployer meets behind a proxy, asked of one app: each probe one question."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from asgi_compare.proxy_report import live
from asgi_compare.proxy_report.discover import SPEC_URL
from core.live import SUBPROTOCOL, streamed

PROBE_TITLES = {
    "route": "routes",
    "redirect": "GET / redirect",
    "post_location": "POST Location",
    "docs_spec": "docs spec URL",
    "servers": "OpenAPI servers",
    "root_path": "root_path seen",
    "url_for": "URL building",
    "websocket": "WebSocket under the prefix",
    "stream": "stream unbuffered",
}
PROBES = tuple(PROBE_TITLES)  # the order they run and are shown in


@dataclass(frozen=True)
class Probe:
    name: str
    ok: bool | None  # None: not applicable (nothing to probe)
    seen: str


def _path(base: str, location: str) -> str:
    return urlsplit(urljoin(base, location)).path


def probe(client: httpx.Client, base: str, root: str, upgrades: bool = True) -> tuple[Probe, ...]:
    """Each probe asks one thing a deployer meets; the expected answer carries ``root``.

    ``upgrades``: whether the proxy in front passes a WebSocket handshake on, as its class
    declares (``Proxy.websocket``), said beside a refused one."""
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

    spec: dict[str, Any] | None = None  # the OpenAPI document the docs page loads, if any

    def docs_spec() -> Probe:
        nonlocal spec
        r = client.get(f"{base}/docs", follow_redirects=True)
        found = SPEC_URL.search(r.text) if r.status_code == 200 else None
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

    about: dict[str, Any] = {}  # GET /about's answer, JSON from the app under test

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
        ("websocket", partial(websocket, base, root, upgrades)),
        ("stream", partial(stream, client, base)),
    ):
        check(name, fn)
    return tuple(out[name] for name in PROBES)


def paced(stream: live.Stream, interval: float, count: int) -> Probe:
    """The ``stream`` probe of a stream of ``count`` events ``interval`` seconds apart."""
    if not stream.is_events:
        shown = f"HTTP {stream.status}" if stream.status != 200 else stream.content_type
        return Probe("stream", False, shown or "no content type")
    if len(stream.arrived) < count:
        return Probe("stream", False, f"{len(stream.arrived)} events of {count}")
    if not streamed(stream.arrived, interval):
        return Probe("stream", False, live.ENDED)
    return Probe("stream", True, f"{count} events, each as it was made")


def websocket(base: str, root: str, upgrades: bool) -> Probe:
    """``{base}/ws`` with the contract's subprotocol offered: selected, a hello whose
    ``root_path`` is ``root`` (the adapters' ``{"about": {...}}`` or a native app's own), and
    one text message echoed. ``upgrades``: what the proxy declares (``Proxy.websocket``)."""
    got, echo = live.handshake(base + "/ws", [SUBPROTOCOL], live.ECHOED)
    if not got.accepted:
        return Probe("websocket", False, f"{got}" + ("" if upgrades else f" {live.NOT_PASSED}"))
    if got.first is None:
        return Probe("websocket", False, str(got))
    if got.subprotocol != SUBPROTOCOL:
        return Probe("websocket", False, f"subprotocol {got.subprotocol!r} ({SUBPROTOCOL} offered)")
    hello = json.loads(got.first)
    seen = hello.get("about", hello).get("root_path")
    if seen != root:
        return Probe("websocket", False, f"hello root_path {seen!r}")
    if echo is None or live.ECHOED not in echo:
        return Probe("websocket", False, f"echo {echo!r}")
    return Probe("websocket", True, f"{got}, hello root_path {seen!r}, echoed")


def stream(client: httpx.Client, base: str) -> Probe:
    """``GET {base}/events``: three events a second apart, each read before the next is made."""
    return paced(live.read_events(client, base + live.EVENTS), live.INTERVAL, live.COUNT)
