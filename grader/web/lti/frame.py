"""The framing and cookie policy of a session an LTI launch started: its pages may be framed by
the platform that launched it (``frame-ancestors``: the origins of its issuer and login URL,
and the page the verified launch was posted from, as an LMS's own domain may differ from its
issuer's), and over HTTPS its session cookie is ``SameSite=None; Secure`` so the LMS's iframe
keeps it. Every other session keeps the site's policy: no framing, ``SameSite=Lax``."""

from __future__ import annotations

from flask import Flask, g, request, session

from grader.extensions import db
from grader.services.lti import platforms

LTI_SESSION = "lti"  # the origins that may frame the session's pages
MAX_ORIGINS = 8


def mark_session(platform, *urls: str | None) -> None:
    """Call after ``auth.start_session`` on a verified launch: this session lives in the frame
    of ``platform``'s pages (and of the origins of ``urls``, the launch's own)."""
    allowed = platforms.origins(db.session, platform)
    for url in (request.headers.get("Origin"), *urls):
        found = platforms.origin(url)
        if found and found not in allowed:
            allowed.append(found)
    session[LTI_SESSION] = allowed[:MAX_ORIGINS]
    _apply(session[LTI_SESSION])


def _apply(allowed: list[str]) -> None:
    g.lti_session = True
    g.csp_sources = {"frame-ancestors": ["'self'", *allowed]}


def allow_form_action(origin: str) -> None:
    """Let this response's form post to ``origin`` (a deep linking reply to the platform)."""
    sources = g.setdefault("csp_sources", {})
    sources.setdefault("form-action", ["'self'"]).append(origin)


def before_request() -> None:
    if request.endpoint == "static":
        return
    allowed = session.get(LTI_SESSION)
    if isinstance(allowed, list):
        _apply(allowed)
    elif request.blueprint and request.blueprint.split(".")[0] == "lti":
        # a refusal shows in the LMS's frame; it has nothing to click
        g.csp_sources = {"frame-ancestors": ["'self'", *platforms.origins(db.session)]}


def init_app(app: Flask) -> None:
    app.before_request(before_request)
