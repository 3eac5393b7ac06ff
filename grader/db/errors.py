"""Telling a database that is gone for a moment from a bug: the one retries, the other fails."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError


def unavailable(exc: BaseException) -> bool:
    """True for errors that retrying later may cure: the database stopped, restarting or
    unreachable, or a connection it dropped."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated
