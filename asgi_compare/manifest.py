"""``asgi-compare manifest FRAMEWORK``: a Posit Connect bundle for one adapter.

The bundle holds ``core/``, the adapter's package and a ``requirements.txt`` pinned to the
versions installed here; rsconnect-python's ``write-manifest fastapi`` (which serves every ASGI
framework and needs no server) writes ``manifest.json`` with the adapter's entrypoint. Deploy it
with ``rsconnect deploy manifest DIR/manifest.json`` or ``rsconnect deploy fastapi --entrypoint
<name>_app.app:app DIR``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What the app imports at run time, besides its framework (Connect brings its own server).
RUNTIME = ("pydantic", "numpy", "scikit-learn", "matplotlib", "swagger-ui-py")
FRAMEWORK_PACKAGES = {
    "fastapi": ("fastapi",),
    "quart": ("quart",),
    "falcon": ("falcon",),
    "sanic": ("sanic", "httptools"),
}


def requirements(framework: str) -> str:
    names = sorted({*RUNTIME, *FRAMEWORK_PACKAGES[framework]})
    return "".join(f"{name}=={version(name)}\n" for name in names)


def _copy_package(name: str, into: Path) -> None:
    shutil.copytree(
        ROOT / name,
        into / name,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        dirs_exist_ok=True,
    )


def write_bundle(framework: str, out: Path) -> Path:
    """Write the bundle into ``out`` (created or refreshed); returns its manifest.json."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("core", f"{framework}_app"):
        _copy_package(name, out)
    (out / "requirements.txt").write_text(requirements(framework), encoding="utf-8")
    rsconnect = Path(sys.executable).with_name("rsconnect")
    subprocess.run(
        [
            str(rsconnect),
            "write-manifest",
            "fastapi",
            "--overwrite",
            "--entrypoint",
            f"{framework}_app.app:app",
            str(out),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return out / "manifest.json"
