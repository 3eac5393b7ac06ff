"""CSV files the service writes (the gradebook, a batch's results), safe to open in a
spreadsheet: a text cell that a spreadsheet would take for a formula (it begins with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) is written with a ``'`` before it, as OWASP
advises against CSV injection; a plain number such as ``-20`` is left as it is. Every CSV the
service writes goes through ``writer``."""

from __future__ import annotations

import csv
import re
from typing import Any, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def cell(value: Any) -> Any:
    """The value as a spreadsheet may safely read it."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.match(value):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell passes through ``cell``."""

    def __init__(self, out: TextIO):
        self._writer = csv.writer(out)

    def writerow(self, row) -> None:
        self._writer.writerow([cell(value) for value in row])


def writer(out: TextIO) -> SafeWriter:
    return SafeWriter(out)
