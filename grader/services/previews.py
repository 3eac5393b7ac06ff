"""Previews: how a student's answers will be read, before they are submitted. Nothing is stored
and no attempt is counted; no verdict is given, only what the parser made of each answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from grader.checking.preview import preview
from grader.db import User, utcnow
from grader.exercises import Exercise
from grader.services import accounts, exercises
from grader.services.errors import Forbidden, Invalid
from grader.services.standing import closed_reason
from grader.services.submissions import clean_answers


def read_back(
    session: Session,
    user: User,
    exercise_slug: Any,
    answers: Any,
    course_slug: Any = None,
    lang: str = "en",
) -> dict:
    """``{"exercise", "blanks": {BLANK: {readable, value, shown, message, said}}}`` for the
    answers to an exercise the user's course offers (refused, as the exercise is, before it
    opens); the same checks of the body as a submission's."""
    if not isinstance(exercise_slug, str):
        raise Invalid("'exercise' must be an exercise id, like \"single-weight\"")
    if not isinstance(course_slug, str | None):
        raise Invalid("'course' must be a course slug")
    course = accounts.course_of(session, user, course_slug)
    exercise, settings = exercises.find_offered(session, course, exercise_slug)
    staff = accounts.teaches(session, user, course)
    if closed_reason(settings, 0, staff, utcnow()) == "not_open":
        raise Forbidden(f"'{exercise_slug}' opens at {settings.opens_at:%Y-%m-%d %H:%M} UTC")
    version = exercises.current_version(session, exercise)
    return preview_of(exercise.slug, exercises.load_version(version), version.blanks, answers, lang)


def preview_of(
    slug: str, exercise: Exercise, blanks: list[dict], answers: Any, lang: str = "en"
) -> dict:
    """The preview of answers to ``exercise`` (whose ``blanks`` are listed as a version lists
    them), named ``slug``: a practice's too."""
    return {"exercise": slug, "blanks": preview(exercise, clean_answers(blanks, answers), lang)}
