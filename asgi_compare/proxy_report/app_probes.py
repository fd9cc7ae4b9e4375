"""The probes of an app this project did not write: each asks what :mod:`.discover` found.

Behind a proxy, each path should answer as it does directly, and each URL the app gives out
(a redirect's Location, the spec URL its docs page loads, its OpenAPI ``servers``) should carry
the prefix the client used. A probe with nothing to ask is n/a (``ok`` None), never a pass.
Each WebSocket path found (``WS {path}``) should be accepted as it is directly, with the same
subprotocol; each caller's path that streams events directly (``stream GET {path}``) should
stream them behind the proxy too, by the rule of ``core.live.streamed``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from urllib.parse import urljoin, urlsplit

import httpx

from asgi_compare.proxy_report import live
from asgi_compare.proxy_report.discover import SPEC_URL, Answer, Discovery, answer
from asgi_compare.proxy_report.probes import Probe
from core.live import streamed

ELSEWHERE = "(the client used"  # marks a Location naming another host than the client's
APP_PROBE_TITLES = {
    "route": "a GET route",
    "root": "GET /",
    "redirect": "a redirect",
    "docs_spec": "docs spec URL",
    "servers": "OpenAPI servers",
}


def probe_names(paths: tuple[str, ...], found: Discovery) -> tuple[str, ...]:
    """The probes in the order they run and are shown: the fixed ones, each ``--probe``, each
    WebSocket path, and each ``--probe`` path that streams events."""
    return (
        *APP_PROBE_TITLES,
        *(f"GET {p}" for p in paths),
        *(f"WS {p}" for p in found.websockets),
        *(f"stream GET {p}" for p in paths if p in found.streams),
    )


def pace(stream: live.Stream) -> float:
    """The seconds between a stream's events, as they arrived directly; 0 with fewer than two."""
    n = len(stream.arrived)
    return (stream.arrived[-1] - stream.arrived[0]) / (n - 1) if n > 1 else 0.0


PACED_S = 0.1  # a stream whose events come closer than this, directly, has no pace to keep


def same_answer(name: str, direct: Answer, seen: Answer, root: str, shown: str) -> Probe:
    """The answer seen behind the proxy against the direct one, with ``root`` in its Location.

    Locations are compared as paths; ``seen.location`` is empty when it named another host.
    """
    ok = seen.status == direct.status
    if direct.redirects:
        ok = ok and seen.location == under(root, direct.location)
    return Probe(name, ok, shown)


def under(root: str, path: str) -> str:
    """``path`` under ``root``, unless the app already put it there: an app configured with
    the prefix (``FastAPI(root_path=...)``, ``PrefixMiddleware(app, root_path=...)``) gives
    out URLs with it even when served directly."""
    return path if root and path.startswith(root + "/") else root + path


def below(root: str, path: str) -> str:
    """The inverse: ``path`` as a client of a base URL ending in ``root`` asks for it."""
    return path[len(root) :] if root and path.startswith(root + "/") else path


def probe_app(
    client: httpx.Client, base: str, root: str, found: Discovery, paths: tuple[str, ...]
) -> tuple[Probe, ...]:
    """Each probe of :func:`probe_names`, asked of the app at ``base`` (served under ``root``)."""
    host = urlsplit(base).netloc

    def get(name: str, path: str) -> Probe:
        r = client.get(base + path)
        location = r.headers.get("location", "")
        seen = answer(r)
        shown = f"{r.status_code} {location}".strip()
        if urlsplit(location).netloc not in ("", host):
            seen = Answer(seen.status)  # a host the client did not use (the upstream's)
            shown += f" {ELSEWHERE} {host})"
        return same_answer(name, found.answers[path], seen, root, shown)

    def route() -> Probe:
        if found.route is None:
            return Probe("route", None, "no OpenAPI document" if not found.spec else "none found")
        return get("route", found.route)

    def root_page() -> Probe:
        return get("root", "/") if found.root else Probe("root", None, "the app has no /")

    def redirect() -> Probe:
        if found.redirect is None:
            return Probe("redirect", None, "no redirect found")
        return get("redirect", found.redirect)

    def docs_spec() -> Probe:
        if found.docs is None:
            return Probe("docs_spec", None, "no docs page")
        r = client.get(base + found.docs, follow_redirects=True)
        if r.status_code != 200:
            return Probe("docs_spec", False, f"docs page {r.status_code}")
        written = SPEC_URL.search(r.text)
        if written is None:
            return Probe("docs_spec", True, "spec inline in the page")
        url = urljoin(str(r.url), written.group(1))
        s = client.get(url)
        ok = s.status_code == 200 and urlsplit(url).path.startswith(f"{root}/")
        return Probe("docs_spec", ok, f"{urlsplit(url).path} -> {s.status_code}")

    def servers() -> Probe:
        if found.spec is None:
            return Probe("servers", None, "no OpenAPI document")
        r = client.get(base + below(root, found.spec))
        if r.status_code != 200:
            return Probe("servers", False, f"spec {r.status_code}")
        document = r.json()
        listed = [str(s.get("url", "")) for s in document.get("servers") or []]
        shown = ", ".join(listed) if listed else "(none)"
        if not root:
            return Probe("servers", tuple(listed) == found.servers, shown)
        return Probe("servers", any(urlsplit(u).path.rstrip("/") == root for u in listed), shown)

    asks: list[tuple[str, Callable[[], Probe]]] = [
        ("route", route),
        ("root", root_page),
        ("redirect", redirect),
        ("docs_spec", docs_spec),
        ("servers", servers),
    ]

    def get_stream(name: str, path: str) -> Probe:
        got = live.read_events(client, base + path)  # an event stream is not read whole
        shown = f"{got.status} {got.content_type}".strip()
        return same_answer(name, found.answers[path], Answer(got.status), root, shown)

    def websocket(path: str) -> Probe:
        name, direct = f"WS {path}", found.websockets[path]
        got, _ = live.handshake(base + path, found.subprotocols)
        if got.accepted != direct.accepted or got.status != direct.status:
            return Probe(name, False, f"{got} (directly {direct})")
        if got.subprotocol != direct.subprotocol:
            return Probe(name, False, f"subprotocol {got.subprotocol!r} (directly {direct})")
        return Probe(name, True, str(got))

    def events(path: str) -> Probe:
        name, direct = f"stream GET {path}", found.streams[path]
        interval = pace(direct)
        if len(direct.arrived) < live.COUNT:
            return Probe(name, None, f"directly, {len(direct.arrived)} events (of {live.COUNT})")
        if interval < PACED_S:
            return Probe(name, None, "directly, its first events came together")
        got = live.read_events(client, base + path)
        if not got.is_events:
            return Probe(name, False, f"HTTP {got.status} {got.content_type}".strip())
        if len(got.arrived) < len(direct.arrived):
            return Probe(name, False, f"{len(got.arrived)} events")
        if not streamed(got.arrived, interval):
            return Probe(name, False, live.ENDED)
        return Probe(name, True, f"{len(got.arrived)} events, each as it was made")

    asks += [
        (f"GET {p}", partial(get_stream if p in found.streams else get, f"GET {p}", p))
        for p in paths
    ]
    asks += [(f"WS {p}", partial(websocket, p)) for p in found.websockets]
    asks += [(f"stream GET {p}", partial(events, p)) for p in paths if p in found.streams]
    out = []
    for name, ask in asks:
        try:
            out.append(ask())
        except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError) as exc:
            out.append(Probe(name, False, f"{type(exc).__name__}: {exc}"[:80]))
    return tuple(out)
