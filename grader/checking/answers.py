"""Read a student's typed answer (number, vector or matrix) into a float64 array, per DESIGN §4;
say why an answer cannot be read, in English or Russian."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import NamedTuple

import numpy as np

from grader.checking.feedback import translator

MAX_ANSWER_LENGTH = 2000
MAX_ELEMENTS = 10_000
MAX_CACHE_ENTRIES = 100_000
MAX_CACHED_LENGTH = 256

_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})
_SLASH = re.compile(r"\s*/\s*")
_SEPARATOR_COMMA = re.compile(r"(?<![0-9]),|,(?![0-9])")
_POINT = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_POINT_OR_COMMA = r"(?:[0-9]+(?:\.[0-9]*|,[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_ELEMENT = re.compile(rf"([+-]?{_POINT})(?:/({_POINT}))?")
_ELEMENT_COMMA = re.compile(rf"([+-]?{_POINT_OR_COMMA})(?:/({_POINT_OR_COMMA}))?")
_ROWS = re.compile(r"\s*\[[^\[\]]*\](?:\s*,\s*\[[^\[\]]*\])*\s*")
_ROW = re.compile(r"\[([^\[\]]*)\]")
_DIGITS_WITH_UNDERSCORES = re.compile(r"[+-]?[0-9_.,]*_[0-9_.,]*")
_CALCULATION = re.compile(r"[*^()%]|[0-9.][+-]")

_SIGNS = ("-", "+")

# Why an answer cannot be read: templates the catalogue translates (see babel.cfg); ``{text}``
# quotes the answer, or the part of it that could not be read.
MESSAGES = {
    "not_text": 'expected the answer as text, like "-20", not {kind}',
    "too_long": "answer longer than {limit} characters",
    "empty": "empty answer",
    "not_read": "could not read {text}: {expected}",
    "not_a_number": "could not read {text} as a number: {expected}",
    "not_finite": "{text} is not a finite number: write a number like -20 or 0.2",
    "too_large": "number too large: write a number like -20 or 0.2",
    "too_many": "more than {limit} numbers",
    "empty_row": "row {number} is empty: write rows like 1 2; 3 4",
    "row_lengths": "row {number} has {count} but row 1 has {width}",
    "ambiguous_column": "could not read {text}: write a matrix as [[1, 2], [3, 4]] "
    "or [1 2; 3 4], and a column with decimal points, like [0.5; 1.5]",
    "empty_brackets": "empty brackets: {expected}",
    "too_many_brackets": "too many brackets: {expected}",
    "after_brackets": "nothing may follow the closing bracket: {expected}",
    "unmatched_brackets": "brackets do not match: {expected}",
    "missing_element": "a number is missing between two commas: write a vector like [1, 2]",
    "semicolon_in_brackets": "inside brackets write a matrix as [[1, 2], [3, 4]], not with ';' "
    "between commas, or leave out the commas: [1 2; 3 4]",
    "spaces_in_brackets": "could not read {text}: inside brackets separate numbers with commas, "
    "like [1, 2]",
    "division_by_zero": "division by zero in {text}: write a fraction like 1/5",
    "list_with_commas": "could not read {text}: to list numbers write [1, 2] or 1 2; "
    "a comma inside a number is a decimal comma, like 0,2",
    "underscores": "could not read {text}: write digits without '_', like 1000",
    "separators": "could not read {text}: use either a decimal point or a decimal comma, "
    "without thousands separators, like 1000.5",
    "sign_in_front": "could not read {text}: put the sign in front, like -1/5",
    "calculation": "could not read {text}: only a single fraction like -3/4 is allowed, "
    "not a calculation",
    # parts of the messages above
    "expected": "write a number like -20, 0.2, 0,2 or 1/5, or a vector like [1, 2]",
    "expected_shape": "write a vector like [1, 2] or a matrix like [[1, 2], [3, 4]]",
    "one_number": "1 number",
    "numbers": "{count} numbers",
}


class Phrase(NamedTuple):
    """A part of a message, said in the message's language: a template of MESSAGES and its fields."""

    template: str
    fields: Mapping[str, object] = {}


_EXPECTED = Phrase(MESSAGES["expected"])
_EXPECTED_SHAPE = Phrase(MESSAGES["expected_shape"])


def message_in(template: str, fields: Mapping[str, object], lang: str = "en") -> str:
    """``template`` (one of MESSAGES) filled with ``fields`` in ``lang``; a Phrase field too."""
    if lang != "en":
        template = translator(lang)(template)
    if not fields:
        return template
    return template.format(
        **{
            name: message_in(*value, lang) if type(value) is Phrase else value
            for name, value in fields.items()
        }
    )


class Unreadable(ValueError):
    """An answer that cannot be read: a template of MESSAGES and its fields (``.template``,
    ``.fields``), said in English as ``.message`` and in another language by ``.said(lang)``."""

    def __init__(self, template: str, **fields: object) -> None:
        super().__init__(template, fields)
        self.template = template
        self.fields = fields

    @cached_property
    def message(self) -> str:
        return message_in(self.template, self.fields)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        return _unreadable, (self.template, self.fields)

    def said(self, lang: str) -> str:
        """Why the answer cannot be read, in ``lang``."""
        if lang == "en":
            return self.message
        return message_in(self.template, self.fields, lang)


def _unreadable(template: str, fields: Mapping[str, object]) -> Unreadable:
    return Unreadable(template, **fields)


def reason(problem: Unreadable, lang: str) -> str:
    """An unreadable answer's reason in ``lang``."""
    return problem.said(lang)


def parse_answer(text: str) -> np.ndarray:
    """Return the answer as float64: 0-d for a number, 1-d for a vector, 2-d for a matrix."""
    if len(text) > MAX_ANSWER_LENGTH:
        raise Unreadable(MESSAGES["too_long"], limit=MAX_ANSWER_LENGTH)
    value = written_number(text)
    if value is not None:
        return np.array(value)
    if not text.isascii():
        text = text.translate(_MINUS_SIGNS)
    text = text.strip()
    if not text:
        raise Unreadable(MESSAGES["empty"])
    if "/" in text:
        text = _SLASH.sub("/", text)
    if text[0] == "[":
        return _parse_brackets(text)
    if "[" in text or "]" in text:
        raise Unreadable(MESSAGES["not_read"], text=_shown(text), expected=_EXPECTED_SHAPE)
    match = _ELEMENT_COMMA.fullmatch(text)
    if match is not None:
        return _to_array(_element_value(text, *match.groups()))
    return _parse_rows(text)


def written_number(text: str) -> float | None:
    """The number of a text that is one written plainly, as float() reads it; else None (then
    parse_answer reads it the long way: float() also takes nan, inf, 1_000 and non-ASCII
    digits)."""
    try:
        value = float(text)
    except ValueError:
        return None
    if value - value == 0 and "_" not in text and text.isascii():
        return value
    return None


def written_numbers(texts: list) -> list:
    """``[written_number(t) if t is text up to MAX_ANSWER_LENGTH characters else None for t in
    texts]``, read with one float() pass when they are all such texts and numbers (most
    columns of a number blank's distinct answers), else one at a time."""
    values = written_column(texts)
    if values is not None:
        return values
    return [
        written_number(text) if type(text) is str and len(text) <= MAX_ANSWER_LENGTH else None
        for text in texts
    ]


def written_column(texts: Sequence) -> list[float] | None:
    """The numbers of texts that are every one a number written plainly (as
    :func:`written_number` reads them, up to MAX_ANSWER_LENGTH characters), read with one
    float() pass; None as soon as one is not."""
    if not texts or set(map(type, texts)) != {str}:
        return None
    joined = "".join(texts)
    if "_" in joined or not joined.isascii() or max(map(len, texts)) > MAX_ANSWER_LENGTH:
        return None
    try:
        values = list(map(float, texts))
    except ValueError:
        return None
    total = sum(values)
    if total - total != 0:  # inf or nan among them (or a sum past the largest float)
        return None
    return values


def parse_cached(text: str, cache: dict) -> np.ndarray | Unreadable:
    """Return parse_answer(text) or its Unreadable (never raised), memoised in ``cache``.

    Cached arrays are read-only since every caller shares them. Only answers up to
    MAX_CACHED_LENGTH characters are stored, and at most MAX_CACHE_ENTRIES of them.
    """
    try:
        return cache[text]
    except KeyError:
        pass
    try:
        result = parse_answer(text)
        result.flags.writeable = False
    except Unreadable as error:
        result = error.with_traceback(None)
    if len(text) <= MAX_CACHED_LENGTH and len(cache) < MAX_CACHE_ENTRIES:
        cache[text] = result
    return result


def _parse_rows(text: str) -> np.ndarray:
    """Read the row form: numbers separated by spaces, rows by ``;`` (decimal comma allowed)."""
    values = _row_values(_row_tokens(text))
    if len(values) > 1:
        return _to_array(values)
    if len(values[0]) > 1:
        return _to_array(values[0])
    return _to_array(values[0][0])


def _row_tokens(text: str) -> list[list[str]]:
    """Split the row form into its rows of number tokens; a last ``;`` ends a row."""
    rows = text.split(";")
    if len(rows) > 1 and not rows[-1].strip():
        rows.pop()
    tokens = [_join_signs(row.split()) for row in rows]
    _check_count(sum(len(row) for row in tokens))
    for number, row in enumerate(tokens, start=1):
        if not row:
            raise Unreadable(MESSAGES["empty_row"], number=number)
    _check_rectangular(tokens)
    return tokens


def _join_signs(tokens: list[str]) -> list[str]:
    """Join a lone sign at the start of a row to the number after it, so ``- 1 2`` reads as
    ``-1 2``; a lone sign after a number makes a calculation, ``1 - 2``, which is refused."""
    if "-" not in tokens and "+" not in tokens:
        return tokens
    if len(tokens) > 1 and tokens[0] in _SIGNS and tokens[1][0] not in "+-":
        tokens = [tokens[0] + tokens[1], *tokens[2:]]
    for position in range(1, len(tokens) - 1):
        if tokens[position] in _SIGNS and tokens[position - 1] not in _SIGNS:
            calculation = " ".join(tokens[position - 1 : position + 2])
            raise Unreadable(MESSAGES["calculation"], text=_shown(calculation))
    return tokens


def _row_values(tokens: list[list[str]]) -> list[list[float]]:
    """Read every token of the row form (decimal comma allowed)."""
    return [[_parse_element(token, _ELEMENT_COMMA) for token in row] for row in tokens]


def _parse_bracketed_rows(text: str) -> np.ndarray:
    """Read the row form inside one pair of brackets: ``[1 2; 3 4]``, ``[4; -2]``, never 0-d.

    A comma there is a decimal comma, so ``[1,2; 3,4]``, which could also be meant as a
    2×2 matrix, is refused: its rows hold a single number each and nothing shows which.
    """
    tokens = _row_tokens(text[1:-1])
    if "," in text and all(len(row) == 1 for row in tokens):
        raise Unreadable(MESSAGES["ambiguous_column"], text=_shown(text))
    values = _row_values(tokens)
    return _to_array(values if len(values) > 1 else values[0])


def _parse_brackets(text: str) -> np.ndarray:
    """Read ``[1, 2]``, ``[[1, 2], [3, 4]]`` or the row form in brackets, ``[1 2; 3 4]``.

    A comma separates elements unless the brackets hold the row form: a ``;`` and only
    commas between two digits, which are decimal commas (``[-0,1 0,8; 0,9 -0,2]``).
    """
    inner = text[1:-1] if text[-1] == "]" else None
    if inner is not None and "[" not in inner and "]" not in inner:
        if ";" in inner and not _SEPARATOR_COMMA.search(inner):
            return _parse_bracketed_rows(text)
        row = _split_bracket_row(inner)
        _check_count(len(row))
        return _to_array([_parse_bracket_element(element) for element in row])
    if inner is None or not _ROWS.fullmatch(inner):
        raise _bracket_problem(text)
    rows = [_split_bracket_row(row) for row in _ROW.findall(inner)]
    _check_count(sum(len(row) for row in rows))
    _check_rectangular(rows)
    values = [[_parse_bracket_element(e) for e in row] for row in rows]
    return _to_array(values)


def _split_bracket_row(inner: str) -> list[str]:
    """Split the inside of one pair of brackets at its commas."""
    if not inner.strip():
        raise Unreadable(MESSAGES["empty_brackets"], expected=_EXPECTED_SHAPE)
    return [element.strip() for element in inner.split(",")]


def _parse_bracket_element(element: str) -> float:
    """Read one element inside brackets, explaining the usual slips."""
    if not element:
        raise Unreadable(MESSAGES["missing_element"])
    if ";" in element:
        raise Unreadable(MESSAGES["semicolon_in_brackets"])
    parts = element.split()
    if len(parts) > 1:
        parts = _join_signs(parts)
        if len(parts) > 1:
            raise Unreadable(MESSAGES["spaces_in_brackets"], text=_shown(element))
        element = parts[0]
    return _parse_element(element, _ELEMENT)


def _parse_element(token: str, pattern: re.Pattern[str]) -> float:
    """Read one number or single fraction that ``pattern`` accepts."""
    match = pattern.fullmatch(token)
    if match is None:
        raise _number_problem(token)
    return _element_value(token, *match.groups())


def _element_value(token: str, numerator: str, denominator: str | None) -> float:
    """Compute a matched element, refusing a zero denominator."""
    value = float(numerator.replace(",", "."))
    if denominator is None:
        return value
    divisor = float(denominator.replace(",", "."))
    if divisor == 0:
        raise Unreadable(MESSAGES["division_by_zero"], text=_shown(token))
    return value / divisor


def _number_problem(token: str) -> Unreadable:
    """Say why ``token`` is not a number, as helpfully as cheaply possible."""
    text = _shown(token)
    word = token.lstrip("+-").lower()
    if word in ("nan", "inf", "infinity"):
        return Unreadable(MESSAGES["not_finite"], text=text)
    if any(char.isalpha() for char in token):
        return Unreadable(MESSAGES["not_a_number"], text=text, expected=_EXPECTED)
    if token.startswith(",") or token.endswith(","):
        return Unreadable(MESSAGES["list_with_commas"], text=text)
    if _DIGITS_WITH_UNDERSCORES.fullmatch(token):
        return Unreadable(MESSAGES["underscores"], text=text)
    if ("," in token and "." in token) or token.count(",") > 1:
        return Unreadable(MESSAGES["separators"], text=text)
    if "/-" in token or "/+" in token:
        return Unreadable(MESSAGES["sign_in_front"], text=text)
    if token.count("/") > 1 or _CALCULATION.search(token):
        return Unreadable(MESSAGES["calculation"], text=text)
    return Unreadable(MESSAGES["not_a_number"], text=text, expected=_EXPECTED)


def _bracket_problem(text: str) -> Unreadable:
    """Say what is wrong with the brackets of ``text``."""
    depth = deepest = 0
    for position, char in enumerate(text):
        if char == "[":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > 2:
                return Unreadable(MESSAGES["too_many_brackets"], expected=_EXPECTED_SHAPE)
        elif char == "]":
            depth -= 1
            if depth < 0:
                break
            if depth == 0 and text[position + 1 :].strip()[:1] not in ("", "]"):
                return Unreadable(MESSAGES["after_brackets"], expected=_EXPECTED_SHAPE)
    if depth != 0:
        return Unreadable(MESSAGES["unmatched_brackets"], expected=_EXPECTED_SHAPE)
    return Unreadable(MESSAGES["not_read"], text=_shown(text), expected=_EXPECTED_SHAPE)


def _check_count(count: int) -> None:
    """Refuse answers with more elements than any exercise asks for."""
    if count > MAX_ELEMENTS:
        raise Unreadable(MESSAGES["too_many"], limit=MAX_ELEMENTS)


def _check_rectangular(rows: list[list[str]]) -> None:
    """Refuse matrices whose rows differ in length."""
    width = len(rows[0])
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise Unreadable(
                MESSAGES["row_lengths"],
                number=number,
                count=_numbers(len(row)),
                width=_numbers(width),
            )


def _numbers(count: int) -> Phrase:
    """Say ``1 number`` or ``3 numbers``."""
    return (
        Phrase(MESSAGES["one_number"])
        if count == 1
        else Phrase(MESSAGES["numbers"], {"count": count})
    )


def _to_array(values: float | list) -> np.ndarray:
    """Make the float64 array, refusing values that overflowed (``1e999``, ``1e300/1e-300``)."""
    if isinstance(values, float):
        finite = math.isfinite(values)
    else:
        values = np.array(values, dtype=np.float64)
        finite = np.isfinite(values).all()
    if not finite:
        raise Unreadable(MESSAGES["too_large"])
    return np.asarray(values)


def _shown(text: str) -> str:
    """Quote ``text`` for a message, shortened so a long answer does not flood it."""
    return repr(text if len(text) <= 40 else text[:37] + "...")
