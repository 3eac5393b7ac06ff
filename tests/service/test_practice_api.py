"""Practice through the API, on SQLite and on PostgreSQL: new numbers or a new graph like an
exercise, reproducible, graded at once with feedback, hints and the worked solution, unlimited,
and never counted in attempts, the gradebook or the analytics."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import func, select

from grader import exercises as core
from grader.db import Course, Submission, utcnow
from grader.exercises.practice import practice_variant
from grader.extensions import db
from tests.book_answers import SIGN_ERROR
from tests.service.test_learning_api import RIGHT, graded, settings


def practise(api, exercise: str = "single-weight", **body) -> dict:
    reply = api.post(f"/exercises/{exercise}/practice", json=body)
    assert reply.status_code == 201, reply.get_json()
    return reply.get_json()


def answer(api, made: dict, answers: dict, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    path = f"/exercises/{made['exercise']}/practice/{made['number']}/submissions"
    return api.post(path, json={"answers": answers}, headers=headers)


def expected_answers(api, made: dict) -> dict:
    """The right answers, read from an empty attempt's expected values."""
    reply = answer(api, made, {})
    assert reply.status_code == 201, reply.get_json()
    return {blank: str(entry["expected"]) for blank, entry in reply.get_json()["blanks"].items()}


def course_secret(api) -> str:
    with api.app.app_context():
        return db.session.scalar(select(Course.secret).filter_by(slug=api.course))


def test_practice_draws_new_numbers_reproducibly_and_grades_them_at_once(student, exercises_dir):
    own = student.get("/exercises/single-weight").get_json()["variant"]
    made = practise(student)
    assert made["number"] == 1 and made["kind"] == "variant" and made["practice"] is True
    assert made["variant"] != own and made["variant"]["given"] == own["given"]
    assert [b["id"] for b in made["blanks"]] == [
        "grad.e3",
        "grad.e2",
        "grad.e1",
        "update.v",
        "new.v",
    ]
    assert made["attempts"] == [] and made["solution"] is None

    exercise = core.load_file(exercises_dir / "single-weight.yaml")
    drawn = practice_variant(
        exercise, course_secret(student), student.email, 1, core.Variant.from_dict(own)
    )
    assert drawn.to_dict() == made["variant"]

    right = expected_answers(student, made)
    reply = answer(student, made, right, key="practice-1")
    assert reply.status_code == 201
    body = reply.get_json()
    assert body["practice"] is True and body["status"] == "graded" and body["attempt"] == 2
    assert body["score"] == body["max_score"] == 5
    assert {entry["verdict"] for entry in body["blanks"].values()} == {"correct"}
    again = answer(student, made, right, key="practice-1")
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]

    shown = student.get("/exercises/single-weight/practice/1").get_json()
    assert [a["attempt"] for a in shown["attempts"]] == [2, 1]
    assert "step" in shown["solution"].lower()


def test_practice_never_counts_in_attempts_the_gradebook_or_the_analytics(student, instructor):
    settings(student, max_attempts=1)
    made = practise(student)
    for _ in range(3):
        assert answer(student, made, SIGN_ERROR).status_code == 201
    practise(student, kind="drill")
    mine = student.get("/exercises/single-weight").get_json()
    assert mine["attempts"] == [] and mine["best_score"] is None
    assert graded(student, SIGN_ERROR)["score"] == 4
    assert student.submit("single-weight", RIGHT).status_code == 409
    assert answer(student, made, RIGHT).status_code == 201  # practice stays open

    with student.app.app_context():
        course = db.session.scalar(select(Course.id).filter_by(slug=student.course))
        count = select(func.count(Submission.id)).where(Submission.course_id == course)
        assert db.session.scalar(count) == 1
    book = instructor.get(f"/courses/{student.course}/gradebook.csv").get_data(as_text=True)
    [row] = [r for r in csv.DictReader(io.StringIO(book)) if r["student"] == student.email]
    assert float(row["single-weight"]) == 4
    figures = instructor.get(f"/courses/{student.course}/exercises/single-weight/analytics")
    overview = figures.get_json()["overview"]
    assert overview["submissions"] == 1 and overview["students"] == 1, overview


def test_practice_is_unlimited_and_numbered_per_student(student):
    numbers = [practise(student)["number"] for _ in range(4)]
    assert numbers == [1, 2, 3, 4]
    listed = student.get("/exercises/single-weight/practice").get_json()
    assert [p["number"] for p in listed["practices"]] == [4, 3, 2, 1]
    assert practise(student, "two-params")["number"] == 1


def test_a_new_graph_like_the_exercise_is_a_drill_graded_with_hints(student):
    made = practise(student, "two-params", kind="drill")
    assert made["kind"] == "drill" and made["drill"]["shape"] == "scalar"
    assert set(made["drill"]["ops"]) == {"mul", "add", "sub"}
    assert made["graph"] != student.get("/exercises/two-params").get_json()["graph"]
    right = expected_answers(student, made)
    first = next(iter(right))
    wrong = {**right, first: "12345"}
    hints = [answer(student, made, wrong).get_json()["blanks"][first]["hint"] for _ in range(3)]
    assert [hint["level"] for hint in hints] == [1, 2, 3]  # a missing answer is not wrong
    body = answer(student, made, right).get_json()
    assert body["score"] == body["max_score"] == len(made["blanks"])
    read = student.post(
        f"/exercises/two-params/practice/{made['number']}/preview",
        json={"answers": {first: "0,5"}},
    ).get_json()
    assert read["blanks"][first]["value"] == 0.5


def test_practice_follows_the_exercise_but_not_its_deadline_or_limit(student):
    settings(student, due_at=utcnow() - timedelta(days=1))
    made = practise(student)
    assert answer(student, made, RIGHT).status_code == 201
    assert student.submit("single-weight", RIGHT).status_code == 403
    settings(student, opens_at=utcnow() + timedelta(days=1), due_at=None)
    assert student.post("/exercises/single-weight/practice", json={}).status_code == 403
    assert student.get("/exercises/single-weight/practice/1").status_code == 403


def test_a_practice_is_its_students_alone(student):
    from tests.service.factories import make_user

    made = practise(student)
    classmate = make_user(student.app, course=student.course)
    assert classmate.get("/exercises/single-weight/practice/1").status_code == 404
    assert answer(classmate, made, RIGHT).status_code == 404
    key = answer(student, made, RIGHT, key="shared").get_json()["id"]
    other = practise(student)
    assert answer(student, other, RIGHT, key="shared").status_code == 409
    assert student.get("/exercises/single-weight/practice/1").get_json()["attempts"][0]["id"] == key


def test_bad_practice_requests_are_refused_with_reasons(student):
    assert student.post("/exercises/single-weight/practice", json={"kind": "x"}).status_code == 422
    assert student.post("/exercises/nope/practice", json={}).status_code == 404
    assert student.post("/exercises/single-weight/practice").status_code == 201  # no body
    reply = answer(student, {"exercise": "single-weight", "number": 1}, {"grad.e9": "1"})
    assert reply.status_code == 422 and "grad.e9" in reply.get_json()["message"]
    assert answer(student, {"exercise": "single-weight", "number": 7}, RIGHT).status_code == 404


def test_making_practices_is_limited_on_its_own_and_leaves_answering_them_alone(student):
    """Past the practice limit a new practice is 429, while its attempts are still graded."""
    app = student.app
    before = app.config["PRACTICE_LIMIT"]
    app.config["PRACTICE_LIMIT"] = "2 per minute"
    try:
        codes = [
            student.post("/exercises/single-weight/practice", json={}).status_code for _ in range(3)
        ]
        assert codes == [201, 201, 429]
        made = {"exercise": "single-weight", "number": 2}
        assert answer(student, made, RIGHT).status_code == 201
    finally:
        app.config["PRACTICE_LIMIT"] = before


def test_practice_hints_and_solution_are_in_the_readers_language(student):
    made = practise(student, "two-params", kind="drill")
    ru = {"Accept-Language": "ru"}
    path = f"/exercises/two-params/practice/{made['number']}"
    body = student.post(f"{path}/submissions", json={"answers": {"grad.e1": "99"}}, headers=ru)
    assert not body.get_json()["blanks"]["grad.e1"]["hint"]["text"].isascii()
    assert "Прямой проход" in student.get(path, headers=ru).get_json()["solution"]
