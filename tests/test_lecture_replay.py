"""The lecture's session, replayed by examples/lecture_session.py, reads the same on every
adapter, word for word as examples/lecture_session.out (shown in the README)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from asgi_compare.deploy import Deployment, free_ports

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_the_lecture_replays_identically(framework: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port, proxy_port = free_ports(2, start=25000)
        d = Deployment(framework, "uvicorn", "none", port, proxy_port, Path(tmp))
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
