"""Sanic keeps state per process: one app per name, and TouchUp, a rewrite of its request
handling in place. Whatever order a process creates apps in, and whichever Sanic app starts
first (one of ours or anyone's), TouchUp runs once and every app answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import asyncio, importlib.util, sys
from sanic.http.http1 import Http
from conformance_tests._apis import client_of

def copy_of_the_module():  # app.py loaded again by its path, as a test loader may
    spec = importlib.util.spec_from_file_location("copy_of_app", "sanic_app/app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

async def hello(app):
    async with client_of(app) as client:
        return (await client.get("/hello")).status_code

def someone_elses_app():  # a plain Sanic app in the same process, started first
    from sanic import Sanic, text
    app = Sanic("someone_else")
    app.get("/hello")(lambda request: text("hi"))
    return app

async def main(order):
    if order == "a-plain-sanic-app-first":
        assert await hello(someone_elses_app()) == 200
        import sanic_app.app as module
        others = [module.create_app(), module.create_app()]
    elif order == "the-servers-app-first":
        import sanic_app.app as module
        others = [module.create_app(), module.create_app()]
    else:
        others = [copy_of_the_module().app]
        import sanic_app.app as module
        others.append(module.create_app())
    first = await hello(module.app)  # the app a server loads, started first
    touched = getattr(Http, "__touched__", False)
    print(first, touched, [await hello(app) for app in others])

asyncio.run(main(sys.argv[1]))
"""


ORDERS = ["the-servers-app-first", "other-apps-first", "a-plain-sanic-app-first"]


@pytest.mark.parametrize("order", ORDERS)
def test_the_first_app_to_start_runs_touchup_whichever_was_made_first(order: str) -> None:
    """Without it, an app made before the server's took TouchUp, and the server's app ran
    untouched Sanic, at about half the requests a second; and after any other Sanic app of
    the process had run TouchUp, the adapter's ran it again and failed its start-up
    (``KeyError: 'http1_request_header'``)."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, order],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == "200 True [200, 200]", done.stdout + done.stderr
