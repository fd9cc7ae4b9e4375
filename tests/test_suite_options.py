"""The suite's --server, --mode and --proxy: which targets a run asks for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conformance_tests._matrix import Matrix
from conformance_tests._options import Selection, Target, server_of

PROJECT = Path(__file__).resolve().parents[1]


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


def collected(*options: str) -> set[str]:
    """The suite's test ids a run with these options would run (collected, not run)."""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "conformance_tests", "--collect-only", "-q", *options],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line for line in out.splitlines() if "::" in line}


def test_behind_other_proxies_only_what_a_proxy_can_change_runs() -> None:
    """app_only tests (what the app alone decides) run directly and behind nginx on uvicorn;
    behind another proxy only the rest, unless --every-test asks for everything."""
    matrix = ["--server", "uvicorn", "--proxy", "nginx,traefik", "--mode", "none,strip"]
    ids = collected(*matrix)
    add = "conformance_tests/test_contract.py::test_add[fastapi-uvicorn-{}-x=1&y=1-2]"
    hello = "conformance_tests/test_contract.py::test_hello[fastapi-uvicorn-{}]"
    assert {add.format("none"), add.format("nginx-strip")} <= ids
    assert add.format("traefik-strip") not in ids
    assert hello.format("traefik-strip") in ids
    assert add.format("traefik-strip") in collected(*matrix, "--every-test")


def test_app_only_runs_wherever_no_proxy_stands_in_front() -> None:
    given = Options(server=["asgi,all"], mode=["all"], proxy=["nginx", "all@uvicorn"])
    chosen = Selection.of(given)  # type: ignore[arg-type]
    running = {t.id for t in chosen.targets if chosen.runs_app_only(t)}
    assert running == {
        "asgi-no-prefix",
        "asgi-prefix-in-path",
        "asgi-prefix-stripped",
        *(f"{s}-none" for s in ("uvicorn", "hypercorn", "granian", "native")),
        *(f"uvicorn-nginx-{m}" for m in ("strip", "forwarded", "keep")),
    }


def test_every_proxy_apart_from_its_servers_reaches_one_per_adapter_server_and_mode(
    tmp_path: Path,
) -> None:
    given = Options(server=["uvicorn"], mode=["strip,forwarded"], proxy=["nginx,caddy,all"])
    chosen = Selection.of(given)  # type: ignore[arg-type]
    planned = Matrix.plan(tmp_path, ["falcon"], chosen.on_servers)
    by_target = {t.id: d for (_, t), d in planned.shared.items()}
    strip, forwarded = by_target["uvicorn-nginx-strip"], by_target["uvicorn-nginx-forwarded"]
    assert strip.upstream is None and forwarded.upstream is None
    assert by_target["uvicorn-caddy-strip"].upstream is strip
    assert by_target["uvicorn-haproxy-forwarded"].upstream is forwarded
    assert by_target["uvicorn-jupyter-server-proxy-strip"].upstream is None  # it starts its own
    assert {d.upstream for d in planned.differential.values()} == {None}  # fresh, each its own
    # ... and the tests of one server run on one worker (its xdist_group).
    assert {server_of("falcon", t) for t in chosen.on_servers} == {
        "falcon-uvicorn-strip",
        "falcon-uvicorn-forwarded",
        "falcon-uvicorn-strip-jupyter-server-proxy",
        "falcon-uvicorn-forwarded-jupyter-server-proxy",
    }
