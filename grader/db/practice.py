"""Practice: new numbers for an exercise, or a new graph like it, and the attempts at them.

Practice has tables of its own, apart from submissions and results: nothing that counts
attempts, scores, analytics, gradebooks, batches or regrades reads them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from grader.db.base import Base, utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")
PRACTICE_KINDS = ("variant", "drill")


class Practice(Base):
    """A student's practice ``number`` at an exercise of a course: a practice variant (the
    version's exercise with ``values``) or a drill like it (the exercise file ``source``, made
    from the options ``drill``)."""

    __tablename__ = "practices"
    __table_args__ = (UniqueConstraint("course_id", "user_id", "exercise_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    exercise_version_id: Mapped[int] = mapped_column(
        ForeignKey("exercise_versions.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    values: Mapped[dict[str, Any]]
    drill: Mapped[dict[str, Any] | None]
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PracticeAttempt(Base):
    """One attempt at a practice, graded when it was made: its answers and result."""

    __tablename__ = "practice_attempts"
    __table_args__ = (
        UniqueConstraint("practice_id", "attempt"),
        UniqueConstraint("user_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    attempt: Mapped[int]
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    answers: Mapped[dict[str, Any]]
    score: Mapped[float]
    max_score: Mapped[float]
    blanks: Mapped[dict[str, Any]]
    engine_version: Mapped[str] = mapped_column(String(20))
    exercise_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
