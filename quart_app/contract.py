"""What the Quart adapter needs beyond Quart's idiom: a request class that reads the query
and the body as FastAPI does, for quart-schema's decorators (``app.request_class``)."""

from __future__ import annotations

from typing import Any

from quart import Request
from werkzeug.datastructures import MultiDict
from werkzeug.utils import cached_property

from core.validation import body_value, query_pairs

__all__ = ["ApiRequest"]


class ApiRequest(Request):
    """The query and the body as FastAPI reads them, for quart-schema's decorators."""

    @cached_property
    def args(self) -> MultiDict[str, str]:
        # Werkzeug keeps an escape that is not UTF-8 ("%FF"); Starlette decodes it to U+FFFD.
        # quart-schema reads `x[]=1` as x=[1]; FastAPI ignores a name no parameter has.
        pairs = query_pairs(self.query_string)
        return MultiDict((name, value) for name, value in pairs if not name.endswith("[]"))

    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        body: bytes = await self.get_data(cache=cache, as_text=False, parse_form_data=False)
        return body_value(body, self.headers.get("content-type"))
