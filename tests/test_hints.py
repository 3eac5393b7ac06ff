"""Hints generated from the graph: level 1 names the node and its local rule, level 2 gives the
local gradient in the student's numbers, level 3 the worked solution's sentence; no hint states
the answer before level 3, in English or Russian."""

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.checking import grade
from grader.checking.hints import LEVELS, hint, ladder
from grader.checking.solution import solve
from grader.cli.explain import explain_command
from grader.engine.prose import num
from grader.exercises import load_dir, load_text

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"


def shipped(exercise_id: str):
    return load_text((EXERCISES / f"{exercise_id}.yaml").read_bytes())


def book(blank: str, level: int, lang: str = "en") -> str:
    exercise = shipped("single-weight")
    return hint(exercise, exercise.draw_variant("secret", "demo"), blank, level, lang)


def test_level_one_names_the_node_the_edge_feeds_and_its_local_rule():
    """e3 feeds the power node into the loss; e2 the subtract node; e1 the multiply node."""
    assert book("grad.e2", 1) == (
        "e2 feeds the subtract node e3 = e2 − y: the gradient on e2 is g, "
        "with g the gradient on e3."
    )
    assert "e1 feeds the multiply node e2 = x · e1" in book("grad.e1", 1)
    assert book("grad.e3", 1).endswith("The gradient on loss is 1.")
    assert (
        book("update.v", 1) == "The step is −learning rate × gradient: −0.01 × the gradient of v."
    )


def test_level_two_gives_the_local_gradient_in_the_students_numbers():
    """The multiply node multiplies by the student's own x; into the loss, only the numbers the
    local gradient is made of, since with an upstream 1 it is the answer."""
    assert book("grad.e1", 2) == (
        "With your numbers, on the way back from e2 = x · e1 to e1, "
        "the multiply node multiplies by x = 2."
    )
    assert book("grad.e3", 2) == (
        "With your numbers, on the way back from loss = e3² to e3, the power node multiplies by "
        "2 · e3 = 2 · (−5)."
    )
    assert book("update.v", 2).startswith(
        "The local gradient of the step with respect to the gradient of v is −0.01"
    )


def test_level_three_is_the_worked_solutions_sentence():
    """Level 3 narrates the step: the sentence of the worked solution for the blank."""
    assert book("grad.e1", 3) == (
        "The multiply node multiplies by x = 2, so e1 (that is, v) gets −10 · 2 = −20."
    )
    assert book("update.v", 3).endswith("= −0.01 × (−20) = 0.2.")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_no_hint_states_the_answer_before_level_three(lang):
    """For every blank of every shipped exercise and several students, levels 1 and 2 never
    write the blank's answer, and level 3 does."""
    for exercise in load_dir(EXERCISES).values():
        for student in ["demo"] + (["s1", "s2", "s3"] if exercise.randomised else []):
            variant = exercise.draw_variant("secret", student)
            expected = grade(exercise, variant, {})["blanks"]
            for blank, levels in ladder(exercise, variant, lang).items():
                answer = num(expected[blank]["expected"])
                for level, text in enumerate(levels[:2], 1):
                    assert not states(text, answer), (exercise.id, blank, level, text)
                assert states(levels[2], answer), (exercise.id, blank, levels[2])


def states(text: str, answer: str) -> bool:
    """Whether ``text`` gives ``answer`` as a value: after ``=``, ``by`` or ``gets`` (in either
    language), as the end of a calculation rather than a term of one."""
    value = rf"(?:=|by|на|gets|получает) {re.escape(answer)}(?=[.,;:]?(?:\s|$))(?!\s[·+−/×=^])"
    return re.search(value, text) is not None


def test_a_later_training_step_starts_from_the_students_own_new_values():
    """Step 2's hint on e3 uses the student's own new v of step 1: with v = 1, e3 = 2 − 5 = −3."""
    exercise = shipped("single-weight-3-steps")
    variant = exercise.draw_variant("secret", "demo")
    assert hint(exercise, variant, "grad.e3@2", 2).endswith("2 · e3 = 2 · (−4.6).")
    own = hint(exercise, variant, "grad.e3@2", 2, answers={"new.v": "1"})
    assert own.endswith("2 · e3 = 2 · (−3).")
    assert "start from your own new values of step 1" in hint(exercise, variant, "grad.e1@2", 1)


def test_hints_are_said_in_russian():
    """Each level in Russian: the node, the numbers and the solution's sentence."""
    assert book("grad.e1", 1, "ru").startswith("e1 входит в узел умножения e2 = x · e1")
    assert book("grad.e1", 2, "ru") == (
        "С вашими числами на пути назад от e2 = x · e1 к e1 узел умножения умножает на x = 2."
    )
    assert book("grad.e1", 3, "ru").endswith("e1 (то есть v) получает −10 · 2 = −20.")


def test_a_level_outside_one_to_three_or_an_unknown_blank_is_refused():
    with pytest.raises(ValueError):
        book("grad.e1", 4)
    with pytest.raises(KeyError):
        book("grad.nope", 1)


def test_explain_prints_the_three_hints_of_every_blank(tmp_path):
    """grader exercises explain ID --hints, in English or Russian."""
    shutil.copy(EXERCISES / "single-weight.yaml", tmp_path)
    args = ["single-weight", "--exercises", str(tmp_path), "--hints"]
    result = CliRunner().invoke(explain_command, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "grad.e3" and lines[1].startswith("  1. e3 feeds the power node")
    assert len(lines) == 5 * 4
    russian = CliRunner().invoke(explain_command, [*args, "--lang", "ru"]).output
    assert "  3. Шаг для v: шаг = −скорость обучения × градиент = −0.01 × (−20) = 0.2." in russian


def test_explain_prints_the_solution_in_russian(tmp_path):
    """grader exercises explain ID --lang ru prints the worked solution in Russian."""
    shutil.copy(EXERCISES / "single-weight.yaml", tmp_path)
    args = ["single-weight", "--exercises", str(tmp_path), "--lang", "ru"]
    result = CliRunner().invoke(explain_command, args)
    assert result.exit_code == 0, result.output
    exercise = shipped("single-weight")
    solution = solve(exercise, exercise.draw_variant("", "demo"), "ru").markdown
    assert result.output == f"# Один вес, один пример\n\n{solution}"
    assert "Прямой проход" in result.output


def test_levels_are_one_two_three():
    assert LEVELS == (1, 2, 3)
