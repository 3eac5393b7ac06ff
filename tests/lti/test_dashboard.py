"""The instructor's LMS page: each student's passback status with the reason it waits or
failed, resending, and the roster synced from the LMS (Names and Role Provisioning)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select, update

from grader.db import Course, Enrolment, LtiContext, LtiLink, LtiPassback, User
from grader.extensions import db
from tests.lti.conftest import GOOD, Browser, Student, new_context, person, wait_until
from tests.lti.platform import INSTRUCTOR, LEARNER, Message


def teach(platform, context: str, link: str) -> tuple[Browser, str]:
    """An instructor's browser after their launch, and the course's LMS page URL."""
    teacher = Browser()
    reply = teacher.launch(
        platform,
        Message(
            person("instructor"),
            context_id=context,
            resource_link_id=link,
            custom={"exercise": "single-weight"},
        ),
    )
    slug = re.search(r"/instructor/courses/([^/]+)/", reply.url).group(1)
    return teacher, reply.url.split("/instructor/")[0] + f"/instructor/courses/{slug}/lms"


def test_the_lms_page_shows_each_score_and_resends_a_failed_one(
    platform, tool_url, celery_worker, postgres_app
):
    context, link = new_context(), f"link-{uuid.uuid4().hex[:6]}"
    teacher, lms_page = teach(platform, context, link)
    learner = person("student")
    Student(tool_url).open(
        platform, Message(learner, context_id=context, resource_link_id=link)
    ).answer(GOOD)
    wait_until(
        lambda: 'class="passback-sent"' in teacher.http.get(lms_page, timeout=30).text,
        what="the sent row",
    )
    page = teacher.http.get(lms_page, timeout=30).text
    assert re.search(
        r'class="passback-sent".*?' + re.escape(learner.name) + r".*?single-weight.*?>5<",
        page,
        re.S,
    )
    with postgres_app.app_context():
        row = db.session.scalar(
            select(LtiPassback)
            .join(LtiLink, LtiLink.id == LtiPassback.link_id)
            .join(LtiContext, LtiContext.id == LtiLink.context_id)
            .where(LtiContext.context_id == context)
        )
        db.session.execute(
            update(LtiPassback)
            .where(LtiPassback.id == row.id)
            .values(status="failed", error="HTTP 500 from the LMS", sent_score=None)
        )
        db.session.commit()
        passback_id = row.id
    page = teacher.http.get(lms_page, timeout=30).text
    assert "passback-failed" in page and "HTTP 500 from the LMS" in page
    before = len([p for p in platform.store.posts if p["userId"] == learner.sub])
    reply = teacher.http.post(
        f"{lms_page}/resend",
        data={"csrf_token": teacher.csrf(page), "passback": str(passback_id)},
        timeout=30,
    )
    assert reply.status_code == 200 and "1 score queued to be sent again" in reply.text
    wait_until(
        lambda: len([p for p in platform.store.posts if p["userId"] == learner.sub]) == before + 1,
        what="the score sent again",
    )
    wait_until(
        lambda: "passback-failed" not in teacher.http.get(lms_page, timeout=30).text,
        what="the row sent",
    )


def test_a_student_cannot_see_the_lms_page(platform, tool_url):
    context, link = new_context(), "link-x"
    _, lms_page = teach(platform, context, link)
    student = Browser()
    student.launch(platform, Message(person("student"), context_id=context, resource_link_id=link))
    assert student.http.get(lms_page, timeout=30).status_code == 403


def test_the_roster_is_synced_from_the_lms(platform, tool_url, postgres_app):
    context, link = new_context(), "link-r"
    teacher, lms_page = teach(platform, context, link)
    members = [
        {
            "user_id": uuid.uuid4().hex,
            "name": "Ada L",
            "email": f"ada-{uuid.uuid4().hex[:6]}@lms.example",
            "roles": [LEARNER],
            "status": "Active",
        },
        {
            "user_id": uuid.uuid4().hex,
            "name": "Tess T",
            "email": None,
            "roles": [INSTRUCTOR],
            "status": "Active",
        },
        {"user_id": uuid.uuid4().hex, "name": "Gone G", "roles": [LEARNER], "status": "Inactive"},
    ]
    with platform.lock:
        platform.store.members = members
    page = teacher.http.get(lms_page, timeout=30).text
    reply = teacher.http.post(
        f"{lms_page}/roster", data={"csrf_token": teacher.csrf(page)}, timeout=30
    )
    assert reply.status_code == 200, reply.text[:500]
    assert "2 members added" in reply.text and "1 left out" in reply.text
    with postgres_app.app_context():
        course_id = db.session.scalar(select(LtiContext.course_id).filter_by(context_id=context))
        roles = dict(
            db.session.execute(
                select(User.name, Enrolment.role)
                .join(Enrolment, Enrolment.user_id == User.id)
                .where(Enrolment.course_id == course_id)
            ).all()
        )
        assert roles["Ada L"] == "student" and roles["Tess T"] == "instructor"
        assert "Gone G" not in roles
        assert db.session.get(Course, course_id) is not None
    again = teacher.http.post(
        f"{lms_page}/roster", data={"csrf_token": teacher.csrf(page)}, timeout=30
    )
    assert "0 members added" in again.text and "2 already enrolled" in again.text
