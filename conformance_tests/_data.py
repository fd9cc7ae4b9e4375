"""What several test modules share: the lecture's regression data set and scikit-learn's answer
to it, a small fit, requests and what a test observes of their answers, and OpenAPI documents
without their prose."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import httpx

# Four points on two features: enough for a fit, small enough to read in a failure.
FIT = {"X": [[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 3.0]], "y": [3.0, 3.5, 8.0, 7.5]}


def lecture_data(n: int = 100) -> tuple[list[list[float]], list[float]]:
    """X (n x 5, standard normal) and y = X @ [5, 0, 0, 3, -2] + noise, as in the lecture."""
    import numpy as np

    rng = np.random.default_rng(seed=1234)
    X = rng.normal(size=(n, 5))
    b = np.array([5, 0, 0, 3, -2]).reshape(-1, 1)
    y = (X @ b).squeeze() + rng.normal(scale=0.5, size=n)
    return X.tolist(), y.tolist()


def sklearn_fit(X: list[list[float]], y: list[float]) -> Any:
    from sklearn.linear_model import LinearRegression

    return LinearRegression().fit(X, y)


# --- requests, and what is compared of their answers ------------------------------------------


@dataclass(frozen=True)
class Req:
    method: str
    url: str
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body_compared: bool = True  # False for pages whose text is the framework's own (docs)

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


def observe(req: Req, r: httpx.Response) -> dict[str, Any]:
    """Status, media type, the JSON body (or the exact bytes of a PNG), Location and Allow;
    for redirects, 204s and pages the framework writes itself, status and headers only."""
    media = r.headers.get("content-type", "").split(";")[0].strip()
    seen: dict[str, Any] = {
        "status": r.status_code,
        "media_type": media,
        "location": r.headers.get("location"),
        "allow": sorted(m.strip() for m in r.headers.get("allow", "").split(",") if m.strip()),
    }
    if not req.body_compared or r.status_code == 204 or 300 <= r.status_code < 400:
        del seen["media_type"]  # a redirect's page, if any, is the framework's own
        return seen
    if media == "application/json" and req.method != "HEAD":
        seen["body"] = r.json()
    elif media == "image/png":
        seen["body"] = hashlib.sha256(r.content).hexdigest()
    else:
        seen["body"] = r.content
    return seen


# --- OpenAPI documents -------------------------------------------------------------------------

METADATA = {"title", "summary", "description"}  # prose each framework may word its own way


def normalised(document: Any, in_properties: bool = False) -> Any:
    """The document without its prose; property *names* such as "description" are kept."""
    if isinstance(document, dict):
        return {
            k: normalised(v, k == "properties")
            for k, v in document.items()
            if in_properties or k not in METADATA
        }
    if isinstance(document, list):
        return [normalised(v) for v in document]
    return document
