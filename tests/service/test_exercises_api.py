"""``/exercises``: the course's exercises and the caller's own variant."""

from __future__ import annotations

from tests.service.factories import make_user


def test_exercise_shows_graph_blanks_and_own_variant(embedded_app):
    student = make_user(embedded_app)
    shown = student.get("/exercises/single-weight").get_json()
    assert shown["graph"] == {"e1": "v", "e2": "x * e1", "e3": "e2 - y", "loss": "e3 ** 2"}
    assert shown["variant"] == {"given": {"x": 2, "y": 5}, "params": {"v": 0}}
    assert [blank["id"] for blank in shown["blanks"]] == [
        "grad.e3",
        "grad.e2",
        "grad.e1",
        "update.v",
        "new.v",
    ]
    assert shown["max_score"] == 5 and shown["attempts"] == []


def test_random_exercise_variant_is_the_students_own_and_stable(embedded_app):
    """The same on every reload, different between students."""
    students = [make_user(embedded_app) for _ in range(3)]
    seen = [s.get("/exercises/two-params-random").get_json()["variant"] for s in students]
    assert students[0].get("/exercises/two-params-random").get_json()["variant"] == seen[0]
    assert len({str(variant) for variant in seen}) > 1


def test_exercise_list_offers_every_loaded_exercise(embedded_app, exercises_dir):
    """A new course offers every exercise until its instructor narrows the list."""
    listed = make_user(embedded_app).get("/exercises").get_json()
    assert {e["id"] for e in listed["exercises"]} == {p.stem for p in exercises_dir.glob("*.yaml")}


def test_past_attempts_are_listed_newest_first(embedded_app):
    student = make_user(embedded_app)
    first = student.submit("single-weight", {"grad.e3": "1"}).get_json()["id"]
    second = student.submit("single-weight", {"grad.e3": "-10"}).get_json()["id"]
    student.wait_graded(second)
    attempts = student.get("/exercises/single-weight").get_json()["attempts"]
    assert [a["id"] for a in attempts] == [second, first]
    assert [a["attempt"] for a in attempts] == [2, 1]
