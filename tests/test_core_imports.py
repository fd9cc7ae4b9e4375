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
    # Every module of core, new ones included.
    loaded = modules_after_import(
        "import importlib, pkgutil, core; "
        "[importlib.import_module(m.name) for m in pkgutil.walk_packages(core.__path__, 'core.')]"
    )
    assert "core" in loaded
    assert loaded.isdisjoint(FRAMEWORKS), loaded & set(FRAMEWORKS)


def test_the_prefix_middleware_imports_no_framework_server_or_tool() -> None:
    loaded = modules_after_import("from asgi_compare import PrefixMiddleware")
    tools = {"uvicorn", "hypercorn", "granian", "httpx", "pytest", "conformance_tests"}
    assert loaded.isdisjoint({*FRAMEWORKS, *HEAVY, *tools}), loaded & {*FRAMEWORKS, *HEAVY, *tools}


def test_the_harness_imports_neither_pytest_nor_the_suite_nor_the_cli() -> None:
    code = (
        "import asgi_compare.harness, sys; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pytest', '_pytest', 'conformance_tests') or m == 'asgi_compare.cli'))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


def test_core_defers_scientific_imports_to_first_use() -> None:
    loaded = modules_after_import("import core.service; core.service.Service.create()")
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)
