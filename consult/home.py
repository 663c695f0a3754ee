"""The home page is assembled from sections the features register, so `consult` knows no feature."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HomeSection:
    key: str
    template: str
    context: Callable[[], dict[str, Any]]
    order: int = 0


_SECTIONS: dict[str, HomeSection] = {}


def home_section_register(section: HomeSection) -> None:
    _SECTIONS[section.key] = section


def home_context() -> dict[str, Any]:
    sections = []
    for section in sorted(_SECTIONS.values(), key=lambda s: s.order):
        sections.append({"template": section.template, **section.context()})
    return {"sections": sections}
