"""The tool as someone else's project installs it: the built wheel, in a clean virtualenv outside
the checkout. The base install (``pip install asgi-compare``) gives ``PrefixMiddleware`` and every
``--help``; each command without its extra names the one to install and exits 2; the ``report``
extra alone runs ``proxy-report --app`` on an app of that project, behind nginx."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from asgi_compare import extras
from asgi_compare.cli import build_parser
from asgi_compare.harness import installed_versions
from asgi_compare.harness.proxies import nginx_binary

ROOT = Path(__file__).resolve().parent.parent

# Each command, and the extra it needs, as it names it. The suite's ``test`` extra holds the
# ``serve`` one: a command that needs it names the first.
COMMANDS: dict[str, tuple[list[str], str]] = {
    "serve": (["serve", "fastapi"], "serve"),
    "conformance": (["conformance"], "test"),
    "proxy-report": (["proxy-report"], "serve"),
    "proxy-report --app": (["proxy-report", "--app", "main:app"], "report"),
    "bench": (["bench"], "serve"),
    "manifest": (["manifest", "fastapi"], "connect"),
    "side-by-side": (["side-by-side"], "guide"),
}

# What the wheel is not built from: the checkout's caches, environments and outputs.
NOT_BUILT = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "docs")
NOT_BUILT_EITHER = ("tests", "test-artifacts", "bench-results", "deploy", "reports")

# A project of its own: Starlette, wrapped in PrefixMiddleware as docs/own-app.md says.
USER_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from asgi_compare import PrefixMiddleware


async def users(request):
    return JSONResponse({"users": ["tom", "lucy"]})


async def login(request):
    return RedirectResponse(url="/users")


app = PrefixMiddleware(Starlette(routes=[Route("/users", users), Route("/login", login)]))
"""


@dataclass(frozen=True)
class Venv:
    root: Path
    wheel: Path
    project: Path

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return subprocess.run(
            [str(self.root / "bin" / args[0]), *args[1:]],
            cwd=cwd or self.project,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,  # a package registry on a slow day; no deadline of the tool's
        )

    def pip(self, *args: str) -> None:
        done = self.run("python", "-m", "pip", "install", "--quiet", *args)
        assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    where = tmp_path_factory.mktemp("lean")
    # Built from a copy: setuptools builds in the source tree, which is left as it was.
    source = where / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_BUILT, *NOT_BUILT_EITHER))
    wheel = ("wheel", "--quiet", "--no-deps", "--no-build-isolation")
    built = subprocess.run(
        [sys.executable, "-m", "pip", *wheel, "--wheel-dir", str(where / "dist"), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (built_wheel,) = (where / "dist").glob("asgi_compare-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(where / "venv")], check=True)
    project = where / "project"  # outside the checkout: nothing of it is importable there
    project.mkdir()
    (project / "main.py").write_text(USER_APP.lstrip(), encoding="utf-8")
    env = Venv(where / "venv", built_wheel, project)
    env.pip(str(built_wheel))
    yield env


def test_the_base_install_is_the_middleware_and_the_help(venv: Venv) -> None:
    done = venv.run("pip", "list", "--format", "json")
    names = {p["name"].lower() for p in json.loads(done.stdout)}
    assert names - {"pip", "setuptools"} == {"asgi-compare", "packaging"}
    done = venv.run("python", "-c", "from asgi_compare import PrefixMiddleware; print('ok')")
    assert done.stdout == "ok\n", done.stderr
    for args in (["--help"], *([name, "--help"] for name in _subcommands())):
        done = venv.run("asgi-compare", *args)
        assert done.returncode == 0, (args, done.stderr)
        assert done.stdout.startswith("usage: asgi-compare"), args


def _subcommands() -> list[str]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert sub.choices is not None
    return list(sub.choices)


def test_every_command_is_in_the_table() -> None:
    assert {args[0] for args, _ in COMMANDS.values()} == set(_subcommands())


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_command_without_its_extra_names_it(venv: Venv, name: str) -> None:
    args, extra = COMMANDS[name]
    done = venv.run("asgi-compare", *args)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"asgi-compare {args[0]}: ")
    assert line.endswith(f"not installed; pip install 'asgi-compare[{extra}]'")


@pytest.mark.skipif(nginx_binary() is None, reason="nginx: make system-packages")
def test_the_report_extra_runs_proxy_report_on_an_app_of_its_own(venv: Venv) -> None:
    venv.pip(f"{venv.wheel}[report]", "starlette")  # the project's own framework
    done = venv.run("pip", "list", "--format", "json")
    names = {p["name"].lower() for p in json.loads(done.stdout)}
    assert not names & {"fastapi", "quart", "falcon", "sanic", "scikit-learn", "matplotlib"}
    done = venv.run(
        *("asgi-compare", "proxy-report", "--app", "main:app", "--app-dir", str(venv.project)),
        *("--server", "uvicorn", "--mode", "strip,forwarded", "--probe", "/login", "--quiet"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((venv.project / "proxy-report.json").read_text(encoding="utf-8"))
    probes = [p for cell in data["cells"] for p in cell["probes"].values()]
    assert {(c["proxy"], c["mode"]) for c in data["cells"]} == {
        ("nginx", "strip"),
        ("nginx", "forwarded"),
    }
    assert probes and all(p["ok"] is not False for p in probes)
    assert "fastapi" not in data["meta"]["versions"]


def test_an_extra_holds_the_extras_it_names() -> None:
    def names(extra: str) -> set[str]:
        return {req.name for req in extras.requirements(extra)}

    assert names("serve") == names("apps") | names("report")
    assert names("test") >= names("serve") | names("proxies")
    assert "asgi-compare" not in names("dev")
    assert "fastapi" not in names("report")
    assert extras.requirements("no-such-extra") == []
    # What a report records of what is installed leaves out what is not.
    assert "no-such-distribution" not in installed_versions("no-such-distribution")
    assert "uvicorn" in installed_versions("no-such-distribution")
