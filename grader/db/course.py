"""Courses, who is enrolled in them, and which exercises they offer."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grader.db.base import Base, utcnow
from grader.db.user import User


def new_course_secret() -> str:
    """The secret that seeds the course's variants."""
    return secrets.token_hex(32)


class Course(Base):
    """A course, named by its slug; its secret seeds every student's variants."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    secret: Mapped[str] = mapped_column(String(128), default=new_course_secret)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrolments: Mapped[list[Enrolment]] = relationship(back_populates="course")
    offered: Mapped[list[CourseExercise]] = relationship(back_populates="course")


class Enrolment(Base):
    """A user's place in a course, as a student or an instructor."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="student")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(back_populates="enrolments")
    user: Mapped[User] = relationship()


REVEAL_POLICIES = ("after_deadline", "after_last_attempt", "after_each_attempt", "never")


class CourseExercise(Base):
    """An exercise a course offers, with its attempt limit and deadline (none: unlimited),
    when its students see the expected values and the worked solution (``reveal``), whether a
    wrong answer offers hints and from which level on (``hints``, ``hint_from``), and the share
    of its points each attempt after the first loses (``penalty``)."""

    __tablename__ = "course_exercises"
    __table_args__ = (UniqueConstraint("course_id", "exercise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int | None]
    due_at: Mapped[datetime | None]
    opens_at: Mapped[datetime | None]
    points: Mapped[float | None]
    follow_through: Mapped[bool] = mapped_column(default=True, server_default=true())
    reveal: Mapped[str] = mapped_column(
        String(20), default="after_deadline", server_default="after_deadline"
    )
    hints: Mapped[bool] = mapped_column(default=True, server_default=true())
    hint_from: Mapped[int] = mapped_column(default=1, server_default="1")
    penalty: Mapped[float] = mapped_column(default=0.0, server_default="0")

    course: Mapped[Course] = relationship(back_populates="offered")
