"""What an adapter imports to answer its first request, and what waits for the warm-up."""

from __future__ import annotations

import subprocess
import sys

import pytest

from asgi_compare.harness import FRAMEWORKS
from core.openapi import SWAGGER_UI_DIR
from tests.test_core_imports import HEAVY, modules_after_import


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_an_adapter_starts_without_the_scientific_stack_or_swagger_uis_package(
    framework: str,
) -> None:
    # swagger_ui's package imports Jinja2, PyYAML and urllib.request for its own app
    # integrations; the adapters only serve its files.
    loaded = modules_after_import(f"import {framework}_app.app")
    assert loaded.isdisjoint({*HEAVY, "swagger_ui"}), loaded & {*HEAVY, "swagger_ui"}


def test_swagger_uis_files_are_found_without_importing_it() -> None:
    assert (SWAGGER_UI_DIR / "swagger-ui-bundle.js").is_file()
    assert (SWAGGER_UI_DIR / "swagger-ui.css").is_file()


def test_the_warm_up_imports_the_stack_and_freezes_the_heap() -> None:
    code = (
        "import gc, sys; from core.service import Service; "
        "Service.create().warm_up().join(); "
        "print(all(m in sys.modules for m in "
        "('numpy', 'sklearn.linear_model', 'matplotlib.backends.backend_agg')), "
        "gc.get_freeze_count() > 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["True", "True"]
