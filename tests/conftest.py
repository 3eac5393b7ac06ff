"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The project's folder."""
    return ROOT


@pytest.fixture(scope="session")
def exercises_dir() -> Path:
    """The exercises shipped with the project."""
    return ROOT / "exercises"
