"""Batches: import a JSONL file of submissions or regrade an exercise, graded many at a time."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from grader import exercises as core
from grader.db import (
    Batch,
    Course,
    Submission,
    User,
    utcnow,
)
from grader.services import accounts, grading
from grader.services.errors import Invalid, NotFound, ServiceError
from grader.services.exercises import current_version, find_offered, load_version
from grader.services.submissions import PENDING, clean_answers
from grader.services.variants import variant_for

CHUNK = 2000
MAX_LINE_ERRORS = 100


def create_regrade(session: Session, user: User, course: Course, exercise_slug: Any) -> Batch:
    """Queue every submission of an exercise in the course again, against its current version."""
    if not isinstance(exercise_slug, str):
        raise Invalid("'exercise' must be an exercise id")
    exercise, _ = find_offered(session, course, exercise_slug)
    version = current_version(session, exercise)
    batch = Batch(
        course_id=course.id, created_by_id=user.id, exercise_id=exercise.id, kind="regrade"
    )
    session.add(batch)
    session.flush()
    of_exercise = (Submission.course_id == course.id, Submission.exercise_id == exercise.id)
    students = session.scalars(select(Submission.user_id).where(*of_exercise).distinct()).all()
    now = utcnow()
    for student_id in students:
        variant = variant_for(session, course, session.get(User, student_id), version)
        session.execute(
            update(Submission)
            .where(*of_exercise, Submission.user_id == student_id)
            .values(
                status="queued",
                status_changed_at=now,
                exercise_version_id=version.id,
                variant_id=variant.id,
                batch_id=batch.id,
            )
        )
    batch.total = session.scalar(
        select(func.count(Submission.id)).where(Submission.batch_id == batch.id)
    )
    session.commit()
    return batch


def create_import(session: Session, user: User, course: Course, text: str) -> Batch:
    """Store the submissions of a JSONL file, one per line; a bad line is reported, not fatal."""
    batch = Batch(course_id=course.id, created_by_id=user.id, kind="import", errors=[])
    session.add(batch)
    session.flush()
    errors, total = [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            session.add(_imported(session, course, batch, json.loads(line)))
            total += 1
        except (ValueError, ServiceError, core.VariantError) as exc:
            if len(errors) < MAX_LINE_ERRORS:
                errors.append({"line": number, "message": getattr(exc, "message", str(exc))})
    batch.total, batch.errors = total, errors
    session.commit()
    return batch


def _imported(session: Session, course: Course, batch: Batch, line: Any) -> Submission:
    if not isinstance(line, dict):
        raise Invalid("a line is an object with student, exercise and answers")
    email = line.get("student")
    if not isinstance(email, str):
        raise Invalid("'student' must be the student's email")
    student = session.scalar(select(User).filter_by(email=email.strip().lower()))
    if student is None:
        student = accounts.add_user(session, email, "student", course_slug=course.slug)
    else:
        accounts.enrol(session, student, course, student.role)
    exercise, _ = find_offered(session, course, str(line.get("exercise")))
    version = current_version(session, exercise)
    variant = variant_for(session, course, student, version)
    explicit = None
    if line.get("given") or line.get("params"):
        for key in ("given", "params"):
            if not isinstance(line.get(key) or {}, dict):
                raise Invalid(f"'{key}' must be an object of name -> value")
        values = load_version(version).with_values(
            core.Variant.from_dict(variant.values), line.get("given"), line.get("params")
        )
        explicit = values.to_dict()
    return Submission(
        user_id=student.id,
        course_id=course.id,
        exercise_id=exercise.id,
        exercise_version_id=version.id,
        variant_id=variant.id,
        batch_id=batch.id,
        answers=clean_answers(version, line.get("answers")),
        explicit_values=explicit,
    )


def run(session: Session, batch_id: int) -> str:
    """Grade the batch's pending submissions a chunk at a time with the vectorised grader."""
    batch = session.get(Batch, batch_id)
    if batch is None:
        return "missing"
    batch.status = "running"
    session.commit()
    while True:
        ids = session.scalars(
            select(Submission.id)
            .where(Submission.batch_id == batch_id, Submission.status.in_(PENDING))
            .order_by(Submission.id)
            .limit(CHUNK)
        ).all()
        if not ids:
            break
        grading.grade_and_record(session, grading.claim(session, list(ids)))
    batch = session.get(Batch, batch_id)
    batch.status, batch.finished_at = "done", utcnow()
    session.commit()
    return "done"


def mark_failed(session: Session, batch_id: int, message: str) -> None:
    """Record that the batch stopped on an error."""
    session.execute(
        update(Batch)
        .where(Batch.id == batch_id)
        .values(status="failed", finished_at=utcnow(), errors=[{"line": None, "message": message}])
    )
    session.commit()


def progress(session: Session, user: User, batch_id: int) -> dict:
    """The batch's state and its submissions counted by status."""
    batch = session.get(Batch, batch_id)
    if batch is None or not accounts.teaches(session, user, session.get(Course, batch.course_id)):
        raise NotFound(f"no batch {batch_id}")
    counts = dict(
        session.execute(
            select(Submission.status, func.count(Submission.id))
            .where(Submission.batch_id == batch_id)
            .group_by(Submission.status)
        ).all()
    )
    graded = counts.get("graded", 0)
    return {
        "id": batch.id,
        "kind": batch.kind,
        "status": batch.status,
        "total": batch.total,
        "counts": {
            status: counts.get(status, 0) for status in ("queued", "grading", "graded", "failed")
        },
        "progress": graded / batch.total if batch.total else 1.0,
        "errors": batch.errors,
        "created_at": batch.created_at.isoformat(),
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
    }
