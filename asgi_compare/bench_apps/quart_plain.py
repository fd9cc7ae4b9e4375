"""GET /hello on Quart alone, as its docs first show it: ``@app.get`` on the app, a dict returned
for Quart to turn into JSON."""

from quart import Quart

app = Quart(__name__)


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello World"}
