"""Greetings by language, read once from a JSON object of ``{"lang": "text"}``.

The seven greetings of Posit Connect's FastAPI example ship as package data; the environment
variable ``GREETINGS_FILE`` names another file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from core.errors import GreetingNotFound
from core.models import Greeting

__all__ = ["Greetings"]


class Greetings:
    def __init__(self, texts: Mapping[str, str]) -> None:
        self._texts = MappingProxyType(dict(sorted(texts.items())))

    @classmethod
    def from_file(cls, path: Path | None = None) -> Greetings:
        """Load ``path``, or the shipped greetings; a file of the wrong shape fails loudly."""
        if path is None:
            raw = resources.files("core").joinpath("data/greetings.json").read_text("utf-8")
            source = "the shipped greetings.json"
        else:
            raw = path.read_text("utf-8")
            source = str(path)
        texts = json.loads(raw)
        if not isinstance(texts, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in texts.items()
        ):
            raise ValueError(f"{source} must hold one JSON object of language -> greeting text")
        return cls(texts)

    def all(self) -> list[Greeting]:
        return [Greeting(lang=lang, text=text) for lang, text in self._texts.items()]

    def get(self, lang: str) -> Greeting:
        try:
            return Greeting(lang=lang, text=self._texts[lang])
        except KeyError:
            raise GreetingNotFound() from None
