"""Bearer tokens: issued with a name and a lifetime, listed, revoked; only their hash is kept."""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import Enum
from typing import NamedTuple

from sqlalchemy import String, bindparam, select
from sqlalchemy.orm import Session

from grader.db import ApiToken, User, hash_token, utcnow
from grader.db.user import TOKEN_LIFETIME
from grader.services.errors import Invalid, NotFound

log = logging.getLogger(__name__)

MAX_NAME = 100


class TokenState(Enum):
    """What a presented bearer token is worth."""

    VALID = "valid"
    UNKNOWN = "token_unknown"
    EXPIRED = "token_expired"
    REVOKED = "token_revoked"


class Bearer(NamedTuple):
    """A presented token's user (None unless valid) and its state."""

    user: User | None
    state: TokenState


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).filter_by(email=email.strip().lower()))
    if user is None:
        raise NotFound(f"no user '{email}'")
    return user


def issue_token(
    session: Session, email: str, lifetime: timedelta = TOKEN_LIFETIME, name: str = ""
) -> str:
    """A new bearer token for the user, good for ``lifetime``; only its hash is stored."""
    if lifetime <= timedelta(0):
        raise Invalid("a token's lifetime must be positive")
    if len(name) > MAX_NAME:
        raise Invalid(f"a token's name is at most {MAX_NAME} characters")
    row, token = ApiToken.issue(_user(session, email), lifetime, name)
    session.add(row)
    session.flush()
    return token


def tokens_of(session: Session, email: str) -> list[dict]:
    """The user's tokens, oldest first, as ``{id, name, created_at, expires_at, revoked_at}``."""
    user = _user(session, email)
    rows = session.scalars(select(ApiToken).filter_by(user_id=user.id).order_by(ApiToken.id))
    return [
        {
            "id": row.id,
            "name": row.name,
            "created_at": row.created_at.isoformat(),
            "expires_at": row.expires_at.isoformat(),
            "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        }
        for row in rows
    ]


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Revoke the token (from now on the API answers ``401 token_revoked``); revoking one
    already revoked keeps its first date."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    session.flush()
    return row


def revoke_all(session: Session, user: User) -> int:
    """Revoke every token of the user still in force; how many."""
    now = utcnow()
    rows = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
    session.flush()
    return len(rows)


_TOKEN = (
    select(User, ApiToken.expires_at, ApiToken.revoked_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash", type_=String))
)


def bearer(session: Session, token: str) -> Bearer:
    """Whose token this is and whether it is still good (a statement built once: every API
    request asks)."""
    row = session.execute(_TOKEN, {"token_hash": hash_token(token)}).first()
    if row is None:
        return Bearer(None, TokenState.UNKNOWN)
    user, expires_at, revoked_at = row
    if revoked_at is not None:
        return Bearer(None, TokenState.REVOKED)
    if expires_at <= utcnow():
        return Bearer(None, TokenState.EXPIRED)
    return Bearer(user, TokenState.VALID)


def user_for_token(session: Session, token: str) -> User | None:
    """The user of a token that is still good, else None."""
    return bearer(session, token).user
