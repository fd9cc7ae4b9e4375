"""Settings read from the environment, once, when an app is created."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MEMORY", "Settings", "SettingsError", "normalise_prefix"]

MEMORY = "memory"
MIB = 1024 * 1024


class SettingsError(ValueError):
    """A setting in the environment that cannot be used; the message says which and why."""


def normalise_prefix(value: str) -> str:
    """``"px/"`` and ``"/px/"`` both mean ``"/px"``; ``""`` and ``"/"`` mean no prefix."""
    value = value.strip().strip("/")
    return f"/{value}" if value else ""


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, not {value}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    """What an app needs to know that is not in the request.

    ``root_path`` is the prefix to assume when the server does not send one in the ASGI scope
    (Sanic's own server has no root-path option; uvicorn's would prepend it to the path again).
    """

    greetings_file: Path | None = None
    root_path: str = ""
    # Peers whose X-Forwarded-* headers are believed: addresses or networks, or "*" for any
    # (uvicorn's --forwarded-allow-ips, with the same default).
    forwarded_allow_ips: tuple[str, ...] = ("127.0.0.1",)
    # A request body longer than this is refused with 413 while it is read.
    max_body_bytes: int = MIB
    # /fit and /predict refuse an X with more values than this (rows x columns) with 413.
    max_cells: int = 100_000
    # A /fit body longer than this is decoded, validated and fitted in a worker process: in the
    # server's process it would hold the GIL, and stall the event loop, for as long.
    offload_bytes: int = 64 * 1024
    # How many worker processes; None: as many as the CPUs this process may run on.
    fit_processes: int | None = None
    # Where items and the fit live: "memory" (this process), "sqlite:///PATH" (this machine) or
    # "postgresql://USER:PASSWORD@HOST:PORT/DB" (any machine). Out of the repr: it may hold a
    # password.
    store: str = field(default=MEMORY, repr=False)
    # A WebSocket message longer than this closes the connection with 1009 (message too big).
    max_ws_message_bytes: int = 64 * 1024
    # When set, every route but the docs needs "Authorization: Key <key>" or "Bearer <key>".
    api_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        greetings = env.get("GREETINGS_FILE")
        allow = env.get("ASGI_COMPARE_FORWARDED_ALLOW_IPS", "127.0.0.1")
        return cls(
            greetings_file=Path(greetings) if greetings else None,
            root_path=normalise_prefix(env.get("ASGI_COMPARE_ROOT_PATH", "")),
            forwarded_allow_ips=tuple(a.strip() for a in allow.split(",") if a.strip()),
            max_body_bytes=_positive_int(env, "ASGI_COMPARE_MAX_BODY_BYTES", MIB),
            max_cells=_positive_int(env, "ASGI_COMPARE_MAX_CELLS", 100_000),
            offload_bytes=_positive_int(env, "ASGI_COMPARE_OFFLOAD_BYTES", 64 * 1024),
            fit_processes=_positive_int(env, "ASGI_COMPARE_FIT_PROCESSES", 0) or None,
            max_ws_message_bytes=_positive_int(env, "ASGI_COMPARE_MAX_WS_MESSAGE_BYTES", 64 * 1024),
            store=env.get("ASGI_COMPARE_STORE", "").strip() or MEMORY,
            api_key=env.get("ASGI_COMPARE_API_KEY") or None,
        )
