"""The framing and cookie policy of a session an LTI launch started: its pages may be framed by
the registered platforms (``frame-ancestors``), and over HTTPS its session cookie is
``SameSite=None; Secure`` so the LMS's iframe keeps it. Every other session keeps the site's
policy: no framing, ``SameSite=Lax``."""

from __future__ import annotations

from flask import Flask, g, request, session

from grader.extensions import db
from grader.services.lti import platforms

LTI_SESSION = "lti"


def mark_session() -> None:
    """Call after ``auth.start_session`` on a launch: this session lives in the LMS's frame."""
    session[LTI_SESSION] = True
    _apply()


def _apply() -> None:
    g.lti_session = True
    g.csp_sources = {"frame-ancestors": ["'self'", *platforms.origins(db.session)]}


def allow_form_action(origin: str) -> None:
    """Let this response's form post to ``origin`` (a deep linking reply to the platform)."""
    sources = g.setdefault("csp_sources", {})
    sources.setdefault("form-action", ["'self'"]).append(origin)


def before_request() -> None:
    if request.endpoint == "static":
        return
    if session.get(LTI_SESSION):
        _apply()
    elif request.blueprint and request.blueprint.split(".")[0] == "lti":
        g.csp_sources = {"frame-ancestors": ["'self'", *platforms.origins(db.session)]}


def init_app(app: Flask) -> None:
    app.before_request(before_request)
