import falcon.asgi


class Hello:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = {"message": "Hello World"}


app = falcon.asgi.App()
app.add_route("/hello", Hello())
