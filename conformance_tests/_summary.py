"""The per-framework table printed at the end of a run that ran the suite's tests."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from asgi_compare.harness import FRAMEWORKS
from conformance_tests._options import DEPLOYED

DIFFERENTIAL = "all (differential)"
OWNER = "asgi-compare framework"  # the user property naming a test's adapter


class FrameworkSummary:
    """Counts the outcomes of the suite's tests per adapter and prints them as a table."""

    def __init__(self, in_suite: Callable[[pytest.Item], bool]) -> None:
        self.in_suite = in_suite
        self.tally: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Each test's adapter travels with its reports, also from pytest-xdist's workers to
        the process that prints the table."""
        for item in filter(self.in_suite, items):
            callspec = getattr(item, "callspec", None)
            if callspec is not None and "framework" in callspec.params:
                item.user_properties.append((OWNER, callspec.params["framework"]))
            elif "all_apis" in getattr(item, "fixturenames", ()):
                item.user_properties.append((OWNER, DIFFERENTIAL))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        owner = dict(report.user_properties).get(OWNER)
        if not isinstance(owner, str):
            return
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.tally[owner][report.outcome] += 1
        elif report.when == "teardown" and report.failed:
            self.tally[owner]["failed"] += 1

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.tally:  # none of the suite's tests ran
            return
        tr = terminalreporter
        tr.section("asgi-compare: conformance by framework")
        tr.write_line(f"{'framework':<20} {'passed':>7} {'failed':>7} {'skipped':>8}  verdict")
        for owner in [*FRAMEWORKS, DEPLOYED, DIFFERENTIAL]:
            if owner in self.tally:
                c = self.tally[owner]
                verdict = "CONFORMS" if c["failed"] == 0 and c["passed"] > 0 else "DIFFERS"
                tr.write_line(
                    f"{owner:<20} {c['passed']:>7} {c['failed']:>7} {c['skipped']:>8}  {verdict}"
                )
