"""GET /hello on Falcon built as the adapter is: a resource with a suffixed responder, and a
pydantic model dumped into ``resp.media``."""

import falcon.asgi
from pydantic import BaseModel


class Message(BaseModel):
    message: str


class Demo:
    async def on_get_hello(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = Message(message="Hello World").model_dump()


app = falcon.asgi.App()
app.add_route("/hello", Demo(), suffix="hello")
