"""GET /hello on Falcon alone, as its docs first show it: a resource's ``on_get``, a dict in
``resp.media``."""

import falcon.asgi


class Hello:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = {"message": "Hello World"}


app = falcon.asgi.App()
app.add_route("/hello", Hello())
