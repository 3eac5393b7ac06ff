"""A submission's life: every change of a live submission's status is made here, by a claim, a
record or the sweep, each guarded in the database so that running it twice changes nothing more
(a batch writes its submissions' statuses in bulk with their results: ``batch_writes``).

::

    submit ──► queued ──claim──► grading ──record──► graded   its result written with it
                                  │  ▲
                                  │  └── claim again, once the sweep has published a
                                  │      submission left queued or grading too long
                                  └────── record ──► failed   with the reason, it alone

- **claim**: ``queued``/``grading`` → ``grading``, committed before grading. Row locks are only
  ever taken with ``SKIP LOCKED``, the run's own submission first, so runs claiming overlapping
  submissions never wait on each other; a run also takes up to ``limit - 1`` others waiting, so
  under load one vectorised pass grades many.
- **record**: ``grading`` → ``graded`` with the result, or → ``failed`` with the reason, in one
  transaction, and only for rows still pending: a second run (a message delivered twice, the
  sweep's copy) writes nothing, whatever this process remembers.
- **sweep**: a submission pending longer than ``REQUEUE_AFTER`` is stamped and published again.
- **retry**: an error the database's absence explains is retried with backoff; any other fails
  the submission (:func:`retry_delay`).
- This process remembers for ``REMEMBER_SECONDS`` the ids it finished, to answer their own
  messages without a query; the database guard above does not depend on it.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from grader.checking import ENGINE_VERSION
from grader.db import LtiLink, Result, StudentVariant, Submission, utcnow
from grader.db.errors import unavailable
from grader.services.grading import Claimed, grade_claimed
from grader.services.lti import passback

PENDING = ("queued", "grading")
CLAIM_LIMIT = 100
MAX_RETRIES = 10
MAX_ERROR = 2000
# Shorter than the sweep's GRADER_REQUEUE_AFTER default (60 s).
REMEMBER_SECONDS = 30.0


class Outcome(StrEnum):
    """What a grading run did with the submission it was started for."""

    GRADED = "graded"  # its result and ``graded`` are written
    FAILED = "failed"  # it cannot be graded: ``failed`` with the reason
    SKIPPED = "skipped"  # not pending, or another run holds it
    DUPLICATE = "duplicate"  # claimed, but another run recorded it first


SUBMISSIONS = Submission.__table__.c
IDS = bindparam("ids", expanding=True)
NOW = bindparam("now")
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
VARIANTS = StudentVariant.__table__.c
# The claimed submissions with what grading them needs: the values each was answered with (its
# own, else its variant's, read in the same statement).
CLAIM = (
    update(Submission.__table__)
    .where(SUBMISSIONS.id.in_(IDS), SUBMISSIONS.status.in_(PENDING))
    .values(status="grading", started_at=NOW, status_changed_at=NOW)
    .returning(
        SUBMISSIONS.id,
        SUBMISSIONS.exercise_version_id,
        SUBMISSIONS.explicit_values,
        SUBMISSIONS.answers,
        select(VARIANTS["values"])
        .where(VARIANTS.id == SUBMISSIONS.variant_id)
        .scalar_subquery()
        .label("variant_values"),
    )
)
LINKS = LtiLink.__table__.c
# Each submission marked graded, and whether an LMS link shows its exercise in its course (its
# score is then owed to the LMS: ``passback.note``), in the one statement.
MARK_GRADED = (
    update(Submission.__table__)
    .where(SUBMISSIONS.id.in_(IDS), SUBMISSIONS.status.in_(PENDING))
    .values(status="graded", graded_at=NOW, status_changed_at=NOW, error=None)
    .returning(
        SUBMISSIONS.id,
        exists()
        .where(
            LINKS.course_id == SUBMISSIONS.course_id, LINKS.exercise_id == SUBMISSIONS.exercise_id
        )
        .label("linked"),
    )
)
MARK_FAILED = (
    update(Submission.__table__)
    .where(SUBMISSIONS.id == bindparam("submission_id"), SUBMISSIONS.status.in_(PENDING))
    .values(status="failed", failed_at=NOW, status_changed_at=NOW, error=bindparam("error"))
    .returning(SUBMISSIONS.id)
)
ROW_FIELDS = ("score", "max_score", "variant", "blanks")
RESULT_FIELDS = (*ROW_FIELDS, "engine_version", "exercise_hash", "created_at", "batch_id")


def _upsert(dialect_insert):
    insert = dialect_insert(Result.__table__)
    return insert.on_conflict_do_update(
        index_elements=["submission_id"],
        set_={name: insert.excluded[name] for name in RESULT_FIELDS},
    )


UPSERT_RESULT = {"postgresql": _upsert(pg_insert), "sqlite": _upsert(sqlite_insert)}


class Recent:
    """Submission ids this process finished lately, forgotten after ``seconds``."""

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

    def forget(self) -> None:
        with self._lock:
            self._seen.clear()


recently_graded = Recent(REMEMBER_SECONDS)


def grade_submission(session: Session, submission_id: int, limit: int = CLAIM_LIMIT) -> Outcome:
    """Claim the submission and up to ``limit - 1`` others waiting, grade them, record each."""
    database = str(session.get_bind().url)
    if recently_graded.seen(database, submission_id):
        return Outcome.SKIPPED
    connection = session.connection()
    if connection.execute(LOCK_OWN, {"submission_id": submission_id}).scalar() is None:
        session.rollback()
        return Outcome.SKIPPED
    others = connection.execute(
        LOCK_WAITING, {"submission_id": submission_id, "limit": limit - 1}
    ).scalars()
    claimed = claim(session, [submission_id, *others])
    graded, failures = grade_claimed(session, claimed)
    written, failed = record(session, graded, failures)
    recently_graded.add(database, written | failed)
    if submission_id in written:
        return Outcome.GRADED
    if submission_id in failed:
        return Outcome.FAILED
    if any(item.id == submission_id for item in claimed):
        return Outcome.DUPLICATE
    return Outcome.SKIPPED


def claim(session: Session, ids: list[int]) -> list[Claimed]:
    """Mark the pending ones among ``ids`` as ``grading`` and commit; what to grade them with."""
    rows = session.connection().execute(CLAIM, {"ids": ids, "now": utcnow()}).all()
    session.commit()
    return [
        Claimed(
            row.id,
            row.exercise_version_id,
            row.explicit_values if row.explicit_values is not None else row.variant_values,
            row.answers,
        )
        for row in rows
    ]


def record(
    session: Session, graded: dict[int, tuple[dict, str]], failures: dict[int, str]
) -> tuple[set[int], set[int]]:
    """Write each result (``graded``: a ``grader grade`` row and the exercise's hash, by id)
    with ``graded``, and each failure with its reason, in one transaction, for the submissions
    still pending; the ids (graded, failed) written."""
    now = utcnow()
    connection = session.connection()
    written: set[int] = set()
    linked: list[int] = []
    if graded:
        for submission_id, is_linked in connection.execute(
            MARK_GRADED, {"ids": list(graded), "now": now}
        ):
            written.add(submission_id)
            if is_linked:
                linked.append(submission_id)
    if written:
        connection.execute(
            UPSERT_RESULT[session.get_bind().dialect.name],
            [
                {
                    "submission_id": submission_id,
                    **{name: graded[submission_id][0][name] for name in ROW_FIELDS},
                    "engine_version": ENGINE_VERSION,
                    "exercise_hash": graded[submission_id][1],
                    "created_at": now,
                    "batch_id": None,
                }
                for submission_id in sorted(written)
            ],
        )
        passback.note(session, sorted(linked), now)
    failed = {
        submission_id
        for submission_id, message in failures.items()
        if connection.execute(
            MARK_FAILED, {"submission_id": submission_id, "now": now, "error": message[:MAX_ERROR]}
        ).scalar()
        is not None
    }
    session.commit()
    return written, failed


def fail(session: Session, submission_id: int, message: str) -> None:
    """Record that grading the submission failed for a reason retrying will not cure."""
    record(session, {}, {submission_id: message})


def retry_delay(exc: BaseException, retries: int) -> int | None:
    """Seconds to wait before running again after ``exc`` (the database or broker away for a
    moment: 1, 2, 4 ... 60 s, up to ``MAX_RETRIES`` times), or None: retrying will not cure it
    and the submission fails."""
    return min(60, 2**retries) if unavailable(exc) else None


def claim_stale(session: Session, older_than: float, limit: int = 1000) -> list[int]:
    """The sweep: ids of submissions pending longer than ``older_than`` seconds, stamped so the
    next sweep waits again; two sweeps running at once do not both take the same id."""
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than)
    ids = session.scalars(
        select(Submission.id)
        .where(Submission.status.in_(PENDING), Submission.status_changed_at <= cutoff)
        .order_by(Submission.status_changed_at)
        .limit(limit)
    ).all()
    if not ids:
        session.rollback()
        return []
    claimed = session.scalars(
        update(Submission)
        .where(
            Submission.id.in_(ids),
            Submission.status.in_(PENDING),
            Submission.status_changed_at <= cutoff,
        )
        .values(status_changed_at=now)
        .returning(Submission.id)
    ).all()
    session.commit()
    return sorted(claimed)
