"""A course's roster: import students from CSV (bad rows reported by line, good rows kept) and
enrol instructors."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.db import Course, Enrolment, User
from grader.services import accounts
from grader.services.errors import Invalid

MAX_NAME = 200
MAX_ROWS = 5000
PASSWORD_BYTES = 9


@dataclass(frozen=True)
class NewAccount:
    """An account the import created, with its first password (shown once, never stored)."""

    email: str
    name: str
    password: str


@dataclass
class RosterReport:
    """What an import did: accounts created, existing accounts enrolled, rows refused by line."""

    created: list[NewAccount] = field(default_factory=list)
    enrolled: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return len(self.created) + len(self.enrolled) + len(self.unchanged)


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def import_roster(session: Session, course: Course, text: str) -> RosterReport:
    """Enrol every good row of ``email,name`` CSV (a header row is optional) as a student.

    New addresses get an account with a fresh password; a row that cannot be used is reported
    with its line number and the reason, and the other rows are still imported.
    """
    report = RosterReport()
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    email_at, name_at = 0, 1
    seen: dict[str, int] = {}
    first = True
    for row in reader:
        line = reader.line_num
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if first:
            first = False
            header = [cell.lower() for cell in cells]
            if "email" in header:
                email_at = header.index("email")
                name_at = header.index("name") if "name" in header else None
                continue
        if len(seen) + len(report.errors) >= MAX_ROWS:
            report.errors.append((line, f"stopped: at most {MAX_ROWS} rows per import"))
            break
        email = cells[email_at].lower() if email_at < len(cells) else ""
        name = cells[name_at] if name_at is not None and name_at < len(cells) else ""
        problem = _problem(email, name, seen)
        if problem is None:
            problem = _enrol_row(session, course, email, name, report)
        if problem is not None:
            report.errors.append((line, problem))
        else:
            seen[email] = line
    session.commit()
    return report


def _problem(email: str, name: str, seen: dict[str, int]) -> str | None:
    if not email:
        return "no email address"
    if not accounts.EMAIL.match(email) or len(email) > 254:
        return f"'{email}' is not an email address"
    if email in seen:
        return f"{email} is already on line {seen[email]}"
    if len(name) > MAX_NAME:
        return f"the name is longer than {MAX_NAME} characters"
    return None


def _enrol_row(
    session: Session, course: Course, email: str, name: str, report: RosterReport
) -> str | None:
    user = session.scalar(select(User).filter_by(email=email))
    if user is None:
        password = new_password()
        accounts.add_user(session, email, "student", password, course.slug, name)
        report.created.append(NewAccount(email, name, password))
        return None
    role = session.scalar(select(Enrolment.role).filter_by(course_id=course.id, user_id=user.id))
    if role == "instructor":
        return f"{email} teaches this course"
    if name and not user.name:
        user.name = name
    if role == "student":
        report.unchanged.append(email)
        return None
    session.add(Enrolment(course_id=course.id, user_id=user.id, role="student"))
    session.flush()
    report.enrolled.append(email)
    return None


def enrol_instructor(
    session: Session, course: Course, email: str, name: str = ""
) -> NewAccount | None:
    """Make ``email`` an instructor of this course (of no other: their global role stays as it
    is, and a new account's is ``student``); a new account comes back with its password."""
    email = email.strip().lower()
    if not accounts.EMAIL.match(email):
        raise Invalid(f"'{email}' is not an email address")
    user = session.scalar(select(User).filter_by(email=email))
    created = None
    if user is None:
        created = NewAccount(email, name.strip(), new_password())
        user = accounts.add_user(session, email, "student", created.password, name=name.strip())
    accounts.enrol(session, user, course, "instructor")
    session.commit()
    return created


def members(session: Session, course: Course) -> list[tuple[User, str]]:
    """Everyone in the course with their role there, instructors first, then by email."""
    return [
        (user, role)
        for user, role in session.execute(
            select(User, Enrolment.role)
            .join(Enrolment, Enrolment.user_id == User.id)
            .where(Enrolment.course_id == course.id)
            .order_by(Enrolment.role, User.email)
        )
    ]
