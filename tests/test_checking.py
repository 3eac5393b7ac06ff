"""Verdicts, follow-through credit, diagnoses and points, on the book's exercise and small graphs."""

import numpy as np
import pytest

from grader.checking import grade, grade_many
from grader.exercises import load_dir, load_text

BOOK = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0.2", "new.v": "0.2"}


@pytest.fixture(scope="module")
def book():
    return load_dir("exercises")["single-weight"]


def make(yaml: str):
    return load_text(yaml.encode())


def verdicts(result):
    return {blank: r["verdict"] for blank, r in result["blanks"].items()}


def diagnoses(result):
    return {blank: r["diagnosis"] for blank, r in result["blanks"].items()}


def test_book_answers_are_all_correct_with_every_accepted_spelling(book):
    """The book's numbers, typed as a student might, are all correct."""
    answers = {
        "grad.e3": " −10 ",
        "grad.e2": "-10",
        "grad.e1": "-2e1",
        "update.v": "0,2",
        "new.v": "1/5",
    }
    result = grade(book, book.draw_variant("s", "a"), answers)
    assert set(verdicts(result).values()) == {"correct"}
    assert result["score"] == result["max_score"] == 5
    assert result["blanks"]["grad.e1"]["expected"] == -20
    assert result["blanks"]["update.v"]["expected"] == 0.2


def test_sign_error_on_e3_gives_follow_through_on_every_later_blank(book):
    """A wrong sign at the start is marked once; the consistent rest earns follow-through."""
    answers = {
        "grad.e3": "10",
        "grad.e2": "10",
        "grad.e1": "20",
        "update.v": "-0.2",
        "new.v": "-0.2",
    }
    result = grade(book, book.draw_variant("s", "a"), answers)
    assert verdicts(result) == {
        "grad.e3": "incorrect",
        "grad.e2": "follow_through",
        "grad.e1": "follow_through",
        "update.v": "follow_through",
        "new.v": "follow_through",
    }
    assert result["blanks"]["grad.e3"]["diagnosis"] == "sign_error"
    assert "sign" in result["blanks"]["grad.e3"]["feedback"]
    assert result["score"] == 4


def test_follow_through_credit_uses_the_exercise_factor():
    """follow_through: 0.5 gives half points; false gives none and marks the blank incorrect."""
    base = BOOK_YAML.replace("ask:", "follow_through: 0.5\nask:")
    half = make(base)
    answers = {
        **BOOK,
        "grad.e3": "10",
        "grad.e2": "10",
        "grad.e1": "20",
        "update.v": "-0.2",
        "new.v": "-0.2",
    }
    assert grade(half, half.draw_variant("s", "a"), answers)["score"] == 2
    off = make(BOOK_YAML.replace("ask:", "follow_through: false\nask:"))
    result = grade(off, off.draw_variant("s", "a"), answers)
    assert result["score"] == 0
    assert verdicts(result)["grad.e2"] == "incorrect"


def test_no_follow_through_when_the_carried_value_is_zero(book):
    """A zero carried from a zero upstream answer earns nothing (it would make the step trivial)."""
    answers = {"grad.e3": "0", "grad.e2": "0", "grad.e1": "0", "update.v": "0", "new.v": "0"}
    result = grade(book, book.draw_variant("s", "a"), answers)
    assert verdicts(result) == dict.fromkeys(BOOK, "incorrect")


def test_missing_and_unreadable_blanks_do_not_sink_the_others(book):
    """An empty blank is missing, garbage is unreadable with a message; the rest are graded."""
    answers = {"grad.e3": "-10", "grad.e2": "", "grad.e1": "minus twenty", "update.v": "0.2"}
    result = grade(book, book.draw_variant("s", "a"), answers)
    assert verdicts(result) == {
        "grad.e3": "correct",
        "grad.e2": "missing",
        "grad.e1": "unreadable",
        "update.v": "correct",
        "new.v": "missing",
    }
    unreadable = result["blanks"]["grad.e1"]
    assert unreadable["got"] == "minus twenty"
    assert "number" in unreadable["feedback"]
    assert result["score"] == 2


@pytest.mark.parametrize(
    ("blank", "answer", "code"),
    [
        ("grad.e3", "10", "sign_error"),
        ("grad.e3", "-5", "power_rule"),
        ("grad.e1", "-10", "missing_local_gradient"),
        ("grad.e1", "2", "missing_upstream_gradient"),
        ("update.v", "-0.2", "update_sign"),
        ("update.v", "20", "missing_learning_rate"),
        ("new.v", "-0.2", "update_sign"),
    ],
)
def test_book_mistakes_are_diagnosed(book, blank, answer, code):
    """Each classic mistake on the book's exercise gets its own diagnosis and feedback."""
    result = grade(book, book.draw_variant("s", "a"), {**BOOK, blank: answer})
    assert result["blanks"][blank]["verdict"] == "incorrect"
    assert result["blanks"][blank]["diagnosis"] == code
    assert result["blanks"][blank]["feedback"]


def test_update_codes_win_over_sign_error(book):
    """+lr*g on an update blank is an update_sign, even though it is also -expected."""
    result = grade(book, book.draw_variant("s", "a"), {**BOOK, "update.v": "-0.2"})
    assert result["blanks"]["update.v"]["diagnosis"] == "update_sign"


BOOK_YAML = """
id: book
title: Book
given: {x: 2, y: 5}
params: {v: 0}
learning_rate: 0.01
graph:
  e1: v
  e2: x * e1
  e3: e2 - y
  loss: e3 ** 2
ask:
  grad: [e3, e2, e1]
  update: [v]
  new: [v]
"""

BATCH_YAML = """
id: batch
title: Batch
given: {x: [1, 2, 3], y: [2, 2, 2]}
params: {v: 0}
graph:
  p: v * x
  e: p - y
  s: square(e)
  loss: mean(s)
ask:
  grad: [s, e, v]
"""


def test_sum_instead_of_mean_and_mean_instead_of_sum():
    """Forgetting to divide by the batch size, or dividing a sum, is named."""
    ex = make(BATCH_YAML)
    variant = ex.draw_variant("s", "a")
    _, grads = ex.evaluate([variant])
    assert np.allclose(grads["s"][0], [1 / 3] * 3)
    summed = grade(ex, variant, {"grad.s": "[1, 1, 1]"})
    assert summed["blanks"]["grad.s"]["diagnosis"] == "sum_instead_of_mean"
    v_summed = grads["v"][0] * 3
    result = grade(ex, variant, {"grad.v": str(v_summed)})
    assert result["blanks"]["grad.v"]["diagnosis"] == "sum_instead_of_mean"
    meaned = make(BATCH_YAML.replace("mean(s)", "sum(s)"))
    result = grade(meaned, meaned.draw_variant("s", "a"), {"grad.s": "[1/3, 1/3, 1/3]"})
    assert result["blanks"]["grad.s"]["diagnosis"] == "mean_instead_of_sum"


FANOUT_YAML = """
id: fan
title: Fan-out
given: {x: 3, y: 1}
params: {w: 1}
graph:
  a: w * x
  b: a * a
  c: b + a
  d: c - y
  loss: d ** 2
ask:
  grad: [d, c, b, a, w]
"""


def test_fan_out_gradient_sums_its_uses_and_a_partial_sum_is_missed_fanout():
    """a feeds b (twice, through a*a) and c: its gradient sums both; one use alone is diagnosed."""
    ex = make(FANOUT_YAML)
    variant = ex.draw_variant("s", "a")
    # a = 3, b = 9, c = 12, d = 11; grad d = 22, c = 22, b = 22, a = 22 * 2a + 22 = 154, w = 462
    right = {"grad.d": "22", "grad.c": "22", "grad.b": "22", "grad.a": "154", "grad.w": "462"}
    assert set(verdicts(grade(ex, variant, right)).values()) == {"correct"}
    only_c = grade(ex, variant, {**right, "grad.a": "22"})
    assert only_c["blanks"]["grad.a"]["diagnosis"] == "missed_fanout"
    only_b = grade(ex, variant, {**right, "grad.a": "132"})
    assert only_b["blanks"]["grad.a"]["diagnosis"] == "missed_fanout"


def test_follow_through_passes_through_fan_out():
    """A wrong upstream answer on one use carries into the fanned-out name's sum."""
    ex = make(FANOUT_YAML)
    variant = ex.draw_variant("s", "a")
    # grad.b wrong (10 instead of 22): a carries 10 * 6 + 22 (from c) = 82, w carries 82 * 3 = 246.
    answers = {"grad.d": "22", "grad.c": "22", "grad.b": "10", "grad.a": "82", "grad.w": "246"}
    result = grade(ex, variant, answers)
    assert verdicts(result) == {
        "grad.d": "correct",
        "grad.c": "correct",
        "grad.b": "incorrect",
        "grad.a": "follow_through",
        "grad.w": "follow_through",
    }


MATRIX_YAML = """
id: layer
title: Layer
given: {x: [1, 2]}
params: {W: [[1, 0], [0, 1], [1, 1]]}
graph:
  z: W @ x
  loss: sum(square(z))
ask:
  grad: [z, W]
"""


def test_matrix_blanks_accept_both_syntaxes_and_name_a_transpose():
    """A matrix gradient is graded element by element; its transpose is diagnosed."""
    ex = make(MATRIX_YAML)
    variant = ex.draw_variant("s", "a")
    # z = [1, 2, 3]; grad z = 2z = [2, 4, 6]; grad W = outer(grad z, x)
    right = {"grad.z": "[2, 4, 6]", "grad.W": "2 4; 4 8; 6 12"}
    assert set(verdicts(grade(ex, variant, right)).values()) == {"correct"}
    transposed = grade(ex, variant, {**right, "grad.W": "[[2, 4, 6], [4, 8, 12]]"})
    assert transposed["blanks"]["grad.W"]["verdict"] == "incorrect"
    assert transposed["blanks"]["grad.W"]["diagnosis"] == "transposed"
    wrong = grade(ex, variant, {**right, "grad.z": "[2, 4]"})
    assert wrong["blanks"]["grad.z"]["diagnosis"] == "wrong_shape"
    assert wrong["blanks"]["grad.z"]["got"] == [2, 4]


def test_tolerance_default_is_one_percent_relative(book):
    """-19.9 is within 1% of -20; -19.7 is not."""
    variant = book.draw_variant("s", "a")
    assert (
        grade(book, variant, {**BOOK, "grad.e1": "-19.9"})["blanks"]["grad.e1"]["verdict"]
        == "correct"
    )
    assert (
        grade(book, variant, {**BOOK, "grad.e1": "-19.7"})["blanks"]["grad.e1"]["verdict"]
        != "correct"
    )


def test_sigfigs_tolerance():
    """With sigfigs: 2, 0.21 is too far from 0.2 but 0.204 rounds to it."""
    ex = make(BOOK_YAML.replace("ask:", "tolerance: {sigfigs: 2, atol: 0}\nask:"))
    variant = ex.draw_variant("s", "a")
    assert grade(ex, variant, {"update.v": "0.204"})["blanks"]["update.v"]["verdict"] == "correct"
    assert grade(ex, variant, {"update.v": "0.21"})["blanks"]["update.v"]["verdict"] == "incorrect"


def test_points_per_kind_and_per_blank():
    """points may be set per kind and overridden per blank."""
    ex = make(BOOK_YAML.replace("ask:", "points: {grad: 2, update.v: 3}\nask:"))
    result = grade(ex, ex.draw_variant("s", "a"), BOOK)
    assert result["max_score"] == 2 * 3 + 3 + 1
    assert result["blanks"]["update.v"]["points"] == 3


def test_grade_many_matches_grading_one_at_a_time(book):
    """The vectorised path gives exactly the per-submission results, row by row."""
    rng = np.random.default_rng(7)
    options = {
        "grad.e3": ["-10", "10", "-5", "", "x"],
        "grad.e2": ["-10", "10", "-5"],
        "grad.e1": ["-20", "20", "-10", "2", "-19.9"],
        "update.v": ["0.2", "-0.2", "20", "0.1"],
        "new.v": ["0.2", "-0.2", "0", "[1, 2]"],
    }
    answers = [{k: str(rng.choice(v)) for k, v in options.items()} for _ in range(200)]
    variant = book.draw_variant("s", "a")
    many = grade_many(book, [variant] * len(answers), answers).to_dicts()
    assert many == [grade(book, variant, a) for a in answers]


def test_grade_many_never_mixes_variants():
    """Rows with different variants are graded each against its own values."""
    ex = make(BOOK_YAML.replace("x: 2", "x: {randint: [1, 9]}"))
    variants = [ex.draw_variant("s", f"student-{i}") for i in range(30)]
    answers = []
    for v in variants:
        x = float(v.given["x"])
        answers.append({"grad.e3": str(2 * (0 - 5)), "grad.e1": str(-10 * x)})
    results = grade_many(ex, variants, answers).to_dicts()
    assert all(r["blanks"]["grad.e1"]["verdict"] == "correct" for r in results)
    assert {r["variant"]["given"]["x"] for r in results} != {results[0]["variant"]["given"]["x"]}


def test_new_value_without_the_old_value_is_named(book):
    """Writing the step alone as the new value is missing_old_value."""
    ex = make(BOOK_YAML.replace("v: 0", "v: 1"))
    variant = ex.draw_variant("s", "a")
    # v = 1: e3 = -3, grad v = -12, step 0.12, new 1.12
    result = grade(ex, variant, {"update.v": "0.12", "new.v": "0.12"})
    assert result["blanks"]["new.v"]["diagnosis"] == "missing_old_value"


def test_grad_of_the_loss_itself_can_be_asked():
    """Asking grad.loss is graded (it is 1) rather than failing."""
    ex = make("id: a\ntitle: t\nparams: {v: 1}\ngraph:\n  loss: v ** 2\nask:\n  grad: [loss, v]\n")
    result = grade(ex, ex.draw_variant("", "a"), {"grad.loss": "1", "grad.v": "2"})
    assert result["score"] == 2


def test_many_rows_with_a_wrong_vector_feeding_a_mean_are_graded():
    """A vector blank whose only use reduces it (mean) is diagnosed row by row in a batch of
    several students, as for one."""
    ex = load_dir("exercises")["batch-mean"]
    variant = ex.draw_variant("s", "a")
    rows = [{"grad.e4": "[1, 1, 1]"}, {"grad.e4": "[2, 0, 1]"}, {"grad.e4": "[1/3, 1/3, 1/3]"}]
    results = grade_many(ex, [variant] * 3, rows).to_dicts()
    assert [r["blanks"]["grad.e4"]["diagnosis"] for r in results] == [
        "sum_instead_of_mean",
        None,
        None,
    ]
    assert results == [grade(ex, variant, row) for row in rows]


def test_plain_numbers_read_as_plain_number_one_at_a_time():
    """The column form of plain_number gives each element what the one-at-a-time form gives."""
    from grader.engine.format import plain_number, plain_numbers

    values = np.array(
        [0.0, -0.0, 1.0, -10.0, 0.2, 0.1 + 0.2, 1 / 3, -2.5e-7, 1e15, 1e15 - 1, -1e16, 1e300,
         123456789012.4, 0.30000000000004, 1 - 1e-13, np.nan, np.inf, -np.inf, 5e-324]
    )  # fmt: skip
    rng = np.random.default_rng(5)
    values = np.concatenate(
        [
            values,
            rng.uniform(-20, 20, 20_000).round(2) * 0.37,  # products of decimals: float noise
            rng.normal(size=20_000) * 10.0 ** rng.integers(-30, 30, 20_000),
            rng.integers(-(10**6), 10**6, 20_000) * 0.1,
            rng.integers(-(10**17), 10**17, 1_000) * 1.0,
        ]
    )
    whole = np.array([0.0, -0.0, 1.0, -3.0, 1e15 - 1, -(1e15 - 1), 2.0**52])  # every one whole
    for column in (values, whole, rng.integers(-5, 5, 1_000) * 1.0):
        want = [plain_number(x) for x in column]
        got = plain_numbers(column)
        assert got == want
        assert [type(x) for x in got] == [type(x) for x in want]


def test_results_as_json_lines_and_database_columns_carry_the_rows(book):
    """Every encoding of graded rows says what rows() says: right, wrong, follow-through,
    unreadable, missing, numbers typed as JSON, and a wrong-shaped answer."""
    import orjson

    answers = [
        BOOK,
        {**BOOK, "grad.e3": "10", "grad.e2": "10", "grad.e1": "20"},
        {"grad.e3": "oops", "grad.e2": "", "grad.e1": -20, "update.v": "[1, 2]"},
        {"grad.e3": True, "grad.e2": None, "new.v": "0,2"},
        {**BOOK, "update.v": "-0.2", "new.v": "0.30000000000000004"},
    ]
    for lang in ("en", "ru"):
        graded = grade_many(book, [book.draw_variant("s", "a")] * len(answers), answers, lang=lang)
        rows = graded.to_dicts()
        heads = [{"id": str(i)} for i in range(len(rows))]
        lines = [orjson.loads(line) for line in graded.json_lines(heads)]
        assert lines == [{**head, **row} for head, row in zip(heads, rows, strict=True)]
        scores, max_score, variants, blanks = graded.json_columns()
        assert [orjson.loads(b) for b in blanks] == [row["blanks"] for row in rows]
        assert [orjson.loads(v) for v in variants] == [row["variant"] for row in rows]
        assert scores == [row["score"] for row in rows] and max_score == rows[0]["max_score"]
        assert rows[2]["blanks"]["grad.e3"]["verdict"] == "unreadable"
        assert rows[2]["blanks"]["grad.e2"]["verdict"] == "missing"
        assert rows[1]["blanks"]["grad.e2"]["verdict"] == "follow_through"
