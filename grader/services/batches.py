"""Batches: import a file of submissions or regrade an exercise (``regrade``), cut into chunks
that workers grade in parallel (``batch_grading``); progress is the sum of the chunks'.

The batch and its chunks are committed before any chunk id is published; a chunk's results and
its ``done`` are committed together, so publishing a chunk twice, or losing the worker grading
it, leaves every submission graded once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import IO, Any

from sqlalchemy import case, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from grader.db import Batch, BatchChunk, Course, Exercise, User, utcnow
from grader.services import accounts, batch_grading
from grader.services.batch_import import Loader, csv_records, jsonl_records
from grader.services.errors import Invalid, NotFound

log = logging.getLogger(__name__)

CHUNK = 5000
PENDING_CHUNK = ("queued", "grading")
UNFINISHED = ("loading", "queued", "running")
MAX_STALLED = 1000
MAX_ERRORS = 1000


def create_import(
    session: Session,
    user: User | None,
    course: Course,
    source: IO[bytes] | Iterable[bytes] | str,
    *,
    csv: bool = False,
    name: str | None = None,
    publish: Callable[[int], Any] = lambda chunk_id: None,
    chunk_size: int = CHUNK,
) -> Batch:
    """Read a JSONL (or CSV) file into a batch, a chunk at a time, publishing each chunk as soon
    as it is stored; a bad line is counted and reported (line number and reason), not fatal."""
    if isinstance(source, str):
        source = source.encode("utf-8").splitlines(keepends=True)
    batch = Batch(
        course_id=course.id,
        created_by_id=user.id if user else None,
        kind="import",
        status="loading",
        source=(name or "")[:200] or None,
        errors=[],
    )
    session.add(batch)
    session.commit()
    loader = Loader(session, course, batch, publish, chunk_size)
    try:
        records = csv_records(source) if csv else jsonl_records(source)
        for number, record in records:
            loader.add(number, record)
        loader.flush()
    except Invalid as exc:
        session.rollback()
        loader.reject(None, exc.message)
    batch.status = "queued"
    session.commit()
    finish(session, batch.id)
    return batch


def pending_chunks(session: Session, batch_id: int) -> list[int]:
    """Ids of the batch's chunks not graded yet."""
    return list(
        session.scalars(
            select(BatchChunk.id)
            .where(BatchChunk.batch_id == batch_id, BatchChunk.status.in_(PENDING_CHUNK))
            .order_by(BatchChunk.number)
        )
    )


def run(session: Session, batch_id: int) -> str:
    """Grade the batch's pending chunks one after another in this process (chunks other
    workers hold are left to them)."""
    if session.get(Batch, batch_id) is None:
        return "missing"
    for chunk_id in pending_chunks(session, batch_id):
        batch_grading.grade_chunk(session, chunk_id)
    session.commit()
    finish(session, batch_id)
    return session.get(Batch, batch_id).status


def grade_chunk(session: Session, chunk_id: int) -> str:
    """Grade one chunk, then close its batch if it was the last."""
    outcome = batch_grading.grade_chunk(session, chunk_id)
    if outcome == "done":
        finish(session, session.get(BatchChunk, chunk_id).batch_id)
    return outcome


def finish(session: Session, batch_id: int) -> None:
    """Mark the batch done (failed if a chunk failed) once it is loaded and no chunk is pending.

    Every chunk calls this after committing, so the last one to commit sees all the others."""
    unfinished = exists().where(
        BatchChunk.batch_id == batch_id, BatchChunk.status.in_(PENDING_CHUNK)
    )
    chunk_failed = exists().where(BatchChunk.batch_id == batch_id, BatchChunk.status == "failed")
    session.execute(
        update(Batch)
        .where(Batch.id == batch_id, Batch.status.in_(("queued", "running")), ~unfinished)
        .values(status=case((chunk_failed, "failed"), else_="done"), finished_at=utcnow())
    )
    session.commit()


def fail_chunk(session: Session, chunk_id: int, message: str) -> None:
    """Record that a chunk stopped on an error retrying will not cure; its batch goes on."""
    chunk = session.get(BatchChunk, chunk_id)
    if chunk is None or chunk.status == "done":
        return
    chunk.status, chunk.error = "failed", message[:2000]
    chunk.failed, chunk.graded = chunk.size, 0
    chunk.status_changed_at = chunk.finished_at = utcnow()
    batch = session.get(Batch, chunk.batch_id)
    where = f"chunk {chunk.number}"
    if chunk.first_id is not None:
        where += f" (submissions {chunk.first_id} to {chunk.last_id}, left as they were)"
    batch.errors = [*batch.errors, {"line": None, "message": f"{where}: {message}"}]
    session.commit()
    finish(session, chunk.batch_id)


def mark_failed(session: Session, batch_id: int, message: str) -> None:
    """Record that the batch stopped on an error; its chunks not graded yet never will be (a
    late one would otherwise write after a newer batch)."""
    now = utcnow()
    session.execute(
        update(BatchChunk)
        .where(BatchChunk.batch_id == batch_id, BatchChunk.status.in_(PENDING_CHUNK))
        .values(status="failed", error=message[:2000], status_changed_at=now, finished_at=now)
    )
    session.execute(
        update(Batch)
        .where(Batch.id == batch_id)
        .values(status="failed", finished_at=now, errors=[{"line": None, "message": message}])
    )
    session.commit()


def stalled_chunks(session: Session, older_than: float) -> list[int]:
    """Pending chunks of batches where no chunk has moved for ``older_than`` seconds (their
    messages were lost with a worker or the broker), stamped so the next sweep waits again."""
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than)
    other = aliased(BatchChunk)
    moved = exists().where(other.batch_id == Batch.id, other.status_changed_at > cutoff)
    ids = session.scalars(
        select(BatchChunk.id)
        .join(Batch, Batch.id == BatchChunk.batch_id)
        .where(Batch.status.in_(UNFINISHED), ~moved, BatchChunk.status.in_(PENDING_CHUNK))
        .order_by(BatchChunk.id)
        .limit(MAX_STALLED)
    ).all()
    if not ids:
        session.rollback()
        return []
    stamped = session.scalars(
        update(BatchChunk)
        .where(BatchChunk.id.in_(ids), BatchChunk.status_changed_at <= cutoff)
        .values(status_changed_at=now)
        .returning(BatchChunk.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return sorted(stamped)


def state(session: Session, batch_id: int) -> dict:
    """The batch's progress: counts summed over its chunks, and the lines it rejected."""
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    sums = session.execute(
        select(
            func.coalesce(func.sum(BatchChunk.graded), 0),
            func.coalesce(func.sum(BatchChunk.unchanged), 0),
            func.coalesce(func.sum(BatchChunk.failed), 0),
            func.coalesce(func.sum(BatchChunk.size).filter(BatchChunk.status == "grading"), 0),
            func.count(BatchChunk.id),
            func.count(BatchChunk.id).filter(BatchChunk.status.in_(("done", "failed"))),
        ).where(BatchChunk.batch_id == batch_id)
    ).one()
    graded, unchanged, failed, grading, chunks, chunks_done = (int(value) for value in sums)
    exercise = session.get(Exercise, batch.exercise_id) if batch.exercise_id else None
    course = session.get(Course, batch.course_id)
    finished = graded + failed
    return {
        "id": batch.id,
        "kind": batch.kind,
        "redraw": batch.redraw,
        "status": batch.status,
        "course": course.slug,
        "exercise": exercise.slug if exercise else None,
        "source": batch.source,
        "total": batch.total,
        "graded": graded,
        "failed": failed,
        "rejected": batch.rejected,
        "unchanged": unchanged,
        "counts": {
            "queued": max(0, batch.total - finished - grading),
            "grading": grading,
            "graded": graded,
            "failed": failed,
        },
        "chunks": {"total": chunks, "done": chunks_done},
        "progress": finished / batch.total if batch.total else 1.0,
        "errors": [*batch.errors, *_failures(session, batch_id, MAX_ERRORS - len(batch.errors))],
        "created_at": batch.created_at.isoformat(),
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
    }


def _failures(session: Session, batch_id: int, limit: int) -> list[dict]:
    """The submissions a regrade could not grade, with the reason (their results stand)."""
    out: list[dict] = []
    if limit <= 0:
        return out
    for failures in session.scalars(
        select(BatchChunk.failures)
        .where(BatchChunk.batch_id == batch_id, BatchChunk.failures.is_not(None))
        .order_by(BatchChunk.number)
    ):
        if not failures:  # a JSON null
            continue
        out.extend({"line": None, **failure} for failure in failures[: limit - len(out)])
        if len(out) >= limit:
            break
    return out


def progress(session: Session, user: User, batch_id: int) -> dict:
    """The batch's state, for one of its course's instructors."""
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    if not accounts.teaches(session, user, session.get(Course, batch.course_id)):
        log.warning("refused batch %s to %s: not a course they teach", batch_id, user.email)
        raise NotFound(f"no batch {batch_id}")
    return state(session, batch_id)
