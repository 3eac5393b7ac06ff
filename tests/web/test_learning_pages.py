"""The learning loop on the pages: each input has a line that says how its answer is read, a
wrong blank shows its hint, the page says what the next attempt is worth, the worked solution
is in the reader's language, and the instructor sets hints and the penalty."""

from __future__ import annotations

from sqlalchemy import select

from grader.db import Course, CourseExercise, Exercise
from grader.extensions import db
from tests.book_answers import SIGN_ERROR
from tests.web.conftest import log_in, new_student, offer
from tests.web.test_instructor_courses import instructor, settings_of

PAGE = "/courses/{course}/exercises/single-weight"


def set_penalty(app, course: str, penalty: float, **values) -> None:
    with app.app_context():
        session = db.session
        row = session.scalar(
            select(CourseExercise)
            .join(Course, Course.id == CourseExercise.course_id)
            .join(Exercise, Exercise.id == CourseExercise.exercise_id)
            .where(Course.slug == course, Exercise.slug == "single-weight")
        )
        row.penalty = penalty
        for name, value in values.items():
            setattr(row, name, value)
        session.commit()


def test_each_input_has_a_polite_line_for_how_its_answer_is_read(student):
    """Under every input a live region (polite) that the input names, and the page's script
    knows where to ask."""
    html = student.get(PAGE.format(course=student.course)).get_data(as_text=True)
    assert (
        '<small id="read-grad.e3" class="read-back" data-blank="grad.e3" aria-live="polite">'
        in html
    )
    assert 'aria-describedby="hint-grad.e3 read-grad.e3 verdict-grad.e3"' in html
    assert '"previewUrl": "/api/v1/submissions/preview"' in html
    assert "css/learning.css" in html


def test_the_page_asks_the_preview_with_its_csrf_token(student):
    """The page's script posts to the API with the form's token and the session cookie."""
    page = PAGE.format(course=student.course)
    reply = student.client.post(
        "/api/v1/submissions/preview",
        json={"exercise": "single-weight", "course": student.course, "answers": {"new.v": "0,2"}},
        headers={"X-CSRFToken": student.csrf(page)},
    )
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.get_json()["blanks"]["new.v"]["said"] == "read as 0.2"
    refused = student.client.post(
        "/api/v1/submissions/preview",
        json={"exercise": "single-weight", "answers": {"new.v": "0,2"}},
    )
    assert refused.status_code in (400, 403)


def test_a_wrong_blank_shows_its_hint_and_the_history_keeps_it(app):
    """The attempt's JSON (which the script shows) and the history carry e3's level-1 hint."""
    email, course = new_student(app)
    student = log_in(app, email, course)
    reply = student.submit("single-weight", SIGN_ERROR)
    attempt = student.wait_graded(reply.get_json()["url"])
    hint = attempt["blanks"]["grad.e3"]["hint"]
    assert hint["level"] == 1 and "the power node" in hint["text"]
    assert attempt["blanks"]["grad.e2"]["hint"] is None
    html = student.get(PAGE.format(course=course)).get_data(as_text=True)
    assert 'class="verdict-hint" data-level="1"' in html
    assert "Hint 1:" in html and 'class="history-hint"' in html


def test_the_page_says_what_the_next_attempt_is_worth(app):
    """With a penalty of 0.25 the second attempt is worth 75%; the attempt's line says what the
    first was worth after it, once there is a second."""
    email, course = new_student(app)
    offer(app, course, "single-weight")
    set_penalty(app, course, 0.25)
    student = log_in(app, email, course)
    page = PAGE.format(course=course)
    html = student.get(page).get_data(as_text=True)
    assert 'id="next-worth" data-worth="1.0"' in html and "worth 100% of its points" in html
    student.wait_graded(student.submit("single-weight", SIGN_ERROR).get_json()["url"])
    second = student.wait_graded(student.submit("single-weight", SIGN_ERROR).get_json()["url"])
    assert second["worth"] == 0.75 and second["summary"] == "4 of 5 points, worth 75%: 3"
    html = student.get(page).get_data(as_text=True)
    assert "worth 50% of its points" in html
    assert "(each attempt after the first loses 25%)" in html


def test_the_worked_solution_is_in_the_readers_language(app):
    """Revealed after each attempt, the solution is Russian for a Russian reader."""
    email, course = new_student(app)
    offer(app, course, "single-weight", reveal="after_each_attempt")
    student = log_in(app, email, course)
    student.wait_graded(student.submit("single-weight", SIGN_ERROR).get_json()["url"])
    student.client.get("/language/ru")
    html = student.get(PAGE.format(course=course)).get_data(as_text=True)
    assert "Прямой проход" in html and "Шаг для v" in html


def test_the_instructor_sets_hints_and_the_penalty(app):
    """Hints from level 2 and a penalty of 20% are stored (20% as 0.2); a penalty above 100%
    or not a number is refused by name, and nothing is saved."""
    me = instructor(app)
    page = f"/instructor/courses/{me.course}/exercises/single-weight/settings"
    form = {"csrf_token": me.csrf(page), "reveal": "after_deadline", "hints": "1"}
    reply = me.client.post(page, data={**form, "hint_from": "2", "penalty": "20%"})
    assert reply.status_code == 302
    saved = settings_of(app, me.course, "single-weight")
    assert (saved.hints, saved.hint_from, saved.penalty) == (True, 2, 0.2)
    html = me.get(page).get_data(as_text=True)
    assert 'value="0.2"' in html and '<option value="2" selected>' in html
    assert "−20% per attempt" in me.get(f"/instructor/courses/{me.course}/").get_data(as_text=True)
    for bad in ("150%", "lots"):
        refused = me.client.post(page, data={**form, "hint_from": "3", "penalty": bad})
        assert refused.status_code == 422
        assert 'aria-describedby="penalty-error"' in refused.get_data(as_text=True)
    assert settings_of(app, me.course, "single-weight").hint_from == 2
    off = me.client.post(page, data={"csrf_token": form["csrf_token"], "reveal": "never"})
    assert off.status_code == 302
    assert settings_of(app, me.course, "single-weight").hints is False
    assert "no hints" in me.get(f"/instructor/courses/{me.course}/").get_data(as_text=True)
