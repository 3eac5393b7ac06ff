"""The gradebook page of a big course: a page of students at a time, sorted over all of them."""

from __future__ import annotations

import re
from types import SimpleNamespace

from sqlalchemy import select

from grader.db import Course, Exercise, Result, Submission, User, utcnow
from grader.extensions import db
from grader.services import accounts
from grader.services.gradebook import Column, Gradebook, Row, page_of
from tests.web.conftest import log_in, new_student


def book(*rows: tuple[str, list[float | None]]) -> Gradebook:
    columns = [Column(SimpleNamespace(slug=slug), 5.0) for slug in ("a", "b")]
    return Gradebook(
        columns,
        [
            Row(SimpleNamespace(name="", email=email), scores, [1] * len(scores))
            for email, scores in rows
        ],
    )


ROWS = book(
    ("dora@x", [5.0, None]),
    ("alan@x", [2.0, 3.0]),
    ("carl@x", [None, None]),
    ("bea@x", [4.0, 4.0]),
    ("eve@x", [2.0, 1.0]),
)


def emails(page) -> list[str]:
    return [row.student.email for row in page.rows]


def test_rows_are_sorted_over_every_page_then_cut():
    first = page_of(ROWS, "total", "", 1, 2)
    assert (first.sort, first.descending, first.pages, first.students) == ("total", True, 3, 5)
    assert emails(first) == ["bea@x", "alan@x"]  # 8, then 5 and 5 by name
    assert emails(page_of(ROWS, "total", "desc", 2, 2)) == ["dora@x", "eve@x"]
    assert emails(page_of(ROWS, "total", "desc", 3, 2)) == ["carl@x"]  # nothing graded: 0


def test_a_column_sorts_by_its_scores_with_ungraded_students_last_and_ties_by_name():
    assert emails(page_of(ROWS, "a", "desc", 1, 10)) == [
        "dora@x",
        "bea@x",
        "alan@x",
        "eve@x",
        "carl@x",
    ]
    assert emails(page_of(ROWS, "a", "asc", 1, 10)) == [
        "alan@x",
        "eve@x",
        "bea@x",
        "dora@x",
        "carl@x",
    ]
    assert emails(page_of(ROWS, "b", "asc", 1, 10))[-2:] == ["carl@x", "dora@x"]


def test_names_sort_a_to_z_by_default_and_bad_parameters_fall_back():
    assert emails(page_of(ROWS, "student", "", 1, 10))[0] == "alan@x"
    assert emails(page_of(ROWS, "student", "desc", 1, 10))[0] == "eve@x"
    odd = page_of(ROWS, "nope'; drop", "sideways", "x", 2)
    assert (odd.sort, odd.descending, odd.number) == ("student", False, 1)
    assert page_of(ROWS, "total", "desc", 99, 2).number == 3
    assert page_of(ROWS, "total", "desc", -4, 2).number == 1
    assert page_of(book(), "total", "", 1, 2).pages == 1


def graded(app, course: str, email: str, name: str, score: float | None) -> None:
    """A student of ``course`` named ``name`` whose one attempt at single-weight scored
    ``score`` (None: enrolled, nothing submitted)."""
    with app.app_context():
        user = accounts.add_user(db.session, email, "student", None, course, name)
        db.session.commit()
        if score is None:
            return
        course_row = db.session.scalar(select(Course).filter_by(slug=course))
        exercise = db.session.scalar(select(Exercise).filter_by(slug="single-weight"))
        version = exercise.versions[-1]
        submission = Submission(
            user_id=user.id,
            course_id=course_row.id,
            exercise_id=exercise.id,
            exercise_version_id=version.id,
            attempt=1,
            answers={},
            status="graded",
            graded_at=utcnow(),
        )
        db.session.add(submission)
        db.session.flush()
        db.session.add(
            Result(
                submission_id=submission.id,
                score=score,
                max_score=5.0,
                variant={},
                blanks={},
                engine_version="1",
                exercise_hash=exercise.current_hash,
            )
        )
        db.session.commit()


def test_the_page_of_a_big_course_links_its_pages_and_sorts_on_the_server(app, monkeypatch):
    monkeypatch.setitem(app.config, "GRADEBOOK_PAGE", 2)
    email, course = new_student(app, role="instructor")
    teacher = log_in(app, email, course)
    for n, (name, score) in enumerate(
        [("Zoe", 5.0), ("Adam", 1.0), ("Mia", None), ("Bob", 3.0), ("Lea", 4.0)]
    ):
        graded(app, course, f"s{n}-{course}@test.example", name, score)
    url = f"/instructor/courses/{course}/gradebook"

    def names(html: str) -> list[str]:
        return re.findall(r'<th scope="row" data-value="([^"]+)"', html)

    first = teacher.get(url).get_data(as_text=True)
    assert names(first) == ["adam", "bob"]
    assert "data-sortable" not in first and "Page 1 of 3" in first and "5 students" in first
    assert f'href="{url}?sort=total&amp;order=desc"' in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    best = teacher.get(f"{url}?sort=total&order=desc").get_data(as_text=True)
    assert names(best) == ["zoe", "lea"]
    assert 'aria-sort="descending"' in best
    last = teacher.get(f"{url}?sort=total&order=desc&page=3").get_data(as_text=True)
    assert names(last) == ["mia"] and 'rel="prev"' in last and 'rel="next"' not in last
    assert "sort=total&amp;order=desc&amp;page=2" in last
    monkeypatch.setitem(app.config, "GRADEBOOK_PAGE", 200)
    whole = teacher.get(url).get_data(as_text=True)
    assert len(names(whole)) == 5 and "data-sortable" in whole and "Page 1 of" not in whole
    with app.app_context():
        assert db.session.scalar(select(User.id).filter_by(email=email)) is not None
