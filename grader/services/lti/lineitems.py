"""The line item (the LMS gradebook's column) of a resource link: remembered, else found by its
tag and resource link id, else made, under the link row's lock so two deliveries never make
two; forgotten when the LMS says it is gone, to be found or made again."""

from __future__ import annotations

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException
from pylti1p3.lineitem import LineItem
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from grader.db import Exercise, LtiContext, LtiLink, LtiPlatform
from grader.services.lti.platforms import connector

SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
TAG = "backprop-grader"


def service(
    session: Session, platform: LtiPlatform, context: LtiContext, link_lineitem: str | None
):
    """``pylti1p3``'s client of the context's line items."""
    if not context.lineitems_url and not link_lineitem:
        raise LtiException("the platform named no line items endpoint in its launches")
    return AssignmentsGradesService(
        connector(session, platform), {"scope": SCOPES, "lineitems": context.lineitems_url}
    )


def find_or_make(session, ags, link_id: int, exercise: Exercise, worth: float) -> LineItem:
    """The link's line item: remembered, else found by tag and resource link id, else made;
    under the link row's lock, so two deliveries never make two."""
    link = session.scalar(select(LtiLink).where(LtiLink.id == link_id).with_for_update())
    if link.lineitem_url:
        session.rollback()
        return LineItem({"id": link.lineitem_url})
    wanted = (
        LineItem()
        .set_label(exercise.title or exercise.slug)
        .set_score_maximum(worth)
        .set_resource_id(exercise.slug)
        .set_resource_link_id(link.resource_link_id)
        .set_tag(TAG)
    )
    found = ags.find_or_create_lineitem(
        wanted,
        condition=lambda item: (
            item.get("tag") == TAG and item.get("resourceLinkId") == link.resource_link_id
        ),
    )
    link.lineitem_url = found.get_id()
    session.commit()
    return found


def status(exc: Exception) -> int | None:
    """The HTTP status of a failed service call, if it had one."""
    response = getattr(exc, "response", None)
    return response.status_code if isinstance(response, requests.Response) else None


def forget(session: Session, link_id: int, url: str | None) -> bool:
    """Forget the link's remembered line item (deleted in the LMS); False if none was."""
    forgotten = session.execute(
        update(LtiLink)
        .where(LtiLink.id == link_id, LtiLink.lineitem_url == url)
        .values(lineitem_url=None)
    ).rowcount
    session.commit()
    return bool(forgotten)
