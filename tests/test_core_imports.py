"""core is framework-free, and heavy libraries wait until first use (fast cold start)."""

from __future__ import annotations

import json
import subprocess
import sys

FRAMEWORKS = ("fastapi", "quart", "falcon", "sanic", "starlette", "werkzeug")
HEAVY = ("sklearn", "matplotlib", "numpy")


def modules_after_import(statement: str) -> set[str]:
    code = f"{statement}; import json, sys; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return {name.split(".")[0] for name in json.loads(out.stdout)}


def test_core_imports_no_web_framework() -> None:
    loaded = modules_after_import(
        "import core.asgi, core.errors, core.greetings, core.items, core.models, core.openapi,"
        " core.plots, core.regression, core.routes, core.service, core.settings, core.validation"
    )
    assert "core" in loaded
    assert loaded.isdisjoint(FRAMEWORKS), loaded & set(FRAMEWORKS)


def test_core_defers_scientific_imports_to_first_use() -> None:
    loaded = modules_after_import("import core.service; core.service.Service.create()")
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)
