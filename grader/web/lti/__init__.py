"""The LTI 1.3 tool's endpoints: the public key set, the OIDC login initiation, the launch,
deep linking; and the framing and cookie policy of the sessions a launch starts (``frame``).

A launch is authenticated by its id_token (signature, audience, expiry, a nonce used once, the
login's state), so it needs no CSRF token; anything refused shows a page that says why, and the
log says it too."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, jsonify, redirect, render_template, session, url_for
from flask_babel import gettext
from pylti1p3.exception import LtiException, OIDCException

from grader.extensions import db
from grader.services.errors import ServiceError
from grader.services.lti import keys
from grader.services.lti.launches import land
from grader.web import auth
from grader.web.lti import deep_link, frame, protocol, storage

log = logging.getLogger(__name__)

bp = Blueprint("lti", __name__, url_prefix="/lti")
bp.register_blueprint(deep_link.bp)


def signed_message(view):
    """Mark a view that a signed message authenticates instead of a CSRF token."""
    view.signed_message = True
    return view


def refused(reason: str, status: int = 403):
    """The page a refused launch shows (in the LMS's frame), and the log line."""
    log.warning("lti: refused a launch: %s", reason)
    page = render_template(
        "lti/refused.html", title=gettext("This launch was refused"), message=reason
    )
    return page, status


def explain(exc: Exception) -> str:
    """The library's reason, with what it means where it is terse."""
    reason = str(exc)
    if reason == "Registration not found.":
        return (
            "Registration not found: the id_token's issuer and audience (client id) match no "
            "platform registered here"
        )
    if reason == "Invalid Nonce.":
        return "Invalid Nonce: this id_token was used already (a replayed or reloaded launch)"
    if reason == "State not found":
        return "State not found: the launch did not come back to the browser that started it"
    return reason


@bp.get("/jwks.json")
def jwks():
    """The tool's public keys, for platforms to verify what it signs."""
    return jsonify(keys.public_key_set(db.session))


@bp.route("/login", methods=["GET", "POST"])
@signed_message
def login():
    """OIDC login initiation: the platform names itself and the user; back to it with a state
    and a nonce, which the launch must bring back."""
    try:
        return protocol.oidc_login().redirect(url_for("lti.launch", _external=True))
    except (LtiException, OIDCException) as exc:
        return refused(f"login initiation: {exc}", 400)


@bp.post("/launch")
@signed_message
def launch():
    """A launch: verify the id_token, link the user, the course and the resource link, log the
    user in, and show the exercise (a student) or its analytics (an instructor)."""
    try:
        message = protocol.message_launch()
        message.get_launch_data()
        facts = protocol.facts(message)
    except LtiException as exc:
        return refused(explain(exc))
    if message.is_deep_link_launch() and not facts.instructor:
        return refused("only an instructor adds the tool to a course")
    try:
        landing = land(db.session, facts)
    except ServiceError as exc:
        db.session.rollback()
        return refused(exc.message, exc.status)
    auth.start_session(landing.user)
    frame.mark_session(landing.platform, facts.return_url)
    if message.is_deep_link_launch():
        session[deep_link.LAUNCH_ID] = message.get_launch_id()
        return redirect(url_for("lti.deep_link.pick"))
    slug = landing.course.slug
    if landing.exercise is None:
        if landing.instructor:
            return redirect(url_for("instructor.courses.show", slug=slug))
        return refused(gettext("This link does not open an exercise: ask your instructor."), 404)
    exercise = landing.exercise.slug
    if landing.instructor:
        return redirect(url_for("instructor.analytics.show", slug=slug, exercise_slug=exercise))
    return redirect(url_for("student.exercise.show_page", slug=slug, exercise_slug=exercise))


def init_app(app: Flask) -> None:
    storage.init_app(app)
    frame.init_app(app)
    app.register_blueprint(bp)
