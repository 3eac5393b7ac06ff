"""Imports beside live traffic and imports of repeated lines: a live submission never takes an
id an import chunk reserved (on SQLite the chunk holds the write lock from its start), an id
taken anyway is written again rather than failing the chunk, and identical attempts without an
``id`` stay two submissions."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from grader.db import Course, StudentVariant, Submission, User
from grader.extensions import db
from grader.services import batches, bulk, submissions
from tests.service.batching import GOOD, jsonl, lines
from tests.service.factories import make_user

LINES = 60


def import_text(app, course: str, body: bytes) -> dict:
    """Import ``body`` into the course and grade it here; the batch's state."""
    with app.app_context():
        session = db.session
        course_row = session.scalar(select(Course).filter_by(slug=course))
        batch = batches.create_import(session, None, course_row, body.decode(), name="exam.jsonl")
        batches.run(session, batch.id)
        return batches.state(session, batch.id)


def live_submit(app, email: str, ids: list[int]) -> None:
    """A student's submission through the service, as the API makes it."""
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email=email))
        ids.append(submissions.submit(db.session, user, "single-weight", GOOD).id)


def of_course(app, course: str) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(Submission.id, Submission.batch_id, Submission.status)
            .join(Course, Course.id == Submission.course_id)
            .where(Course.slug == course)
        ).all()


def test_a_live_submission_during_an_import_takes_no_id_the_chunk_reserved(quiet_app, monkeypatch):
    """Right after the chunk has taken its ids, a student submits: the chunk is written whole
    and the live submission is stored too (on SQLite it waits for the chunk's commit)."""
    teacher = make_user(quiet_app, "instructor")
    student = make_user(quiet_app, "student", teacher.course)
    reserve, live_ids, threads = bulk.reserve_ids, [], []
    importing = threading.current_thread()  # the import runs here; a worker thread left running
    # by another test's stack may reserve ids of its own meanwhile, and must not submit here

    def reserve_then_a_live_submission(session, table, count):
        ids = reserve(session, table, count)
        if threading.current_thread() is not importing:
            return ids
        thread = threading.Thread(target=live_submit, args=(quiet_app, student.email, live_ids))
        thread.start()
        thread.join(1.0)
        threads.append(thread)
        return ids

    monkeypatch.setattr(bulk, "reserve_ids", reserve_then_a_live_submission)
    state = import_text(quiet_app, teacher.course, jsonl(lines(LINES, "single-weight", 6, "l")))
    for thread in threads:
        thread.join(60)
    assert (state["status"], state["graded"], state["failed"]) == ("done", LINES, 0)
    stored = of_course(quiet_app, teacher.course)
    assert len(stored) == LINES + 1 and len({row[0] for row in stored}) == LINES + 1
    assert [row[2] for row in stored if row[0] in live_ids] == ["queued"]


def test_an_id_taken_meanwhile_is_written_again_not_failed(quiet_app, monkeypatch):
    """The chunk's first reserved id is one a submission holds already: the chunk is written
    again with new ids, every line stored and graded, none failed."""
    teacher = make_user(quiet_app, "instructor")
    taken: list[int] = []
    live_submit(quiet_app, make_user(quiet_app, "student", teacher.course).email, taken)
    reserve, calls = bulk.reserve_ids, []
    importing = threading.current_thread()  # as above: only the import's own reservations

    def clashing(session, table, count):
        if threading.current_thread() is not importing:
            return reserve(session, table, count)
        calls.append(count)
        ids = reserve(session, table, count)
        return [taken[0], *ids[1:]] if len(calls) == 1 else ids

    monkeypatch.setattr(bulk, "reserve_ids", clashing)
    state = import_text(quiet_app, teacher.course, jsonl(lines(LINES, "single-weight", 6, "t")))
    assert (state["status"], state["graded"], state["failed"]) == ("done", LINES, 0)
    assert len(calls) == 2
    assert len(of_course(quiet_app, teacher.course)) == LINES + 1


def test_identical_attempts_without_an_id_are_two_submissions(quiet_app):
    """Two identical lines without ``id`` are two attempts; two lines with one ``id`` are one
    submission; the same file imported again adds nothing, and lines added at its end are
    added alone."""
    teacher = make_user(quiet_app, "instructor")
    same = {"student": "twice@paper.example", "exercise": "single-weight", "answers": GOOD}
    with_id = {**same, "id": "q1"}
    first = [same, same, with_id, with_id]
    state = import_text(quiet_app, teacher.course, jsonl(first))
    assert (state["graded"], state["unchanged"]) == (4, 1)
    assert len(of_course(quiet_app, teacher.course)) == 3
    again = import_text(quiet_app, teacher.course, jsonl(first))
    assert (again["graded"], again["unchanged"]) == (4, 4)
    grown = import_text(quiet_app, teacher.course, jsonl([*first, same]))
    assert (grown["graded"], grown["unchanged"]) == (5, 4)
    assert len(of_course(quiet_app, teacher.course)) == 4


def attempts_by_line(app, course: str, email: str) -> list[int]:
    """The student's attempt numbers: the live one first, then by the lines' ids."""
    with app.app_context():
        rows = db.session.execute(
            select(Submission.source_id, Submission.attempt)
            .join(User, User.id == Submission.user_id)
            .join(Course, Course.id == Submission.course_id)
            .where(Course.slug == course, User.email == email)
        ).all()
    return [attempt for _, attempt in sorted(rows, key=lambda row: int(row[0] or -1))]


def test_attempts_follow_the_file_whatever_order_its_chunks_are_written_in(quiet_app):
    """A student's lines spread over several chunks are numbered in the file's order after the
    attempts they had, however the workers take the chunks (here: the last chunk first), and
    lines added at the end of a file imported again continue the count without a gap."""
    teacher = make_user(quiet_app, "instructor")
    student = make_user(quiet_app, "student", teacher.course)
    live_submit(quiet_app, student.email, [])  # attempt 1, made on the site
    line = {"student": student.email, "exercise": "single-weight", "answers": GOOD}
    first = [{**line, "id": str(n)} for n in range(6)]
    with quiet_app.app_context():
        session = db.session
        course = session.scalar(select(Course).filter_by(slug=teacher.course))
        chunks: list[int] = []
        batches.create_import(
            session, None, course, jsonl(first).decode(), name="exam.jsonl", publish=chunks.append,
            chunk_size=2,
        )  # fmt: skip
        assert len(chunks) == 3
        for chunk_id in reversed(chunks):
            assert batches.grade_chunk(session, chunk_id) == "done"
    assert attempts_by_line(quiet_app, teacher.course, student.email)[1:] == [2, 3, 4, 5, 6, 7]
    grown = import_text(quiet_app, teacher.course, jsonl([*first, {**line, "id": "6"}]))
    assert (grown["graded"], grown["unchanged"]) == (7, 6)
    assert attempts_by_line(quiet_app, teacher.course, student.email)[1:] == [2, 3, 4, 5, 6, 7, 8]


def test_a_line_repeating_an_earlier_id_adds_nothing_whichever_chunk_is_written_first(quiet_app):
    """Two lines with one ``id`` are one submission: the first line's, numbered as its attempt,
    even when the later line's chunk is written first. A line stored already is neither graded
    nor written again, nor given a variant of the exercise's current version."""
    teacher = make_user(quiet_app, "instructor")
    student = make_user(quiet_app, "student", teacher.course)
    line = {"student": student.email, "exercise": "single-weight", "id": "q1"}
    first, later = {**line, "answers": GOOD}, {**line, "answers": {**GOOD, "grad.e3": "3"}}
    with quiet_app.app_context():
        session = db.session
        course = session.scalar(select(Course).filter_by(slug=teacher.course))
        chunks: list[int] = []
        batch = batches.create_import(
            session, None, course, jsonl([first, later]).decode(), name="exam.jsonl",
            publish=chunks.append, chunk_size=1,
        )  # fmt: skip
        for chunk_id in reversed(chunks):
            assert batches.grade_chunk(session, chunk_id) == "done"
        batches.finish(session, batch.id)
        state = batches.state(session, batch.id)
        stored = session.execute(
            select(Submission.attempt, Submission.answers)
            .join(User, User.id == Submission.user_id)
            .where(User.email == student.email, Submission.batch_id == batch.id)
        ).all()
        variants = session.scalar(select(func.count(StudentVariant.id)))
    assert (state["graded"], state["unchanged"], state["failed"]) == (2, 1, 0)
    assert [tuple(row) for row in stored] == [(1, GOOD)]
    again = import_text(quiet_app, teacher.course, jsonl([first, later]))
    assert (again["graded"], again["unchanged"]) == (2, 2)
    with quiet_app.app_context():
        assert db.session.scalar(select(func.count(StudentVariant.id))) == variants
