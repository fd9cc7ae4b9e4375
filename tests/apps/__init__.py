"""Apps written as their frameworks' docs write them, for ``asgi-compare proxy-report --app``."""
