"""Launches from a real LTI 1.3 platform: accounts, courses and roles linked, the right page
shown; forged id_tokens refused with a page and a log line."""

from __future__ import annotations

import logging
import time
import uuid

from sqlalchemy import select

from grader.db import Course, Enrolment, LtiAccount, LtiContext, User
from grader.extensions import db
from tests.lti.conftest import Browser, new_context, person
from tests.lti.platform import Message


def test_tool_serves_its_public_key_set_and_never_its_private_key(tool_url, platform):
    """GET /lti/jwks.json: one RSA public key with a kid; no private parts."""
    keys = Browser().http.get(f"{tool_url}/lti/jwks.json", timeout=10).json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA" and keys[0]["kid"] and keys[0]["alg"] == "RS256"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(keys[0])


def test_first_instructor_launch_makes_the_course_and_lands_on_the_analytics(
    platform, postgres_app, browser
):
    """An instructor's launch makes the course, enrols them as its instructor, and shows the
    linked exercise's analytics."""
    context = new_context()
    teacher = person("instructor")
    message = Message(teacher, context_id=context, custom={"exercise": "single-weight"})
    reply = browser.launch(platform, message)
    assert reply.status_code == 200, reply.text[:2000]
    assert "/instructor/courses/" in reply.url and reply.url.endswith("/single-weight/analytics")
    with postgres_app.app_context():
        row = db.session.scalar(select(LtiContext).filter_by(context_id=context))
        course = db.session.get(Course, row.course_id)
        assert course.title == "Deep Learning 101"
        user = db.session.scalar(select(User).filter_by(email=teacher.email))
        enrolment = db.session.scalar(
            select(Enrolment).filter_by(course_id=course.id, user_id=user.id)
        )
        assert enrolment.role == "instructor"


def test_student_launch_links_the_account_once_and_lands_on_the_exercise(
    platform, postgres_app, figures
):
    """A student's launches (twice, in two browsers) use one account, enrolled as a student,
    and open the link's exercise."""
    context = new_context()
    Browser().launch(
        platform,
        Message(person("instructor"), context_id=context, custom={"exercise": "single-weight"}),
    )
    learner = person("student")
    durations = []
    for _ in range(2):
        started = time.monotonic()
        reply = Browser().launch(platform, Message(learner, context_id=context))
        assert reply.status_code == 200, reply.text[:2000]
        assert reply.url.endswith("/exercises/single-weight")
        durations.append(time.monotonic() - started)
    figures["launch_to_exercise_page_s"] = round(max(durations), 3)
    with postgres_app.app_context():
        accounts = db.session.scalars(select(LtiAccount).filter_by(sub=learner.sub)).all()
        assert len(accounts) == 1
        user = db.session.get(User, accounts[0].user_id)
        assert user.email == learner.email and user.role == "student"
        roles = db.session.scalars(select(Enrolment.role).filter_by(user_id=user.id)).all()
        assert roles == ["student"]


def test_student_without_email_gets_an_account_of_their_own(platform, postgres_app):
    """A platform that withholds the email still links the user, under a stand-in address."""
    context = new_context()
    Browser().launch(
        platform,
        Message(person("instructor"), context_id=context, custom={"exercise": "single-weight"}),
    )
    learner = person("student", email=False)
    reply = Browser().launch(platform, Message(learner, context_id=context))
    assert reply.status_code == 200
    with postgres_app.app_context():
        account = db.session.scalar(select(LtiAccount).filter_by(sub=learner.sub))
        assert db.session.get(User, account.user_id).email.endswith("@lti.invalid")


def test_student_before_any_instructor_is_told_the_course_is_not_set_up(platform):
    """A course is made by its first instructor launch, not by a student's."""
    reply = Browser().launch(platform, Message(person("student"), context_id=new_context()))
    assert reply.status_code == 403
    assert "your instructor opens it first" in reply.text


def _forged(platform, how: str, caplog) -> str:
    context = new_context()
    Browser().launch(
        platform,
        Message(person("instructor"), context_id=context, custom={"exercise": "single-weight"}),
    )
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="grader.web.lti"):
        reply = Browser().launch(
            platform, Message(person("student"), context_id=context, forge=how)
        )
    assert reply.status_code == 403, reply.text[:1000]
    assert "This launch was refused" in reply.text
    lines = [r.getMessage() for r in caplog.records if "refused a launch" in r.getMessage()]
    assert lines, caplog.text
    return lines[0]


def test_id_token_signed_with_another_key_is_refused(platform, caplog):
    assert "Can't decode id_token" in _forged(platform, "key", caplog)


def test_id_token_for_another_audience_is_refused(platform, caplog):
    assert "audience (client id) match no platform" in _forged(platform, "audience", caplog)


def test_expired_id_token_is_refused(platform, caplog):
    assert "expired" in _forged(platform, "expired", caplog).lower()


def test_replayed_id_token_is_refused(platform, caplog):
    """The same id_token posted again (its nonce already used) is refused."""
    context = new_context()
    Browser().launch(
        platform,
        Message(person("instructor"), context_id=context, custom={"exercise": "single-weight"}),
    )
    browser = Browser()
    message = Message(person("student"), context_id=context)
    page = browser.http.get(platform.start_launch(message), timeout=30)
    action, fields = browser.form(page.text)
    assert browser.http.post(action, data=fields, timeout=30).status_code == 200
    with caplog.at_level(logging.WARNING, logger="grader.web.lti"):
        again = browser.http.post(action, data=fields, timeout=30)
    assert again.status_code == 403
    assert "Invalid Nonce" in again.text
    assert any("Invalid Nonce" in r.getMessage() for r in caplog.records)


def test_unregistered_platform_is_refused_at_login(tool_url):
    reply = Browser().http.get(
        f"{tool_url}/lti/login",
        params={
            "iss": f"https://lms-{uuid.uuid4().hex[:6]}.example",
            "login_hint": "x",
            "client_id": "c",
        },
        timeout=10,
    )
    assert reply.status_code == 400
    assert "Could not find registration details" in reply.text
