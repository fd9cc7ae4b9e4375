"""The suite's --server, --mode and --proxy: which targets a run asks for."""

from __future__ import annotations

import pytest

from conformance_tests._options import Selection, Target


class Options:
    """What pytest's config answers for the suite's options, as given on a command line."""

    def __init__(self, **given: list[str]) -> None:
        self.given = given

    def getoption(self, name: str) -> object:
        if name in ("url",):
            return None
        if name == "header":
            return []
        return self.given.get(name)


def targets(**given: list[str]) -> list[str]:
    return [t.id for t in Selection.of(Options(**given)).targets]  # type: ignore[arg-type]


def test_in_process_by_default() -> None:
    assert targets() == ["asgi-no-prefix", "asgi-prefix-in-path", "asgi-prefix-stripped"]


def test_modes_go_behind_nginx_unless_a_proxy_is_named() -> None:
    assert targets(server=["uvicorn"], mode=["none,strip"]) == [
        "uvicorn-none",
        "uvicorn-nginx-strip",
    ]
    # The older spelling: a mode given to --proxy.
    assert targets(server=["uvicorn"], proxy=["keep"]) == ["uvicorn-nginx-keep"]


def test_a_named_proxy_runs_in_every_mode_it_has() -> None:
    assert targets(server=["uvicorn"], proxy=["traefik"]) == [
        "uvicorn-traefik-strip",
        "uvicorn-traefik-forwarded",
        "uvicorn-traefik-keep",
    ]
    # Connect, emulated, has one; nginx with its defaults has no forwarded mode.
    assert targets(server=["granian"], proxy=["connect,nginx-default"], mode=["all"]) == [
        "granian-none",
        "granian-connect-strip",
        "granian-nginx-default-strip",
        "granian-nginx-default-keep",
    ]


def test_a_proxy_can_stand_in_front_of_some_servers_only() -> None:
    chosen = targets(server=["all"], mode=["all"], proxy=["nginx", "all@uvicorn"])
    assert "hypercorn-nginx-keep" in chosen and "native-nginx-strip" in chosen
    assert "uvicorn-traefik-forwarded" in chosen and "uvicorn-connect-strip" in chosen
    assert not [t for t in chosen if "traefik" in t and not t.startswith("uvicorn")]
    assert len(chosen) == len(set(chosen))  # nginx on uvicorn, asked for twice, runs once
    assert chosen[:3] == ["asgi-no-prefix", "asgi-prefix-in-path", "asgi-prefix-stripped"]


@pytest.mark.parametrize(
    "given",
    [
        {"server": ["uvicorn"], "proxy": ["connect"], "mode": ["keep"]},  # no such mode
        {"server": ["uvicorn"], "proxy": ["squid"]},
        {"server": ["uvicorn"], "proxy": ["nginx@iis"]},
        {"server": ["uvicorn"], "mode": ["sideways"]},
    ],
)
def test_what_no_proxy_can_run_is_refused(given: dict[str, list[str]]) -> None:
    with pytest.raises(pytest.UsageError):
        targets(**given)


def test_targets_name_their_proxy() -> None:
    assert Target("uvicorn", "strip", "caddy").id == "uvicorn-caddy-strip"
    assert Target("uvicorn", "none").id == "uvicorn-none"
    assert Target("url", "url").id == "url"
