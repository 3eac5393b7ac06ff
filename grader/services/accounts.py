"""Users, courses and enrolments: who may do what where."""

from __future__ import annotations

import logging
import re
import secrets
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from grader.db import Course, Enrolment, User
from grader.db.user import ROLES
from grader.services.errors import Forbidden, Invalid, NotFound
from grader.services.tokens import (  # noqa: F401  (accounts hand out tokens too)
    issue_token,
    user_for_token,
)

log = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def add_user(
    session: Session,
    email: str,
    role: str = "student",
    password: str | None = None,
    course_slug: str | None = None,
    name: str = "",
) -> User:
    """Create the user (or update role and password), enrol them in the course, creating it."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise Invalid(f"'{email}' is not an email address")
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    user = session.scalar(select(User).filter_by(email=email))
    if user is None:
        user = User(email=email, role=role, name=name)
        session.add(user)
    user.role = role
    if name:
        user.name = name
    if password:
        user.set_password(password)
    session.flush()
    if course_slug:
        enrol(session, user, get_or_create_course(session, course_slug), role)
    return user


def get_or_create_course(session: Session, slug: str, title: str = "") -> Course:
    """The course with this slug, created (with a fresh variant secret) if new."""
    if not SLUG.match(slug):
        raise Invalid(f"'{slug}' is not a course slug (lowercase letters, digits and -)")
    course = session.scalar(select(Course).filter_by(slug=slug))
    if course is None:
        course = Course(slug=slug, title=title or slug)
        session.add(course)
        session.flush()
    return course


def enrol(session: Session, user: User, course: Course, role: str = "student") -> Enrolment:
    """Put the user in the course; admins and instructors are enrolled as instructors."""
    as_role = "instructor" if role in ("instructor", "admin") else "student"
    enrolment = session.scalar(select(Enrolment).filter_by(course_id=course.id, user_id=user.id))
    if enrolment is None:
        enrolment = Enrolment(course=course, user=user, role=as_role)
        session.add(enrolment)
    enrolment.role = as_role
    session.flush()
    return enrolment


@cache
def _stand_in_hash() -> str:
    """A hash made the same way as users' (once per process), checked when there is no user's
    own to check: an unknown address then takes as long as a wrong password."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user if the password is theirs, in about the same time whether the email is known
    or not."""
    user = session.scalar(select(User).filter_by(email=email.strip().lower()))
    if user is None or not user.password_hash:
        check_password_hash(_stand_in_hash(), password)
        return None
    return user if user.check_password(password) else None


def course_of(session: Session, user: User, slug: str | None) -> Course:
    """The course a request is about: the one named, else the user's only course."""
    query = select(Course).join(Enrolment).where(Enrolment.user_id == user.id)
    if slug is not None:
        course = session.scalar(query.where(Course.slug == slug))
        if course is None and user.role == "admin":
            course = session.scalar(select(Course).filter_by(slug=slug))
        if course is None:
            log.warning("refused course %r to %s: not enrolled", slug[:100], user.email)
            raise NotFound(f"no course '{slug}' among yours")
        return course
    courses = session.scalars(query.limit(2)).all()
    if not courses:
        raise NotFound("you are not enrolled in any course")
    if len(courses) > 1:
        raise Invalid("you are in several courses: say which with 'course'")
    return courses[0]


def teaches(session: Session, user: User, course: Course) -> bool:
    """True for the course's instructors and for admins."""
    if user.role == "admin":
        return True
    role = session.scalar(select(Enrolment.role).filter_by(course_id=course.id, user_id=user.id))
    return role == "instructor"


def course_taught(session: Session, user: User, slug: str) -> Course:
    """A course the user teaches, or 404 (so courses are not revealed to others; logged)."""
    course = session.scalar(select(Course).filter_by(slug=slug))
    if course is None or not teaches(session, user, course):
        log.warning("refused course %r to %s: not one they teach", slug[:100], user.email)
        raise NotFound(f"no course '{slug}' that you teach")
    return course


def require_staff(user: User) -> None:
    if not user.is_staff:
        raise Forbidden("only instructors may do this")
