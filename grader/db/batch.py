"""Batches: many submissions imported or regraded at once, cut into chunks for the workers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from grader.db.base import Base, utcnow

BATCH_KINDS = ("import", "regrade")
BATCH_STATUSES = ("loading", "queued", "running", "done", "failed")
CHUNK_STATUSES = ("queued", "grading", "done", "failed")
BigId = BigInteger().with_variant(Integer(), "sqlite")
# One regrade of an exercise in a course at a time: a second is refused while one is unfinished.
RUNNING_REGRADE_INDEX = "uq_batches_running_regrade"
RUNNING_REGRADE = text("kind = 'regrade' AND status IN ('queued', 'running')")


class Batch(Base):
    """A batch job; its progress is the sum of its chunks'."""

    __tablename__ = "batches"
    __table_args__ = (
        Index(
            RUNNING_REGRADE_INDEX,
            "course_id",
            "exercise_id",
            unique=True,
            postgresql_where=RUNNING_REGRADE,
            sqlite_where=RUNNING_REGRADE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("exercise_versions.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(10))
    # A regrade that draws each student's values anew from the current version, instead of
    # keeping the values each submission was answered with.
    redraw: Mapped[bool] = mapped_column(default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(10), default="queued")
    source: Mapped[str | None] = mapped_column(String(200))
    total: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0, server_default="0")
    errors: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class BatchChunk(Base):
    """A few thousand submissions of a batch, graded and written in one transaction together
    with their ``done``: a redelivered chunk finds itself done and does nothing.

    A regrade's chunk is a range of submission ids; an import's holds its lines until they are
    stored as submissions.
    """

    __tablename__ = "batch_chunks"
    __table_args__ = (
        UniqueConstraint("batch_id", "number"),
        Index("ix_batch_chunks_status_status_changed_at", "status", "status_changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="queued")
    size: Mapped[int]
    first_id: Mapped[int | None] = mapped_column(BigId)
    last_id: Mapped[int | None] = mapped_column(BigId)
    # Kept as the text it was written (json, not jsonb): it is written once, read once whole,
    # never searched, so parsing it into jsonb and printing it back cost for nothing.
    lines: Mapped[list[Any] | None] = mapped_column(JSON())
    graded: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # A regrade's submissions it could not grade: [{"submission", "message"}]; their earlier
    # results stand.
    failures: Mapped[list[Any] | None]
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
