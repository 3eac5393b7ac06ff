"""Celery tasks: thin wrappers that grade by id; the database holds every result."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app

from grader.db.errors import unavailable
from grader.extensions import db
from grader.services import batches, grading, submissions

log = logging.getLogger(__name__)

GRADE = "grader.grade_submission"
RUN_BATCH = "grader.run_batch"
MAX_RETRIES = 10


@shared_task(name=GRADE, bind=True, max_retries=MAX_RETRIES)
def grade_submission(self, submission_id: int) -> str:
    """Grade one submission; a second run leaves the one result there is."""
    session = db.session
    try:
        return grading.grade_submission(session, submission_id)
    except Exception as exc:
        session.rollback()
        if unavailable(exc):
            raise self.retry(exc=exc, countdown=min(60, 2**self.request.retries)) from exc
        log.exception("grading submission %s failed", submission_id)
        grading.mark_failed(session, submission_id, f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name=RUN_BATCH, bind=True, max_retries=MAX_RETRIES)
def run_batch(self, batch_id: int) -> str:
    """Grade every pending submission of a batch, many at a time."""
    session = db.session
    try:
        return batches.run(session, batch_id)
    except Exception as exc:
        session.rollback()
        if unavailable(exc):
            raise self.retry(exc=exc, countdown=min(60, 2**self.request.retries)) from exc
        batches.mark_failed(session, batch_id, f"{type(exc).__name__}: {exc}")
        raise


def publish(name: str, *args) -> bool:
    """Put a task on the queue; False (logged) when the broker cannot take it now.

    The caller has committed its rows first: the sweep publishes again what was not taken.
    """
    celery = current_app.extensions["celery"]
    try:
        celery.tasks[name].apply_async(args, retry=False)
    except Exception:
        log.warning(
            "could not publish %s%r; the sweep will publish it again", name, args, exc_info=True
        )
        return False
    return True


def publish_grading(submission_id: int) -> bool:
    """Queue one submission for grading."""
    return publish(GRADE, submission_id)


def sweep() -> list[int]:
    """Publish again every submission left queued or grading longer than GRADER_REQUEUE_AFTER."""
    ids = submissions.claim_stale(db.session, current_app.config["REQUEUE_AFTER"])
    for submission_id in ids:
        if not publish_grading(submission_id):
            break
    if ids:
        log.info("sweep published %d stale submissions again", len(ids))
    return ids


@shared_task(name="grader.sweep")
def sweep_task() -> int:
    """The sweep as a task, for a beat schedule or a manual run."""
    return len(sweep())
