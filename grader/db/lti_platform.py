"""LTI 1.3: the tool's own key pair and the platforms (LMSs) registered to launch it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from grader.db.base import Base, utcnow

URL = String(1000)


class LtiKey(Base):
    """The tool's RSA key pair, made once: the private key signs the tool's messages and never
    leaves the database; the public one is served at ``/lti/jwks.json``."""

    __tablename__ = "lti_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiPlatform(Base):
    """A platform registered with ``grader lti add-platform``: its issuer, the client id it gave
    the tool, its endpoints, and the deployments it may launch from."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(URL)
    auth_token_url: Mapped[str] = mapped_column(URL)
    key_set_url: Mapped[str] = mapped_column(URL)
    deployment_ids: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
