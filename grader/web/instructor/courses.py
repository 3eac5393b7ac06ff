"""The courses an instructor teaches, creating one, a course's exercises, and each exercise's
settings in the course."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from grader.db.course import REVEAL_POLICIES
from grader.extensions import db
from grader.services import courses
from grader.services.errors import ServiceError
from grader.web.auth import user
from grader.web.instructor.guard import taught_course

bp = Blueprint("courses", __name__, url_prefix="/instructor")

REVEAL_LABELS = {
    "after_deadline": "After the exercise closes",
    "after_last_attempt": "After the student's last attempt (or when it closes)",
    "after_each_attempt": "With the feedback on every attempt",
    "never": "Never",
}


def index():
    """The courses the instructor teaches, and a form to create one."""
    return render_template("instructor/index.html", taught=courses.taught(db.session, user()))


@bp.post("/courses")
def create():
    """Create a course taught by the caller."""
    slug, title = request.form.get("slug", ""), request.form.get("title", "")
    try:
        course = courses.create_course(db.session, user(), slug, title)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("instructor.index"))
    flash(gettext("Course %(slug)s created.", slug=course.slug), "success")
    return redirect(url_for("instructor.courses.show", slug=course.slug))


@bp.get("/courses/<slug>/")
def show(slug: str):
    """The course's exercises with their settings and how far the class has got."""
    course = taught_course(slug)
    return render_template(
        "instructor/course.html",
        course=course,
        entries=courses.catalogue(db.session, course),
        reveal_labels=REVEAL_LABELS,
    )


@bp.post("/courses/<slug>/exercises/<exercise_slug>/offered")
def offer(slug: str, exercise_slug: str):
    """Offer the exercise to the course's students, or withdraw it."""
    course = taught_course(slug)
    exercise = courses.find_exercise(db.session, exercise_slug, course)
    offer = request.form.get("offer") == "1"
    try:
        courses.set_offered(db.session, course, exercise, offer)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        done = (
            gettext("%(exercise)s is offered to the course's students.", exercise=exercise.slug)
            if offer
            else gettext("%(exercise)s is withdrawn from the course.", exercise=exercise.slug)
        )
        flash(done, "success")
    return redirect(url_for("instructor.courses.show", slug=slug))


@bp.route("/courses/<slug>/exercises/<exercise_slug>/settings", methods=["GET", "POST"])
def settings(slug: str, exercise_slug: str):
    """Open and close dates, attempt limit, when expected values are shown, hints, the attempt
    penalty, points."""
    course = taught_course(slug)
    exercise = courses.find_exercise(db.session, exercise_slug, course)
    problems: dict[str, str] = {}
    if request.method == "POST":
        form = courses.SettingsForm(
            opens_at=request.form.get("opens_at", ""),
            due_at=request.form.get("due_at", ""),
            max_attempts=request.form.get("max_attempts", ""),
            reveal=request.form.get("reveal", ""),
            points=request.form.get("points", ""),
            follow_through=request.form.get("follow_through") == "1",
            hints=request.form.get("hints") == "1",
            hint_from=request.form.get("hint_from", ""),
            penalty=request.form.get("penalty", ""),
        )
        try:
            courses.save_settings(db.session, course, exercise, form)
        except courses.SettingsInvalid as exc:
            db.session.rollback()
            problems = exc.problems
        else:
            flash(gettext("Settings of %(exercise)s saved.", exercise=exercise.slug), "success")
            return redirect(url_for("instructor.courses.show", slug=slug))
        values = form
    else:
        row = courses.settings_of(db.session, course, exercise)
        values = courses.SettingsForm(
            opens_at=_local(row.opens_at) if row else "",
            due_at=_local(row.due_at) if row else "",
            max_attempts=str(row.max_attempts or "") if row else "",
            reveal=row.reveal if row else REVEAL_POLICIES[0],
            points=_points(row.points) if row else "",
            follow_through=row.follow_through if row else True,
            hints=row.hints if row else True,
            hint_from=str(row.hint_from) if row else "1",
            penalty=_points(row.penalty) if row and row.penalty else "",
        )
    return render_template(
        "instructor/settings.html",
        course=course,
        exercise=exercise,
        values=values,
        problems=problems,
        reveal_labels=REVEAL_LABELS,
    ), (422 if problems else 200)


def _local(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M") if moment else ""


def _points(points: float | None) -> str:
    if points is None:
        return ""
    return str(int(points)) if float(points).is_integer() else str(points)
