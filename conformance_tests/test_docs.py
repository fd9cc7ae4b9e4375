"""The four adapters document the same API the same way, with docs that need no other host."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from conformance_tests._data import normalised
from conformance_tests.plugin import Api

pytestmark = pytest.mark.anyio


# The document is the app's, not the server's: in-process, at each mount, is where to compare
# the four (each deployment's `servers` is checked on every target by the contract tests).
@pytest.mark.targets(servers=("asgi",))
async def test_the_openapi_documents_are_identical_and_valid(all_apis: list[Api]) -> None:
    documents = {api.framework: (await api.client.get("/openapi.json")).json() for api in all_apis}
    for document in documents.values():
        validate(document)  # raises on anything the OpenAPI specification does not allow
    reference, *others = all_apis
    for api in others:
        assert normalised(documents[api.framework]) == normalised(documents[reference.framework])


async def test_every_body_operation_documents_its_errors(api: Api) -> None:
    document = (await api.client.get("/openapi.json")).json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= statuses, (method, path)
            if "{" in path:
                assert "422" in statuses, (method, path)


async def test_the_docs_page_loads_everything_from_the_app(api: Api) -> None:
    page = (await api.client.get("/docs")).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert {a.rsplit("/", 1)[-1] for a in assets} == {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "favicon-32x32.png",
    }
    for asset in assets:
        assert asset.startswith(f"{api.root}/docs/static/"), asset
        r = await api.client.get(asset.removeprefix(api.root))
        assert r.status_code == 200 and len(r.content) > 1000, asset
    assert "://" not in "".join(assets)
