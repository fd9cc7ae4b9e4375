"""`asgi-compare manifest` writes a Posit Connect bundle for each adapter, offline."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import pytest

from asgi_compare import cli
from asgi_compare.harness import DISTRIBUTIONS, FRAMEWORKS
from asgi_compare.manifest import requirements


@pytest.mark.parametrize("adapter", ["fastapi", "quart", "falcon", "sanic"])
def test_manifest_names_the_adapter_and_pins_its_requirements(tmp_path: Path, adapter: str) -> None:
    out = tmp_path / adapter
    assert cli.main(["manifest", adapter, "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["metadata"] == {
        "appmode": "python-fastapi",
        "entrypoint": f"{adapter}_app.app:app",
    }
    files = set(manifest["files"])
    assert {
        "core/asgi.py",
        "core/data/greetings.json",
        f"{adapter}_app/app.py",
        "requirements.txt",
    } <= files
    assert not any(f.startswith(("tests/", "conformance_tests/", "asgi_compare/")) for f in files)
    pinned = (out / "requirements.txt").read_text().splitlines()
    assert f"{adapter}=={version(adapter)}" in pinned
    assert f"scikit-learn=={version('scikit-learn')}" in pinned
    assert manifest["python"]["package_manager"]["package_file"] == "requirements.txt"


@pytest.mark.parametrize("adapter", FRAMEWORKS)
def test_a_bundle_requires_its_own_framework_only(adapter: str) -> None:
    names = {line.split("==")[0] for line in requirements(adapter).splitlines()}
    assert set(DISTRIBUTIONS[adapter]) <= names
    for other in set(FRAMEWORKS) - {adapter}:
        assert not set(DISTRIBUTIONS[other]) & names, other
    assert {"pydantic", "numpy", "matplotlib"} <= names
    assert not {"uvicorn", "pytest", "playwright", "rsconnect-python"} & names  # the tools'
