"""LTI 1.3: who and what a platform's launches are here (accounts, courses, resource links),
and the outbox of scores to send back to its gradebook."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from grader.db.base import Base, utcnow
from grader.db.lti_platform import URL

PASSBACK_STATUSES = ("waiting", "sending", "sent", "failed")


class LtiAccount(Base):
    """A platform's user (its ``sub``) linked to an account here."""

    __tablename__ = "lti_accounts"
    __table_args__ = (UniqueConstraint("platform_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiContext(Base):
    """A platform's course (its context) linked to a course here, with the service endpoints
    its launches named: line items (AGS) and the roster (NRPS)."""

    __tablename__ = "lti_contexts"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    lineitems_url: Mapped[str | None] = mapped_column(URL)
    memberships_url: Mapped[str | None] = mapped_column(URL)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiLink(Base):
    """A resource link placed in the platform's course, opening one exercise, with the line
    item its scores go to (found by its tag, or made, on the first passback)."""

    __tablename__ = "lti_links"
    __table_args__ = (
        UniqueConstraint("context_id", "resource_link_id"),
        Index("ix_lti_links_course_id_exercise_id", "course_id", "exercise_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_contexts.id", ondelete="CASCADE"))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    lineitem_url: Mapped[str | None] = mapped_column(URL)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiPassback(Base):
    """The outbox: one row per (link, account), written with the result that may have changed
    the student's score (``changed_at``, bumping ``version``), claimed (``sending``) and sent by
    a task; ``sent_version`` says which change the platform holds (``grader.services.lti.passback``
    draws the states)."""

    __tablename__ = "lti_passbacks"
    __table_args__ = (
        UniqueConstraint("link_id", "account_id"),
        Index("ix_lti_passbacks_status_changed_at", "status", "changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("lti_links.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("lti_accounts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    version: Mapped[int] = mapped_column(default=1)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_version: Mapped[int] = mapped_column(default=0)
    sent_score: Mapped[float | None]
    sent_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    tries: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
