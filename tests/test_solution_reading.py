"""Worked solutions a student can follow: the forward pass first, numbers as small fractions or
4 significant figures, composite functions as a book writes them, and every training step."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from grader.checking import hints, preview
from grader.checking.solution import solve, words
from grader.engine.prose import num
from grader.exercises import load_dir, load_text
from grader.web.i18n import TRANSLATIONS_DIR, extract_core_messages
from tests.test_solution import backward, make, text_for, worked

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"


def shipped(exercise_id: str):
    return load_text((EXERCISES / f"{exercise_id}.yaml").read_bytes())


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (-20, "−20"),
        (0.2, "0.2"),
        (1 / 3, "1/3"),
        (-10 / 3, "−10/3"),
        (0.1 + 0.2, "0.3"),
        (1 / 150, "0.006667"),
        (0.7310585786300049, "0.7311"),
        (5.545177444479562, "5.545"),
        (123456.789, "123500"),
        ([1 / 3, -0.5], "[1/3, −0.5]"),
    ],
)
def test_numbers_are_small_fractions_or_four_significant_figures(value, written):
    """1/3 rather than 0.333333333333; a number no small fraction makes, to 4 figures."""
    assert num(value) == written


def test_a_fraction_beside_an_operator_stands_in_parentheses():
    """2 · (1/3), as −5 stands in parentheses: the reader never has to guess the order."""
    assert num(1 / 3, paren=True) == "(1/3)" and num(-5, paren=True) == "(−5)"
    assert num(0.5, paren=True) == "0.5"


def test_the_forward_pass_comes_first_with_each_edges_value_from_its_inputs():
    """Each edge is written with its inputs' values, then its own; then the backward pass."""
    solution = worked(shipped("two-params"))
    forward = [step.text for step in solution.steps if step.part == "forward"]
    assert forward[:2] == ["e1 = k = 1.", "e2 = x · e1 = 2 · 1 = 2."]
    parts = [step.part for step in solution.steps]
    assert parts == sorted(parts, key=["forward", "backward", "update"].index)


def test_batch_mean_shows_the_sum_over_the_examples_and_a_third_as_a_fraction():
    """The mean's gradient is 1/3 on each example, and v's gradient adds up the three."""
    solution = worked(shipped("batch-mean"))
    assert text_for(solution, "e4").endswith("so e4 gets [1/3, 1/3, 1/3].")
    assert "[1/3, 1/3, 1/3] · [−6, −12, −6] = [−2, −4, −2]" in text_for(solution, "e3")
    assert text_for(solution, "e1").endswith(
        "adds it up over the 3 elements e1 was broadcast to: (−2) · 1 + (−4) · 2 + (−2) · 3"
        " = −16, so e1 (that is, v) gets −16."
    )


def test_the_log_loss_reads_as_the_book_writes_it_and_the_sigmoid_gives_p_minus_y():
    """∂L/∂p = −y/p + (1 − y)/(1 − p), and through the sigmoid p − y."""
    solution = worked(shipped("sigmoid-unit"))
    assert text_for(solution, "e3") == (
        "loss = −(y · log(e3) + (1 − y) · log(1 − e3)) is the log loss of e3 with the label y: "
        "∂loss/∂e3 = −y/e3 + (1 − y)/(1 − e3) = −1/0.5 + (1 − 1)/(1 − 0.5) = −2, so e3 gets −2."
    )
    assert text_for(solution, "e2").endswith(
        "Through the sigmoid node, the gradient of the log loss simplifies to "
        "e3 − y = 0.5 − 1 = −0.5."
    )


def test_a_book_rule_is_not_told_where_it_would_not_give_the_engines_value():
    """Labels outside 0 and 1 still follow the log loss's formula, but a softmax cross entropy
    with labels that do not sum to 1 is told hop by hop, never with a wrong shortcut."""
    exercise = make(
        {"s": "softmax(z)", "loss": "-sum(y * log(s))"},
        given={"y": [1, 1]},
        params={"z": [0.5, -0.5]},
        grad=["s", "z"],
    )
    solution = worked(exercise)
    assert "is the cross entropy of s with the labels y" in text_for(solution, "s")
    assert "simplifies" not in text_for(solution, "z")
    exercise = make(
        {"s": "softmax(z)", "loss": "-sum(y * log(s))"},
        given={"y": [1, 0]},
        params={"z": [0.5, -0.5]},
        grad=["s", "z"],
    )
    assert "the gradient of the cross entropy simplifies to s − y" in text_for(
        worked(exercise), "z"
    )


def test_a_sum_of_squares_is_differentiated_in_one_line():
    """loss = sum(e3²): ∂loss/∂e3 = 2 · e3, not a chain of a sum node and a power node."""
    solution = worked(shipped("linear-layer"))
    assert text_for(solution, "e3") == (
        "loss = sum(e3²) is the sum of the squares of e3: ∂loss/∂e3 = 2 · e3 = [4, −2], "
        "so e3 gets [4, −2]."
    )


def test_every_training_step_starts_from_the_values_the_one_before_left():
    """single-weight-3-steps: v is 0.2, then 0.384, then 0.55328 (0.5533 to 4 figures)."""
    solution = worked(shipped("single-weight-3-steps"))
    news = [step for step in solution.steps if step.blank and step.blank.startswith("new.v")]
    assert [(step.blank, step.value) for step in news] == [
        ("new.v", 0.2),
        ("new.v@2", 0.384),
        ("new.v@3", 0.55328),
    ]
    assert news[2].text == "The new v = old v + step = 0.384 + 0.1693 = 0.5533."
    starts = [step.text for step in solution.steps if step.part == "forward" and not step.target]
    assert starts == [
        "Step 2 starts from the new values of step 1: v = 0.2.",
        "Step 3 starts from the new values of step 2: v = 0.384.",
    ]
    assert "### Training step 3" in solution.markdown


def test_told_gives_a_blanks_sentences_and_the_parts_of_a_fanned_out_gradient():
    """Solution.told is what a level-3 hint says: the blank's sentence, after its parts."""
    solution = worked(shipped("fan-out"))
    told = solution.told("grad.e1")
    assert [step.blank for step in told] == [None, None, "grad.e1"]
    assert told[-1].text.startswith("e1 is used by e2 and e3")
    assert [step.blank for step in solution.told("update.w")] == ["update.w"]
    assert solution.told("grad.nope") == []


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_shipped_exercise_is_worked_in_both_languages(lang):
    """Each shipped exercise, fixed or drawn, is worked to its reference values in English and
    in Russian, and the Russian solution says the same numbers."""
    for exercise in load_dir(EXERCISES).values():
        for student in ["demo"] + (["s1", "s2"] if exercise.randomised else []):
            english = worked(exercise, student)
            if lang == "en":
                continue
            russian = solve(exercise, exercise.draw_variant("secret", student), "ru")
            assert [(s.blank, s.value) for s in russian.steps] == [
                (s.blank, s.value) for s in english.steps
            ]
            for mine, theirs in zip(russian.steps, english.steps, strict=True):
                assert numbers(mine.text) == numbers(theirs.text), mine.text
                assert not ENGLISH.search(mine.text), mine.text
            assert russian.markdown.startswith("Пройдите граф")


ENGLISH = re.compile(r"\b(the|gets|node|step|new|passes|multiplies|is|of|from|and)\b")


def numbers(text: str) -> list[str]:
    """The numbers a sentence states, in order."""
    return re.findall(r"−?\d+(?:\.\d+)?(?:/\d+)?", text)


def test_backward_steps_still_come_in_the_books_order():
    """The book's example: −10, −10, −20, then 0.2 and 0.2."""
    solution = worked(shipped("single-weight"))
    assert [step.value for step in backward(solution)] == [-10, -10, -20, 0.2, 0.2]


def test_every_sentence_of_solutions_hints_and_previews_has_a_russian_translation():
    """Each template of the worked solution, the hints, the preview and the ops' narrations
    (``Local("...")``, as the catalogue's extractor finds them) is in the Russian catalogue,
    with the same fields."""
    with open(TRANSLATIONS_DIR / "ru" / "LC_MESSAGES" / "messages.po", "rb") as file:
        russian = {message.id: message.string for message in read_po(file) if message.id}
    engine = Path(__file__).resolve().parent.parent / "grader" / "engine"
    phrases = []
    for module in ("ops.py", "prose.py"):
        with open(engine / module, "rb") as file:
            phrases += [found[2] for found in extract_core_messages(file, [], [], {})]
    templates = [
        *words.SENTENCES.values(),
        *words.BOOK.values(),
        *hints.HINTS.values(),
        *preview.READ.values(),
        *phrases,
    ]
    missing = [template for template in templates if not russian.get(template)]
    assert not missing, missing
    for template in templates:
        fields = set(re.findall(r"\{(\w+)\}", template))
        assert set(re.findall(r"\{(\w+)\}", russian[template])) == fields, template
