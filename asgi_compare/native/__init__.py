"""Minimal apps written the way each framework's docs write them, with no correction at all.

``asgi-compare proxy-report`` serves these beside the adapters, to show what each framework
does natively behind a proxy. Each answers GET / (a redirect to the docs), GET
/greetings/{lang}, POST /items (201 with a Location from the framework's URL building), and GET
/about (the root path the framework saw, and its URL for /greetings/en), GET /events (an event
stream: ``count`` events, ``interval`` seconds apart) and WS /ws (a hello with the scope's root
path, then an echo of each text message; ``asgi-compare.v1`` selected when offered). Docs come
from the framework (FastAPI), its documented extension (quart-schema, sanic-ext), or nowhere
(Falcon).
"""
