"""`grader lti add-platform`, `list` and `remove`, run as an operator runs them (embedded
SQLite); the key pair is made once and kept."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.web import create_app

PLATFORM = [
    "--issuer",
    "https://moodle.example.edu",
    "--client-id",
    "AbC123",
    "--auth-login-url",
    "https://moodle.example.edu/mod/lti/auth.php",
    "--auth-token-url",
    "https://moodle.example.edu/mod/lti/token.php",
    "--key-set-url",
    "https://moodle.example.edu/mod/lti/certs.php",
    "--deployment-id",
    "1",
]


@pytest.fixture
def env(tmp_path, exercises_dir, monkeypatch):
    for key in list(os.environ):
        if key.startswith("GRADER_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("GRADER_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("GRADER_EXERCISES_DIR", str(exercises_dir))
    monkeypatch.setenv("GRADER_SECRET_KEY", "cli-test")
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return tmp_path


def run(*args, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_add_list_and_remove_a_platform(env):
    out = run("lti", "add-platform", *PLATFORM)
    assert "platform 1 registered: https://moodle.example.edu (AbC123)" in out
    assert "/lti/jwks.json" in out and "/lti/login" in out
    rows = json.loads(run("lti", "list", "--json"))
    assert rows == [
        {
            "id": 1,
            "issuer": "https://moodle.example.edu",
            "client_id": "AbC123",
            "auth_login_url": "https://moodle.example.edu/mod/lti/auth.php",
            "auth_token_url": "https://moodle.example.edu/mod/lti/token.php",
            "key_set_url": "https://moodle.example.edu/mod/lti/certs.php",
            "deployment_ids": ["1"],
        }
    ]
    assert "platform 1 removed" in run("lti", "remove", "1")
    assert "no platform registered" in run("lti", "list")


def test_the_same_platform_twice_and_bad_urls_are_refused_with_the_reason(env):
    run("lti", "add-platform", *PLATFORM)
    assert "is registered already" in run("lti", "add-platform", *PLATFORM, code=1)
    bad = [*PLATFORM]
    bad[bad.index("--key-set-url") + 1] = "moodle/certs"
    out = run("lti", "add-platform", *[x if x != "AbC123" else "other" for x in bad], code=1)
    assert "--key-set-url must be an http(s) URL" in out
    assert "no platform number 9" in run("lti", "remove", "9", code=1)


def test_the_key_pair_is_made_once_and_only_its_public_half_is_served(env):
    run("lti", "add-platform", *PLATFORM)
    app = create_app()
    first = app.test_client().get("/lti/jwks.json").get_json()
    again = create_app().test_client().get("/lti/jwks.json").get_json()
    assert first == again and len(first["keys"]) == 1
    assert set(first["keys"][0]) == {"kty", "n", "e", "kid", "alg", "use"}
    frame = app.test_client().get("/lti/jwks.json").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://moodle.example.edu" in frame
