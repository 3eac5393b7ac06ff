"""Scores sent back to the platform's gradebook (LTI Assignment and Grade Services) through an
outbox: a row per (resource link, student) written in the transaction that writes a result,
delivered by a task, retried with backoff while the platform is away.

::

    result written ──note──► waiting ──claim──► sending ──► sent      (version sent)
                               ▲  ▲                 │  └──► waiting   a newer result came
                               │  └── retry ────────┤                  meanwhile: sent again
                               │     (backoff)      └─────► failed    retries spent (reason)
                               └──── resend (the instructor) ◄─┘

- **note** bumps the row's ``version`` and ``changed_at`` (the result's time) in the result's
  own transaction: a result is never written without its score being owed.
- **deliver** reads the version and time first and the score after, so the score sent is at
  least as new as its timestamp; the platform keeps the newest timestamp, so an older score
  never overwrites a newer one, however deliveries race. A score equal to the one the platform
  holds is not sent again (a regrade resends only the scores that changed).
- **one line item per resource link**: found by its tag and resource link id before one is
  made, under the link row's lock, and remembered.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum

import requests
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from sqlalchemy import bindparam, case, func, or_, select, text, update
from sqlalchemy.orm import Session

from grader.db import (
    Course,
    Exercise,
    LtiAccount,
    LtiContext,
    LtiLink,
    LtiPassback,
    LtiPlatform,
    utcnow,
)
from grader.db.base import UTCDateTime
from grader.services import gradebook
from grader.services.lti import lineitems

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=5)
MAX_ERROR = 1000
NOTED = "lti_noted"  # session.info key: passback ids noted in the transaction

NOTE = """
INSERT INTO lti_passbacks (link_id, account_id, status, version, changed_at, sent_version, tries)
SELECT DISTINCT l.id, a.id, 'waiting', 1, :now, 0, 0
FROM submissions s
JOIN lti_links l ON l.course_id = s.course_id AND l.exercise_id = s.exercise_id
JOIN lti_contexts c ON c.id = l.context_id
JOIN lti_accounts a ON a.user_id = s.user_id AND a.platform_id = c.platform_id
WHERE {where}
ON CONFLICT (link_id, account_id) DO UPDATE SET
    status = 'waiting', version = lti_passbacks.version + 1, changed_at = excluded.changed_at,
    tries = 0, error = NULL
RETURNING id
"""
NOTE_IDS = text(NOTE.format(where="s.id IN :ids")).bindparams(
    bindparam("ids", expanding=True), bindparam("now", type_=UTCDateTime())
)
NOTE_STAGED = text(
    NOTE.format(
        where="s.id IN (SELECT submission_id FROM batch_stage WHERE error IS NULL) "
        "AND s.course_id = :course"
    )
).bindparams(bindparam("now", type_=UTCDateTime()))


class Delivery(StrEnum):
    """What a delivery run did."""

    SENT = "sent"  # the platform holds the score
    UNCHANGED = "unchanged"  # the platform held this score already: nothing sent
    SKIPPED = "skipped"  # nothing waiting, or another run is sending it
    RETRY = "retry"  # the platform could not take it now: try again later
    FAILED = "failed"  # retries spent, or it can never be sent: the reason is kept


def note(session: Session, submission_ids: list[int], now: datetime) -> None:
    """Owe the scores of these newly graded submissions' students (in the caller's
    transaction); the deliveries are published once it commits. The caller passes the ones an
    LMS link shows (``lifecycle.MARK_GRADED`` tells), so a course without one costs nothing."""
    if submission_ids:
        _remember(session, session.execute(NOTE_IDS, {"ids": submission_ids, "now": now}))


def note_staged(session: Session, course_id: int, now: datetime) -> None:
    """The same for a batch chunk's staged rows (a regrade or an import) in ``course_id``."""
    if _course_links_exist(session, course_id):
        _remember(session, session.execute(NOTE_STAGED, {"course": course_id, "now": now}))


def _course_links_exist(session: Session, course_id: int) -> bool:
    return (
        session.scalar(select(LtiLink.id).where(LtiLink.course_id == course_id).limit(1))
        is not None
    )


def _remember(session: Session, result) -> None:
    session.info.setdefault(NOTED, set()).update(result.scalars())


def take_noted(session: Session) -> list[int]:
    """The passback ids noted in the transaction just committed (forgotten on rollback)."""
    return sorted(session.info.pop(NOTED, ()))


def forget_noted(session: Session) -> None:
    session.info.pop(NOTED, None)


def deliver(session: Session, passback_id: int, final: bool = False) -> Delivery:
    """Send the student's current score to the link's line item; ``final``: the last try."""
    outcome = Delivery.SKIPPED
    for _ in range(3):  # again while newer results arrive during the send
        claimed = _claim(session, passback_id)
        if claimed is None:
            return outcome
        version, changed_at = claimed
        try:
            outcome = _send(session, passback_id, version, changed_at)
        except (LtiException, requests.RequestException) as exc:
            session.rollback()
            return _failed(session, passback_id, _reason(exc), final)
        if not _finish(session, passback_id, version):
            return outcome
    return outcome


def _claim(session: Session, passback_id: int) -> tuple[int, datetime] | None:
    now = utcnow()
    row = session.execute(
        update(LtiPassback)
        .where(
            LtiPassback.id == passback_id,
            or_(
                LtiPassback.status == "waiting",
                (LtiPassback.status == "sending") & (LtiPassback.claimed_at < now - STALE_CLAIM),
            ),
        )
        .values(status="sending", claimed_at=now)
        .returning(LtiPassback.version, LtiPassback.changed_at)
    ).first()
    session.commit()
    return None if row is None else (row.version, row.changed_at)


def _send(session: Session, passback_id: int, version: int, changed_at: datetime) -> Delivery:
    passback = session.get(LtiPassback, passback_id)
    link = session.get(LtiLink, passback.link_id)
    account = session.get(LtiAccount, passback.account_id)
    context = session.get(LtiContext, link.context_id)
    platform = session.get(LtiPlatform, context.platform_id)
    exercise = session.get(Exercise, link.exercise_id)
    cell = gradebook.cell(session, session.get(Course, link.course_id), exercise, account.user_id)
    if cell.best is None:
        return Delivery.UNCHANGED
    score = round(cell.best, 6)
    if passback.sent_version and passback.sent_score == score:
        passback.sent_score = score
        return Delivery.UNCHANGED
    session.rollback()
    ags = lineitems.service(session, platform, context, link.lineitem_url)
    lineitem = lineitems.find_or_make(session, ags, link.id, exercise, cell.worth)
    grade = (
        Grade()
        .set_score_given(score)
        .set_score_maximum(cell.worth)
        .set_timestamp(changed_at.isoformat())
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_user_id(account.sub)
    )
    try:
        ags.put_grade(grade, lineitem)
    except LtiServiceException as exc:
        if lineitems.status(exc) != 404 or not lineitems.forget(
            session, link.id, lineitem.get_id()
        ):
            raise
        log.warning(
            "lti: line item %s is gone from %s: making it again", lineitem.get_id(), platform.issuer
        )
        ags.put_grade(grade, lineitems.find_or_make(session, ags, link.id, exercise, cell.worth))
    session.execute(
        update(LtiPassback).where(LtiPassback.id == passback_id).values(sent_score=score)
    )
    log.info("lti: sent %s/%s for %s to %s", score, cell.worth, exercise.slug, platform.issuer)
    return Delivery.SENT


def _finish(session: Session, passback_id: int, version: int) -> bool:
    """Record the sent version; True when a newer result came meanwhile (send that too)."""
    now = utcnow()
    newer = session.scalar(
        update(LtiPassback)
        .where(LtiPassback.id == passback_id)
        .values(
            status=case((LtiPassback.version == version, "sent"), else_="waiting"),
            sent_version=version,
            sent_at=now,
            tries=0,
            error=None,
        )
        .returning(LtiPassback.version != version)
    )
    session.commit()
    return bool(newer)


def _failed(session: Session, passback_id: int, reason: str, final: bool) -> Delivery:
    session.execute(
        update(LtiPassback)
        .where(LtiPassback.id == passback_id, LtiPassback.status == "sending")
        .values(
            status="failed" if final else "waiting",
            tries=LtiPassback.tries + 1,
            error=reason[:MAX_ERROR],
        )
    )
    session.commit()
    log.warning("lti: passback %s %s: %s", passback_id, "failed" if final else "will retry", reason)
    return Delivery.FAILED if final else Delivery.RETRY


def _reason(exc: Exception) -> str:
    """Why a delivery failed, for the instructor's page and the log."""
    response = getattr(exc, "response", None)
    if isinstance(response, requests.Response):
        return f"the LMS answered HTTP {response.status_code} to {response.url}"
    return f"{type(exc).__name__}: {exc}"


def retry_delay(retries: int, base: float) -> float:
    """Seconds before try ``retries + 1``: base, 2·base, 4·base ... at most an hour."""
    return min(3600.0, base * 2**retries)


def resend(session: Session, course_id: int, passback_ids: list[int] | None = None) -> list[int]:
    """Queue again the course's passbacks that failed or wait (or these ones, sent or not: the
    score is sent even if unchanged); their ids, to publish."""
    query = (
        update(LtiPassback)
        .where(
            LtiPassback.link_id.in_(select(LtiLink.id).where(LtiLink.course_id == course_id)),
            LtiPassback.status != "sending",
        )
        .values(
            status="waiting",
            tries=0,
            error=None,
            changed_at=func.coalesce(LtiPassback.changed_at, utcnow()),
        )
        .returning(LtiPassback.id)
    )
    if passback_ids is not None:
        query = query.where(LtiPassback.id.in_(passback_ids))
    else:
        query = query.where(LtiPassback.status.in_(("failed", "waiting")))
    ids = sorted(session.scalars(query))
    session.commit()
    return ids


def stalled(session: Session, older_than: float, limit: int = 1000) -> list[int]:
    """For the sweep: passbacks whose delivery was never published or whose sender died."""
    now = utcnow()
    return list(
        session.scalars(
            select(LtiPassback.id)
            .where(
                or_(
                    (LtiPassback.status == "waiting")
                    & (LtiPassback.tries == 0)
                    & (LtiPassback.changed_at < now - timedelta(seconds=older_than)),
                    (LtiPassback.status == "sending")
                    & (LtiPassback.claimed_at < now - STALE_CLAIM),
                )
            )
            .order_by(LtiPassback.id)
            .limit(limit)
        )
    )
