"""What the store tests share: the store contract's runs, and processes started at one moment."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from core.errors import ItemNotFound, ModelNotFitted, NegativeItemId
from core.items import ItemStore
from core.models import FitData, Item, PredictData
from core.regression import Regression


def run_items(items: ItemStore) -> list[Any]:
    seen: list[Any] = []
    for i in range(3):
        seen.append(items.add(Item(name=f"n{i}", price=i + 0.25)).model_dump())
    seen.append(items.replace(1, Item(name="r", price=9.0, tax=0.5)).model_dump())
    seen.append(items.update(0, {"description": "d", "tax": 0.1}).model_dump())
    items.delete(2)
    seen.append(items.add(Item(name="after", price=1.0)).id)  # 3: id 2 is never handed out again
    seen.append([i.model_dump() for i in items.page(0, 100)])
    seen.append([i.id for i in items.page(1, 1)])
    seen.append([i.id for i in items.page(10**30, 5)])
    for call in (
        lambda: items.get(2),
        lambda: items.get(10**30),
        lambda: items.delete(2),
        lambda: items.update(2, {}),
        lambda: items.replace(10**30, Item(name="x", price=1)),
        lambda: items.get(-1),
    ):
        with pytest.raises((ItemNotFound, NegativeItemId)) as caught:
            call()
        seen.append(type(caught.value).__name__)
    return seen


def run_model(model_store: Any) -> tuple[Any, ...]:
    fit = FitData(X=[[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 3.0]], y=[3.0, 3.5, 8.0, 7.5])
    model = Regression(model_store)
    with pytest.raises(ModelNotFitted):
        model.predict(PredictData(X=[[1.0, 1.0]]))
    coefs = model.fit(fit)
    answers = (coefs, model.coefs(), model.predict(PredictData(X=[[1.0, 1.0]])), model.plot_png())
    model.reset()
    assert model.coefs().coef is None
    with pytest.raises(ModelNotFitted):
        model.plot_png()
    return answers


def at_once(module: str, statement: str, go: Path, count: int = 8) -> list[str]:
    """Run ``statement`` in ``count`` processes at the same moment, as a server's workers start:
    each imports ``module`` first, then waits for ``go`` to exist. Returns the failures' stderr."""
    code = (
        f"import pathlib, time, {module}\n"
        f"while not pathlib.Path({str(go)!r}).exists(): time.sleep(0.001)\n"
        f"{statement}"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE) for _ in range(count)
    ]
    time.sleep(1.5)  # every process imported and waiting
    go.touch()
    outcomes = [(p.communicate()[1].decode(), p.returncode) for p in procs]
    return [err for err, returncode in outcomes if returncode != 0]
