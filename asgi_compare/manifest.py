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

from packaging.utils import canonicalize_name

from asgi_compare import extras
from asgi_compare.harness import DISTRIBUTIONS, entrypoint

ROOT = Path(__file__).resolve().parent.parent


def requirements(framework: str) -> str:
    """The ``apps`` extra's requirements, pinned to the versions installed here.

    The ``apps`` extra is what the adapters need to run (the other extras are the tools'); the
    other three frameworks' distributions are left out. Connect brings its own server.
    """
    others = {
        canonicalize_name(name)
        for other, dists in DISTRIBUTIONS.items()
        if other != framework
        for name in dists
    }
    names = {req.name for req in extras.requirements("apps")}
    kept = sorted(name for name in names if canonicalize_name(name) not in others)
    return "".join(f"{name}=={version(name)}\n" for name in kept)


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
            entrypoint(framework),
            str(out),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return out / "manifest.json"
