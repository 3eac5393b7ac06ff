"""Reading an upload a line at a time with a bound: memory holds at most ``limit`` bytes of a
line, however long the lines of the file are, and a line too long is skipped unread."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO

BOM = b"\xef\xbb\xbf"


def bounded_lines(stream: IO[bytes] | Iterable[bytes], limit: int) -> Iterator[bytes | None]:
    """Each line of ``stream`` with its newline, or None for a line of more than ``limit``
    bytes, which is read past in pieces of at most ``limit`` bytes. (Lines already split, in
    a list or a generator, are only measured.)"""
    if not hasattr(stream, "readline"):
        for line in stream:
            yield line if len(line) <= limit else None
        return
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit:
            yield line
            continue
        while line and not line.endswith(b"\n"):
            line = stream.readline(limit)
        yield None


class TextLines:
    """The lines of a UTF-8 upload (a byte-order mark dropped) as text, for ``csv.reader``. A
    line too long or not UTF-8 is given as an empty line, and ``problems`` says why by line
    number, so the reader goes on with the next."""

    def __init__(self, stream: IO[bytes] | Iterable[bytes], limit: int):
        self.problems: dict[int, str] = {}
        self._lines = enumerate(bounded_lines(stream, limit), start=1)
        self._limit = limit

    def __iter__(self) -> Iterator[str]:
        for number, line in self._lines:
            if line is None:
                self.problems[number] = f"line longer than {self._limit} bytes"
                yield "\n"
                continue
            try:
                yield (line.removeprefix(BOM) if number == 1 else line).decode("utf-8")
            except UnicodeDecodeError:
                self.problems[number] = "not UTF-8 text"
                yield "\n"

    def problem(self, first: int, last: int) -> str | None:
        """Why a line from ``first`` to ``last`` (a CSV row may span several) was not read."""
        found = [self.problems[n] for n in range(first, last + 1) if n in self.problems]
        return found[0] if found else None
