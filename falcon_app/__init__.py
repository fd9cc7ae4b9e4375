"""The asgi-compare API on Falcon: ``uvicorn falcon_app.app:app``."""
