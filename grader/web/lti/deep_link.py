"""Deep linking: the instructor who adds the tool in the LMS picks an exercise here; the tool
answers the LMS with a signed resource link (and its line item) to place in the course."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user
from pylti1p3.exception import LtiException

from grader.extensions import db
from grader.services import accounts
from grader.services.errors import NotFound
from grader.services.lti import deep_links, launches
from grader.web.lti import frame, protocol

bp = Blueprint("deep_link", __name__, url_prefix="/deep-link")
LAUNCH_ID = "lti_launch_id"


def _launch_and_course():
    """The deep linking request this session was launched with, and its course here."""
    launch_id = session.get(LAUNCH_ID)
    if not launch_id or not current_user.is_authenticated:
        return None, None
    try:
        launch = protocol.restored(launch_id)
    except LtiException:
        return None, None
    if not launch.is_deep_link_launch():
        return None, None
    course = launches.course_of(db.session, protocol.facts(launch))
    if course is None or not accounts.teaches(db.session, current_user, course):
        return None, None
    return launch, course


def _expired():
    message = gettext(
        "This page is for adding an exercise from your LMS: start from the LMS again."
    )
    page = render_template("lti/refused.html", title=gettext("Nothing to add"), message=message)
    return page, 403


@bp.get("/")
def pick():
    """The exercises of the course, one to choose."""
    launch, course = _launch_and_course()
    if launch is None:
        return _expired()
    return render_template(
        "lti/pick.html", course=course, choices=deep_links.choices(db.session, course)
    )


@bp.post("/")
def choose():
    """Answer the LMS with the chosen exercise as a signed resource link."""
    launch, course = _launch_and_course()
    if launch is None:
        return _expired()
    try:
        resource = deep_links.resource(
            db.session,
            course,
            request.form.get("exercise", ""),
            url_for("lti.launch", _external=True),
        )
    except NotFound as exc:
        return render_template(
            "lti/pick.html",
            course=course,
            choices=deep_links.choices(db.session, course),
            error=exc.message,
        ), 422
    deep_link = launch.get_deep_link()
    token = deep_link.get_response_jwt([resource])
    return_url = launch.get_launch_data()[protocol.DEEP_LINKING]["deep_link_return_url"]
    session.pop(LAUNCH_ID, None)
    frame.allow_form_action(_origin(return_url))
    return render_template("lti/deep_link_return.html", return_url=return_url, token=token)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
