"""The sample and native apps, each wrapped in PrefixMiddleware the way its framework routes."""

from __future__ import annotations

from asgi_compare import PrefixMiddleware
from asgi_compare.harness import PREFIX
from asgi_compare.native import falcon_native, fastapi_native
from tests.apps import litestar_sample, starlette_sample

# Starlette, FastAPI and Litestar route on a path that holds the root path; Falcon on one that
# does not.
# Falcon's and Litestar's __call__ name narrower scope and message types than core.head's
# ASGIApp, which mypy will not accept as a parameter.
fastapi = PrefixMiddleware(fastapi_native.app)
falcon = PrefixMiddleware(falcon_native.app, path_includes_root=False)  # type: ignore[arg-type]
starlette = PrefixMiddleware(starlette_sample.app)
litestar = PrefixMiddleware(litestar_sample.app)  # type: ignore[arg-type]
# The prefix configured, as with ``FastAPI(root_path=...)``: served under it only.
fastapi_rooted = PrefixMiddleware(fastapi_native.app, root_path=PREFIX)
