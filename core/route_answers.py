"""What the contract answers from the route table alone, before any framework routes: 404 for
an unknown path, 405 with a full ``Allow``, 307 for a trailing slash (query kept), and HEAD
served as GET."""

from __future__ import annotations

from core.errors import ApiError, MethodNotAllowed, RouteNotFound, TrailingSlash
from core.routes import ROUTES, RouteTable

__all__ = ["RouteAnswers"]


class RouteAnswers:
    def __init__(self, routes: RouteTable = ROUTES) -> None:
        self.routes = routes
        # What answer() leaves to the framework without a pattern to try: a static route's
        # method and path (a trailing slash is answered first, so none of those).
        self.static_routed = frozenset(
            (method, path)
            for method, path in routes.static_routes
            if path == "/" or not path.endswith("/")
        )

    @staticmethod
    def method(method: str) -> str:
        """The method to route on: GET for HEAD (the server drops the body)."""
        return "GET" if method == "HEAD" else method

    def routed(self, method: str, route_path: str) -> bool:
        """Whether :meth:`answer` leaves the request to the framework (it answers None)."""
        if (method, route_path) in self.static_routed:
            return True
        return self.answer(method, route_path, b"") is None

    def answer(self, method: str, route_path: str, query_string: bytes) -> ApiError | None:
        if route_path != "/" and route_path.endswith("/"):
            bare = route_path.rstrip("/")
            if bare and self.routes.methods(bare) is not None:
                query = query_string.decode("latin-1")
                # Relative to the app, as every Location a handler writes: the prefix is added
                # to all of them in one place.
                return TrailingSlash(bare + (f"?{query}" if query else ""))
        allowed = self.routes.methods(route_path)
        if allowed is None:
            return RouteNotFound()
        if method not in allowed:
            return MethodNotAllowed(allowed)
        return None
