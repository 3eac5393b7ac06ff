"""Scores sent back to the LMS's gradebook: the best score after penalties, one line item per
resource link, delivered through the outbox by the real worker, retried while the LMS is down
and each arriving once, and resent by a regrade only where it changed."""

from __future__ import annotations

import time

from sqlalchemy import select

from grader.db import LtiLink, LtiPassback
from grader.extensions import db
from tests.lti.conftest import GOOD, Student, launch_class, person, wait_until
from tests.lti.platform import Message


def held(platform, sub: str) -> dict | None:
    """The score the LMS holds for this user (on any line item)."""
    with platform.lock:
        found = [s for (_, user), s in platform.store.scores.items() if user == sub]
    return found[0] if found else None


def posts(platform, sub: str) -> list[dict]:
    with platform.lock:
        return [p for p in platform.store.posts if p["userId"] == sub]


def lineitems(platform, link: str) -> list[dict]:
    with platform.lock:
        return [i for i in platform.store.lineitems.values() if i.get("resourceLinkId") == link]


def test_graded_attempts_put_the_best_score_on_one_line_item(
    platform, tool_url, celery_worker, postgres_app, figures
):
    """1/5, then 5/5, then 1/5 again: the LMS holds 5 out of 5 on the link's one line item,
    sent twice (the last attempt changed nothing); a second student's score goes to the same
    line item."""
    context, link = launch_class(platform, tool_url)
    learner = person("student")
    student = Student(tool_url).open(
        platform, Message(learner, context_id=context, resource_link_id=link)
    )
    assert student.page_url.endswith("/exercises/single-weight")
    student.answer({"grad.e3": "-10"})
    assert (
        wait_until(lambda: held(platform, learner.sub), what="the first score")["scoreGiven"] == 1
    )
    student.answer(GOOD)
    graded_at = time.monotonic()
    wait_until(lambda: held(platform, learner.sub)["scoreGiven"] == 5, what="the best score")
    figures["graded_to_lms_s"] = round(time.monotonic() - graded_at, 3)
    student.answer({"grad.e3": "-10"})
    other = person("student")
    Student(tool_url).open(
        platform, Message(other, context_id=context, resource_link_id=link)
    ).answer(GOOD)
    wait_until(lambda: held(platform, other.sub), what="the other student's score")
    with postgres_app.app_context():
        wait_until(
            lambda: (
                set(
                    db.session.scalars(
                        select(LtiPassback.status)
                        .join(LtiLink, LtiLink.id == LtiPassback.link_id)
                        .where(LtiLink.resource_link_id == link)
                    )
                )
                == {"sent"}
                or db.session.rollback()
            ),
            what="every passback sent",
        )
    score = held(platform, learner.sub)
    assert score["scoreGiven"] == 5 and score["scoreMaximum"] == 5
    assert score["activityProgress"] == "Completed" and score["gradingProgress"] == "FullyGraded"
    assert [p["scoreGiven"] for p in posts(platform, learner.sub)] == [1, 5]
    items = lineitems(platform, link)
    assert len(items) == 1
    assert items[0]["scoreMaximum"] == 5 and items[0]["tag"] == "backprop-grader"
    assert (
        items[0]["resourceId"] == "single-weight" and items[0]["label"] == "One weight, one example"
    )
    assert {p["lineitem"] for p in posts(platform, other.sub)} == {items[0]["id"].rsplit("/", 1)[1]}


def test_scores_sent_while_the_lms_is_down_arrive_once_when_it_is_back(
    platform, tool_url, celery_worker, postgres_app, figures
):
    """The LMS answers 503 for a while: the deliveries wait and retry with backoff, each
    student's score arrives exactly once when it is back, and the dashboard's rows said why
    they waited meanwhile."""
    context, link = launch_class(platform, tool_url)
    people = [person("student") for _ in range(3)]
    students = [
        Student(tool_url).open(platform, Message(p, context_id=context, resource_link_id=link))
        for p in people
    ]
    platform.down = True
    try:
        for student in students:
            student.answer(GOOD)

        def waiting_with_reason():
            with postgres_app.app_context():
                rows = db.session.scalars(
                    select(LtiPassback).where(
                        LtiPassback.tries > 0, LtiPassback.status == "waiting"
                    )
                ).all()
                return [r.error for r in rows if "503" in (r.error or "")]

        assert wait_until(waiting_with_reason, what="a delivery to wait for the LMS")
        assert all(held(platform, p.sub) is None for p in people)
    finally:
        platform.down = False
    back_at = time.monotonic()
    for p in people:
        wait_until(lambda p=p: held(platform, p.sub), what="the score after the LMS is back")
    figures["lms_back_to_all_scores_s"] = round(time.monotonic() - back_at, 3)
    figures["scores"] = len(people)
    figures["posts_per_score"] = max(len(posts(platform, p.sub)) for p in people)
    for p in people:
        assert len(posts(platform, p.sub)) == 1
    assert len(lineitems(platform, link)) == 1


def test_a_line_item_deleted_in_the_lms_is_made_again(platform, tool_url, celery_worker):
    """The instructor deletes the grade column in the LMS: the next score makes a new one."""
    context, link = launch_class(platform, tool_url)
    learner = person("student")
    student = Student(tool_url).open(
        platform, Message(learner, context_id=context, resource_link_id=link)
    )
    student.answer({"grad.e3": "-10"})
    wait_until(lambda: held(platform, learner.sub), what="the first score")
    with platform.lock:
        for ident, item in list(platform.store.lineitems.items()):
            if item.get("resourceLinkId") == link:
                del platform.store.lineitems[ident]
    student.answer(GOOD)
    wait_until(lambda: lineitems(platform, link), what="a new line item")
    wait_until(lambda: posts(platform, learner.sub)[-1]["scoreGiven"] == 5, what="the new score")
    assert len(lineitems(platform, link)) == 1
