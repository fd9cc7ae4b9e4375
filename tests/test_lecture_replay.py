"""The lecture's session, replayed by examples/lecture_session.py, reads the same on every
adapter, word for word as examples/lecture_session.out (shown in the README)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from asgi_compare.harness import FRAMEWORKS, Deployment

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_lecture_replays_identically(framework: str, tmp_path: Path) -> None:
    d = Deployment(framework, "uvicorn", workdir=tmp_path)
    d.start()
    try:
        d.wait_ready()
        out = subprocess.run(
            [sys.executable, str(EXAMPLES / "lecture_session.py"), d.base_url],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    finally:
        d.stop()
    assert out == (EXAMPLES / "lecture_session.out").read_text(encoding="utf-8")
