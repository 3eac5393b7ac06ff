"""A regrade resends to the LMS the scores it changed, and only those."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from grader.db import Course, LtiContext, LtiLink, LtiPassback
from grader.extensions import db
from grader.services import batches, regrade
from tests.lti.conftest import GOOD, Student, launch_class, person, wait_until
from tests.lti.platform import Message
from tests.service.batching import retire, store_version


def test_a_regrade_resends_the_scores_it_changed(platform, tool_url, celery_worker, postgres_app):
    slug = f"lti-regrade-{uuid.uuid4().hex[:8]}"
    store_version(postgres_app, slug, "0.01")
    try:
        context, link = launch_class(platform, tool_url, slug)
        changed, same = person("student"), person("student")
        for who, answers in (
            (changed, GOOD),
            (same, {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20"}),
        ):
            Student(tool_url).open(
                platform, Message(who, context_id=context, resource_link_id=link)
            ).answer(answers)
        for who in (changed, same):
            wait_until(lambda who=who: platform.posts_for(who.sub), what="the first scores")
        assert platform.posts_for(changed.sub)[-1]["scoreGiven"] == 5
        assert platform.posts_for(same.sub)[-1]["scoreGiven"] == 3
        store_version(postgres_app, slug, "0.02")  # update.v is now 0.4
        with postgres_app.app_context():
            course_id = db.session.scalar(
                select(LtiContext.course_id).filter_by(context_id=context)
            )
            course = db.session.get(Course, course_id)
            batch = regrade.start(db.session, None, course, slug)
            batches.run(db.session, batch.id)
        wait_until(
            lambda: len(platform.posts_for(changed.sub)) == 2, what="the changed score resent"
        )
        assert platform.posts_for(changed.sub)[-1]["scoreGiven"] < 5
        assert (
            platform.posts_for(changed.sub)[-1]["timestamp"]
            > platform.posts_for(changed.sub)[0]["timestamp"]
        )
        with postgres_app.app_context():
            wait_until(
                lambda: not _unsent(course_id) or db.session.rollback(),
                what="every passback settled",
            )
        assert len(platform.posts_for(same.sub)) == 1
    finally:
        retire(postgres_app, slug)


def _unsent(course_id: int) -> list:
    return db.session.scalars(
        select(LtiPassback.id)
        .join(LtiLink, LtiLink.id == LtiPassback.link_id)
        .where(LtiLink.course_id == course_id, LtiPassback.status != "sent")
    ).all()
