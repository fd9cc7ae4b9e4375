"""The committed side-by-side guide is what the adapters' source generates today."""

from __future__ import annotations

from pathlib import Path

from asgi_compare import side_by_side

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
