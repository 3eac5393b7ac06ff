"""Names and Role Provisioning: the course's roster read from the LMS, each member linked to
an account and enrolled with the role the LMS gives them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import requests
from pylti1p3.exception import LtiException
from pylti1p3.names_roles import NamesRolesProvisioningService
from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.db import Course, Enrolment, LtiContext, LtiPlatform
from grader.services import accounts
from grader.services.errors import Invalid, ServiceError
from grader.services.lti.launches import link_account
from grader.services.lti.platforms import connector

log = logging.getLogger(__name__)

MAX_MEMBERS = 5000
TEACHING = ("#Instructor", "#Administrator", "#TeachingAssistant", "#ContentDeveloper")


class RosterUnavailable(ServiceError):
    status = 502
    code = "lms_unavailable"


@dataclass
class SyncReport:
    """What a sync did: members enrolled anew, already there, and left out (with why)."""

    added: list[str] = field(default_factory=list)
    kept: int = 0
    skipped: list[str] = field(default_factory=list)


def teaching(roles: list[str]) -> bool:
    """Whether LTI roles (full URIs or short names) make a member one of the course's staff."""
    return any(
        role.endswith(suffix) or f"#{role}" == suffix for role in roles for suffix in TEACHING
    )


def sync(session: Session, course: Course) -> SyncReport:
    """Enrol the course's LMS members (committed); refused when no launch named a roster."""
    context = session.scalar(
        select(LtiContext)
        .where(LtiContext.course_id == course.id, LtiContext.memberships_url.is_not(None))
        .order_by(LtiContext.id)
        .limit(1)
    )
    if context is None:
        raise Invalid("no launch from an LMS has named this course's roster service yet")
    platform = session.get(LtiPlatform, context.platform_id)
    service = NamesRolesProvisioningService(
        connector(session, platform), {"context_memberships_url": context.memberships_url}
    )
    try:
        members = service.get_members()
    except (LtiException, requests.RequestException) as exc:
        log.warning("lti: roster of %s from %s: %s", course.slug, platform.issuer, exc)
        raise RosterUnavailable(f"the LMS did not give the roster: {exc}") from exc
    report = SyncReport()
    for member in members[:MAX_MEMBERS]:
        sub = str(member.get("user_id") or "")
        if not sub or member.get("status", "Active") != "Active":
            report.skipped.append(f"{member.get('name') or sub or '?'}: not active")
            continue
        user = link_account(session, platform, sub, member.get("email"), member.get("name") or "")
        known = session.scalar(select(Enrolment.id).filter_by(course_id=course.id, user_id=user.id))
        accounts.enrol(
            session, user, course, "instructor" if teaching(member.get("roles", [])) else "student"
        )
        if known is None:
            report.added.append(user.email)
        else:
            report.kept += 1
    if len(members) > MAX_MEMBERS:
        report.skipped.append(f"{len(members) - MAX_MEMBERS} members past the first {MAX_MEMBERS}")
    session.commit()
    log.info(
        "lti: roster of %s synced: %d added, %d kept", course.slug, len(report.added), report.kept
    )
    return report
