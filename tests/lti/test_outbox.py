"""The outbox on both databases (SQLite, the embedded default, and PostgreSQL): a graded
result of a student who came from an LMS owes their score in the same transaction, and a
delivery the LMS cannot take waits with the reason, then fails when its tries are spent."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from grader.db import Course, Exercise, LtiAccount, LtiContext, LtiLink, LtiPassback, Result, User
from grader.extensions import db
from grader.services import accounts, lifecycle, submissions
from grader.services.lti import passback
from grader.services.lti.platforms import PlatformFields, add_platform
from tests.lti.conftest import GOOD
from tests.service.conftest import quiet_app, servers  # noqa: F401  (the service's fixtures)

CLOSED = "http://127.0.0.1:9"  # nothing listens on the discard port


def linked_student(session) -> tuple[User, User]:
    """A course linked to an LMS context with a link to single-weight; a student with an LMS
    account in it, and one without."""
    platform = add_platform(
        session,
        PlatformFields(
            f"https://lms-{uuid.uuid4().hex[:6]}.example",
            "client",
            f"{CLOSED}/auth",
            f"{CLOSED}/token",
            f"{CLOSED}/jwks",
            ("d1",),
        ),
    )
    course = accounts.get_or_create_course(session, f"lti-{uuid.uuid4().hex[:8]}")
    context = LtiContext(
        platform_id=platform.id, context_id="c1", course_id=course.id, lineitems_url=f"{CLOSED}/li"
    )
    session.add(context)
    session.flush()
    exercise = session.scalar(select(Exercise).filter_by(slug="single-weight"))
    session.add(
        LtiLink(
            context_id=context.id,
            resource_link_id="r1",
            course_id=course.id,
            exercise_id=exercise.id,
        )
    )
    users = []
    for n in range(2):
        user = accounts.add_user(
            session, f"s{n}-{uuid.uuid4().hex[:6]}@t.example", course_slug=course.slug
        )
        users.append(user)
    session.add(LtiAccount(platform_id=platform.id, sub="sub-1", user_id=users[0].id))
    session.commit()
    return users[0], users[1]


def graded(session, user: User, answers: dict) -> int:
    course = session.scalar(
        select(Course)
        .join(LtiContext, LtiContext.course_id == Course.id)
        .order_by(Course.id.desc())
    )
    accepted = submissions.submit(session, user, "single-weight", answers, course_slug=course.slug)
    assert lifecycle.grade_submission(session, accepted.id) is lifecycle.Outcome.GRADED
    return accepted.id


def test_a_graded_result_owes_the_score_in_its_own_transaction(quiet_app):  # noqa: F811
    with quiet_app.app_context():
        session = db.session
        lms_student, local_student = linked_student(session)
        first = graded(session, lms_student, {"grad.e3": "-10"})
        row = session.scalar(select(LtiPassback))
        assert (row.status, row.version, row.tries) == ("waiting", 1, 0)
        assert row.changed_at == session.scalar(
            select(Result.created_at).filter_by(submission_id=first)
        )
        graded(session, lms_student, GOOD)
        session.refresh(row)
        assert row.version == 2
        graded(session, local_student, GOOD)
        assert session.scalar(select(LtiPassback.id).where(LtiPassback.id != row.id)) is None


def test_an_unreachable_lms_makes_the_delivery_wait_then_fail_with_the_reason(quiet_app):  # noqa: F811
    with quiet_app.app_context():
        session = db.session
        lms_student, _ = linked_student(session)
        graded(session, lms_student, GOOD)
        row_id = session.scalar(select(LtiPassback.id))
        assert passback.deliver(session, row_id) is passback.Delivery.RETRY
        row = session.get(LtiPassback, row_id)
        assert (row.status, row.tries) == ("waiting", 1)
        assert "ConnectionError" in row.error and "127.0.0.1" in row.error
        assert passback.deliver(session, row_id, final=True) is passback.Delivery.FAILED
        session.refresh(row)
        assert (row.status, row.tries) == ("failed", 2)
        assert passback.deliver(session, row_id) is passback.Delivery.SKIPPED
        course_id = session.scalar(select(LtiLink.course_id))
        assert passback.resend(session, course_id) == [row_id]
        session.refresh(row)
        assert (row.status, row.tries, row.error) == ("waiting", 0, None)
