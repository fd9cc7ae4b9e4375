"""GET /hello on FastAPI built as the adapter is: an ``APIRouter`` included in the app, the
routes the adapter declares before /hello in the same order, and a pydantic response model."""

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel


class Message(BaseModel):
    message: str


router = APIRouter()


# Starlette tries an app's routes in order until one matches (Router.app, starlette/routing.py,
# Starlette 1.10), so the routes declared before /hello are part of what GET /hello costs: the
# adapter's are / and /docs, and these two keep that cost in the baseline (their answers are
# not measured).
@router.get("/", include_in_schema=False, name="root")
async def root() -> RedirectResponse:
    return RedirectResponse("/docs")


@router.get("/docs", include_in_schema=False, name="docs")
async def docs() -> HTMLResponse:
    return HTMLResponse("<!doctype html><title>docs</title>")


# The return annotation is the response model: FastAPI validates and serialises the answer
# through it (serialize_response, fastapi/routing.py, FastAPI 0.165).
@router.get("/hello", name="hello")
async def hello() -> Message:
    return Message(message="Hello World")


app = FastAPI(docs_url=None, redoc_url=None)
# As "Bigger Applications" teaches. FastAPI 0.165 keeps the router as one route of the app
# (_IncludedRouter, fastapi/routing.py) and matches each request again over its routes.
app.include_router(router)
