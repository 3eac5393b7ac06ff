"""Registering platforms (``grader lti add-platform``), and the registry ``pylti1p3`` reads them
from (a tool config over the database, with the tool's key pair)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from pylti1p3.contrib.flask import FlaskServiceConnector
from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.db import LtiPlatform
from grader.services.errors import Conflict, Invalid, NotFound
from grader.services.lti.keys import tool_key

MAX_FIELD = 255
MAX_URL = 1000
HTTP_TIMEOUT = 15  # seconds a call to a platform's service may take


@dataclass(frozen=True)
class PlatformFields:
    """What an LMS's administrator copies from the LMS's page for the tool."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    deployment_ids: tuple[str, ...]


def _url(name: str, value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(value) > MAX_URL:
        raise Invalid(f"--{name} must be an http(s) URL of at most {MAX_URL} characters: {value!r}")
    return value


def _text(name: str, value: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_FIELD:
        raise Invalid(f"--{name} must be 1 to {MAX_FIELD} characters: {value!r}")
    return value


def add_platform(session: Session, fields: PlatformFields) -> LtiPlatform:
    """Register a platform (refused: a bad field, or the same issuer and client id twice)."""
    issuer = _text("issuer", fields.issuer)
    client_id = _text("client-id", fields.client_id)
    deployments = [_text("deployment-id", d) for d in fields.deployment_ids]
    if not deployments:
        raise Invalid("give at least one --deployment-id (the LMS shows it beside the client id)")
    if find(session, issuer, client_id) is not None:
        raise Conflict(f"the platform {issuer} with client id {client_id} is registered already")
    platform = LtiPlatform(
        issuer=issuer,
        client_id=client_id,
        auth_login_url=_url("auth-login-url", fields.auth_login_url),
        auth_token_url=_url("auth-token-url", fields.auth_token_url),
        key_set_url=_url("key-set-url", fields.key_set_url),
        deployment_ids=sorted(set(deployments)),
    )
    session.add(platform)
    session.commit()
    tool_key(session)
    return platform


def find(session: Session, issuer: str, client_id: str | None = None) -> LtiPlatform | None:
    """The platform of this issuer (and client id, when given: an issuer may have several)."""
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer).order_by(LtiPlatform.id)
    if client_id is not None:
        query = query.where(LtiPlatform.client_id == client_id)
    return session.scalars(query.limit(1)).first()


def listed(session: Session) -> list[LtiPlatform]:
    return list(session.scalars(select(LtiPlatform).order_by(LtiPlatform.id)))


def remove(session: Session, platform_id: int) -> LtiPlatform:
    """Forget a platform and everything its launches linked (accounts and courses stay)."""
    platform = session.get(LtiPlatform, platform_id)
    if platform is None:
        raise NotFound(f"no platform number {platform_id} (see `grader lti list`)")
    session.delete(platform)
    session.commit()
    return platform


def origin(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, else None."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def origins(session: Session, platform: LtiPlatform | None = None) -> list[str]:
    """The web origins of the registered platforms (or of one), from their issuer and login
    URLs: who may frame the tool."""
    query = select(LtiPlatform.issuer, LtiPlatform.auth_login_url)
    if platform is not None:
        query = query.where(LtiPlatform.id == platform.id)
    found = {origin(url) for row in session.execute(query) for url in row}
    return sorted(found - {None})


class ToolConf(ToolConfAbstract):
    """``pylti1p3``'s registry of platforms, read from the database on each look-up."""

    def __init__(self, session: Session):
        super().__init__()
        self.session = session
        self.issuers_relation_types = _ManyClients()

    def _registration(self, platform: LtiPlatform | None) -> Registration | None:
        if platform is None:
            return None
        key = tool_key(self.session)
        return (
            Registration()
            .set_issuer(platform.issuer)
            .set_client_id(platform.client_id)
            .set_auth_login_url(platform.auth_login_url)
            .set_auth_token_url(platform.auth_token_url)
            .set_key_set_url(platform.key_set_url)
            .set_tool_private_key(key.private_pem)
            .set_tool_public_key(key.public_pem)
        )

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        return self._registration(find(self.session, iss))

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        return self._registration(find(self.session, iss, client_id))

    def find_deployment(self, iss, deployment_id):
        return self._deployment(find(self.session, iss), deployment_id)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        return self._deployment(find(self.session, iss, client_id), deployment_id)

    @staticmethod
    def _deployment(platform: LtiPlatform | None, deployment_id: str) -> Deployment | None:
        if platform is None or deployment_id not in platform.deployment_ids:
            return None
        return Deployment().set_deployment_id(deployment_id)


class _ManyClients(dict):
    """Every issuer may have several client ids: look-ups go by issuer and client id."""

    def get(self, key, default=None):
        return "one-issuer-many-client-ids"


def connector(session: Session, platform: LtiPlatform) -> FlaskServiceConnector:
    """``pylti1p3``'s client of the platform's services (access tokens cached per issuer and
    scopes until they expire), its calls bounded by ``HTTP_TIMEOUT``."""
    registration = ToolConf(session).find_registration_by_params(
        platform.issuer, platform.client_id
    )
    return FlaskServiceConnector(registration, requests_session=_TimedSession())


class _TimedSession(requests.Session):
    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return super().request(*args, **kwargs)
