"""Results replaced by a regrade, kept for audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from grader.db.base import Base, utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")


class ResultHistory(Base):
    """A result as it was when a regrade was queued to replace it, and that regrade's batch."""

    __tablename__ = "result_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # No foreign key: copied from a result, whose key guarantees the submission; a trigger on
    # submissions deletes the archive with its submission (migration 0008).
    submission_id: Mapped[int] = mapped_column(BigId, index=True)
    # The batch's id, without a foreign key: checking one locked the batch row once per
    # archived result (migration 0006).
    batch_id: Mapped[int | None]
    score: Mapped[float]
    max_score: Mapped[float]
    variant: Mapped[dict[str, Any]]
    blanks: Mapped[dict[str, Any]]
    engine_version: Mapped[str] = mapped_column(String(20))
    exercise_hash: Mapped[str] = mapped_column(String(64))
    graded_at: Mapped[datetime]
    archived_at: Mapped[datetime] = mapped_column(default=utcnow)
