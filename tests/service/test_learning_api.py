"""The learning loop through the API, on SQLite and on PostgreSQL: a preview reads answers back
without grading, counting or storing them; a wrong blank offers a hint one level further at
each wrong attempt; an attempt penalty lowers what later attempts are worth, in the gradebook
too, and changing it needs no regrade."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from grader.db import Course, CourseExercise, Exercise, Submission, utcnow
from grader.extensions import db
from tests.book_answers import SIGN_ERROR

RIGHT = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0.2", "new.v": "0.2"}


def settings(api, exercise: str = "single-weight", **values) -> None:
    """Set the exercise's settings in the api user's course."""
    with api.app.app_context():
        session = db.session
        course = session.scalar(select(Course.id).filter_by(slug=api.course))
        exercise_id = session.scalar(select(Exercise.id).filter_by(slug=exercise))
        row = session.scalar(
            select(CourseExercise).filter_by(course_id=course, exercise_id=exercise_id)
        )
        if row is None:
            row = CourseExercise(course_id=course, exercise_id=exercise_id)
            session.add(row)
        for name, value in values.items():
            setattr(row, name, value)
        session.commit()


def submissions_of(api) -> int:
    with api.app.app_context():
        course = db.session.scalar(select(Course.id).filter_by(slug=api.course))
        return db.session.scalar(
            select(func.count(Submission.id)).where(Submission.course_id == course)
        )


def preview(api, answers: dict, **kwargs):
    return api.post(
        "/submissions/preview", json={"exercise": "single-weight", "answers": answers}, **kwargs
    )


def graded(api, answers: dict) -> dict:
    reply = api.submit("single-weight", answers)
    assert reply.status_code == 202, reply.get_json()
    body = api.wait_graded(reply.get_json()["id"])
    assert body["status"] == "graded", body
    return body


def test_preview_reads_answers_back_without_a_verdict_an_attempt_or_a_row(student):
    """0,2 is read as 0.2, 1 - 2 is not read, a vector where a number goes is said not to fit;
    nothing is stored and the attempts stay at none."""
    reply = preview(student, {"grad.e3": "0,2", "grad.e2": "1 - 2", "new.v": "[1, 2]"})
    assert reply.status_code == 200, reply.get_json()
    body = reply.get_json()
    assert body["exercise"] == "single-weight"
    assert body["blanks"]["grad.e3"] == {
        "readable": True,
        "value": 0.2,
        "shown": "0.2",
        "message": None,
        "said": "read as 0.2",
    }
    e2 = body["blanks"]["grad.e2"]
    assert not e2["readable"] and e2["value"] is None and "calculation" in e2["message"]
    assert body["blanks"]["new.v"]["readable"] and body["blanks"]["new.v"]["value"] == [1, 2]
    assert body["blanks"]["new.v"]["message"] == "this blank takes a number"
    assert set(body["blanks"]) == {"grad.e3", "grad.e2", "new.v"}
    for entry in body["blanks"].values():
        assert not {"verdict", "expected", "points", "diagnosis"} & set(entry)
    assert submissions_of(student) == 0
    assert student.get("/exercises/single-weight").get_json()["attempts"] == []


def test_preview_speaks_the_readers_language(student):
    """With Accept-Language: ru the lines are Russian, the numbers the same."""
    reply = preview(
        student, {"grad.e3": "−20", "grad.e2": "1 - 2"}, headers={"Accept-Language": "ru"}
    )
    blanks = reply.get_json()["blanks"]
    assert blanks["grad.e3"]["said"] == "прочитано как −20"
    assert blanks["grad.e2"]["message"].startswith("не удалось прочитать '1 - 2'")


def test_preview_refuses_what_a_submission_would_refuse(student):
    """An unknown blank is 422, an unknown exercise 404, one not open yet 403, a body that is
    not an object 400."""
    assert preview(student, {"grad.nope": "1"}).status_code == 422
    unknown = student.post("/submissions/preview", json={"exercise": "nope", "answers": {}})
    assert unknown.status_code == 404
    assert student.post("/submissions/preview", json=[1]).status_code == 400
    settings(student, opens_at=utcnow() + timedelta(days=1))
    assert preview(student, {"grad.e3": "1"}).status_code == 403


def test_preview_is_limited_on_its_own_and_leaves_submissions_alone(student):
    """Past the preview limit a preview is 429, while the student may still submit."""
    app = student.app
    before = app.config["PREVIEW_LIMIT"]
    app.config["PREVIEW_LIMIT"] = "3 per minute"
    try:
        codes = [preview(student, {"grad.e3": "1"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert student.submit("single-weight", RIGHT).status_code == 202
    finally:
        app.config["PREVIEW_LIMIT"] = before


def test_a_wrong_blank_offers_a_hint_one_level_further_at_each_wrong_attempt(student):
    """e3 wrong three times: hints of level 1, 2, 3; the blanks right (or following through)
    offer none; level 3 is the worked step, the only one that states −10."""
    levels = []
    for _ in range(3):
        body = graded(student, SIGN_ERROR)
        e3 = body["blanks"]["grad.e3"]
        assert e3["verdict"] == "incorrect"
        levels.append(e3["hint"])
        assert body["blanks"]["grad.e2"]["hint"] is None
    assert [hint["level"] for hint in levels] == [1, 2, 3]
    assert levels[0]["text"].startswith("e3 feeds the power node loss = e3²")
    assert levels[1]["text"].endswith("multiplies by 2 · e3 = 2 · (−5).")
    assert levels[2]["text"] == "On e3 the gradient is 2 · e3 = 2 · (−5) = −10."
    assert "−10" not in levels[0]["text"] + levels[1]["text"]
    exercise = student.get("/exercises/single-weight").get_json()
    assert [a["blanks"]["grad.e3"]["hint"]["level"] for a in exercise["attempts"]] == [3, 2, 1]
    russian = student.get(
        f"/submissions/{exercise['attempts'][-1]['id']}", headers={"Accept-Language": "ru"}
    )
    assert russian.get_json()["blanks"]["grad.e3"]["hint"]["text"].startswith("e3 входит в")


def test_hints_follow_the_courses_settings(student):
    """From level 2 on, the first wrong answer gets level 2; with hints off, none."""
    settings(student, hint_from=2)
    assert graded(student, SIGN_ERROR)["blanks"]["grad.e3"]["hint"]["level"] == 2
    settings(student, hints=False)
    assert graded(student, SIGN_ERROR)["blanks"]["grad.e3"]["hint"] is None


def gradebook(instructor) -> list[dict]:
    reply = instructor.get(f"/courses/{instructor.course}/gradebook.csv")
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(reply.get_data(as_text=True))))


@pytest.mark.parametrize("penalty", [0.25])
def test_a_penalty_lowers_later_attempts_and_the_gradebook_follows_it(student, instructor, penalty):
    """Attempt 1 scores 4 of 5 (worth 1), attempt 2 scores 5 (worth 0.75: 3.75). The best is
    4 after the penalty, 5 before it; at 0.1 it is 4.5, at 0 it is 5, with no regrade."""
    settings(student, penalty=penalty)
    first, second = graded(student, SIGN_ERROR), graded(student, RIGHT)
    assert (first["worth"], first["penalised_score"]) == (1, 4)
    assert (second["worth"], second["penalised_score"]) == (0.75, 3.75)
    exercise = student.get("/exercises/single-weight").get_json()
    assert exercise["penalty"] == penalty and exercise["next_attempt_worth"] == 0.5
    assert (exercise["best_score"], exercise["best_raw_score"]) == (4, 5)
    [row] = [row for row in gradebook(instructor) if row["student"] == student.email]
    assert (row["single-weight"], row["single-weight.raw"], row["total"]) == ("4", "5", "4")
    settings(student, penalty=0.1)
    [row] = [row for row in gradebook(instructor) if row["student"] == student.email]
    assert (row["single-weight"], row["single-weight.raw"]) == ("4.5", "5")
    settings(student, penalty=0.0)
    [row] = [row for row in gradebook(instructor) if row["student"] == student.email]
    assert row["single-weight"] == "5" and "single-weight.raw" not in row
