"""Every behaviour of the asgi-compare API, written once and free of any web framework.

The four adapters (``fastapi_app``, ``quart_app``, ``falcon_app``, ``sanic_app``) only parse
requests, call into this package and serialise its answers.
"""
