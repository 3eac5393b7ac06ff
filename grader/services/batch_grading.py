"""Grading one chunk of a batch: read it in one query, grade it with one vectorised pass per
exercise version (``batch_items``), and write what changed in bulk in the transaction that
marks the chunk done.

A chunk graded twice writes once: the second run finds it done (or, while the first still holds
it, locked) and does nothing. A result that comes out the same as the stored one is not written
again, so regrading what did not change changes nothing. A regrade leaves a submission it
cannot grade as it was, result and status, and lists it on the chunk with the reason.
"""

from __future__ import annotations

import logging
import time

import orjson
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grader.db import Batch, BatchChunk, Course, utcnow
from grader.services import batch_items, batch_writes, bulk
from grader.services.batch_items import Item
from grader.services.lti import passback
from grader.services.submissions import attempt_counts

log = logging.getLogger(__name__)

# Tries at writing a chunk whose reserved ids a submission took meanwhile.
WRITE_TRIES = 5
MAX_FAILURES = 1000

CLAIM = (
    update(BatchChunk)
    .where(BatchChunk.id == bindparam("chunk"), BatchChunk.status.in_(("queued", "grading")))
    .values(
        status="grading",
        attempts=BatchChunk.attempts + 1,
        status_changed_at=bindparam("now"),
    )
    .returning(BatchChunk.batch_id)
)
LOCK = (
    select(BatchChunk.status)
    .where(BatchChunk.id == bindparam("chunk"))
    .with_for_update(skip_locked=True)
)


def grade_chunk(session: Session, chunk_id: int) -> str:
    """Grade and write the chunk; ``done``, or ``skipped`` when it is done or held elsewhere."""
    started, cpu = time.perf_counter(), time.process_time()
    batch_id = session.scalar(CLAIM, {"chunk": chunk_id, "now": utcnow()})
    session.execute(
        update(Batch).where(Batch.id == batch_id, Batch.status == "queued").values(status="running")
    )
    session.commit()
    if batch_id is None:
        return "skipped"
    batch = session.get(Batch, batch_id)
    chunk = session.get(BatchChunk, chunk_id)
    items = batch_items.read(session, batch, chunk)
    # An import's line stored already (by an earlier import of the file, or as an earlier line
    # with its id) is neither graded nor written again: it counts as graded, unchanged.
    fresh = [item for item in items if item.attempt != 0]
    batch_items.draw_variants(session, session.get(Course, batch.course_id), batch, fresh)
    session.commit()
    read = time.perf_counter()
    for version_id, group in batch_items.by_version(fresh).items():
        batch_items.grade(session, version_id, group)
    graded = time.perf_counter()
    written = _write(session, batch, chunk_id, items, fresh)
    if written is None:
        return "skipped"
    done = time.perf_counter()
    failed = sum(1 for item in items if item.error is not None)
    log.info(
        "batch %s chunk %s: %d graded, %d written, %d failed in %.2f s "
        "(read %.2f, grade %.2f, write %.2f; this process's CPU %.2f s)",
        batch.id,
        chunk.number,
        len(items) - failed,
        written,
        failed,
        done - started,
        read - started,
        graded - read,
        done - graded,
        time.process_time() - cpu,
    )
    return "done"


def _write(
    session: Session, batch: Batch, chunk_id: int, items: list[Item], fresh: list[Item]
) -> int | None:
    """Store the results of the chunk's ``fresh`` items and mark it done in one transaction (on
    SQLite one that holds the write lock from its start); the number of results written, or
    None when another run holds the chunk or has done it. An import whose reserved ids a
    submission took meanwhile is written again with new ones."""
    attempt = 0
    while True:
        attempt += 1
        bulk.begin_write(session)
        if session.execute(LOCK, {"chunk": chunk_id}).scalar() != "grading":
            session.rollback()
            return None
        now = utcnow()
        try:
            if batch.kind == "regrade":
                rows = [_stage_row(item, answers=False) for item in fresh if item.error is None]
                written = batch_writes.write_regrade(session, batch.id, rows, now)
            else:
                rows = _import_rows(session, batch.course_id, fresh)
                written = batch_writes.write_import(session, batch.course_id, batch.id, rows, now)
        except IntegrityError as exc:
            session.rollback()
            if attempt == WRITE_TRIES or not bulk.id_taken(exc, "submissions"):
                raise
            log.warning("batch %s: ids taken meanwhile, writing again (%s)", batch.id, exc.orig)
            continue
        passback.note_staged(session, batch.course_id, now)
        _mark_done(session, batch, chunk_id, items, written, now)
        session.commit()
        return written


def _mark_done(
    session: Session, batch: Batch, chunk_id: int, items: list[Item], written: int, now
) -> None:
    errors = [item for item in items if item.error is not None]
    failures = None
    if batch.kind == "regrade" and errors:
        failures = [
            {"submission": item.submission_id, "message": item.error}
            for item in errors[:MAX_FAILURES]
        ]
    session.execute(
        update(BatchChunk)
        .where(BatchChunk.id == chunk_id)
        .values(
            status="done",
            graded=len(items) - len(errors),
            unchanged=len(items) - len(errors) - written,
            failed=len(errors),
            failures=failures,
            lines=None,
            error=None,
            status_changed_at=now,
            finished_at=now,
        )
    )


def _import_rows(session: Session, course_id: int, items: list[Item]) -> list[tuple]:
    """Staged rows for new submissions: ids taken now, each with the attempt number the import
    gave its line (a chunk stored without them: numbered after the student's earlier ones)."""
    ids = bulk.reserve_ids(session, "submissions", len(items))
    attempts: dict = {}
    if any(item.attempt is None for item in items):
        attempts = attempt_counts(session, course_id, {item.user_id for item in items})
    rows = []
    for item, submission_id in zip(items, ids, strict=True):
        item.submission_id = submission_id
        attempt = item.attempt
        if attempt is None:
            key = (item.user_id, item.exercise_id)
            attempt = attempts[key] = attempts.get(key, 0) + 1
        rows.append(_stage_row(item, attempt))
    return rows


def _stage_row(item: Item, attempt: int = 1, answers: bool = True) -> tuple:
    """The staged form of an item; a regrade leaves the stored answers as they are."""
    return (
        item.submission_id,
        item.user_id,
        item.exercise_id,
        item.version_id,
        item.variant_id,
        attempt,
        item.key,
        item.source_id,
        orjson.dumps(item.answers).decode() if answers else None,
        orjson.dumps(item.explicit).decode() if answers and item.explicit is not None else None,
        item.score,
        item.max_score,
        item.variant_json or None,
        item.blanks_json or None,
        item.exercise_hash,
        item.error,
    )
