"""What each command needs beyond the base install, read from this distribution's own metadata.

The extras are defined once, in pyproject.toml; this module reads them back from the installed
distribution (``importlib.metadata``) and follows the extras an extra includes
(``serve = ["asgi-compare[apps,report]"]``), so a command whose extra is missing says in one
line which one to install, and exits 2, before it imports what it lacks.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, requires, version

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

DISTRIBUTION = "asgi-compare"


def requirements(extra: str) -> list[Requirement]:
    """The distributions ``extra`` names, with those of the extras it includes."""
    try:
        lines = requires(DISTRIBUTION) or []
    except PackageNotFoundError:  # run from a source tree that was never installed
        return []
    parsed = [Requirement(line) for line in lines]
    found: list[Requirement] = []
    seen: set[str] = set()

    def walk(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for req in parsed:
            if req.marker is None or not req.marker.evaluate({"extra": name}):
                continue  # a base requirement, always installed, or another extra's
            if canonicalize_name(req.name) == DISTRIBUTION:
                for inner in sorted(req.extras):
                    walk(inner)
            else:
                found.append(req)

    walk(extra)
    return found


def missing(extra: str) -> list[str]:
    """The distributions of ``extra`` that are not installed, by name."""
    absent: list[str] = []
    for req in requirements(extra):
        try:
            version(req.name)
        except PackageNotFoundError:
            absent.append(req.name)
    return sorted(set(absent), key=str.lower)


def install_hint(*extras: str) -> str:
    return f"pip install '{DISTRIBUTION}[{','.join(extras)}]'"


def require(command: str, *extras: str) -> None:
    """Exit 2, with one line naming what to install, when an extra ``command`` needs is not."""
    short = [extra for extra in extras if missing(extra)]
    if not short:
        return
    names = sorted({name for extra in short for name in missing(extra)}, key=str.lower)
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    print(  # noqa: T201
        f"asgi-compare {command}: {shown} not installed; {install_hint(*short)}",
        file=sys.stderr,
    )
    raise SystemExit(2)
