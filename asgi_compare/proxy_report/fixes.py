"""For each failed probe of an app, the change that fixes it, tied to what the probe saw.

A fix is a server option, a line of the proxy's configuration, or wrapping the app in
:class:`asgi_compare.PrefixMiddleware` (``middleware``: the report's tests check that the
wrapped app then passes).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from asgi_compare.harness import PREFIX, PROXIES, server_command
from asgi_compare.harness.proxies import Apache, HAProxy, Nginx, templates
from asgi_compare.proxy_report import live
from asgi_compare.proxy_report.app_probes import ELSEWHERE
from asgi_compare.proxy_report.discover import Answer, Discovery
from asgi_compare.proxy_report.probes import Probe
from core.live import STREAM_HEADERS

# What each server's root-path option does to the scope's path: uvicorn >= 0.26 puts the prefix
# into it too (ASGI's reading of root_path), hypercorn and granian leave it out.
_PATH_HOLDS_ROOT = {"uvicorn": True, "hypercorn": False, "granian": False}

# A proxy's own line that adds the prefix to a path-only Location, where it has one.
_LOCATION_LINE = {
    "nginx": f"nginx `proxy_redirect / {PREFIX}/;`",
    "nginx-default": f"nginx `proxy_redirect / {PREFIX}/;`",
    "connect": f"nginx `proxy_redirect / {PREFIX}/;`",
    "caddy": f"Caddy `header_down Location ^/ {PREFIX}/` in `reverse_proxy`",
    "haproxy": f"HAProxy `http-response replace-header Location ^/(.*) {PREFIX}/\\1`",
}
_WRAP = (
    "wrap the app in `PrefixMiddleware(app{args})` (`from asgi_compare import PrefixMiddleware`)"
)


@dataclass(frozen=True)
class Fix:
    text: str
    middleware: bool  # wrapping the app, as ``text`` says, fixes it


def root_option(server: str) -> str:
    """The server's option that tells it the prefix, e.g. ``--root-path /prefix``; "" if none."""
    entry = "MODULE:ATTR"
    told, _ = server_command(entry, server, port=8000, root_path=PREFIX)
    plain, _ = server_command(entry, server, port=8000)
    return " ".join(a for a in told if a not in plain)


def wrap(**args: object) -> str:
    shown = "".join(f", {k}={v!r}" for k, v in args.items()).replace("'", '"')
    return _WRAP.format(args=shown)


def fix(p: Probe, found: Discovery, *, server: str, proxy: str, mode: str, lists_root: bool) -> Fix:
    """The fix for failed probe ``p`` on ``server`` behind ``proxy`` in ``mode``.

    ``lists_root``: whether the app put the prefix in its OpenAPI ``servers`` in some cell,
    so it lists the root path once it knows it.
    """
    if p.name.startswith(LIVE_PREFIXES):
        return live_fix(p, server=server, proxy=proxy, mode=mode)
    if mode == "none":
        return Fix(
            f"Without a proxy, {server} answers `{p.seen}`, unlike the first server: a "
            "difference between servers, not a proxy's.",
            False,
        )
    if p.name == "servers":
        if p.seen.startswith("spec "):
            return _status(replace(p, seen=p.seen.removeprefix("spec ")), server, proxy, mode)
        return _servers(p, server, mode, lists_root)
    if p.name == "docs_spec":
        if p.seen.startswith("docs page "):
            return _status(replace(p, seen=p.seen.removeprefix("docs page ")), server, proxy, mode)
        path, _, status = p.seen.partition(" -> ")
        if not path.startswith(PREFIX + "/"):
            return _docs(p, server, mode)
        return _status(replace(p, seen=status), server, proxy, mode)
    direct = _direct(p, found)
    if direct is not None and direct.redirects and p.seen.split(" ", 1)[0] == str(direct.status):
        return _location(p, direct, server, proxy, mode)
    return _status(p, server, proxy, mode)


def _direct(p: Probe, found: Discovery) -> Answer | None:
    path = {"route": found.route, "root": "/", "redirect": found.redirect}.get(p.name)
    path = p.name.removeprefix("GET ") if p.name.startswith("GET ") else path
    return None if path is None else found.answers.get(path)


def _status(p: Probe, server: str, proxy: str, mode: str) -> Fix:
    """The app answered another status behind the proxy than directly."""
    seen = p.seen.split(" ", 1)[0]
    behaviour = PROXIES[proxy].modes[mode]
    if seen.startswith("5") and behaviour.http_version == "1.0":
        return Fix(
            f"`{p.seen}`: {proxy} speaks HTTP/1.0 to the server, which the app refuses: "
            "nginx `proxy_http_version 1.1;`.",
            False,
        )
    if seen in ("502", "503", "504"):
        return Fix(f"`{p.seen}`: {proxy} did not reach the server; see its error log.", False)
    if seen != "404":
        return Fix(f"`{p.seen}` behind {proxy} ({mode}); see the server's log.", False)
    option = root_option(server)
    if mode == "keep" and server == "uvicorn":
        return Fix(
            f"`404`: {proxy} passes `{PREFIX}` on in the path and uvicorn has no option for "
            f"a prefix left in the path (`--root-path` would put it in twice): "
            f"{wrap(root_path=PREFIX)}; or have the proxy strip the prefix and run uvicorn "
            f"with `{option}`.",
            True,
        )
    if server in _PATH_HOLDS_ROOT and mode in ("strip", "keep"):
        holds = mode == "keep" or _PATH_HOLDS_ROOT[server]
        where = "puts the prefix in" if holds else "leaves the prefix out of"
        why = "as if it were not there" if holds else "as if it were there"
        how = f"`{option}`" if mode == "strip" else f"{proxy} ({mode})"
        return Fix(
            f"`404`: {how} {where} the scope's `path`, and the app routes on it {why}: "
            f"{wrap(path_includes_root=not holds)}, which hands it the path in the form it "
            "routes on.",
            True,
        )
    return Fix(f"`{p.seen}` behind {proxy} ({mode}); directly, it answers; see its log.", False)


def _location(p: Probe, direct: Answer, server: str, proxy: str, mode: str) -> Fix:
    """Same status as directly, but the Location is not the one under the prefix."""
    location = p.seen.split(" ", 1)[1] if " " in p.seen else ""
    behaviour = PROXIES[proxy].modes[mode]
    if urlsplit(location).path.startswith(PREFIX + PREFIX + "/"):
        if behaviour.host == "upstream":
            return Fix(
                f"`{location}`: the prefix twice: the app names the upstream (the proxy sends "
                "its own Host) under its root path, and the proxy rewrites that URL with the "
                "prefix once more: have it pass the client's Host "
                "(nginx `proxy_set_header Host $http_host;`).",
                False,
            )
        why = (
            ", which prefixes path-only Locations itself"
            if behaviour.location == "prefixed"
            else ""
        )
        return Fix(
            f"`{location}`: the prefix twice, added by the app (or its middleware) and by "
            f"{proxy}{why}: let only one of them add it.",
            False,
        )
    if ELSEWHERE in p.seen:
        host = urlsplit(location).netloc
        return Fix(
            f"`{location.split(' ', 1)[0]}` names {host}, not the host the client used: have "
            f"{proxy} pass the client's Host (nginx `proxy_set_header Host $http_host;`).",
            False,
        )
    path = urlsplit(location).path
    if "://" in location and not path.startswith(PREFIX + "/") and path != PREFIX:
        if mode == "forwarded":
            return _told(p, server, f"builds `{location}` from the scope, which holds no prefix")
        if mode == "strip" and not _PATH_HOLDS_ROOT.get(server, True):
            return Fix(
                f"`{location}`: the app builds URLs from the scope's `path`, and {server} "
                f"`{root_option(server)}` leaves the prefix out of it: {wrap()}, which hands "
                "it the path with the prefix in.",
                True,
            )
    if location.startswith("/") and not location.startswith(PREFIX + "/"):
        line = _LOCATION_LINE.get(proxy)
        return Fix(
            f"`{location}`: the app writes a path-only Location relative to itself and "
            f"nothing adds the prefix: {wrap()}, which adds it to path-only Locations"
            + (f"; or have the proxy add it: {line}." if line else "."),
            True,
        )
    return _told(p, server, f"answers `{p.seen}` (directly `{direct}`)")


def _told(p: Probe, server: str, what: str) -> Fix:
    """The app does not know the prefix: the server or the middleware should tell it."""
    option = root_option(server)
    by_server = f"run {server} with `{option}`, or " if option else ""
    return Fix(
        f"The app {what}: {by_server}{wrap()}, which takes the prefix from the proxy's "
        "`X-Forwarded-Prefix` (from the peers in `forwarded_allow_ips` only).",
        True,
    )


def _docs(p: Probe, server: str, mode: str) -> Fix:
    if mode == "forwarded":
        return _told(p, server, f"writes the docs page's spec URL without the prefix (`{p.seen}`)")
    return Fix(
        f"`{p.seen}`: the docs page loads its spec from a fixed path, whatever the root path: "
        "configure the spec URL with the prefix in the framework's docs settings (a middleware "
        "cannot rewrite a page body).",
        False,
    )


def _servers(p: Probe, server: str, mode: str, lists_root: bool) -> Fix:
    if mode == "forwarded" and lists_root:
        return _told(p, server, f"lists OpenAPI servers `{p.seen}`, without the prefix")
    return Fix(
        f"OpenAPI servers `{p.seen}`: the docs' 'Try it out' calls the host's root, not "
        f"`{PREFIX}`: declare the server in the framework's OpenAPI settings (e.g. FastAPI "
        f'`servers=[{{"url": "{PREFIX}"}}]`, Litestar `OpenAPIConfig(servers=...)`).',
        False,
    )


LIVE_PROBES = ("websocket", "stream")  # of the native apps and the adapters
LIVE_PREFIXES = ("websocket", "stream", "WS ")  # and of --app: "WS /ws", "stream GET /events"


def _lines(block: str) -> str:
    """A configuration block on one line, as Markdown code."""
    return " ".join(line.strip() for line in block.strip().splitlines())


def upgrade_lines(proxy: str) -> str:
    """What passes a WebSocket handshake on in ``proxy``'s configuration, quoted from the
    configuration the report runs (``templates``)."""
    cls = PROXIES[proxy]
    if issubclass(cls, Nginx):
        return (
            f"in nginx's `http` block `{_lines(templates.NGINX_HTTP)}`, and in the `location` "
            f"`proxy_http_version 1.1; {_lines(templates.NGINX_UPGRADE)}` (Upgrade and "
            "Connection are hop-by-hop: nginx passes neither on by itself)"
        )
    if issubclass(cls, Apache):
        return f"`{templates.APACHE_UPGRADE}` on the `ProxyPass` line (Apache 2.4.47 or later)"
    if issubclass(cls, HAProxy):
        return f"HAProxy in `mode http` tunnels it after the 101; `{templates.HAPROXY_TUNNEL}`"
    return f"{proxy} passes a handshake on as it is configured here"


def live_fix(p: Probe, *, server: str, proxy: str, mode: str) -> Fix:
    """The fix for a failed WebSocket or stream probe, from what the proxy's class declares
    and the configuration it runs."""
    if mode == "none":
        return Fix(
            f"Without a proxy, {server} answers `{p.seen}`: the server or the app, not a proxy.",
            False,
        )
    cls = PROXIES[proxy]
    if p.name.startswith("stream"):
        return _stream(p, server, proxy, mode)
    if p.seen.startswith("HTTP ") and not cls.websocket:
        return Fix(
            f"`{p.seen}`: {proxy} sends the handshake to the app as a plain GET, which the "
            f"app answers as one: add {upgrade_lines(proxy)}.",
            False,
        )
    if p.seen.startswith("HTTP "):
        status = p.seen.removeprefix("HTTP ").split(" ", 1)[0]  # "HTTP 403 (directly 101)"
        if status not in ("403", "500"):
            return _status(replace(p, seen=status), server, proxy, mode)
        return _refused(p, server, proxy, mode, "the app refused the handshake")
    if p.seen.startswith("subprotocol") and cls.subprotocol == "first offered":
        return Fix(
            f"`{p.seen}`: {proxy} answers the handshake itself, telling the client the first "
            "subprotocol it offered before it asks the app, whose choice is then only logged: "
            "offer the app's subprotocol first (or alone).",
            False,
        )
    if p.seen.startswith("hello root_path"):
        if server == "native":
            return Fix(
                f"`{p.seen}`: Sanic's own server has no root path to give an app (ASGI's "
                "`root_path` is an ASGI server's): serve it with an ASGI server told the prefix "
                f"(uvicorn `{root_option('uvicorn')}`), or have the app take it from its "
                "configuration.",
                False,
            )
        if mode == "forwarded" and not cls.forwards_prefix_on_websocket:
            option = root_option(server)
            told = f"`{option}`" if option else "the root path"
            return Fix(
                f"`{p.seen}`: {proxy} sends `X-Forwarded-Prefix` with HTTP requests only, not "
                "with a WebSocket handshake, so nothing tells the app the prefix there: have "
                f"the server tell it ({server} {told}, as in mode strip).",
                False,
            )
        return _told(p, server, f"says `{p.seen}` in its WebSocket's first message")
    after = p.seen.startswith("101") and ", then " in p.seen
    if after and cls.handshake == "proxy's":
        why = (
            f"{proxy} answers the handshake itself and then opens its own to the app, so an "
            "app's refusal reaches the client as that 101 and a close"
        )
        return _refused(p, server, proxy, mode, why)
    if after:
        return Fix(
            f"`{p.seen}`: the connection ended after the handshake; {proxy} keeps one open "
            f"with {upgrade_lines(proxy)}; otherwise see the app's log.",
            False,
        )
    return Fix(f"`{p.seen}` behind {proxy} ({mode}); directly, it answers; see its log.", False)


def _refused(p: Probe, server: str, proxy: str, mode: str, why: str) -> Fix:
    """A handshake refused, as a path without a WebSocket route is refused: the fix of a 404."""
    routed = _status(replace(p, seen="404"), server, proxy, mode)
    return Fix(
        f"`{p.seen}`: {why}; Starlette, FastAPI, Falcon and the adapters answer 403, Sanic "
        "500, to a handshake no WebSocket route matches: where the same cell's HTTP routes "
        f"answer 404, this has their cause and their fix: {routed.text}",
        routed.middleware,
    )


def _stream(p: Probe, server: str, proxy: str, mode: str) -> Fix:
    cls = PROXIES[proxy]
    if p.seen.startswith("HTTP "):
        return _status(replace(p, seen=p.seen.removeprefix("HTTP ")), server, proxy, mode)
    if p.seen != live.ENDED:
        return Fix(f"`{p.seen}` behind {proxy} ({mode}); directly, it streams; see its log.", False)
    if cls.event_stream == "streamed if asked":
        return Fix(
            f"`{p.seen}`: {proxy} passes an answer on as it comes only to a request whose "
            "`Accept` is exactly `text/event-stream`, as a browser's `EventSource` sends it; "
            "any other it reads whole first: have the client send `Accept: text/event-stream`.",
            False,
        )
    if issubclass(cls, Nginx):
        header = next(f"{k}: {v}" for k, v in STREAM_HEADERS.items() if k.startswith("X-Accel"))
        return Fix(
            f"`{p.seen}`: nginx held the answer in its buffers (`proxy_buffering`, on by "
            f"default): have the app send the header `{header}` with the stream, or add "
            "`proxy_buffering off;` to the `location`.",
            False,
        )
    return Fix(
        f"`{p.seen}`: the answer was held back on its way: {server} or {proxy} buffered it; "
        "see the server's and the proxy's buffering options.",
        False,
    )
