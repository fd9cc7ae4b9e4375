"""Command-line tools of asgi-compare, and :class:`PrefixMiddleware` for any ASGI app.

``from asgi_compare import PrefixMiddleware`` loads the standard library and ``core.prefix``
only: no framework, server or CLI. What it does is in ``core.prefix``; where it cannot help
(URLs inside response bodies, a ``Location`` the app already prefixed, a proxy that sends its
own ``Host``, a prefix left in the path with no root path told) is in docs/own-app.md.
"""

from __future__ import annotations

from core.prefix import PrefixMiddleware

__all__ = ["PrefixMiddleware"]
