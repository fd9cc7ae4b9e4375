"""Schemathesis, from each adapter's own /openapi.json, against the adapter on a real server.

Every generated request, valid or not, must get an answer the document allows (status, content
type, body schema, headers), invalid ones must be refused, and none may get a 5xx. The example
count per operation is bounded (``SCHEMATHESIS_MAX_EXAMPLES``, default 25) so that the run
stays quick.

Schemathesis's own pytest loader (``schemathesis.pytest.from_fixture``) reads
``node._nodeid``, which pytest 9.2 no longer has; its Python API is used instead: each
operation's Hypothesis strategy, run under ``@given``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from conformance_tests.plugin import own_server
from core.routes import OPERATIONS

pytestmark = pytest.mark.starts_servers

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
DOCUMENTED = [op for op in OPERATIONS if op.in_schema]


def quick(case: schemathesis.Case[Any]) -> schemathesis.Case[Any]:
    """A valid /async-route delay (0 to 10 s) shrunk 1000 times: still valid, and quick."""
    delay = (case.query or {}).get("delay")
    if isinstance(delay, int | float) and not isinstance(delay, bool) and 0 <= delay <= 10:
        case.query["delay"] = delay / 1000
    return case


@pytest.fixture(scope="session")
def fuzz_schema(framework: str) -> Iterator[schemathesis.BaseSchema]:
    """The adapter on uvicorn, and the document it serves about itself."""
    with (
        tempfile.TemporaryDirectory(prefix="asgi-compare-fuzz-") as tmp,
        own_server(framework, "uvicorn", Path(tmp)) as d,
    ):
        yield schemathesis.openapi.from_url(f"{d.base_url}/openapi.json")


@pytest.mark.parametrize(
    ("method", "path"),
    [(op.method, op.path) for op in DOCUMENTED],
    ids=[f"{op.method} {op.path}" for op in DOCUMENTED],
)
def test_every_answer_conforms_to_the_document(
    fuzz_schema: schemathesis.BaseSchema, method: str, path: str
) -> None:
    operation = fuzz_schema[path][method]
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    cases = st.one_of(*(operation.as_strategy(mode) for mode in modes))
    if path == "/async-route":
        cases = cases.map(quick)

    @given(case=cases)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case: schemathesis.Case[Any]) -> None:
        # Left out: "a schema-valid request must not get a 4xx". The contract's documented 400s
        # and 422s for a schema-valid body come from what JSON Schema cannot say: the model's
        # state (no fit yet), a rule (negative ids), and one field's length against another's.
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    check()
