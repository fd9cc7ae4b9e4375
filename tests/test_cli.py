"""The command line: defaults, and clear errors for unknown names."""

from __future__ import annotations

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


def test_only_sanic_has_a_native_server() -> None:
    with pytest.raises(SystemExit, match="only sanic has a native server"):
        cli.server_command("quart", "native", "127.0.0.1", 8000, "", 1)
    cmd, env = cli.server_command("sanic", "native", "127.0.0.1", 8000, "/px", 2)
    assert cmd[1:3] == ["-m", "sanic"] and env == {"ASGI_COMPARE_ROOT_PATH": "/px"}
