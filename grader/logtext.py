"""Text that came with a request, made safe for a log line."""

from __future__ import annotations

MAX_LOGGED = 200


def quoted(value: object, limit: int | None = MAX_LOGGED) -> str:
    """``value`` in quotes with newlines and other control characters escaped (Python's repr of
    the text), cut at ``limit`` characters: what a request sent cannot start a log line
    of its own or rewrite the terminal (``limit=None``: never cut)."""
    text = str(value)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "..."
    return repr(text)
