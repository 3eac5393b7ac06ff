"""A non-editable install ships the exercises and the migrations: `grader db upgrade` and the
exercise sync work from the installed package alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

SOURCES = ("pyproject.toml", "setup.py", "README.md", "grader", "exercises", "migrations")


@pytest.fixture(scope="module")
def unpacked_wheel(repo_root, tmp_path_factory):
    """The project's wheel, built from a copy of its sources and unpacked."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        path = repo_root / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, source / name)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("*.whl")
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
        names = archive.namelist()
    return target, names


def test_wheel_holds_exercises_and_migrations(unpacked_wheel, repo_root):
    _, names = unpacked_wheel
    for path in (repo_root / "exercises").glob("*.yaml"):
        assert f"grader/exercises_data/{path.name}" in names
    assert "grader/migrations/env.py" in names and "grader/migrations/script.py.mako" in names
    for path in (repo_root / "migrations" / "versions").glob("*.py"):
        assert f"grader/migrations/versions/{path.name}" in names


def test_installed_package_migrates_and_syncs_without_the_source_tree(unpacked_wheel, tmp_path):
    site, _ = unpacked_wheel
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    env["PYTHONPATH"] = str(site)
    for args in (["db", "upgrade"], ["exercises", "sync"]):
        result = subprocess.run(
            [sys.executable, "-m", "grader", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
    assert "single-weight" in result.stdout or "exercises in the database" in result.stdout
    assert (tmp_path / "instance" / "grader.db").exists()
