"""Grading one chunk of a batch: read it in one query, grade it with one vectorised pass per
exercise version, and write what changed in bulk in the transaction that marks the chunk done.

A chunk graded twice writes once: the second run finds it done (or, while the first still holds
it, locked) and does nothing. A result that comes out the same as the stored one is not written
again, so regrading what did not change changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass

import orjson
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.orm import Session

from grader import exercises as core
from grader.checking import grade_many
from grader.db import Batch, BatchChunk, Course, ExerciseVersion, Submission, utcnow
from grader.services import batch_writes, bulk
from grader.services.exercises import version_by_id
from grader.services.variants import ensure_many

log = logging.getLogger(__name__)

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
# The chunk is a range of ids: read it through the primary key, never by scanning the course's
# index (``+ 0`` keeps the planner off it, however stale its statistics after an import).
REGRADE_ROWS = text(
    "SELECT id, user_id, CAST(answers AS TEXT), CAST(explicit_values AS TEXT) FROM submissions "
    "WHERE id BETWEEN :first AND :last AND course_id + 0 = :course AND exercise_id + 0 = :exercise"
)


@dataclass
class Item:
    """One submission of the chunk as the grader needs it, and what grading it gave."""

    submission_id: int | None
    user_id: int
    version_id: int
    answers: dict
    explicit: dict | None = None
    overrides: tuple[dict | None, dict | None] | None = None
    source_id: str | None = None
    key: str | None = None
    exercise_id: int | None = None
    variant_id: int | None = None
    values: dict | None = None
    score: float = 0.0
    max_score: float = 0.0
    variant_json: str = ""
    blanks_json: str = ""
    exercise_hash: str = ""
    error: str | None = None


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
    items = _regrade_items(session, batch, chunk) if batch.kind == "regrade" else _lines(chunk)
    _ensure_variants(
        session, session.get(Course, batch.course_id), items, store=batch.kind != "regrade"
    )
    session.commit()
    read = time.perf_counter()
    for version_id, group in _by_version(items).items():
        _grade(session, version_id, group)
    graded = time.perf_counter()
    if session.execute(LOCK, {"chunk": chunk_id}).scalar() != "grading":
        session.rollback()
        return "skipped"
    now = utcnow()
    failed = sum(1 for item in items if item.error is not None)
    if batch.kind == "regrade":
        rows = [_stage_row(item, answers=False) for item in items]
        written = batch_writes.write_regrade(session, batch.id, rows, failed > 0, now)
    else:
        rows = _import_rows(session, batch.course_id, items)
        written = batch_writes.write_import(session, batch.course_id, batch.id, rows, now)
    session.execute(
        update(BatchChunk)
        .where(BatchChunk.id == chunk_id)
        .values(
            status="done",
            graded=len(items) - failed,
            unchanged=len(items) - failed - written,
            failed=failed,
            lines=None,
            error=None,
            status_changed_at=now,
            finished_at=now,
        )
    )
    session.commit()
    done = time.perf_counter()
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


def _regrade_items(session: Session, batch: Batch, chunk: BatchChunk) -> list[Item]:
    rows = session.execute(
        REGRADE_ROWS,
        {
            "course": batch.course_id,
            "exercise": batch.exercise_id,
            "first": chunk.first_id,
            "last": chunk.last_id,
        },
    ).all()
    return [
        Item(
            submission_id,
            user_id,
            batch.version_id,
            orjson.loads(answers),
            orjson.loads(explicit) if explicit is not None else None,
        )
        for submission_id, user_id, answers, explicit in rows
    ]


def _lines(chunk: BatchChunk) -> list[Item]:
    """An import chunk's lines: [line, user id, email, exercise, version, answers, given,
    params, source id, key]."""
    return [
        Item(
            None,
            user_id,
            version_id,
            answers,
            overrides=(given, params) if given is not None or params is not None else None,
            source_id=source_id,
            key=key,
            exercise_id=exercise_id,
        )
        for _, user_id, _, exercise_id, version_id, answers, given, params, source_id, key in (
            chunk.lines or []
        )
    ]


def _ensure_variants(session: Session, course: Course, items: list[Item], store: bool) -> None:
    """Each item's variant: the student's stored one, else drawn. An import stores the ones
    drawn (its new submissions refer to them; committed apart from the chunk's results, so
    concurrent chunks only wait on each other for a moment). A regrade does not: the
    submissions it regrades keep the variant they were answered against, and the draw gives a
    student who has not opened the current version yet the values the page will store."""
    for version_id, group in _by_version(items).items():
        version = session.get(ExerciseVersion, version_id)
        found = ensure_many(session, course, version, (item.user_id for item in group), store)
        for item in group:
            item.variant_id, item.values = found[item.user_id]


def _by_version(items: list[Item]) -> dict[int, list[Item]]:
    groups: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        groups[item.version_id].append(item)
    return groups


def _grade(session: Session, version_id: int, items: list[Item]) -> None:
    exercise_hash, exercise = version_by_id(session, version_id)
    for item in items:
        item.exercise_hash = exercise_hash
    try:
        _grade_many(exercise, items)
    except Exception:
        for item in items:
            try:
                _grade_many(exercise, [item])
            except Exception as exc:
                log.exception("grading a batch line failed (submission %s)", item.submission_id)
                item.error = f"{type(exc).__name__}: {exc}"[:2000]


def _grade_many(exercise: core.Exercise, items: list[Item]) -> None:
    by_id: dict = {}
    by_values: dict[bytes, core.Variant] = {}
    chosen = []
    for item in items:
        base = by_id.get(item.variant_id) if item.variant_id is not None else None
        if base is None:
            base = _variant(by_values, item.values)
            if item.variant_id is not None:
                by_id[item.variant_id] = base
        if item.overrides is not None:
            item.explicit = exercise.with_values(base, *item.overrides).to_dict()
        chosen.append(base if item.explicit is None else _variant(by_values, item.explicit))
    graded = grade_many(exercise, chosen, [item.answers for item in items])
    scores, max_score, variant_json, blanks_json = graded.json_columns()
    for item, score, variant, blanks in zip(items, scores, variant_json, blanks_json, strict=True):
        item.score, item.max_score = score, max_score
        item.variant_json, item.blanks_json = variant.decode(), blanks.decode()


def _variant(known: dict[bytes, core.Variant], values: dict) -> core.Variant:
    """One Variant per distinct set of values (every student shares a fixed exercise's)."""
    key = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
    variant = known.get(key)
    if variant is None:
        variant = known[key] = core.Variant.from_dict(values)
    return variant


def _import_rows(session: Session, course_id: int, items: list[Item]) -> list[tuple]:
    """Staged rows for new submissions: ids taken now, attempts numbered after the student's
    earlier ones."""
    ids = bulk.reserve_ids(session, "submissions", len(items))
    users = sorted({item.user_id for item in items})
    attempts = {
        (user_id, exercise_id): count
        for user_id, exercise_id, count in session.execute(
            select(Submission.user_id, Submission.exercise_id, func.count(Submission.id))
            .where(
                Submission.course_id == course_id,
                bulk.one_of(session, Submission.user_id, users),
            )
            .group_by(Submission.user_id, Submission.exercise_id)
        )
    }
    rows = []
    for item, submission_id in zip(items, ids, strict=True):
        item.submission_id = submission_id
        key = (item.user_id, item.exercise_id)
        attempts[key] = attempts.get(key, 0) + 1
        rows.append(_stage_row(item, attempts[key]))
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
