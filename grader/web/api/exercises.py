"""``/exercises``: what the caller's course offers, and the caller's own variant of one."""

from __future__ import annotations

from functools import cache

from flask import Blueprint, request
from flask_login import login_required

from grader.exercises.texts import by_language
from grader.extensions import db
from grader.services import accounts, exercises, learning, standing, submissions, variants
from grader.services.errors import Forbidden
from grader.web.auth import user
from grader.web.i18n import current_language

bp = Blueprint("exercises", __name__)


@bp.get("/exercises")
@login_required
def index():
    """The exercises of the caller's course (``?course=SLUG`` when in several)."""
    course = accounts.course_of(db.session, user(), request.args.get("course"))
    lang = current_language()
    return {
        "course": course.slug,
        "exercises": [
            {
                "id": exercise.slug,
                "title": exercise.title_in(lang),
                "titles": exercise.titles or by_language(exercise.title),
                "max_attempts": settings.max_attempts if settings else None,
                "due_at": settings.due_at.isoformat() if settings and settings.due_at else None,
            }
            for exercise, settings in exercises.offered(db.session, course)
        ],
    }


@bp.get("/exercises/<slug>")
@login_required
def show(slug: str):
    """The exercise as the caller sees it: text, graph, blanks and their own variant's values;
    403 to a student before it opens, as on the exercise page."""
    session, me = db.session, user()
    course = accounts.course_of(session, me, request.args.get("course"))
    exercise, settings = exercises.find_offered(session, course, slug)
    where = standing.exercise_standing(session, me, course, exercise, settings)
    if where.closed == "not_open":
        raise Forbidden(f"'{slug}' opens at {where.opens_at:%Y-%m-%d %H:%M} UTC")
    version = exercises.current_version(session, exercise)
    variant = variants.variant_for(session, course, me, version)
    session.commit()
    spec = exercises.load_version(version).spec
    revealed = where.revealed
    rules = learning.Settings.of(settings)
    past = cache(lambda: learning.history(session, me.id, course.id, exercise.id))
    lang = current_language()
    return {
        "id": exercise.slug,
        "course": course.slug,
        "title": spec.title_in(lang),
        "text": spec.text_in(lang),
        "titles": by_language(spec.titles),
        "texts": by_language(spec.texts),
        "graph": {name: str(expression) for name, expression in spec.graph.items()},
        "learning_rate": spec.learning_rate,
        "variant": variant.values,
        "blanks": version.blanks,
        "max_score": version.max_score,
        "max_attempts": settings.max_attempts if settings else None,
        "due_at": settings.due_at.isoformat() if settings and settings.due_at else None,
        "hints": rules.hints,
        "penalty": rules.penalty,
        "next_attempt_worth": where.next_worth,
        "best_score": where.best_score,
        "best_raw_score": where.best_raw,
        "attempts": [
            learning.annotate(session, standing.disclosed(row, revealed), rules, past, lang)
            for row in submissions.attempts(session, me, course, exercise)
        ],
    }
