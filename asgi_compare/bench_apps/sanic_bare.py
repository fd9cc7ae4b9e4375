"""GET /hello on Sanic built as the adapter is: a blueprint, sanic-ext installed but not
attached (``AUTO_EXTEND = False``), and a pydantic model dumped into ``json()``."""

from pydantic import BaseModel
from sanic import Blueprint, Request, Sanic
from sanic.response import HTTPResponse, json


class Message(BaseModel):
    message: str


bp = Blueprint("api")


@bp.get("/hello", name="hello")
async def hello(request: Request) -> HTTPResponse:
    return json(Message(message="Hello World").model_dump())


app = Sanic("bare_sanic")
# As the adapter: sanic-ext is not attached (setup_ext returns at once when AUTO_EXTEND is off,
# sanic/application/ext.py, Sanic 25.12), and its ``@validate`` is a plain decorator that runs
# only on the routes it wraps (sanic_ext/extras/validation/decorator.py, sanic-ext 25.12),
# which GET /hello is not; so on this route sanic-ext costs nothing, here as in the adapter.
app.config.AUTO_EXTEND = False
app.blueprint(bp)
