"""Where the course's scores stand in the LMS, for the instructor's LMS page."""

from __future__ import annotations

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from grader.db import Exercise, LtiAccount, LtiLink, LtiPassback, User


def statuses(session: Session, course_id: int) -> list:
    """Each passback of the course, for the dashboard: the student, the exercise, where the
    score stands (sent, waiting, sending, failed with the reason)."""
    return session.execute(
        select(
            LtiPassback.id,
            LtiPassback.status,
            LtiPassback.sent_score,
            LtiPassback.sent_at,
            LtiPassback.changed_at,
            LtiPassback.tries,
            LtiPassback.error,
            User.email,
            User.name,
            Exercise.slug.label("exercise"),
            LtiLink.resource_link_id,
        )
        .join(LtiLink, LtiLink.id == LtiPassback.link_id)
        .join(LtiAccount, LtiAccount.id == LtiPassback.account_id)
        .join(User, User.id == LtiAccount.user_id)
        .join(Exercise, Exercise.id == LtiLink.exercise_id)
        .where(LtiLink.course_id == course_id)
        .order_by(
            case((LtiPassback.status == "failed", 0), (LtiPassback.status == "sent", 2), else_=1),
            User.email,
            Exercise.slug,
        )
        .limit(5000)
    ).all()
