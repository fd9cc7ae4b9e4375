"""The suite's pytest plugin acts on the suite's own tests only.

Another test suite in the same environment, with fixtures named as the suite's parameters
(``framework``, ``target``) and fixtures (``api``, ``deployment``), runs unchanged whether the
plugin is loaded or not, and no asgi-compare summary is printed for it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN = "conformance_tests.plugin"
PROJECT = Path(__file__).resolve().parents[1]

UNRELATED_CONFTEST = """
import pytest


@pytest.fixture
def framework():
    return "django"


@pytest.fixture(params=["staging", "production"])
def target(request):
    return request.param


@pytest.fixture
def api():
    return "their own api"
"""

UNRELATED_TESTS = """
import signal


def test_framework(framework):
    assert framework == "django"


def test_target(target):
    assert target in ("staging", "production")


def test_both(framework, target, api):
    assert (framework, api) == ("django", "their own api")
    assert target in ("staging", "production")


def test_no_sigterm_handler_of_anyone_else():
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, signal.SIG_IGN)
"""

# Every test of the unrelated suite, in its own order, and nothing else.
UNRELATED_RUN = [
    "test_unrelated.py::test_framework PASSED",
    "test_unrelated.py::test_target[staging] PASSED",
    "test_unrelated.py::test_target[production] PASSED",
    "test_unrelated.py::test_both[staging] PASSED",
    "test_unrelated.py::test_both[production] PASSED",
    "test_unrelated.py::test_no_sigterm_handler_of_anyone_else PASSED",
]


@pytest.fixture
def unrelated(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(UNRELATED_CONFTEST)
    pytester.makepyfile(test_unrelated=UNRELATED_TESTS)
    return pytester


def outcomes_of(result: pytest.RunResult) -> list[str]:
    return re.findall(r"^(test_unrelated\.py::\S+ [A-Z]+)", result.stdout.str(), re.MULTILINE)


@pytest.mark.parametrize("options", [[], ["-p", PLUGIN]], ids=["plain", "with-the-plugin"])
def test_an_unrelated_suite_runs_unchanged(unrelated: pytest.Pytester, options: list[str]) -> None:
    result = unrelated.runpytest_subprocess("-p", "no:cacheprovider", "-v", *options)
    result.assert_outcomes(passed=len(UNRELATED_RUN))
    assert outcomes_of(result) == UNRELATED_RUN
    assert "asgi-compare" not in result.stdout.str()


def test_the_suites_fixtures_are_not_offered_to_other_tests(unrelated: pytest.Pytester) -> None:
    result = unrelated.runpytest_subprocess("-p", "no:cacheprovider", "-p", PLUGIN, "--fixtures")
    assert result.ret == 0
    assert "conformance_tests" not in result.stdout.str()


def test_in_one_run_the_plugin_acts_on_the_suites_tests_only(unrelated: pytest.Pytester) -> None:
    """The unrelated tests run unchanged next to the suite's, and the summary counts only these."""
    suite = "conformance_tests.test_transcripts"
    result = unrelated.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", PLUGIN, "-v", "--framework", "quart",
        "test_unrelated.py", "--pyargs", suite, "-k", "unrelated and not sigterm or get_transcript",
    )  # fmt: skip
    # The suite's SIGTERM handler is in place while the suite's tests run, so for all of them.
    unchanged = UNRELATED_RUN[:-1]
    assert outcomes_of(result) == unchanged
    ran = re.findall(r"::test_lecture_get_transcript\[quart-asgi-\S+\] PASSED", result.stdout.str())
    assert len(ran) == 30  # ten requests at three in-process mounts
    result.assert_outcomes(passed=len(unchanged) + len(ran), deselected=7)
    result.stdout.fnmatch_lines(
        ["*asgi-compare: conformance by framework*", f"quart * {len(ran)} * 0 * 0  CONFORMS"]
    )


def test_a_test_elsewhere_joins_the_suite_by_its_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_joining="""
        import pytest

        pytestmark = [pytest.mark.anyio, pytest.mark.asgi_compare]


        async def test_hello(api):
            assert (await api.client.get("/hello")).json() == {"message": "Hello World"}
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", PLUGIN, "-p", "conformance_tests.fixtures",
        "--framework", "quart",
    )  # fmt: skip
    result.assert_outcomes(passed=3)  # at the three in-process mounts
    result.stdout.fnmatch_lines(["quart * 3 * 0 * 0  CONFORMS"])


@pytest.mark.parametrize(
    ("in_project", "args"),
    [
        (True, []),  # `make pytest`: the testpaths
        (True, ["conformance_tests"]),
        (False, ["-p", PLUGIN, "--pyargs", "conformance_tests"]),  # `asgi-compare conformance`
    ],
    ids=["project", "project-suite", "elsewhere"],
)
def test_the_suites_options_are_known_where_the_suite_runs(
    tmp_path: Path, in_project: bool, args: list[str]
) -> None:
    """pytest reads the command line before it imports conftests it finds by a package name."""
    pytest_command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only"]
    run = subprocess.run(
        [*pytest_command, "-q", "--framework", "quart", "--server", "asgi", *args],
        cwd=PROJECT if in_project else tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "test_hello[quart-asgi-no-prefix]" in run.stdout
    # The suite's tests; tests/ holds the tools' own, whose ids name adapters of their own.
    lines = run.stdout.splitlines()
    suite = [line for line in lines if "::test_" in line and not line.startswith("tests/")]
    assert suite and not [line for line in suite if "[fastapi-" in line]
