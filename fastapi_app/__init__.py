"""The asgi-compare API on FastAPI: ``uvicorn fastapi_app.app:app``."""
