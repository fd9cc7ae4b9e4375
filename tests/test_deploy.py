"""Real servers started by the suite leave no process behind, even when a test fails."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from asgi_compare.harness import group_alive
from conformance_tests._matrix import Matrix
from conformance_tests._options import Target

FAILING_TEST = """
import os
from pathlib import Path

import pytest

# A test outside the suite joins it by its marker.
pytestmark = [pytest.mark.anyio, pytest.mark.asgi_compare]



async def test_records_its_server_and_fails(api, deployment):
    assert (await api.client.get("/hello")).json() == {"message": "Hello World"}
    Path(os.environ["PIDS"]).open("a").write(f"{deployment.proc.pid}\\n")
    assert False, "failing on purpose"
"""


@pytest.mark.parametrize(
    ("adapter", "server", "proxy"),
    [("falcon", "uvicorn", "strip"), ("sanic", "native", "keep"), ("quart", "granian", "none")],
)
def test_servers_are_stopped_after_a_failing_test(
    pytester: pytest.Pytester, tmp_path: Path, adapter: str, server: str, proxy: str
) -> None:
    if proxy != "none" and shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        pytest.fail("nginx is not installed: run `make test`, which installs it")
    pids = tmp_path / "pids"
    pytester.makepyfile(test_failing=FAILING_TEST)
    os.environ["PIDS"] = str(pids)
    try:
        result = pytester.runpytest_subprocess(
            # The suite's plugin and fixtures load only where asked for.
            "-p",
            "conformance_tests.plugin",
            "-p",
            "conformance_tests.fixtures",
            "-p",
            "no:cacheprovider",
            "--framework",
            adapter,
            "--server",
            server,
            "--proxy",
            proxy,
        )
    finally:
        del os.environ["PIDS"]
    result.assert_outcomes(failed=1)
    [pid] = [int(line) for line in pids.read_text().split()]
    assert not group_alive(pid), f"server process group {pid} is still running"


def test_a_server_lingers_for_the_next_target_it_serves_and_no_longer(tmp_path: Path) -> None:
    given = ["uvicorn-nginx-strip", "uvicorn-haproxy-strip", "uvicorn-none"]
    targets = [Target("uvicorn", "strip", "nginx"), Target("uvicorn", "strip", "haproxy")]
    planned = Matrix.plan(tmp_path, ["falcon"], [*targets, Target("uvicorn", "none")])
    nginx, haproxy, direct = (("falcon", t) for t in (*targets, Target("uvicorn", "none")))
    assert [t.id for _, t in planned.shared] == given
    try:
        first = planned.start(nginx)
        planned.use(nginx, fresh=True)  # fresh as it is: no restart
        assert first.proc is not None
        pid = first.proc.pid
        planned.stop(nginx)
        assert group_alive(pid)  # left running for the next target it serves
        second = planned.start(haproxy)
        assert second.proc is not None and second.proc.pid == pid
        planned.use(haproxy, fresh=False)
        assert second.proc.pid == pid
        planned.use(haproxy, fresh=True)  # used since it started: restarted
        assert second.proc.pid != pid and not group_alive(pid)
        pid = second.proc.pid
        planned.stop(haproxy)
        planned.start(direct)  # another server: the one left running is stopped
        assert not group_alive(pid)
        direct_proc = planned.shared[direct].proc
        assert direct_proc is not None
        pid = direct_proc.pid
    finally:
        planned.close()
    assert not group_alive(pid)
