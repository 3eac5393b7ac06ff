"""Celery tasks: thin wrappers that grade by id; the database holds every result."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from grader.extensions import db
from grader.services import batches, lifecycle
from grader.services.lti import passback

log = logging.getLogger(__name__)

GRADE = "grader.grade_submission"
RUN_BATCH = "grader.run_batch"
GRADE_CHUNK = "grader.batch.grade_chunk"
DELIVER_SCORE = "grader.lti.deliver_score"
MAX_RETRIES = lifecycle.MAX_RETRIES


def _retrying(task, work, fail, ident: int, what: str):
    """Run ``work(session, ident)``; retry with backoff while the database or broker is away,
    otherwise record the failure with ``fail`` and re-raise."""
    session = db.session
    try:
        return work(session, ident)
    except Exception as exc:
        session.rollback()
        delay = lifecycle.retry_delay(exc, task.request.retries)
        if delay is not None:
            raise task.retry(exc=exc, countdown=delay) from exc
        log.exception("grading %s %s failed", what, ident)
        fail(session, ident, f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name=GRADE, bind=True, max_retries=MAX_RETRIES)
def grade_submission(self, submission_id: int) -> str:
    """Grade one submission (``lifecycle``); a second run leaves the one result there is."""
    return _retrying(self, lifecycle.grade_submission, lifecycle.fail, submission_id, "submission")


@shared_task(name=RUN_BATCH, bind=True, max_retries=MAX_RETRIES)
def run_batch(self, batch_id: int) -> int:
    """Start a batch: publish each of its pending chunks for the workers to grade in parallel."""
    return _retrying(
        self,
        lambda session, ident: publish_chunks(batches.pending_chunks(session, ident)),
        batches.mark_failed,
        batch_id,
        "batch",
    )


@shared_task(name=GRADE_CHUNK, bind=True, max_retries=MAX_RETRIES)
def grade_chunk(self, chunk_id: int) -> str:
    """Grade one chunk of a batch and write its results; a second run does nothing."""
    return _retrying(self, batches.grade_chunk, batches.fail_chunk, chunk_id, "batch chunk")


def publish(name: str, *args) -> bool:
    """Put a task on the queue (on Redis by ``grader.broker``, else by Celery); False
    (logged) when the broker cannot take it now.

    The caller has committed its rows first: the sweep publishes again what was not taken.
    """
    extensions = current_app.extensions
    publisher = extensions.get("grader.broker")
    try:
        if publisher is not None:
            publisher.publish(name, args)
        else:
            # The arguments are ids: their text for the logs, without Celery's safe repr.
            # Nothing is declared: the task goes to the default exchange, straight to its queue
            # by name (the worker declares the queues it consumes).
            extensions["celery"].tasks[name].apply_async(
                args, retry=False, argsrepr=repr(args), kwargsrepr="{}", declare=()
            )
    except Exception:
        log.warning(
            "could not publish %s%r; the sweep will publish it again", name, args, exc_info=True
        )
        return False
    return True


def publish_grading(submission_id: int) -> bool:
    """Queue one submission for grading."""
    return publish(GRADE, submission_id)


def publish_chunks(chunk_ids: list[int]) -> int:
    """Queue batch chunks for grading; how many the broker took."""
    published = 0
    for chunk_id in chunk_ids:
        if not publish(GRADE_CHUNK, chunk_id):
            break
        published += 1
    return published


def sweep() -> list[int]:
    """Publish again every submission left queued or grading longer than GRADER_REQUEUE_AFTER,
    and the pending chunks of batches that have not moved for as long."""
    ids = lifecycle.claim_stale(db.session, current_app.config["REQUEUE_AFTER"])
    for submission_id in ids:
        if not publish_grading(submission_id):
            break
    if ids:
        log.info("sweep published %d stale submissions again", len(ids))
    chunks = batches.stalled_chunks(db.session, current_app.config["REQUEUE_AFTER"])
    if chunks:
        log.info("sweep published %d chunks of stalled batches again", publish_chunks(chunks))
    scores = passback.stalled(db.session, current_app.config["REQUEUE_AFTER"])
    db.session.rollback()
    if scores:
        log.info("sweep published %d LTI score deliveries again", publish_scores(scores))
    return ids


@shared_task(name="grader.sweep")
def sweep_task() -> int:
    """The sweep as a task, for a beat schedule or a manual run."""
    return len(sweep())


@shared_task(name=DELIVER_SCORE, bind=True, max_retries=None)
def deliver_score(self, passback_id: int) -> str:
    """Send a student's score to the LMS's gradebook (``passback``); while the LMS cannot take
    it, again with backoff, up to GRADER_LTI_RETRIES times."""
    retries = current_app.config["LTI_RETRIES"]
    final = self.request.retries >= retries
    outcome = passback.deliver(db.session, passback_id, final=final)
    if outcome is passback.Delivery.RETRY:
        delay = passback.retry_delay(self.request.retries, current_app.config["LTI_RETRY_BASE"])
        raise self.retry(countdown=delay)
    return outcome.value


def publish_scores(passback_ids: list[int]) -> int:
    """Queue score deliveries; how many the broker took."""
    published = 0
    for passback_id in passback_ids:
        if not publish(DELIVER_SCORE, passback_id):
            break
        published += 1
    return published


@event.listens_for(Session, "after_commit")
def _publish_noted_scores(session: Session) -> None:
    """Once a transaction that owed scores commits (``passback.note``), queue their delivery."""
    ids = passback.take_noted(session)
    if ids and has_app_context():
        publish_scores(ids)


@event.listens_for(Session, "after_rollback")
def _forget_noted_scores(session: Session) -> None:
    passback.forget_noted(session)
