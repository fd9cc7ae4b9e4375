"""The asgi-compare API on Quart: ``uvicorn quart_app.app:app``."""
