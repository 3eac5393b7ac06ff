"""The whole API fuzzed from its OpenAPI document (schemathesis), a few examples per operation:
no 5xx, and every error is JSON ``{error, message}``."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from grader.db import migrate
from grader.extensions import db
from grader.services.exercises import sync_exercises
from grader.web import create_app
from tests.service import infra
from tests.service.conftest import servers  # noqa: F401  (the service's fixture, shared)
from tests.service.factories import make_user

MAX_EXAMPLES = 12


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzzed_app(request, tmp_path_factory, exercises_dir):
    """An app of its own (the fuzz's failed logins count against its limits only) on SQLite
    and on a throwaway PostgreSQL database (whose driver refuses what SQLite takes)."""
    folder = tmp_path_factory.mktemp("fuzz")
    drop = None
    if request.param == "sqlite":
        database = f"sqlite:///{folder}/grader.db"
    else:
        database, drop = infra.create_database(request.getfixturevalue("servers")[0])
    migrate.upgrade(database)
    app = create_app(
        {
            "INSTANCE_DIR": str(folder),
            "SECRET_KEY": "test-secret",
            "EXERCISES_DIR": str(exercises_dir),
            "DATABASE_URL": database,
        }
    )
    with app.app_context():
        sync_exercises(db.session, app.config["EXERCISES_DIR"])
    yield app
    app.extensions["grader.db"].engine.dispose()
    if drop is not None:
        drop()


@pytest.fixture(scope="module")
def instructor(fuzzed_app):
    teacher = make_user(fuzzed_app, "instructor")
    student = make_user(fuzzed_app, "student", teacher.course)
    assert student.submit("single-weight", {"grad.e3": "-10"}).status_code == 202
    return teacher


@pytest.fixture(scope="module")
def api_schema(fuzzed_app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed_app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_never_answers_5xx_and_errors_are_json(case, instructor):
    response = case.call(headers={"Authorization": f"Bearer {instructor.token}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) >= {"error", "message"}, (case.method, case.formatted_path, body)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/submissions/99999999999999999999",
        "/api/v1/batches/99999999999999999999",
        "/api/v1/exercises?course=a%00b",
        "/api/v1/exercises/single%00weight",
        "/courses/a%00b",
    ],
)
def test_what_the_fuzz_found_is_a_4xx(fuzzed_app, instructor, path):
    """An id past the id columns' range, and a NUL character, which PostgreSQL cannot store."""
    reply = fuzzed_app.test_client().get(
        path, headers={"Authorization": f"Bearer {instructor.token}"}
    )
    assert 400 <= reply.status_code < 500, (path, reply.status_code)


def test_a_nul_character_in_a_json_body_is_a_4xx(fuzzed_app, instructor):
    reply = fuzzed_app.test_client().post(
        "/api/v1/submissions",
        json={"exercise": "single\x00weight", "answers": {"grad.e3": "1\x00"}},
        headers={"Authorization": f"Bearer {instructor.token}"},
    )
    assert 400 <= reply.status_code < 500
    assert reply.get_json()["error"]
