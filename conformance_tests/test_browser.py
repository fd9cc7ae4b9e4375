"""Swagger UI in a real browser, through each real proxy under /prefix: it renders, it works,
and it loads nothing from anywhere but the app.

Headless Chromium (Debian's package) is driven by Playwright: one browser for the module's
tests, each in a context of its own (no cookies, cache or storage shared), as
pytest-playwright runs them. One screenshot per adapter and target is kept in the artifacts
folder (``--artifacts``, default ``test-artifacts/``).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from asgi_compare.harness import Deployment
from conformance_tests._options import DEFAULT_PROXY
from conformance_tests.plugin import Target
from core.routes import OPERATIONS

if TYPE_CHECKING:
    from playwright.async_api import Browser


def _where(target: Target) -> bool:
    """One server is enough to show the page works behind each kind of proxy, in strip mode;
    in keep mode (the app takes the prefix out of the path itself) the browser sees the same
    page whichever proxy passes it on, so behind the default proxy alone."""
    return target.server == "uvicorn" and (
        target.mode == "strip" or (target.mode == "keep" and target.proxy == DEFAULT_PROXY)
    )


pytestmark = [pytest.mark.anyio, pytest.mark.targets(where=_where)]

# As the machine's own probe starts it: without the background-networking flags Chromium
# tries to reach Google's hosts, which a closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCUMENTED = sum(op.in_schema for op in OPERATIONS)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Chromium is not installed: `make test` installs it (apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """The suite's backend, for as long as the module's browser (anyio's way to a wider scope)."""
    return "asyncio"


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """One Chromium for the module's tests: started for each, it cost each test 2.5 s of CPU
    more (9 s, not 6.5, with its server already running)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


async def test_swagger_ui_renders_and_tries_an_operation(
    framework: str, target: Target, deployment: Deployment, artifacts: Path, browser: Browser
) -> None:
    from playwright.async_api import expect

    origin = f"http://127.0.0.1:{deployment.proxy_port}"
    requested: list[str] = []
    failed: list[str] = []
    context = await browser.new_context(viewport={"width": 1280, "height": 1600})
    try:
        page = await context.new_page()
        page.on("request", lambda r: requested.append(r.url))
        page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
        page.on(
            "response",
            lambda r: failed.append(f"{r.url} {r.status}") if r.status >= 400 else None,
        )
        await page.goto(f"{deployment.base_url}/docs")
        operations = page.locator(".opblock")
        await expect(operations).to_have_count(DOCUMENTED)

        greeting = page.locator("#operations-default-greeting_get")
        await greeting.locator(".opblock-summary").click()
        await greeting.get_by_role("button", name="Try it out").click()
        await greeting.locator('input[placeholder="lang"]').fill("en")
        await greeting.get_by_role("button", name="Execute").click()
        answer = greeting.locator(
            ".live-responses-table td.response-col_description:not(.col_header)"
        )
        await expect(answer).to_contain_text('"text": "Hello"')
        await page.screenshot(path=artifacts / f"docs-{framework}-{target.id}.png", full_page=False)
    finally:
        await context.close()

    assert not failed, failed
    assert f"{deployment.base_url}/openapi.json" in requested
    elsewhere = [u for u in requested if not u.startswith(f"{origin}/prefix/")]
    assert not elsewhere, f"requests outside the app: {elsewhere}"
    assert any(urlsplit(u).path == "/prefix/greetings/en" for u in requested)
