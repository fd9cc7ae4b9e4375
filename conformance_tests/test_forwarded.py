"""What a proxy forwards, as ``/about`` shows it, on every server reached directly: a trusted
peer's ``X-Forwarded-Proto``, ``-Host`` and ``-For`` are what the app sees; an untrusted peer's
are not, and neither overrides the prefix the operator configured. (The same in-process, for
every adapter: tests/test_in_process.py.) On every target: Posit Connect's header, sent by a
client, changes nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from asgi_compare.harness import SERVERS
from conformance_tests.plugin import Api, Target, own_server

FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "api.example.org",
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Prefix": "/evil",
}
SEEN = ("scheme", "host", "client", "root_path")
# Servers that hand the app X-Forwarded-* as they came: all of them, as the suite runs them.
# uvicorn would apply X-Forwarded-Proto and -For itself first (its --proxy-headers default,
# trusting 127.0.0.1), and the app would see the forwarded client as its peer; it runs with
# --no-proxy-headers (asgi_compare/harness/servers.py).
TELL_THE_APP = SERVERS


def seen(about: dict[str, str]) -> tuple[str, ...]:
    return tuple(about[k] for k in SEEN)


@pytest.mark.anyio
@pytest.mark.targets(servers=TELL_THE_APP, modes=("none",))
async def test_a_trusted_peer_sets_what_the_app_sees(api: Api) -> None:
    # The suite connects from 127.0.0.1, trusted by default (ASGI_COMPARE_FORWARDED_ALLOW_IPS).
    r = await api.client.get("/about", headers=FORWARDED)
    assert seen(r.json()) == ("https", "api.example.org", "203.0.113.7", "/evil")


@pytest.mark.starts_servers
@pytest.mark.targets(servers=TELL_THE_APP, modes=("none",))
def test_an_untrusted_peer_sets_nothing(framework: str, target: Target, tmp_path: Path) -> None:
    env = {"ASGI_COMPARE_FORWARDED_ALLOW_IPS": "10.255.255.1"}  # not the suite's 127.0.0.1
    with own_server(framework, target.server, tmp_path, env) as d:
        with httpx.Client(base_url=d.base_url, timeout=30) as client:
            about = client.get("/about", headers=FORWARDED).json()
            docs = client.get("/", headers=FORWARDED)
    host = d.base_url.removeprefix("http://")
    assert seen(about) == ("http", host, "127.0.0.1", "")
    assert docs.headers["location"] == "/docs"


@pytest.mark.starts_servers
@pytest.mark.targets(servers=TELL_THE_APP, modes=("none",))
def test_a_configured_prefix_is_never_overridden(
    framework: str, target: Target, tmp_path: Path
) -> None:
    with own_server(framework, target.server, tmp_path, {"ASGI_COMPARE_ROOT_PATH": "/px"}) as d:
        with httpx.Client(base_url=d.base_url, timeout=30) as client:
            about = client.get("/px/about", headers=FORWARDED).json()
            docs = client.get("/px/", headers=FORWARDED)
    assert seen(about) == ("https", "api.example.org", "203.0.113.7", "/px")
    assert docs.headers["location"] == "/px/docs"


@pytest.mark.anyio
async def test_a_connect_base_url_from_a_client_changes_nothing(api: Api) -> None:
    """Posit Connect's ``RStudio-Connect-App-Base-URL`` is not read (docs/proxy.md): Connect
    also sets the scope's ``root_path``, and from anyone else the header is a client's."""
    spoof = {"RStudio-Connect-App-Base-URL": "https://evil.example/evil"}
    plain = (await api.client.get("/about")).json()
    assert (await api.client.get("/about", headers=spoof)).json() == plain
    docs = await api.client.get("/", headers=spoof)
    assert docs.headers["location"] == f"{api.root}/docs"
