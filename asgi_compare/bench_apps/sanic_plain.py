"""GET /hello on Sanic alone, as its docs first show it: ``@app.get`` on the app, a dict into
``json()``."""

from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

app = Sanic("plain_sanic")
# sanic-ext is installed for the proxy report's native app and would attach itself here too;
# the adapter turns it off, so the plain app does as well.
app.config.AUTO_EXTEND = False


@app.get("/hello")
async def hello(request: Request) -> HTTPResponse:
    return json({"message": "Hello World"})
