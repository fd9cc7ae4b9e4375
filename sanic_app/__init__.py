"""The asgi-compare API on Sanic: ``uvicorn sanic_app.app:app``."""
