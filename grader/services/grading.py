"""Grading pending submissions: claim them, grade many at once with the core, record the results
and ``graded`` in one transaction. Running twice leaves one result."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from grader import exercises as core
from grader.checking import ENGINE_VERSION, grade_many
from grader.db import Result, StudentVariant, Submission, utcnow
from grader.services.exercises import version_by_id

log = logging.getLogger(__name__)

PENDING = ("queued", "grading")
CLAIM_LIMIT = 100
# How long this process remembers the submissions it graded, to answer their own messages
# without asking the database; shorter than the sweep's GRADER_REQUEUE_AFTER default (60 s).
REMEMBER_SECONDS = 30.0

# Core statements on the tables, built once and run on the session's connection: the ORM
# adds nothing here but time, and a live submission's grading runs them all.
SUBMISSIONS = Submission.__table__.c
IDS = bindparam("ids", expanding=True)
LOCK_OWN = (
    select(SUBMISSIONS.id)
    .where(SUBMISSIONS.id == bindparam("submission_id"), SUBMISSIONS.status.in_(PENDING))
    .with_for_update(skip_locked=True)
)
LOCK_WAITING = (
    select(SUBMISSIONS.id)
    .where(
        SUBMISSIONS.status == "queued",
        SUBMISSIONS.batch_id.is_(None),
        SUBMISSIONS.id != bindparam("submission_id"),
    )
    .order_by(SUBMISSIONS.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
CLAIM = (
    update(Submission.__table__)
    .where(SUBMISSIONS.id.in_(IDS), SUBMISSIONS.status.in_(PENDING))
    .values(status="grading", started_at=bindparam("now"), status_changed_at=bindparam("now"))
    .returning(
        SUBMISSIONS.id,
        SUBMISSIONS.exercise_version_id,
        SUBMISSIONS.variant_id,
        SUBMISSIONS.explicit_values,
        SUBMISSIONS.answers,
    )
)
VARIANT_VALUES = select(StudentVariant.__table__.c.id, StudentVariant.__table__.c["values"]).where(
    StudentVariant.__table__.c.id.in_(IDS)
)
MARK_GRADED = (
    update(Submission.__table__)
    .where(SUBMISSIONS.id.in_(IDS), SUBMISSIONS.status.in_(PENDING))
    .values(
        status="graded", graded_at=bindparam("now"), status_changed_at=bindparam("now"), error=None
    )
    .returning(SUBMISSIONS.id)
)
MARK_FAILED = (
    update(Submission.__table__)
    .where(SUBMISSIONS.id == bindparam("submission_id"), SUBMISSIONS.status.in_(PENDING))
    .values(
        status="failed",
        failed_at=bindparam("now"),
        status_changed_at=bindparam("now"),
        error=bindparam("error"),
    )
)
RESULT_FIELDS = (
    "score",
    "max_score",
    "variant",
    "blanks",
    "engine_version",
    "exercise_hash",
    "created_at",
)


def _upsert(dialect_insert):
    insert = dialect_insert(Result.__table__)
    return insert.on_conflict_do_update(
        index_elements=["submission_id"],
        set_={name: insert.excluded[name] for name in RESULT_FIELDS},
    )


UPSERT_RESULT = {"postgresql": _upsert(pg_insert), "sqlite": _upsert(sqlite_insert)}


class Recent:
    """Submission ids this process finished lately, forgotten after ``REMEMBER_SECONDS``."""

    def __init__(self, seconds: float, limit: int = 200_000):
        self.seconds, self.limit = seconds, limit
        self._seen: dict[tuple[str, int], float] = {}
        self._lock = threading.Lock()

    def add(self, database: str, ids) -> None:
        now = time.monotonic()
        with self._lock:
            for submission_id in ids:
                self._seen[(database, submission_id)] = now
            if len(self._seen) > self.limit:
                self._seen = {k: t for k, t in self._seen.items() if now - t < self.seconds}

    def seen(self, database: str, submission_id: int) -> bool:
        with self._lock:
            done_at = self._seen.get((database, submission_id))
        return done_at is not None and time.monotonic() - done_at < self.seconds


recently_graded = Recent(REMEMBER_SECONDS)


@dataclass
class Claimed:
    """A submission taken for grading: its version and the values and answers to grade."""

    id: int
    version_id: int
    values: dict
    answers: dict


def grade_submission(session: Session, submission_id: int, limit: int = CLAIM_LIMIT) -> str:
    """Grade a submission, and with it up to ``limit - 1`` others waiting in the queue.

    Their own messages then find them graded and do nothing (this process remembers what it
    graded for a while, so those messages need not ask the database): under load one run
    grades many at once with the vectorised core. Returns ``graded``, ``failed``, ``skipped`` (not pending,
    or another run holds it) or ``duplicate`` (another run wrote the result meanwhile).
    """
    # Row locks are only ever taken with SKIP LOCKED, the run's own submission first, so two
    # runs claiming overlapping submissions never wait on each other (no deadlock): a run whose
    # own submission another run holds leaves it to that one.
    database = str(session.get_bind().url)
    if recently_graded.seen(database, submission_id):
        return "skipped"
    connection = session.connection()
    own = connection.execute(LOCK_OWN, {"submission_id": submission_id}).scalar()
    if own is None:
        session.rollback()
        return "skipped"
    others = (
        connection.execute(LOCK_WAITING, {"submission_id": submission_id, "limit": limit - 1})
        .scalars()
        .all()
    )
    claimed = claim(session, [submission_id, *others])
    if not claimed:
        return "skipped"
    written, failed = grade_and_record(session, claimed)
    recently_graded.add(database, written | failed)
    if submission_id in written:
        return "graded"
    if submission_id in failed:
        return "failed"
    return "duplicate" if any(item.id == submission_id for item in claimed) else "skipped"


def claim(session: Session, ids: list[int]) -> list[Claimed]:
    """Mark the pending ones among ``ids`` as ``grading`` and commit; what to grade them with."""
    connection = session.connection()
    rows = connection.execute(CLAIM, {"ids": ids, "now": utcnow()}).all()
    variant_ids = [row.variant_id for row in rows if row.explicit_values is None]
    values = (
        dict(connection.execute(VARIANT_VALUES, {"ids": variant_ids}).all()) if variant_ids else {}
    )
    session.commit()
    return [
        Claimed(
            row.id,
            row.exercise_version_id,
            row.explicit_values if row.explicit_values is not None else values[row.variant_id],
            row.answers,
        )
        for row in rows
    ]


def grade_and_record(session: Session, claimed: list[Claimed]) -> tuple[set[int], set[int]]:
    """Grade the claimed submissions, one vectorised pass per exercise version, and write the
    results; a submission the core cannot grade is marked failed with the reason."""
    groups: dict[int, list[Claimed]] = defaultdict(list)
    for item in claimed:
        groups[item.version_id].append(item)
    outcomes: dict[int, tuple[dict, str]] = {}
    failures: dict[int, str] = {}
    for version_id, items in groups.items():
        exercise_hash, exercise = version_by_id(session, version_id)
        try:
            rows = _grade(exercise, items)
        except Exception:
            rows = _grade_one_by_one(exercise, items, failures)
        outcomes.update({item_id: (row, exercise_hash) for item_id, row in rows.items()})
    session.rollback()
    written = record(session, outcomes)
    for submission_id, message in failures.items():
        mark_failed(session, submission_id, message)
    return written, set(failures)


def _grade(exercise: core.Exercise, items: list[Claimed]) -> dict[int, dict]:
    variants: dict[str, core.Variant] = {}
    chosen = []
    for item in items:
        key = json.dumps(item.values, sort_keys=True)
        if key not in variants:
            variants[key] = core.Variant.from_dict(item.values)
        chosen.append(variants[key])
    graded = grade_many(exercise, chosen, [item.answers for item in items])
    return {item.id: row for item, row in zip(items, graded.to_dicts(), strict=True)}


def _grade_one_by_one(exercise, items: list[Claimed], failures: dict[int, str]) -> dict[int, dict]:
    rows = {}
    for item in items:
        try:
            rows.update(_grade(exercise, [item]))
        except Exception as exc:
            log.exception("grading submission %s failed", item.id)
            failures[item.id] = f"{type(exc).__name__}: {exc}"
    return rows


def record(session: Session, outcomes: dict[int, tuple[dict, str]]) -> set[int]:
    """Write results and ``graded`` in one transaction for those still pending; their ids."""
    if not outcomes:
        return set()
    now = utcnow()
    connection = session.connection()
    marked = connection.execute(MARK_GRADED, {"ids": list(outcomes), "now": now}).scalars().all()
    if marked:
        connection.execute(
            UPSERT_RESULT[session.get_bind().dialect.name],
            [
                {
                    "submission_id": submission_id,
                    "score": outcomes[submission_id][0]["score"],
                    "max_score": outcomes[submission_id][0]["max_score"],
                    "variant": outcomes[submission_id][0]["variant"],
                    "blanks": outcomes[submission_id][0]["blanks"],
                    "engine_version": ENGINE_VERSION,
                    "exercise_hash": outcomes[submission_id][1],
                    "created_at": now,
                }
                for submission_id in marked
            ],
        )
    session.commit()
    return set(marked)


def mark_failed(session: Session, submission_id: int, message: str) -> None:
    """Record that grading failed for a reason retrying will not fix."""
    session.execute(
        MARK_FAILED, {"submission_id": submission_id, "now": utcnow(), "error": message[:2000]}
    )
    session.commit()
