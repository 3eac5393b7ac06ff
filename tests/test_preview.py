"""Reading answers back before grading: the same reading as grading's, said in English or
Russian, with no verdict."""

from pathlib import Path

import pytest

from grader.checking.preview import preview
from grader.exercises import load_text

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"


def shipped(exercise_id: str):
    return load_text((EXERCISES / f"{exercise_id}.yaml").read_bytes())


@pytest.mark.parametrize(
    ("text", "said", "value"),
    [
        ("0,2", "read as 0.2", 0.2),
        ("-20", "read as −20", -20),
        ("− 20", "read as −20", -20),
        ("1/5", "read as 0.2", 0.2),
        ("2e-1", "read as 0.2", 0.2),
    ],
)
def test_a_number_is_read_as_grading_reads_it(text, said, value):
    entry = preview(shipped("single-weight"), {"update.v": text})["update.v"]
    assert entry == {
        "readable": True,
        "value": value,
        "shown": said.removeprefix("read as "),
        "message": None,
        "said": said,
    }


def test_vectors_and_matrices_say_their_shape():
    """A vector and a matrix name themselves; a matrix typed in the wrong layout is read as
    typed and said not to fit."""
    exercise = shipped("linear-layer")
    read = preview(
        exercise, {"grad.e3": "[4; -2]", "grad.W": "1 2 3; 4 5 6", "grad.b": "[1, 2, 3]"}
    )
    assert read["grad.e3"]["said"] == "read as the vector [4, −2]"
    assert read["grad.W"]["said"] == "read as the 2×3 matrix [[1, 2, 3], [4, 5, 6]]"
    assert read["grad.b"]["message"] == "this blank takes a vector of 2 numbers"
    flipped = preview(exercise, {"grad.W": "1 4; 2 5; 3 6"})["grad.W"]
    assert flipped["value"] == [[1, 4], [2, 5], [3, 6]]
    assert flipped["said"] == (
        "read as the 3×2 matrix [[1, 4], [2, 5], [3, 6]], but this blank takes a 2×3 matrix"
    )


def test_what_cannot_be_read_says_why_and_only_the_blanks_answered_are_read():
    read = preview(shipped("single-weight"), {"grad.e3": "1 - 2", "grad.e2": "  "})
    assert set(read) == {"grad.e3", "grad.e2"}
    assert read["grad.e3"]["readable"] is False and read["grad.e3"]["value"] is None
    assert read["grad.e3"]["said"] == read["grad.e3"]["message"]
    assert "not a calculation" in read["grad.e3"]["message"]
    assert read["grad.e2"]["message"] == "empty answer"


def test_russian():
    read = preview(
        shipped("linear-layer"), {"grad.W": "1 2 3; 4 5 6", "grad.b": "1", "grad.e3": "x"}, "ru"
    )
    assert read["grad.W"]["said"] == "прочитано как матрица 2×3 [[1, 2, 3], [4, 5, 6]]"
    assert read["grad.b"]["said"] == "прочитано как 1, но в это поле вводится вектор из 2 чисел"
    assert read["grad.e3"]["message"].startswith("не удалось прочитать")
