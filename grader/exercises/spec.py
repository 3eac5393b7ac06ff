"""The exercise file format (DESIGN §3) as pydantic models: what a file may say."""

from __future__ import annotations

import math
from functools import cached_property
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from grader.exercises import texts

Number = int | float
Nested = Number | list[Any]
BLANK_KINDS = ("grad", "update", "new")
MAX_ELEMENTS = 400
MAX_STEPS = 5
MAX_EDGES = 200
MAX_INPUTS = 100
MAX_ASKED = 200
MAX_TITLE = 200
MAX_TEXT = 20000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Drawn(Strict):
    shape: list[int] | None = None

    @field_validator("shape")
    @classmethod
    def _shape(cls, shape: list[int] | None) -> list[int] | None:
        if shape is None:
            return None
        if len(shape) > 2 or any(n < 1 for n in shape):
            raise ValueError("shape must be [n] or [n, m] with positive sizes")
        if math.prod(shape) > MAX_ELEMENTS:
            raise ValueError(f"a value has at most {MAX_ELEMENTS} elements")
        return shape


class RandInt(_Drawn):
    randint: Annotated[list[int], Field(min_length=2, max_length=2)]

    @field_validator("randint")
    @classmethod
    def _ordered(cls, v):
        if v[0] > v[1]:
            raise ValueError("randint needs [low, high] with low <= high")
        return v


class Choice(_Drawn):
    choice: Annotated[list[Number], Field(min_length=1, max_length=1000)]

    @cached_property
    def options(self) -> np.ndarray:
        """The choices as an array, made once."""
        return np.asarray(self.choice, dtype=np.float64)


class Uniform(_Drawn):
    uniform: Annotated[list[Number], Field(min_length=2, max_length=2)]
    decimals: Annotated[int, Field(ge=0, le=6)] = 1

    @field_validator("uniform")
    @classmethod
    def _ordered(cls, v):
        if v[0] >= v[1]:
            raise ValueError("uniform needs [low, high] with low < high")
        return v


DRAWS = {"randint": RandInt, "choice": Choice, "uniform": Uniform}
Draw = RandInt | Choice | Uniform


def parse_value(value: Any) -> np.ndarray | Draw:
    """A number, a (nested) list of numbers, or a draw such as ``{randint: [1, 5]}``."""
    if type(value) is int or type(value) is float:  # the common case, without numpy's checks
        if not math.isfinite(value):
            raise ValueError("values must be finite numbers")
        return np.array(float(value))
    if isinstance(value, dict):
        kinds = [key for key in value if key in DRAWS]
        if len(kinds) != 1:
            raise ValueError(
                f"a draw needs exactly one of {', '.join(DRAWS)}, got keys {', '.join(map(str, value))}"
            )
        return DRAWS[kinds[0]].model_validate(value)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise ValueError(f"expected a number, a list of numbers or a draw, got {value!r}")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("a list must be rectangular and hold only numbers") from None
    if array.ndim > 2 or array.size > MAX_ELEMENTS or array.size == 0:
        raise ValueError(
            f"a value is a number, a vector or a matrix of 1 to {MAX_ELEMENTS} elements"
        )
    if not np.isfinite(array).all():
        raise ValueError("values must be finite numbers")
    return array


class Ask(Strict):
    grad: Annotated[list[str], Field(max_length=MAX_ASKED)] = []
    update: Annotated[list[str], Field(max_length=MAX_INPUTS)] = []
    new: Annotated[list[str], Field(max_length=MAX_INPUTS)] = []


class Tolerance(Strict):
    rtol: Annotated[float, Field(ge=0, le=1)] = 0.01
    atol: Annotated[float, Field(ge=0)] = 1e-8
    sigfigs: Annotated[int, Field(ge=1, le=15)] | None = None


class ExerciseSpec(Strict):
    """One exercise file, validated field by field."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    titles: Annotated[
        Annotated[str, Field(min_length=1, max_length=MAX_TITLE)]
        | dict[str, Annotated[str, Field(min_length=1, max_length=MAX_TITLE)]],
        Field(alias="title"),
    ]
    texts: Annotated[
        Annotated[str, Field(max_length=MAX_TEXT)]
        | dict[str, Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]],
        Field(alias="text"),
    ] = ""
    given: dict[str, Any] = {}
    params: dict[str, Any] = {}
    learning_rate: Annotated[float, Field(gt=0, le=100)] = 0.01
    graph: dict[str, str | Number]
    ask: Ask
    points: Number | dict[str, Number] = 1
    tolerance: Tolerance = Tolerance()
    follow_through: bool | Annotated[float, Field(ge=0, le=1)] = True
    loss_reduction: Annotated[str, Field(max_length=2000)] | None = None
    allow_zero: list[str] = []
    steps: Annotated[int, Field(ge=1, le=MAX_STEPS)] = 1

    @field_validator("given", "params", "graph")
    @classmethod
    def _names(cls, v: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        most = MAX_EDGES if info.field_name == "graph" else MAX_INPUTS
        if len(v) > most:
            what = "edges" if info.field_name == "graph" else "names"
            raise ValueError(f"at most {most} {what}, this file has {len(v)}")
        for name in v:
            if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
                raise ValueError(
                    f"'{name}' is not a valid name (letters, digits and _; not starting with _)"
                )
        return v

    @field_validator("titles", "texts")
    @classmethod
    def _languages(cls, v, info):
        limit = MAX_TITLE if info.field_name == "titles" else MAX_TEXT
        found = texts.problems(info.field_name, v, limit)
        if found:
            raise ValueError(found[0][1].partition(": ")[2])
        return v

    @model_validator(mode="after")
    def _blank_points(self):
        if isinstance(self.points, dict):
            for key in self.points:
                if key not in BLANK_KINDS and key.split(".", 1)[0] not in BLANK_KINDS:
                    raise ValueError(
                        f"points key '{key}' is neither a kind ({', '.join(BLANK_KINDS)}) nor a blank"
                    )
        return self

    @property
    def title(self) -> str:
        """The title in English (else the first language given)."""
        return texts.localized(self.titles, texts.FALLBACK)

    @property
    def text(self) -> str:
        """The text in English (else the first language given)."""
        return texts.localized(self.texts, texts.FALLBACK)

    def title_in(self, lang: str | None) -> str:
        """The title in the reader's language, with the fallback of :func:`texts.localized`."""
        return texts.localized(self.titles, lang)

    def text_in(self, lang: str | None) -> str:
        """The text in the reader's language, with the fallback of :func:`texts.localized`."""
        return texts.localized(self.texts, lang)

    @property
    def follow_through_credit(self) -> float:
        return float(self.follow_through)
