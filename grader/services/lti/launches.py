"""What a verified launch means here: the platform's user linked to an account, its course
(context) to a course, created on the first instructor launch, its roles to a role in the
course, its resource link to an exercise; and where the user lands."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.db import Course, Exercise, LtiAccount, LtiContext, LtiLink, LtiPlatform, User
from grader.services import accounts
from grader.services.errors import Forbidden, Invalid, NotFound
from grader.services.exercises import visible_in

log = logging.getLogger(__name__)

NOT_A_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Launch:
    """The facts of a verified launch that matter here (read from its id_token)."""

    issuer: str
    client_id: str
    sub: str
    email: str | None
    name: str
    instructor: bool
    context_id: str
    context_title: str
    resource_link_id: str | None
    exercise: str | None  # the ``exercise`` custom parameter a deep link put on the link
    lineitems_url: str | None = None
    lineitem_url: str | None = None
    memberships_url: str | None = None
    return_url: str | None = None  # the launch presentation's: a page of the LMS


@dataclass(frozen=True)
class Landing:
    """Who the launch logged in, in which course, and the exercise its link opens (if any)."""

    user: User
    course: Course
    instructor: bool
    exercise: Exercise | None
    platform: LtiPlatform


def platform_of(session: Session, launch: Launch) -> LtiPlatform:
    platform = session.scalar(
        select(LtiPlatform).filter_by(issuer=launch.issuer, client_id=launch.client_id)
    )
    if platform is None:
        raise NotFound(f"the platform {launch.issuer} is not registered here")
    return platform


def land(session: Session, launch: Launch) -> Landing:
    """Link the launch's user, course and resource link (committed); where it lands."""
    platform = platform_of(session, launch)
    user = link_account(session, platform, launch.sub, launch.email, launch.name)
    context = _context(session, platform, launch, user)
    course = session.get(Course, context.course_id)
    accounts.enrol(session, user, course, "instructor" if launch.instructor else "student")
    exercise = _resource_link(session, context, launch)
    session.commit()
    log.info(
        "lti launch: %s (%s) in %s as %s",
        user.email,
        launch.sub[:64],
        course.slug,
        "instructor" if launch.instructor else "student",
    )
    return Landing(user, course, launch.instructor, exercise, platform)


def course_of(session: Session, launch: Launch) -> Course | None:
    """The course a launch's context is linked to, if any."""
    return session.scalar(
        select(Course)
        .join(LtiContext, LtiContext.course_id == Course.id)
        .join(LtiPlatform, LtiPlatform.id == LtiContext.platform_id)
        .where(
            LtiPlatform.issuer == launch.issuer,
            LtiPlatform.client_id == launch.client_id,
            LtiContext.context_id == launch.context_id,
        )
    )


def link_account(
    session: Session, platform: LtiPlatform, sub: str, email: str | None, name: str = ""
) -> User:
    """The account this platform user is linked to: found by the platform and ``sub``; else the
    student account with their email (never an instructor's or an admin's), else a new one."""
    account = session.scalar(select(LtiAccount).filter_by(platform_id=platform.id, sub=sub))
    if account is not None:
        user = session.get(User, account.user_id)
        if name and not user.name:
            user.name = name[:200]
        return user
    email = (email or "").strip().lower()
    user = None
    if email and accounts.EMAIL.match(email):
        user = session.scalar(select(User).filter_by(email=email))
        if user is not None and user.role != "student":
            user = None  # a staff account is never taken over by an LMS's word for its email
    if user is None:
        if not email or session.scalar(select(User.id).filter_by(email=email)) is not None:
            digest = hashlib.sha256(f"{platform.id}:{sub}".encode()).hexdigest()[:16]
            email = f"lti-{platform.id}-{digest}@lti.invalid"
        user = User(email=email, role="student", name=name[:200])
        session.add(user)
        session.flush()
    session.add(LtiAccount(platform_id=platform.id, sub=sub, user_id=user.id))
    session.flush()
    return user


def _context(session: Session, platform: LtiPlatform, launch: Launch, user: User) -> LtiContext:
    context = session.scalar(
        select(LtiContext).filter_by(platform_id=platform.id, context_id=launch.context_id)
    )
    if context is None:
        if not launch.instructor:
            raise Forbidden(
                "this course has not been set up here yet: your instructor opens it first"
            )
        course = Course(slug=_new_slug(session, launch), title=launch.context_title[:200])
        session.add(course)
        session.flush()
        context = LtiContext(
            platform_id=platform.id, context_id=launch.context_id, course_id=course.id
        )
        session.add(context)
        log.info(
            "lti: course %s made for %s's context %s",
            course.slug,
            platform.issuer,
            launch.context_id[:64],
        )
    context.lineitems_url = launch.lineitems_url or context.lineitems_url
    context.memberships_url = launch.memberships_url or context.memberships_url
    session.flush()
    return context


def _new_slug(session: Session, launch: Launch) -> str:
    base = NOT_A_WORD.sub("-", launch.context_title.lower()).strip("-")[:40] or "lms-course"
    digest = hashlib.sha256(f"{launch.issuer}|{launch.context_id}".encode()).hexdigest()
    for length in (6, 12, 24):
        slug = f"{base}-{digest[:length]}"
        if session.scalar(select(Course.id).filter_by(slug=slug)) is None:
            return slug
    raise Invalid("could not name the course")


def _resource_link(session: Session, context: LtiContext, launch: Launch) -> Exercise | None:
    if not launch.resource_link_id:
        return None
    link = session.scalar(
        select(LtiLink).filter_by(context_id=context.id, resource_link_id=launch.resource_link_id)
    )
    if link is None:
        if not launch.exercise:
            return None
        exercise = session.scalar(
            select(Exercise)
            .filter_by(slug=launch.exercise, active=True)
            .where(visible_in(context.course_id))
        )
        if exercise is None:
            raise NotFound(
                f"the link opens the exercise '{launch.exercise[:64]}', which is not here"
            )
        link = LtiLink(
            context_id=context.id,
            resource_link_id=launch.resource_link_id,
            course_id=context.course_id,
            exercise_id=exercise.id,
        )
        session.add(link)
    if launch.lineitem_url and not link.lineitem_url:
        link.lineitem_url = launch.lineitem_url
    session.flush()
    return session.get(Exercise, link.exercise_id)
