"""Ids in URLs fit the database's integer columns: ``<int:...>`` stops at 2**31 - 1, so a larger
number is a 404 like any unknown id, not an overflow in the database driver (a 500)."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """Flask's ``int`` converter, bounded to the range of an id column."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Call before the blueprints are registered (rules take their converters when added)."""
    app.url_map.converters["int"] = IdConverter
