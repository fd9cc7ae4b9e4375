"""GET /hello on Quart built as the adapter is: a blueprint, quart-schema attached, and a
pydantic model returned for quart-schema to turn into JSON."""

from pydantic import BaseModel
from quart import Blueprint, Quart
from quart_schema import QuartSchema


class Message(BaseModel):
    message: str


bp = Blueprint("api", __name__)


@bp.get("/hello")
async def hello() -> Message:
    return Message(message="Hello World")


app = Quart(__name__, static_folder=None)  # as the adapter: no /static route
# quart-schema wraps the app's make_response: every answer passes its conversion, which dumps
# a model with model_dump (wrap_make_response, quart_schema/extension.py, and model_dump,
# quart_schema/conversion.py, quart-schema 0.25).
QuartSchema(app, openapi_path=None)
app.register_blueprint(bp)
