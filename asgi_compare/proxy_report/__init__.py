"""``asgi-compare proxy-report``: what an app does behind a proxy, and what to change.

For every framework x server x proxy x mode, the same probes run against two apps served the
same way: a minimal app written as the framework's docs write it (``asgi_compare.native``), with
no correction, and the asgi-compare adapter. With ``--app``, any ASGI app is served the same
way, probed for what it showed about itself, and each failure gets its fix. Servers and proxies
are real processes on loopback, from :mod:`asgi_compare.harness`.

:mod:`.probes` and :mod:`.app_probes` ask the questions (:mod:`.discover` finds what to ask of
an app; :mod:`.live` opens WebSockets and reads event streams for both), :mod:`.run` deploys
and probes, :mod:`.results` holds the answers, :mod:`.fixes` says
what to change, :mod:`.render`, :mod:`.render_app` and :mod:`.heatmap` write them out.
"""

from __future__ import annotations

from asgi_compare.proxy_report.app_probes import APP_PROBE_TITLES, probe_app, probe_names
from asgi_compare.proxy_report.discover import Answer, Discovery, discover
from asgi_compare.proxy_report.fixes import Fix, fix
from asgi_compare.proxy_report.probes import PROBE_TITLES, PROBES, Probe, probe
from asgi_compare.proxy_report.render import render_html, render_markdown, summary, write
from asgi_compare.proxy_report.render_app import (
    SCHEMA,
    app_json,
    render_app_html,
    render_app_markdown,
    summary_app,
    write_app,
)
from asgi_compare.proxy_report.results import (
    AppReport,
    Cell,
    Meta,
    Row,
    iter_failures,
    meta_for,
)
from asgi_compare.proxy_report.run import VARIANTS, cells, plan, run, run_app

__all__ = [
    "APP_PROBE_TITLES",
    "PROBES",
    "PROBE_TITLES",
    "SCHEMA",
    "VARIANTS",
    "Answer",
    "AppReport",
    "Cell",
    "Discovery",
    "Fix",
    "Meta",
    "Probe",
    "Row",
    "app_json",
    "cells",
    "discover",
    "fix",
    "iter_failures",
    "meta_for",
    "plan",
    "probe",
    "probe_app",
    "probe_names",
    "render_app_html",
    "render_app_markdown",
    "render_html",
    "render_markdown",
    "run",
    "run_app",
    "summary",
    "summary_app",
    "write",
    "write_app",
]
