"""The ``pylti1p3`` objects a request needs, built over the database's registry and the app's
cache, and the facts of a verified launch read from its id_token."""

from __future__ import annotations

from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest

from grader.extensions import db
from grader.services.lti.launches import Launch
from grader.services.lti.platforms import ToolConf
from grader.web.lti.storage import OnceSessionService, storage

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
LAUNCH_LIFETIME = 6 * 3600  # a deep linking picker stays usable this long


def oidc_login() -> FlaskOIDCLogin:
    request = FlaskRequest()
    return FlaskOIDCLogin(
        request,
        ToolConf(db.session),
        session_service=OnceSessionService(request),
        launch_data_storage=storage(),
    )


def message_launch() -> FlaskMessageLaunch:
    request = FlaskRequest()
    launch = FlaskMessageLaunch(
        request,
        ToolConf(db.session),
        session_service=OnceSessionService(request),
        launch_data_storage=storage(),
    )
    return launch.set_launch_data_lifetime(LAUNCH_LIFETIME)


def restored(launch_id: str) -> FlaskMessageLaunch:
    """A launch verified earlier (a deep linking request), by the id kept in the session."""
    request = FlaskRequest()
    return FlaskMessageLaunch.from_cache(
        launch_id,
        request,
        ToolConf(db.session),
        session_service=OnceSessionService(request),
        launch_data_storage=storage(),
    )


def facts(launch: FlaskMessageLaunch) -> Launch:
    """What matters here in a verified launch's claims."""
    data = launch.get_launch_data()
    context = data.get(CLAIM + "context") or {}
    link = data.get(CLAIM + "resource_link") or {}
    custom = data.get(CLAIM + "custom") or {}
    ags = data.get(AGS) or {}
    nrps = data.get(NRPS) or {}
    aud = data.get("aud")
    return Launch(
        issuer=str(data["iss"]),
        client_id=str(aud[0] if isinstance(aud, list) else aud),
        sub=str(data.get("sub") or ""),
        email=data.get("email"),
        name=str(data.get("name") or data.get("given_name") or "")[:200],
        instructor=bool(
            launch.check_teacher_access()
            or launch.check_teaching_assistant_access()
            or launch.check_designer_access()
        ),
        context_id=str(context.get("id") or ""),
        context_title=str(context.get("title") or context.get("label") or "LMS course"),
        resource_link_id=str(link["id"]) if link.get("id") else None,
        exercise=str(custom["exercise"])
        if isinstance(custom, dict) and custom.get("exercise")
        else None,
        lineitems_url=ags.get("lineitems"),
        lineitem_url=ags.get("lineitem"),
        memberships_url=nrps.get("context_memberships_url"),
        return_url=(data.get(CLAIM + "launch_presentation") or {}).get("return_url"),
    )
