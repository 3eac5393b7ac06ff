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


def pytest_terminal_summary(terminalreporter) -> None:
    """The figures the fault tests measured (``tests/faults``), one line per test."""
    rows = [
        value
        for report in terminalreporter.stats.get("passed", [])
        for name, value in getattr(report, "user_properties", [])
        if name == "reliability" and value
    ]
    if not rows:
        return
    terminalreporter.section("reliability figures")
    for row in rows:
        terminalreporter.write_line("  ".join(f"{key}={value}" for key, value in row.items()))
