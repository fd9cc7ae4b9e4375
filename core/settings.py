"""Settings read from the environment, once, when an app is created."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings", "normalise_prefix"]


def normalise_prefix(value: str) -> str:
    """``"px/"`` and ``"/px/"`` both mean ``"/px"``; ``""`` and ``"/"`` mean no prefix."""
    value = value.strip().strip("/")
    return f"/{value}" if value else ""


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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        greetings = env.get("GREETINGS_FILE")
        allow = env.get("ASGI_COMPARE_FORWARDED_ALLOW_IPS", "127.0.0.1")
        return cls(
            greetings_file=Path(greetings) if greetings else None,
            root_path=normalise_prefix(env.get("ASGI_COMPARE_ROOT_PATH", "")),
            forwarded_allow_ips=tuple(a.strip() for a in allow.split(",") if a.strip()),
        )
