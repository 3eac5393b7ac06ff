"""Configuration comes from GRADER_* variables read when the app is created."""

from __future__ import annotations

from pathlib import Path

from grader.config import instance_secret, load_config
from grader.web import create_app


def test_defaults_are_the_embedded_stack(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_config({})
    assert settings["EMBEDDED"] and settings["BROKER_URL"] == ""
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'grader.db'}"
    assert settings["REQUEUE_AFTER"] == 60
    assert Path(settings["EXERCISES_DIR"], "single-weight.yaml").exists()


def test_variables_are_read(tmp_path):
    settings = load_config(
        {
            "GRADER_DATABASE_URL": "postgresql://u@h/db",
            "GRADER_BROKER_URL": "redis://h:6379/1",
            "GRADER_SECRET_KEY": "s",
            "GRADER_EXERCISES_DIR": str(tmp_path),
            "GRADER_INSTANCE_DIR": str(tmp_path / "inst"),
            "GRADER_REQUEUE_AFTER": "7.5",
        }
    )
    assert settings["DATABASE_URL"] == "postgresql://u@h/db" and not settings["EMBEDDED"]
    assert settings["SECRET_KEY"] == "s" and settings["REQUEUE_AFTER"] == 7.5
    assert settings["INSTANCE_DIR"] == str(tmp_path / "inst")


def test_environment_is_read_when_the_app_is_created(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("GRADER_REQUEUE_AFTER", "3")
    app = create_app()
    assert app.config["REQUEUE_AFTER"] == 3
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'grader.db'}"
    app.extensions["grader.db"].engine.dispose()


def test_generated_secret_is_kept_in_the_instance_folder(tmp_path):
    first = instance_secret(tmp_path)
    assert len(first) > 40 and instance_secret(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
