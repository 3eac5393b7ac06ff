"""Exporting a batch's results: one ``grader grade`` output line per submission (JSONL), or a
CSV row with the score and each blank's answer, verdict and points. Streams from the database."""

from __future__ import annotations

import io
from collections.abc import Iterator

import orjson
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from grader.db import Batch, BatchChunk, Exercise, ExerciseVersion, Result, Submission, User
from grader.services import csvfiles
from grader.services.errors import NotFound

FETCH = 2000
CSV_HEAD = ("id", "submission", "student", "exercise", "attempt", "status", "score", "max_score")


def _query(session: Session, batch: Batch) -> Select:
    """The batch's submissions: those an import stored, or those in a regrade's id ranges."""
    query = (
        select(
            Submission.id,
            Submission.source_id,
            User.email,
            Exercise.slug,
            Submission.attempt,
            Submission.status,
            Submission.error,
            Result.score,
            Result.max_score,
            Result.variant,
            Result.blanks,
        )
        .join(User, User.id == Submission.user_id)
        .join(Exercise, Exercise.id == Submission.exercise_id)
        .outerjoin(Result, Result.submission_id == Submission.id)
        .order_by(Submission.id)
    )
    if batch.kind == "import":
        return query.where(Submission.batch_id == batch.id)
    first, last = session.execute(
        select(func.min(BatchChunk.first_id), func.max(BatchChunk.last_id)).where(
            BatchChunk.batch_id == batch.id
        )
    ).one()
    return query.where(
        Submission.course_id == batch.course_id,
        Submission.exercise_id == batch.exercise_id,
        Submission.id.between(first or 0, last or -1),
    )


def rows(session: Session, batch_id: int) -> Iterator[dict]:
    """Each submission of the batch as a ``grader grade`` output line, with its status."""
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    result = session.execute(_query(session, batch).execution_options(yield_per=FETCH))
    for row in result:
        line = {
            "id": row.source_id if row.source_id is not None else str(row.id),
            "submission": row.id,
            "student": row.email,
            "exercise": row.slug,
            "attempt": row.attempt,
            "status": row.status,
        }
        if row.score is not None and row.status == "graded":
            line.update(
                variant=row.variant, score=row.score, max_score=row.max_score, blanks=row.blanks
            )
        elif row.error:
            line["error"] = row.error
        yield line


def jsonl(session: Session, batch_id: int) -> Iterator[bytes]:
    """The batch's results as JSON lines."""
    for line in rows(session, batch_id):
        yield orjson.dumps(line) + b"\n"


def blank_ids(session: Session, batch_id: int) -> list[str]:
    """Every blank of the exercise versions the batch's submissions were graded against."""
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    if batch.kind == "regrade":
        versions = [batch.version_id]
    else:
        versions = session.scalars(
            select(Submission.exercise_version_id).where(Submission.batch_id == batch_id).distinct()
        ).all()
    seen: dict[str, None] = {}
    for blanks in session.scalars(
        select(ExerciseVersion.blanks)
        .where(ExerciseVersion.id.in_(versions))
        .order_by(ExerciseVersion.id)
    ):
        seen.update((blank["id"], None) for blank in blanks)
    return list(seen)


def csv_text(session: Session, batch_id: int) -> Iterator[str]:
    """The batch's results as CSV: a row per submission, three columns per blank."""
    blanks = blank_ids(session, batch_id)
    buffer = io.StringIO()
    writer = csvfiles.writer(buffer)
    writer.writerow(
        [*CSV_HEAD, *(f"{b}{suffix}" for b in blanks for suffix in ("", ".verdict", ".points"))]
    )
    for number, line in enumerate(rows(session, batch_id)):
        graded = line.get("blanks") or {}
        cells = []
        for blank in blanks:
            entry = graded.get(blank) or {}
            got = entry.get("got")
            cells += [
                got if isinstance(got, str) or got is None else orjson.dumps(got).decode(),
                entry.get("verdict"),
                entry.get("points"),
            ]
        writer.writerow([*(line.get(name) for name in CSV_HEAD), *cells])
        if number % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
