"""Command-line tools of asgi-compare: serve an adapter, run the conformance suite."""
