"""GET /hello on FastAPI built as the adapter is: an ``APIRouter`` included in the app, and a
pydantic response model."""

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel


class Message(BaseModel):
    message: str


router = APIRouter()


# The return annotation is the response model: FastAPI validates and serialises the answer
# through it (serialize_response, fastapi/routing.py, FastAPI 0.165).
@router.get("/hello", name="hello")
async def hello() -> Message:
    return Message(message="Hello World")


app = FastAPI(docs_url=None, redoc_url=None)
# As "Bigger Applications" teaches. FastAPI 0.165 keeps the router as one route of the app
# (_IncludedRouter, fastapi/routing.py) and matches each request again over its routes.
app.include_router(router)
