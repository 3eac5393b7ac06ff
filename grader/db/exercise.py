"""Exercises as loaded from their files or written in a course's editor; a change is a new
version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grader.db.base import Base, utcnow
from grader.exercises.texts import localized


class Exercise(Base):
    """An exercise id (``single-weight``) and the hash of its current file. One synced from the
    exercise files has no ``owner_course_id`` and is shared by every course; one written in a
    course's editor belongs to that course (and to those an admin shares it with)."""

    __tablename__ = "exercises"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    titles: Mapped[dict[str, Any] | None]
    current_hash: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    owner_course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )

    versions: Mapped[list[ExerciseVersion]] = relationship(back_populates="exercise")

    def title_in(self, lang: str | None) -> str:
        """The title in the reader's language (English, else the first given, if not there)."""
        return localized(self.titles or self.title, lang)


class ExerciseVersion(Base):
    """One version of an exercise file: its text, kept so old submissions can be explained, and
    who saved it in the editor (none for a synced file)."""

    __tablename__ = "exercise_versions"
    __table_args__ = (UniqueConstraint("exercise_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(200))
    blanks: Mapped[list[Any]]
    max_score: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    exercise: Mapped[Exercise] = relationship(back_populates="versions")


class ExerciseShare(Base):
    """A course's own exercise offered to another course too, as an admin decided."""

    __tablename__ = "exercise_shares"
    __table_args__ = (UniqueConstraint("exercise_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
