"""Replay the lecture's client session against a running adapter, printing every answer.

    python examples/lecture_session.py http://127.0.0.1:8000

The requests are the lecture's, in its order (/, /add, /user, /items, /fit, /predict, /coefs,
/plot, /reset); the answers must read the same whichever adapter is behind the URL. Run it
against a fresh app: item ids start at 0.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import httpx
import numpy as np


def lecture_data() -> tuple[list[list[float]], list[float]]:
    rng = np.random.default_rng(seed=1234)
    n = 100
    X = rng.normal(size=(n, 5))
    b = np.array([5, 0, 0, 3, -2]).reshape(-1, 1)
    y = (X @ b).squeeze() + rng.normal(scale=0.5, size=n)
    return X.tolist(), y.tolist()


def rounded(value: Any) -> Any:
    """Floats to three places, as the lecture prints them."""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, list):
        return [rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    return value


def show(r: httpx.Response, note: str = "") -> None:
    print(f"> {r.request.method} {r.request.url.raw_path.decode()}{note}")  # noqa: T201
    kind = r.headers.get("content-type", "").split(";")[0]
    if r.is_redirect:
        body = f"Location: {r.headers['location']}"
    elif kind == "application/json":
        body = json.dumps(rounded(r.json()), ensure_ascii=False, sort_keys=True)
    else:
        body = f"{kind}, {len(r.content)} bytes" if r.content else "(empty)"
    print(f"  {r.status_code} {body}")  # noqa: T201


def replay(url: str) -> None:
    X, y = lecture_data()
    with httpx.Client(base_url=url.rstrip("/") + "/", timeout=60) as client:
        show(client.get(""))
        for query in (
            "x=1&y=1",
            "x=-7&y=12",
            "x=-7",
            "y=-7",
            "x=1.0&y=2.0",
            "x=abc&y=1",
            "x=1.5&y=2.",
        ):
            show(client.get(f"add?{query}"))
        for path in ("user/1234?name=Colin", "user/3141", "user/Colin"):
            show(client.get(path))
        for item in (
            {"name": "Widget", "price": 9.99},
            {"name": "Gadget", "price": 4.99, "description": "A useful gadget", "tax": 0.25},
            {"name": "Widget"},
        ):
            show(client.post("items", json=item), f" {json.dumps(item)}")
        show(client.get("items/0"))
        show(client.get("items/99"))
        show(client.post("fit", json={"X": X, "y": y}), " (100 x 5, the lecture's data)")
        r = client.post("predict", json={"X": X[:5]})
        show(r, " (its first 5 rows)")
        show(client.get("coefs"))
        show(client.get("plot"))
        show(client.get("reset"))
        show(client.get("coefs"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="where the adapter runs, e.g. http://127.0.0.1:8000")
    replay(parser.parse_args().url)


if __name__ == "__main__":
    main()
