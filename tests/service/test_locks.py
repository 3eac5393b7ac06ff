"""The lock files (requirements/*.lock, written by scripts/lock) pin exact versions within
pyproject.toml's ranges, and what installs the project installs from them."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version


def read_lock(path) -> dict[str, Version]:
    """A lock file's pins: canonical name → version. Every line is a comment or `name==version`."""
    pins = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][0-9A-Za-z.!+-]*)", line)
        assert match, f"{path.name}:{number}: not an exact pin: {line!r}"
        name = canonicalize_name(match[1])
        assert name not in pins, f"{path.name}:{number}: {name} pinned twice"
        pins[name] = Version(match[2])
    return pins


@pytest.fixture(scope="module")
def project(repo_root) -> dict:
    return tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]


@pytest.fixture(scope="module")
def runtime_lock(repo_root) -> dict[str, Version]:
    return read_lock(repo_root / "requirements" / "runtime.lock")


@pytest.fixture(scope="module")
def dev_lock(repo_root) -> dict[str, Version]:
    return read_lock(repo_root / "requirements" / "dev.lock")


def declared(project: dict, group: str) -> list[Requirement]:
    if group == "runtime":
        return [Requirement(text) for text in project["dependencies"]]
    return [Requirement(text) for text in project["optional-dependencies"][group]]


def test_every_dependency_has_an_upper_bound(project):
    """`pip install .` never takes a next major version the project has not been tested with."""
    for requirement in declared(project, "runtime") + declared(project, "dev"):
        operators = {spec.operator for spec in requirement.specifier}
        assert operators & {"<", "<=", "==", "~=", "==="}, f"{requirement} has no upper bound"


@pytest.mark.parametrize(
    ("group", "lock"), [("runtime", "runtime_lock"), ("runtime", "dev_lock"), ("dev", "dev_lock")]
)
def test_the_lock_pins_every_dependency_within_pyproject_range(project, group, lock, request):
    pins = request.getfixturevalue(lock)
    for requirement in declared(project, group):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not pinned in {lock}"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock} pins {name}=={pins[name]}, outside pyproject.toml's {requirement}"
        )


def test_dev_lock_holds_the_runtime_lock_at_the_same_versions(runtime_lock, dev_lock):
    differ = {
        name: (version, dev_lock.get(name))
        for name, version in runtime_lock.items()
        if dev_lock.get(name) != version
    }
    assert not differ, f"runtime.lock vs dev.lock: {differ}"


def test_torch_is_the_cpu_release_for_the_tests_only(runtime_lock, dev_lock):
    """torch==2.13.0 (pip takes the CPU wheel on the machine's disk), with no CUDA packages and
    no local version label; a deployment installs no torch."""
    assert dev_lock["torch"] == Version("2.13.0") and not dev_lock["torch"].local
    assert "torch" not in runtime_lock
    for pins in (runtime_lock, dev_lock):
        assert not [name for name in pins if name.startswith("nvidia-") or name == "triton"]
        assert not [name for name, version in pins.items() if version.local]


def test_the_dockerfile_installs_the_runtime_lock_then_the_package_alone(repo_root):
    lines = [
        line.strip()
        for line in (repo_root / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    text = "\n".join(lines)
    assert "COPY requirements/runtime.lock" in text
    lock = text.index("pip install -r requirements/runtime.lock")
    package = text.index("pip install --no-deps .")
    assert lock < package
    assert "dev.lock" not in text and ".[dev]" not in text


def test_ci_runs_the_readme_test_command(repo_root):
    """.ci/run is the README's one test command, and that command installs from dev.lock."""
    readme = (repo_root / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "scripts/test" in quick_start and "grader demo" in quick_start
    ci = (repo_root / ".ci" / "run").read_text()
    assert re.search(r"^exec scripts/test \"\$@\"$", ci, re.M)
    script = (repo_root / "scripts" / "test").read_text()
    assert "requirements/dev.lock" in script and "--no-deps -e ." in script
    assert re.search(r"^exec \"\$python\" -m pytest -n 2 \"\$@\"$", script, re.M)
    assert "scripts/lock" in readme
