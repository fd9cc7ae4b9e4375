"""Litestar as its docs write it: OpenAPI and a docs page at /schema, out of the box."""

from __future__ import annotations

from litestar import Litestar, get
from litestar.response import Redirect


@get("/")
async def index() -> str:
    return "Hello, world!"


@get("/books")
async def books() -> list[dict[str, str]]:
    return [{"title": "Moby Dick"}]


@get("/library")
async def library() -> Redirect:
    return Redirect(path="/books")


app = Litestar(route_handlers=[index, books, library])
