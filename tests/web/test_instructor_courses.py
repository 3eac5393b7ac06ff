"""Creating a course, choosing its exercises, and each exercise's settings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from grader.db import Course, CourseExercise, Exercise
from grader.db.course import REVEAL_POLICIES
from grader.extensions import db
from grader.services import exercises
from grader.web.instructor.courses import REVEAL_LABELS
from tests.web.conftest import log_in, new_student


def instructor(app):
    email, course = new_student(app, role="instructor")
    return log_in(app, email, course)


def settings_of(app, course: str, exercise: str) -> CourseExercise | None:
    with app.app_context():
        return db.session.scalar(
            select(CourseExercise)
            .join(Course, Course.id == CourseExercise.course_id)
            .join(Exercise, Exercise.id == CourseExercise.exercise_id)
            .where(Course.slug == course, Exercise.slug == exercise)
        )


def test_every_reveal_policy_has_a_label_on_the_settings_form():
    """The form offers exactly the policies the model knows."""
    assert set(REVEAL_LABELS) == set(REVEAL_POLICIES)


def test_an_instructor_creates_a_course_they_then_teach(app):
    """The new course appears on the index, taught by its creator; a taken slug is refused."""
    me = instructor(app)
    slug = f"new-{uuid.uuid4().hex[:8]}"
    token = me.csrf("/instructor/")
    reply = me.client.post(
        "/instructor/courses", data={"csrf_token": token, "slug": slug, "title": "Spring term"}
    )
    assert reply.status_code == 302
    assert reply.headers["Location"].endswith(f"/instructor/courses/{slug}/")
    assert "Spring term" in me.get("/instructor/").get_data(as_text=True)
    again = me.client.post(
        "/instructor/courses",
        data={"csrf_token": token, "slug": slug, "title": "Again"},
        follow_redirects=True,
    )
    assert f"there is already a course &#39;{slug}&#39;" in again.get_data(as_text=True)


def test_settings_are_saved_and_keep_the_other_exercises_offered(app):
    """Dates, attempts, reveal policy, points and follow-through are stored; setting one exercise
    does not withdraw the others the course offered."""
    me = instructor(app)
    page = f"/instructor/courses/{me.course}/exercises/single-weight/settings"
    reply = me.client.post(
        page,
        data={
            "csrf_token": me.csrf(page),
            "opens_at": "2026-12-01T09:00",
            "due_at": "2026-12-08T18:30",
            "max_attempts": "3",
            "reveal": "after_last_attempt",
            "points": "10",
        },
    )
    assert reply.status_code == 302
    saved = settings_of(app, me.course, "single-weight")
    assert saved.opens_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert saved.due_at == datetime(2026, 12, 8, 18, 30, tzinfo=UTC)
    assert (saved.max_attempts, saved.reveal, saved.points) == (3, "after_last_attempt", 10.0)
    assert saved.follow_through is False
    with app.app_context():
        course = db.session.scalar(select(Course).filter_by(slug=me.course))
        offered = {exercise.slug for exercise, _ in exercises.offered(db.session, course)}
        everything = set(
            db.session.scalars(
                select(Exercise.slug).where(Exercise.active, Exercise.owner_course_id.is_(None))
            )
        )
    assert offered == everything
    form = me.get(page).get_data(as_text=True)
    assert 'value="2026-12-08T18:30"' in form and 'value="3"' in form


def test_bad_settings_are_refused_field_by_field_and_nothing_is_saved(app):
    """A close before the open, a fractional attempt limit and zero points: 422, each named."""
    me = instructor(app)
    page = f"/instructor/courses/{me.course}/exercises/fan-out/settings"
    reply = me.client.post(
        page,
        data={
            "csrf_token": me.csrf(page),
            "opens_at": "2026-12-08T10:00",
            "due_at": "2026-12-01T10:00",
            "max_attempts": "2.5",
            "reveal": "after_deadline",
            "points": "0",
            "follow_through": "1",
        },
    )
    assert reply.status_code == 422
    text = reply.get_data(as_text=True)
    assert "the exercise must close after it opens" in text
    assert "write a whole number" in text
    assert "must be more than 0" in text
    assert settings_of(app, me.course, "fan-out") is None


def test_withdrawing_an_exercise_hides_it_from_students(app):
    """Withdraw one exercise: the students' list no longer has it; offer it again: back."""
    me = instructor(app)
    student_email, _ = new_student(app, me.course)
    student = log_in(app, student_email, me.course)
    action = f"/instructor/courses/{me.course}/exercises/fan-out/offered"
    token = me.csrf(f"/instructor/courses/{me.course}/")
    me.client.post(action, data={"csrf_token": token, "offer": "0"})
    listed = student.get("/api/v1/exercises").get_json()["exercises"]
    assert "fan-out" not in {e["id"] for e in listed}
    assert "single-weight" in {e["id"] for e in listed}
    me.client.post(action, data={"csrf_token": token, "offer": "1"})
    listed = student.get("/api/v1/exercises").get_json()["exercises"]
    assert "fan-out" in {e["id"] for e in listed}


def test_the_instructors_messages_follow_the_chosen_language(app):
    """With Russian chosen, what the dashboard says after an action, and its error pages, are in
    Russian; the API's error code stays the English one."""
    me = instructor(app)
    me.client.get("/language/ru?next=/instructor/")
    slug = f"ru-{uuid.uuid4().hex[:8]}"
    token = me.csrf("/instructor/")
    created = me.client.post(
        "/instructor/courses",
        data={"csrf_token": token, "slug": slug, "title": "Весна"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"Курс {slug} создан." in created
    action = f"/instructor/courses/{slug}/exercises/fan-out/offered"
    token = me.csrf(f"/instructor/courses/{slug}/")
    withdrawn = me.client.post(
        action, data={"csrf_token": token, "offer": "0"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Упражнение fan-out убрано из курса." in withdrawn
    student_email, _ = new_student(app, me.course)
    student = log_in(app, student_email, me.course)
    student.client.get("/language/ru?next=/")
    refused = student.get(f"/instructor/courses/{me.course}/")
    assert refused.status_code == 403
    assert "<h1>Только для преподавателей</h1>" in refused.get_data(as_text=True)
    api = student.get(f"/api/v1/courses/{me.course}/exercises/fan-out/analytics")
    assert (api.status_code, api.get_json()["error"]) == (403, "forbidden")
    expired = me.client.post(action, data={"csrf_token": "stale", "offer": "1"})
    page = expired.get_data(as_text=True)
    assert expired.status_code == 400 and "Срок действия формы истёк" in page
    assert "Обновите страницу и попробуйте ещё раз." in page
