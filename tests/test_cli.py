"""The command line: defaults, and clear errors for unknown names."""

from __future__ import annotations

import os

import pytest

from asgi_compare import cli


def test_defaults_cover_everything() -> None:
    report = cli.build_parser().parse_args(["proxy-report"])
    assert report.mode == ["none", "strip", "forwarded", "keep"]
    assert report.server == ["uvicorn", "hypercorn", "granian", "native"]
    assert report.framework == ["fastapi", "quart", "falcon", "sanic"]
    bench = cli.build_parser().parse_args(["bench"])
    assert bench.endpoint == ["hello", "greeting", "add", "items", "predict", "plot"]
    assert {"cold", "loop", "async", "plot"} <= set(bench.extras)


@pytest.mark.parametrize(
    "argv",
    [["serve", "django"], ["proxy-report", "--mode", "sideways"], ["bench", "--server", "iis"]],
)
def test_unknown_names_are_refused_with_the_valid_ones(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.build_parser().parse_args(argv)
    assert exit_.value.code == 2
    assert "choose from" in capsys.readouterr().err


def test_only_sanic_has_a_native_server(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit, match="only sanic has a native server"):
        cli.main(["serve", "quart", "--server", "native"])
    ran: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(os, "execve", lambda path, argv, env: ran.append((argv, env)))
    cli.main(["serve", "sanic", "--server", "native", "--root-path", "/px", "--workers", "2"])
    [(cmd, env)] = ran
    assert cmd[1:3] == ["-m", "sanic"] and env["ASGI_COMPARE_ROOT_PATH"] == "/px"
    assert cmd[cmd.index("--workers") + 1] == "2"


def test_conformance_runs_the_suite_through_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []

    def main(args: list[str]) -> int:
        ran.append(args)
        return 0

    monkeypatch.setattr(pytest, "main", main)
    assert cli.main(["conformance", "--framework", "quart", "--", "-k", "items"]) == 0
    [args] = ran
    assert args[:4] == ["-p", "conformance_tests.plugin", "--pyargs", "conformance_tests"]
    assert args[-4:] == ["--framework", "quart", "-k", "items"]
