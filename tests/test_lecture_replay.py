"""The lecture's session, replayed by examples/lecture_session.py, reads the same on every
adapter, word for word as examples/lecture_session.out (shown in the README)."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from asgi_compare.harness import FRAMEWORKS, Deployment

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def session(example: str, framework: str, workdir: Path) -> tuple[str, str]:
    """What ``examples/<example>`` prints against a fresh app of ``framework`` on uvicorn,
    and the URL it was given."""
    d = Deployment(framework, "uvicorn", workdir=workdir)
    d.start()
    try:
        d.wait_ready()
        out = subprocess.run(
            [sys.executable, str(EXAMPLES / example), d.base_url],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    finally:
        d.stop()
    return out, d.base_url


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_lecture_replays_identically(framework: str, tmp_path: Path) -> None:
    out, _ = session("lecture_session.py", framework, tmp_path)
    assert out == (EXAMPLES / "lecture_session.out").read_text(encoding="utf-8")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_live_session_reads_as_the_readme_shows(framework: str, tmp_path: Path) -> None:
    """The README's WebSocket and event-stream session, on every adapter: the same lines but
    for the adapter's name, version and address, and each event a second after the last."""
    out, base_url = session("live_session.py", framework, tmp_path)
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    shown = readme.partition("$ .venv/bin/python examples/live_session.py")[2]
    shown = shown.partition("\n")[2].partition("```")[0]
    host = base_url.removeprefix("http://")
    expected = (
        shown.replace('"falcon"', f'"{framework}"')
        .replace("4.4.0", version(framework))
        .replace("127.0.0.1:8124", host)
    )
    # The events' seconds are the server's pace, not checked here (the suite checks it).
    assert re.sub(r"\n  \d+ s ", "\n  ", out) == re.sub(r"\n  \d+ s ", "\n  ", expected)
