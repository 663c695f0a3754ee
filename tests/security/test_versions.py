"""Minimum secure versions (issue 5): Django ≥ 5.2.15, daphne ≥ 4.2.2, asgiref ≥ 3.11.1 — what
is installed, and what pyproject.toml lets an installation pick (its lower bounds)."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from django.conf import settings
from packaging.requirements import Requirement
from packaging.version import Version

# Each minimum fixes published vulnerabilities (security releases of Django 5.2.x, daphne's
# WebSocket message-size limits of 4.2.2, asgiref's fixes of 3.11.1).
MINIMUMS = {"django": "5.2.15", "daphne": "4.2.2", "asgiref": "3.11.1"}


def _pins() -> dict[str, Requirement]:
    data = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text("utf-8"))
    requirements = [Requirement(line) for line in data["project"]["dependencies"]]
    return {r.name.lower(): r for r in requirements}


@pytest.mark.parametrize("package", sorted(MINIMUMS))
def test_the_installed_version_is_at_least_the_secure_minimum(package: str) -> None:
    assert Version(version(package)) >= Version(MINIMUMS[package])


@pytest.mark.parametrize("package", sorted(MINIMUMS))
def test_pyproject_never_allows_a_version_below_the_secure_minimum(package: str) -> None:
    requirement = _pins()[package]
    lower_bounds = [
        Version(spec.version)
        for spec in requirement.specifier
        if spec.operator in (">=", "==", "~=", ">")
    ]
    assert lower_bounds, f"{package} needs a lower bound in pyproject.toml"
    assert max(lower_bounds) >= Version(MINIMUMS[package])
    # Anything just below the minimum is refused by the pin itself.
    below = Version(MINIMUMS[package]).release
    just_below = ".".join(map(str, (*below[:-1], below[-1] - 1))) if below[-1] else "0"
    assert not requirement.specifier.contains(just_below, prereleases=True)
    assert requirement.specifier.contains(version(package), prereleases=True)
