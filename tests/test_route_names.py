"""Core's operations are found by the name each route is declared with, never by a handler's
function name: an adapter whose handlers are all renamed answers exactly as before."""

from __future__ import annotations

import ast
import importlib
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from conformance_tests._apis import client_of

pytestmark = pytest.mark.anyio

# Requests whose answers name their operation: the document's operation ids, and a 422 from
# each validating route (its path and query parameters are read from core's table).
REQUESTS: list[tuple[str, str, Any]] = [
    ("GET", "/openapi.json", None),
    ("GET", "/hello", None),
    ("GET", "/add?x=one", None),
    ("GET", "/user/abc", None),
    ("GET", "/async-route?delay=-1", None),
    ("GET", "/items?limit=0", None),
    ("POST", "/items", {"name": 1}),
    ("GET", "/items/abc", None),
    ("PUT", "/items/abc", {}),
    ("PATCH", "/items/0", {"price": "x"}),
    ("DELETE", "/items/abc", None),
    ("POST", "/fit", {"X": [[1.0]]}),
    ("POST", "/predict", {}),
    ("GET", "/reset", None),
    ("POST", "/reset", None),
    ("GET", "/", None),
]


def renamed(adapter: str) -> tuple[types.ModuleType, set[str]]:
    """The adapter's ``app.py`` with every function and class it defines renamed (and every
    use of them), ``create_app`` apart, loaded as a module of its own."""
    path = Path(importlib.import_module(f"{adapter}_app.app").__file__ or "")
    tree = ast.parse(path.read_text())
    names = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.name != "create_app"
    }

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.Name:
            if node.id in names:
                node.id = f"renamed_{node.id}"
            return node

        def _def(self, node: Any) -> Any:
            self.generic_visit(node)
            if node.name in names:
                node.name = f"renamed_{node.name}"
            return node

        visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _def

    tree = ast.fix_missing_locations(Rename().visit(tree))
    name = f"{adapter}_app.renamed_app"
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(compile(tree, str(path), "exec"), module.__dict__)
    finally:
        del sys.modules[name]
    return module, names


async def answers(app: Any) -> list[tuple[int, str, bytes]]:
    found = []
    async with client_of(app) as client:
        for method, url, body in REQUESTS:
            r = await client.request(method, url, json=body)
            found.append((r.status_code, r.headers.get("location", ""), r.content))
    return found


async def test_renaming_every_handler_changes_no_answer(adapter: str) -> None:
    module, names = renamed(adapter)
    assert len(names) >= 5, names  # its handlers (or Falcon's resources), hooks and helpers
    original = importlib.import_module(f"{adapter}_app.app")
    before = await answers(original.create_app())
    after = await answers(module.create_app())
    assert [status for status, _, _ in before].count(422) >= 10  # the errors were reached
    for request, old, new in zip(REQUESTS, before, after, strict=True):
        assert new == old, request
