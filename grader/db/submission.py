"""Submissions: the answers as submitted and where their grading stands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grader.db.base import Base, utcnow
from grader.db.result import Result

STATUSES = ("queued", "grading", "graded", "failed")
# One submission per attempt number of a student at an exercise of a course, among those made
# on the site and the API (a batch's imported lines are numbered by the batch).
ATTEMPT_INDEX = "uq_submissions_attempt"
LIVE = text("batch_id IS NULL")
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Submission(Base):
    """One attempt at one exercise: committed ``queued`` before its id is published."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        Index("ix_submissions_user_id_exercise_version_id", "user_id", "exercise_version_id"),
        Index("ix_submissions_course_id_exercise_id", "course_id", "exercise_id"),
        Index("ix_submissions_status_status_changed_at", "status", "status_changed_at"),
        Index("ix_submissions_batch_id_status", "batch_id", "status"),
        # Deleting a variant sets its submissions' variant_id to null: found through this.
        Index("ix_submissions_variant_id", "variant_id"),
        Index(
            ATTEMPT_INDEX,
            "user_id",
            "course_id",
            "exercise_id",
            "attempt",
            unique=True,
            postgresql_where=LIVE,
            sqlite_where=LIVE,
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # No foreign keys on the course, exercise, version and batch: a batch chunk's thousands of
    # rows name the same ones, which triggers check once per statement; deleting a course,
    # exercise or version deletes its submissions, a batch leaves them without (migration 0018).
    course_id: Mapped[int]
    exercise_id: Mapped[int]
    exercise_version_id: Mapped[int]
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id", ondelete="SET NULL"))
    batch_id: Mapped[int | None]
    attempt: Mapped[int] = mapped_column(default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    source_id: Mapped[str | None] = mapped_column(String(200))
    answers: Mapped[dict[str, Any]]
    explicit_values: Mapped[dict[str, Any] | None]
    status: Mapped[str] = mapped_column(String(10), default="queued")
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    graded_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    result: Mapped[Result | None] = relationship(
        back_populates="submission", uselist=False, lazy="raise"
    )
