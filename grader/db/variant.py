"""Variants: one student's drawn values for one exercise version, with the reference answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from grader.db.base import Base, utcnow


class StudentVariant(Base):
    """The given and params values a student is graded against, and the expected blanks."""

    __tablename__ = "variants"
    __table_args__ = (UniqueConstraint("course_id", "user_id", "exercise_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    exercise_version_id: Mapped[int] = mapped_column(
        ForeignKey("exercise_versions.id", ondelete="CASCADE"), index=True
    )
    values: Mapped[dict[str, Any]]
    reference: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
