"""An attempt limit holds however many requests race for the last attempt: each attempt has a
number of its own, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select, text

from grader.db import Submission, User, make_engine, migrate
from grader.extensions import db
from tests.service.factories import make_user
from tests.web.conftest import offer

ANSWERS = {"grad.e3": "-10"}
PARALLEL = 16


def post_at_once(api, count: int = PARALLEL) -> list[int]:
    """``count`` submissions sent at the same moment from as many threads; their statuses."""
    start = threading.Barrier(count)

    def post(_):
        start.wait()
        return api.submit("single-weight", ANSWERS).status_code

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(post, range(count)))


def attempt_numbers(app, email: str) -> list[int]:
    with app.app_context():
        return sorted(
            db.session.scalars(
                select(Submission.attempt).join(User).where(User.email == email)
            ).all()
        )


def test_parallel_posts_under_a_limit_of_one_take_exactly_one_attempt(quiet_app):
    student = make_user(quiet_app)
    offer(quiet_app, student.course, "single-weight", max_attempts=1)
    codes = post_at_once(student)
    assert sorted(codes) == [202] + [409] * (PARALLEL - 1)
    assert attempt_numbers(quiet_app, student.email) == [1]


def test_parallel_posts_without_a_limit_are_numbered_one_each(quiet_app):
    """Every request is taken, each with a number of its own: the ones that lost a number to
    another count again."""
    student = make_user(quiet_app)
    assert post_at_once(student) == [202] * PARALLEL
    assert attempt_numbers(quiet_app, student.email) == list(range(1, PARALLEL + 1))


def test_the_migration_renumbers_attempts_that_shared_a_number(quiet_app):
    """Attempts numbered alike by the old race get numbers of their own, in the order they
    came, before the unique index is made."""
    student = make_user(quiet_app)
    for _ in range(3):
        assert student.submit("single-weight", ANSWERS).status_code == 202
    url = quiet_app.config["DATABASE_URL"]
    quiet_app.extensions["grader.db"].engine.dispose()
    migrate.downgrade(url, "0008")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE submissions SET attempt = 1"))
    engine.dispose()
    migrate.upgrade(url)
    assert attempt_numbers(quiet_app, student.email) == [1, 2, 3]
