"""docker-compose.yml (no Docker engine here): it parses, and matches what the README says."""

from __future__ import annotations

import re

import pytest
import yaml

from grader.config import read_environment

SERVICES = {"postgres", "redis", "migrate", "web", "worker"}


@pytest.fixture(scope="module")
def compose(repo_root) -> dict:
    return yaml.safe_load((repo_root / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def readme(repo_root) -> str:
    return (repo_root / "README.md").read_text()


def command(service: dict) -> str:
    value = service["command"]
    return " ".join(value) if isinstance(value, list) else value


def test_compose_has_the_five_services_with_health_checks(compose):
    assert set(compose["services"]) == SERVICES
    for name in ("postgres", "redis", "web", "worker"):
        assert compose["services"][name]["healthcheck"]["test"], name


def test_data_lives_in_named_volumes(compose):
    services = compose["services"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "redis-data:/data" in services["redis"]["volumes"]
    assert set(compose["volumes"]) >= {"postgres-data", "redis-data", "instance"}


def test_redis_keeps_its_queue(compose):
    redis_command = command(compose["services"]["redis"])
    assert "--appendonly yes" in redis_command
    assert "--maxmemory-policy noeviction" in redis_command


def test_migrate_runs_once_before_web_and_worker(compose):
    services = compose["services"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"


def test_commands_are_the_ones_the_readme_documents(compose, readme):
    services = compose["services"]
    assert "grader db upgrade && grader exercises sync" in command(services["migrate"])
    assert "grader db upgrade && grader exercises sync" in readme
    assert command(services["web"]).startswith("grader web --host 0.0.0.0 --port 8000")
    assert "grader web --host 0.0.0.0 --port 8000" in readme
    assert command(services["worker"]).startswith("grader worker")
    assert "grader worker" in readme
    assert "--scale worker=" in readme and "docker compose up" in readme


def test_environment_uses_the_documented_variables(compose, readme):
    """Every GRADER_* variable in the compose file is one the app reads and the README lists."""
    known = {
        f"GRADER_{key}"
        for key in (
            "DATABASE_URL",
            "BROKER_URL",
            "SECRET_KEY",
            "EXERCISES_DIR",
            "INSTANCE_DIR",
            "REQUEUE_AFTER",
            "QUEUE",
        )
    }
    documented = set(re.findall(r"`(GRADER_[A-Z_]+)`", readme))
    assert known <= documented
    environ = {key: "x" for key in known} | {"GRADER_REQUEUE_AFTER": "5"}
    settings = read_environment(environ)
    assert settings["BROKER_URL"] == "x" and settings["REQUEUE_AFTER"] == 5
    for name in ("migrate", "web", "worker"):
        env = compose["services"][name]["environment"]
        assert set(env) <= known, name
        assert env["GRADER_DATABASE_URL"].startswith("postgresql://")
        assert env["GRADER_DATABASE_URL"].endswith("@postgres:5432/grader")
        assert env["GRADER_BROKER_URL"].startswith("redis://redis:6379/")


def test_dockerfile_installs_the_package_and_serves_with_grader_web(repo_root):
    """The locked runtime dependencies, then the package (tests/service/test_locks.py)."""
    dockerfile = (repo_root / "Dockerfile").read_text()
    assert "pip install -r requirements/runtime.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    assert 'CMD ["grader", "web"' in dockerfile
    for path in ("grader", "exercises", "migrations", "setup.py", "pyproject.toml"):
        assert f"COPY {path}" in dockerfile or f" {path} " in dockerfile, path
