"""Baselines for ``asgi-compare bench``: the same GET /hello with less in the way.

``raw`` is an ASGI app with no framework (the practical limit of a server); ``<framework>_bare``
is a bare app of each framework with only GET /hello, written as its docs show. The adapters'
figures divided by these are their overheads.
"""
