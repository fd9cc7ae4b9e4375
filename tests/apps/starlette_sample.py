"""Starlette as its docs write it: no OpenAPI document, a trailing-slash redirect of its own."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route


async def homepage(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


async def users(request: Request) -> JSONResponse:
    return JSONResponse({"users": ["tom", "lucy"]})


async def login(request: Request) -> RedirectResponse:
    return RedirectResponse(url="/users")


app = Starlette(
    routes=[
        Route("/", homepage),
        Route("/users/", users),
        Route("/login", login),
    ]
)
