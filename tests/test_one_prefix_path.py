"""The prefix the four adapters apply over ASGI is ``PrefixMiddleware``'s, the middleware the
proxy report tells users to wrap their own apps in: with its ``__call__`` a pass-through, the
suite's prefix tests fail on every adapter, and its tests without a prefix still pass."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from asgi_compare.harness import FRAMEWORKS

ROOT = Path(__file__).resolve().parents[1]


def outcomes(report: Path) -> dict[str, bool]:
    """Each test's name (with its parameters) and whether it passed, from a JUnit report."""
    cases = ET.parse(report).getroot().iter("testcase")
    return {
        case.attrib["name"]: not any(case.find(tag) is not None for tag in ("failure", "error"))
        for case in cases
    }


def test_the_suite_fails_on_every_adapter_when_prefix_middleware_does_nothing(
    tmp_path: Path,
) -> None:
    report = tmp_path / "junit.xml"
    argv = [sys.executable, "-m", "pytest", "conformance_tests/test_contract.py"]
    argv += ["-p", "tests._prefix_passthrough", "-p", "no:cacheprovider", "-p", "no:xdist"]
    argv += ["-q", "--no-header", f"--junitxml={report}"]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    passed = outcomes(report)
    prefixed = {name: ok for name, ok in passed.items() if "-asgi-prefix-" in name}
    unprefixed = {name: ok for name, ok in passed.items() if "-asgi-no-prefix" in name}
    assert prefixed and unprefixed
    for framework in FRAMEWORKS:
        ours = {n: ok for n, ok in prefixed.items() if n.split("[")[1].startswith(framework)}
        failed = [n for n, ok in ours.items() if not ok]
        assert failed, f"{framework}: every prefix test passed without PrefixMiddleware"
    assert all(unprefixed.values()), [n for n, ok in unprefixed.items() if not ok]
