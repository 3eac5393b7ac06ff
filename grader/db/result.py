"""Results: the verdict on every blank, and which engine and exercise version gave it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grader.db.base import Base, utcnow

if TYPE_CHECKING:
    from grader.db.submission import Submission

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Result(Base):
    """The one current result of a submission, in the shape of a ``grader grade`` output line."""

    __tablename__ = "results"
    # Room on each page for a regrade's new version of the row (migration 0006).
    __table_args__ = {"postgresql_with": {"fillfactor": 50}}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("submissions.id", ondelete="CASCADE"), unique=True
    )
    score: Mapped[float]
    max_score: Mapped[float]
    variant: Mapped[dict[str, Any]]
    blanks: Mapped[dict[str, Any]]
    engine_version: Mapped[str] = mapped_column(String(20))
    exercise_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The regrade batch that wrote it (None: graded live or imported). An older batch never
    # replaces it. No foreign key, as result_history's (migration 0006).
    batch_id: Mapped[int | None]

    submission: Mapped[Submission] = relationship(back_populates="result")

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "max_score": self.max_score,
            "variant": self.variant,
            "blanks": self.blanks,
        }
