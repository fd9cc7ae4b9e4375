"""The committed side-by-side guide is what the adapters' source generates today."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from asgi_compare import side_by_side
from asgi_compare.harness import FRAMEWORKS

DOCS = Path(__file__).resolve().parent.parent / "docs"
STALE = "stale: regenerate with `.venv/bin/asgi-compare side-by-side`"


def test_the_committed_guide_is_current() -> None:
    assert (DOCS / "side-by-side.md").read_text(encoding="utf-8") == (
        side_by_side.render_markdown() + "\n"
    ), STALE
    assert (DOCS / "side-by-side.html").read_text(encoding="utf-8") == (
        side_by_side.render_html()
    ), STALE


def test_every_route_shows_four_handlers() -> None:
    markdown = side_by_side.render_markdown()
    assert markdown.count("```python") == 4 * len(side_by_side.shown())
    assert "async def get_item" in markdown and "async def on_get_item" in markdown


def _found(span: str, source: str) -> bool:
    """``span`` as the adapter's source writes it, white space aside: ``...`` stands for a
    little of anything, and a name of core's (``core.validation.invalid_request``) must exist
    and be used there."""
    if span.startswith("core."):
        module, _, name = span.rpartition(".")
        return hasattr(importlib.import_module(module), name) and name in source
    flat = re.sub(r"\s+", " ", source).replace("( ", "(")
    pattern = ".{0,120}?".join(re.escape(part) for part in span.split("..."))
    return re.search(pattern, flat) is not None


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_every_piece_of_code_the_guide_names_is_in_the_adapter(framework: str) -> None:
    """Each account of an adapter names what it describes in backquotes; each must be in
    that adapter's package as written, so the prose cannot drift from the code unseen."""
    package = Path(importlib.import_module(f"{framework}_app").__file__ or "").parent
    source = "\n".join(path.read_text() for path in sorted(package.glob("*.py")))
    spans = [
        (topic, span)
        for topic, text in side_by_side.ACCOUNTS[framework].items()
        for span in re.findall(r"`([^`]+)`", text)
    ]
    assert len(spans) >= 5
    missing = [(topic, span) for topic, span in spans if not _found(span, source)]
    assert not missing, f"{framework}: not in {package.name}/: {missing}"


@pytest.mark.anyio
async def test_the_page_reads_without_scrolling_sideways_at_1400_px() -> None:
    """As a reader sees it, in Chromium: no handler is cut off behind a scroll bar."""
    from playwright.async_api import async_playwright

    from conformance_tests.test_browser import CHROMIUM_ARGS, chromium

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 1000})
            await page.goto((DOCS / "side-by-side.html").as_uri())
            blocks = await page.locator("pre").count()
            cut = await page.evaluate(
                "[...document.querySelectorAll('pre')]"
                ".filter(p => p.scrollWidth > p.clientWidth).map(p => p.textContent.slice(0, 60))"
            )
            wide = await page.evaluate("document.documentElement.scrollWidth > innerWidth")
        finally:
            await browser.close()
    assert blocks >= 4 * len(side_by_side.shown())
    assert cut == [] and not wide
