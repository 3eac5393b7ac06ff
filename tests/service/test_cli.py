"""The service's commands, run as a user runs them."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time

import pytest
import requests
from click.testing import CliRunner

from grader.background import start_embedded_worker
from grader.celery_app import EMBEDDED_BROKER
from grader.cli import main
from grader.cli.service import sync_command
from grader.db import migrate
from grader.web import create_app
from tests.service import infra


@pytest.fixture
def env(tmp_path, exercises_dir, monkeypatch):
    for key in list(os.environ):
        if key.startswith("GRADER_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("GRADER_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("GRADER_EXERCISES_DIR", str(exercises_dir))
    monkeypatch.setenv("GRADER_SECRET_KEY", "cli-test")
    return tmp_path


def run(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_db_upgrade_user_add_and_token_give_a_working_bearer_token(env):
    run("db", "upgrade")
    assert CliRunner().invoke(sync_command, []).exit_code == 0
    out = run(
        "user",
        "add",
        "Teacher@Example.org",
        "--role",
        "instructor",
        "--course",
        "ml101",
        "--password",
        "pw",
    )
    assert "teacher@example.org: instructor in course ml101" in out
    token = run("token", "teacher@example.org").strip()
    app = create_app()
    reply = app.test_client().get("/api/v1/courses", headers={"Authorization": f"Bearer {token}"})
    assert reply.get_json() == {
        "courses": [{"slug": "ml101", "title": "ml101", "role": "instructor"}]
    }
    app.extensions["grader.db"].engine.dispose()


def test_token_for_unknown_user_fails_with_a_message(env):
    run("db", "upgrade")
    result = CliRunner().invoke(main, ["token", "nobody@example.org"])
    assert result.exit_code != 0 and "no user 'nobody@example.org'" in result.output


def test_worker_without_a_broker_says_what_to_do(env):
    result = CliRunner().invoke(main, ["worker"])
    assert result.exit_code != 0 and "GRADER_BROKER_URL is not set" in result.output


def test_web_on_an_unmigrated_postgres_database_says_to_upgrade(env, servers, monkeypatch):
    url, drop = infra.create_database(servers[0])
    try:
        monkeypatch.setenv("GRADER_DATABASE_URL", url)
        monkeypatch.setenv("GRADER_BROKER_URL", "redis://127.0.0.1:1/0")
        result = CliRunner().invoke(main, ["web"])
        assert result.exit_code != 0 and "grader db upgrade" in result.output
    finally:
        drop()


def test_demo_serves_a_working_site_from_an_empty_folder(tmp_path):
    """`grader demo` in a fresh folder: migrate, demo accounts, gunicorn, in-process grading."""
    port = infra.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    log = tmp_path / "demo.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "grader", "demo", "--port", str(port), "--password", "pw"],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=infra.die_with_parent,
        )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        infra.wait_for(lambda: requests.get(f"{base}/health", timeout=2).ok, 60, "grader demo")
        printed = log.read_text()
        for email in ("instructor@demo.test", "student1@demo.test", "student3@demo.test"):
            assert email in printed
        session = requests.Session()
        token = session.get(f"{base}/session").json()["csrf_token"]
        login = session.post(
            f"{base}/session",
            json={"email": "student2@demo.test", "password": "pw"},
            headers={"X-CSRFToken": token},
        )
        assert login.status_code == 200
        token = login.json()["csrf_token"]
        reply = session.post(
            f"{base}/submissions",
            data=json.dumps({"exercise": "single-weight", "answers": {"grad.e3": "-10"}}),
            headers={"X-CSRFToken": token, "Content-Type": "application/json"},
        )
        assert reply.status_code == 202 and reply.json()["status"] == "queued"
        deadline = time.monotonic() + 30
        while (body := session.get(f"{base}/submissions/{reply.json()['id']}").json())[
            "status"
        ] != "graded":
            assert time.monotonic() < deadline, body
            time.sleep(0.05)
        assert body["blanks"]["grad.e3"]["verdict"] == "correct"
        assert (tmp_path / "instance" / "grader.db").exists()
        # A quiet start: no warning a newcomer would read as a fault (kombu's "No hostname was
        # supplied" opened this log).
        warnings = [line for line in log.read_text().splitlines() if "WARNING" in line]
        assert not warnings, warnings
    finally:
        process.terminate()
        process.wait(20)


def test_the_embedded_worker_connects_without_a_kombu_warning(env, caplog):
    """The in-memory broker's URL names a host, so kombu has no "No hostname was supplied"
    warning to log when the embedded worker connects."""
    caplog.set_level(logging.INFO)
    app = create_app()
    assert app.config["EMBEDDED"]
    assert app.extensions["celery"].conf.broker_url == EMBEDDED_BROKER
    migrate.upgrade(app.config["DATABASE_URL"])
    worker = start_embedded_worker(app)
    try:
        connection = app.extensions["celery"].connection_for_write()
        with connection:
            assert connection.as_uri().startswith("memory://")
    finally:
        worker.stop()
        app.extensions["grader.db"].engine.dispose()
    assert any("Connected to memory://" in record.getMessage() for record in caplog.records)
    kombu = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("kombu") and record.levelno >= logging.WARNING
    ]
    assert not kombu, kombu
