"""Accounts: users with a role and a hashed password, and their bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from grader.db.base import Base, utcnow

if TYPE_CHECKING:
    from grader.db.course import Enrolment

ROLES = ("student", "instructor", "admin")
TOKEN_LIFETIME = timedelta(days=90)


class User(UserMixin, Base):
    """A person who logs in. ``role`` is global: an instructor may create courses, an admin
    reaches every course; what a user does in a course is their enrolment's role there."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default="student")
    password_hash: Mapped[str | None] = mapped_column(String(300))
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")
    enrolments: Mapped[list[Enrolment]] = relationship(viewonly=True)

    def set_password(self, password: str) -> None:
        """Set a new password; a changed one ends the user's sessions."""
        if self.password_hash:
            self.end_sessions()
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Make every session cookie issued so far stop working (logout, a new password, an
        admin's "log out everywhere")."""
        self.session_version = (self.session_version or 0) + 1

    def get_id(self) -> str:
        """What the session cookie keeps: the id and the session version it was issued for."""
        return f"{self.id}.{self.session_version or 0}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        """Whether the teaching dashboard is theirs: instructors and admins by global role, and
        whoever teaches a course."""
        if self.role in ("instructor", "admin"):
            return True
        return any(enrolment.role == "instructor" for enrolment in self.enrolments)


def hash_token(token: str) -> str:
    """The stored form of a bearer token: its SHA-256, so a database leak reveals none."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(Base):
    """A bearer token for scripts; only its hash is kept. It works until it expires or is
    revoked."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

    @classmethod
    def issue(
        cls, user: User, lifetime: timedelta = TOKEN_LIFETIME, name: str = ""
    ) -> tuple[ApiToken, str]:
        """A new token row for ``user`` and the token itself, shown once."""
        token = "gr_" + secrets.token_urlsafe(32)
        now = utcnow()
        row = cls(
            user=user,
            token_hash=hash_token(token),
            name=name,
            created_at=now,
            expires_at=now + lifetime,
        )
        return row, token
