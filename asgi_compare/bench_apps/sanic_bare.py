from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

app = Sanic("bare_sanic")
# sanic-ext is installed for the proxy report's native app and would attach itself here too;
# the adapter turns it off, so the bare app does as well for a fair comparison.
app.config.AUTO_EXTEND = False


@app.get("/hello")
async def hello(request: Request) -> HTTPResponse:
    return json({"message": "Hello World"})
