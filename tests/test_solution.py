"""Worked solutions: the book's narration, every op's phrase, fan-out, and the explain command."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from grader.checking import grade
from grader.checking.solution import INTRO, Solution, solve
from grader.cli.explain import explain_command
from grader.exercises import Exercise, load_dir, load_text

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"


def make(graph: dict, given=None, params=None, grad=None, **extra) -> Exercise:
    """A small exercise built inline; by default it asks the gradient of every param."""
    params = {"w": 3} if params is None else params
    spec = {
        "id": "inline",
        "title": "Inline",
        "given": {"x": 2} if given is None else given,
        "params": params,
        "graph": graph,
        "ask": {"grad": list(params) if grad is None else grad},
        **extra,
    }
    return load_text(yaml.safe_dump(spec, sort_keys=False).encode())


def worked(exercise: Exercise, student: str = "demo") -> Solution:
    """The solution, after checking it against the grader's own expected values."""
    variant = exercise.draw_variant("secret", student)
    solution = solve(exercise, variant)
    expected = grade(exercise, variant, {})["blanks"]
    answered = {step.blank: step for step in solution.steps if step.blank is not None}
    assert sorted(answered) == sorted(expected)
    assert len(answered) == sum(step.blank is not None for step in solution.steps)
    for blank, result in expected.items():
        np.testing.assert_allclose(answered[blank].value, result["expected"], rtol=1e-9)
    for step in solution.steps:
        assert "\n" not in step.text and "](" not in step.text
        assert not set("*`<-") & set(step.text), step.text
    return solution


def text_for(solution: Solution, target: str) -> str:
    """The last sentence of the backward pass about ``target`` (its total gradient when it fans
    out)."""
    return [
        step.text for step in solution.steps if step.target == target and step.part == "backward"
    ][-1]


def backward(solution: Solution) -> list:
    """The steps after the forward pass."""
    return [step for step in solution.steps if step.part != "forward"]


def test_single_weight_is_worked_as_the_book_does():
    """The book's example: -10, -10, -20, then the step 0.2 and the new v 0.2, in its words."""
    exercise = load_text((EXERCISES / "single-weight.yaml").read_bytes())
    solution = worked(exercise)
    assert [(step.blank, step.value) for step in backward(solution)] == [
        ("grad.e3", -10),
        ("grad.e2", -10),
        ("grad.e1", -20),
        ("update.v", 0.2),
        ("new.v", 0.2),
    ]
    texts = [step.text for step in backward(solution)]
    assert texts[0] == "On e3 the gradient is 2 · e3 = 2 · (−5) = −10."
    assert "passes it on, so e2 gets −10" in texts[1]
    assert "multiplies by x = 2" in texts[2] and "e1 (that is, v) gets −10 · 2 = −20" in texts[2]
    assert texts[3] == "The step for v: step = −learning rate × gradient = −0.01 × (−20) = 0.2."
    assert texts[4] == "The new v = old v + step = 0 + 0.2 = 0.2."


def test_markdown_is_the_intro_and_a_numbered_list():
    """The Markdown is the intro line with the precision asked, then the forward pass, the
    backward pass and the update, each a heading and a numbered list."""
    solution = worked(load_text((EXERCISES / "single-weight.yaml").read_bytes()))
    lines = solution.markdown.strip().split("\n")
    assert lines[0] == (
        f"{INTRO} Give each answer to within 1% (about 3 significant figures),"
        " or as an exact fraction."
    )
    expected = []
    for part, heading in [
        ("forward", "Forward pass (each edge's value from its inputs):"),
        ("backward", "Backward pass (the gradient of the loss on each edge):"),
        ("update", "Update (the step and the new value of each parameter):"),
    ]:
        steps = [step for step in solution.steps if step.part == part]
        expected += ["", heading, "", *(f"{i}. {s.text}" for i, s in enumerate(steps, 1))]
    assert lines[1:] == expected
    assert lines[4:8] == [
        "1. e1 = v = 0.",
        "2. e2 = x · e1 = 2 · 0 = 0.",
        "3. e3 = e2 − y = 0 − 5 = −5.",
        "4. loss = e3² = (−5)² = 25.",
    ]


def test_to_dict_is_json_serialisable():
    """to_dict holds only JSON types and round-trips through json."""
    solution = worked(make({"e": "w * x", "loss": "sum(e ** 2)"}, given={"x": [1, -2]}))
    data = json.loads(json.dumps(solution.to_dict()))
    assert data["markdown"] == solution.markdown
    assert data["steps"][-1] == {
        "blank": "grad.w",
        "target": "w",
        "value": 30,
        "text": solution.steps[-1].text,
        "part": "backward",
        "step": 1,
    }


def test_every_exercise_file_is_worked_to_the_reference_values():
    """Every exercise file, fixed or drawn, is worked to the grader's expected value on every blank."""
    exercises = load_dir(EXERCISES)
    assert exercises
    for exercise in exercises.values():
        for student in ["demo"] + (["s1", "s2", "s3"] if exercise.randomised else []):
            solution = worked(exercise, student)
            assert solution.markdown.startswith(INTRO)


def test_fan_out_sums_the_gradients_from_each_use():
    """A name used by several edges gets one sentence per use, then their sum listing each use."""
    exercise = make(
        {"e1": "w * x", "e2": "e1 * 3", "e3": "e1 + e2", "e4": "e3 - e1", "loss": "e4 ** 2"},
        grad=["e1", "w"],
    )
    solution = worked(exercise)
    parts = [step for step in backward(solution) if step.target == "e1" and step.blank is None]
    assert [step.value for step in parts] == [-36, 36, 108]
    assert [step.text.rsplit(" ", 1)[1] for step in parts] == ["e4.", "e3.", "e2."]
    assert text_for(solution, "e1") == (
        "e1 is used by e2, e3 and e4, so its gradient sums the gradients from its uses: "
        "108 (from e2) + 36 (from e3) + (−36) (from e4) = 108."
    )
    assert (
        text_for(solution, "w") == "The multiply node multiplies by x = 2, so w gets 108 · 2 = 216."
    )


def test_a_name_read_twice_in_one_edge_adds_both_routes():
    """A name read twice in one edge is followed along both routes and the two are added."""
    solution = worked(make({"loss": "(w * w - x) ** 2"}))
    text = text_for(solution, "w")
    assert "w is read 2 times" in text and "(giving 42)" in text
    assert text.endswith("so w gets 42 + 42 = 84.")


def test_an_edge_of_several_ops_is_narrated_through_its_inner_steps():
    """An edge such as (k*x + b - y)**2 is told op by op from its output down to each name."""
    exercise = make(
        {"loss": "(k * x + b - y) ** 2"},
        given={"x": 2, "y": 7},
        params={"k": 1, "b": 1},
    )
    solution = worked(exercise)
    assert text_for(solution, "k").startswith("In loss = (k · x + b − y)², the power node")
    assert "then the multiply node multiplies by x = 2, so k gets −8 · 2 = −16." in text_for(
        solution, "k"
    )
    assert text_for(solution, "b").endswith("so b gets −8.")


def test_an_alias_edge_is_narrated_when_its_name_is_asked():
    """An edge like e1: w gets its own sentence when grad.w is asked."""
    solution = worked(make({"e1": "w", "loss": "(e1 - x) ** 2"}, grad=["e1", "w"]))
    assert text_for(solution, "w") == "e1 is w itself, so w gets 2."


SQUARED = "e ** 2"
SUMMED = "sum(e ** 2)"


@pytest.mark.parametrize(
    ("edge", "w", "loss", "phrase"),
    [
        ("w + x", 3, SQUARED, "The add node passes it on, so w gets 10."),
        ("w - x", 3, SQUARED, "The subtract node passes it on, so w gets 2."),
        ("x - w", 3, SQUARED, "passes it on with its sign flipped, so w gets −2 · (−1) = 2."),
        ("x * w", 3, SQUARED, "The multiply node multiplies by x = 2, so w gets 12 · 2 = 24."),
        ("w / x", 3, SQUARED, "The divide node divides by x = 2, so w gets 3 · 0.5 = 1.5."),
        ("x / w", 3, SQUARED, "multiplies by −x / w² = −2 / 3² = −2/9, so w gets"),
        (
            "w ** 3",
            1,
            SQUARED,
            "The power node multiplies by 3 · w² = 3 · 1² = 3, so w gets 2 · 3 = 6.",
        ),
        ("x ** w", 3, SQUARED, "multiplies by x^w · ln x = 5.545, so w gets 16 · 5.545 = 88.72."),
        (
            "square(w)",
            3,
            SQUARED,
            "The square node multiplies by 2 · w = 2 · 3 = 6, so w gets 18 · 6",
        ),
        ("-w", 3, SQUARED, "The negate node flips its sign, so w gets −6 · (−1) = 6."),
        ("exp(w)", 0, SQUARED, "The exp node multiplies by exp(w) = exp(0) = 1, so w gets 2."),
        ("log(w)", 1, "(e - x) ** 2", "The log node divides by w = 1, so w gets −4."),
        (
            "sqrt(w)",
            4,
            SQUARED,
            "multiplies by 1 / (2 · √w) = 1 / (2 · √4) = 0.25, so w gets 4 · 0.25 = 1.",
        ),
        ("abs(w)", -3, SQUARED, "multiplies by sign(w) = sign(−3) = −1, so w gets 6 · (−1) = −6."),
        (
            "tanh(w)",
            0,
            "(e - x) ** 2",
            "multiplies by 1 − tanh(w)² = 1 − tanh(0)² = 1, so w gets −4.",
        ),
        ("sigmoid(w)", 0, SQUARED, "multiplies by σ(w)·(1 − σ(w)) = 0.5 · (1 − 0.5) = 0.25"),
        (
            "relu(w)",
            3,
            SQUARED,
            "The relu node passes it on, since w = 3 is positive, so w gets 6.",
        ),
        ("relu(w - 2 * x)", [5, 1], SUMMED, "multiplies by [1, 0]: 1 where w − 2 · x is positive"),
        (
            "sum(w)",
            [1, 2],
            SQUARED,
            "The sum node copies the gradient to every element, so w gets [6, 6].",
        ),
        ("mean(w)", [1, 2, 6], SQUARED, "divides by the number of elements, N = 3, and copies"),
        ("max(w)", [1, 5, 2], SQUARED, "the largest element of w = [1, 5, 2] (shared among ties)"),
        (
            "transpose(w)",
            [[1, 2]],
            SUMMED,
            "The transpose node transposes it back, so w gets [[2, 4]].",
        ),
        (
            "w * x",
            [1, 2],
            SUMMED,
            "The multiply node multiplies by x = 2, so w gets [4, 8] · 2 = [8, 16].",
        ),
    ],
)
def test_each_op_says_its_local_rule(edge, w, loss, phrase):
    """Each op of the table says its local rule with the numbers filled in."""
    solution = worked(make({"e": edge, "loss": loss}, params={"w": w}))
    assert phrase in text_for(solution, "w")


def test_a_broadcast_name_adds_up_over_the_elements():
    """A scalar broadcast over a vector adds its gradient up over the elements."""
    solution = worked(make({"e": "w * x", "loss": "sum(e ** 2)"}, given={"x": [1, -2]}))
    assert text_for(solution, "w") == (
        "The multiply node multiplies by x = [1, −2], then adds it up over the 2 elements w was "
        "broadcast to: 6 · 1 + (−12) · (−2) = 30, so w gets 30."
    )


def test_matmul_gives_the_outer_product_and_the_transpose():
    """For y = W @ x, W gets the outer product with x and x gets W transposed times the gradient."""
    exercise = make(
        {"e": "W @ x", "loss": "sum(e ** 2)"},
        given={"x": [1, 2]},
        params={"W": [[1, 0], [0, -1]]},
        grad=["W", "x"],
    )
    solution = worked(exercise)
    assert "gives the outer product of the upstream gradient with x = [1, 2]" in text_for(
        solution, "W"
    )
    assert "gives Wᵀ times the upstream gradient, with Wᵀ = [[1, 0], [0, −1]]" in text_for(
        solution, "x"
    )


@pytest.mark.parametrize(
    ("edge", "given", "phrases"),
    [
        (
            "A @ B",
            {"B": [[1, 2], [3, 4]]},
            {
                "A": "the upstream gradient times Bᵀ = [[1, 3], [2, 4]]",
                "B": "gives Aᵀ times the upstream gradient",
            },
        ),
        (
            "v @ B",
            {"B": [[1, 2], [3, 4]]},
            {
                "v": "the upstream gradient times Bᵀ",
                "B": "gives the outer product of v = [1, −1] with the upstream gradient",
            },
        ),
        (
            "v @ u",
            {"u": [2, 5]},
            {"v": "The matmul node multiplies by u = [2, 5]", "u": "multiplies by v = [1, −1]"},
        ),
    ],
)
def test_matmul_of_other_shapes(edge, given, phrases):
    """Matrix by matrix, vector by matrix and the dot product each say their rule."""
    params = {"A": [[1, 0], [2, 1]], "v": [1, -1]}
    names = [name for name in phrases if name in params]
    exercise = make(
        {"e": edge, "loss": "sum(e ** 2)" if edge != "v @ u" else "e ** 2"},
        given=given,
        params={name: params[name] for name in names},
        grad=list(phrases),
    )
    solution = worked(exercise)
    for name, phrase in phrases.items():
        assert phrase in text_for(solution, name)


def test_softmax_says_its_jacobian():
    """softmax says its Jacobian and shows the softmax values."""
    exercise = make(
        {"s": "softmax(W @ x)", "loss": "sum(s * c)"},
        given={"x": [1, 2], "c": [1, 3]},
        params={"W": [[1, 0], [0, 1]]},
    )
    text = text_for(worked(exercise), "W")
    assert text.startswith("In s = softmax(W @ x), the softmax node applies the softmax Jacobian")
    assert "then the matmul node gives the outer product" in text


def test_a_blocked_relu_gives_zero():
    """relu of a negative value blocks the gradient: zero."""
    exercise = make({"e": "relu(w)", "loss": "(e - x) ** 2"}, params={"w": -1}, allow_zero=["w"])
    solution = worked(exercise)
    assert (
        text_for(solution, "w")
        == "The relu node blocks it, since w = −1 is not positive, so w gets −4 · 0 = 0."
    )


def test_update_and_new_are_worked_for_vectors():
    """A vector param's step and new value are written as lists."""
    exercise = make(
        {"e": "w * x", "loss": "sum(e ** 2)"},
        given={"x": [1, -2]},
        params={"w": [1, 0]},
        grad=[],
        ask={"update": ["w"], "new": ["w"]},
    )
    solution = worked(exercise)
    assert solution.steps[-2].text == (
        "The step for w: step = −learning rate × gradient = −0.01 × [2, 0] = [−0.02, 0]."
    )
    assert solution.steps[-1].text == "The new w = old w + step = [1, 0] + [−0.02, 0] = [0.98, 0]."


def test_explain_prints_the_markdown(tmp_path):
    """grader exercises explain prints the worked solution as Markdown."""
    shutil.copy(EXERCISES / "single-weight.yaml", tmp_path)
    result = CliRunner().invoke(explain_command, ["single-weight", "--exercises", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"# One weight, one example\n\n{INTRO}")
    assert (
        "1. The step for v: step = −learning rate × gradient = −0.01 × (−20) = 0.2."
        in result.output
    )


def test_explain_prints_json_for_the_students_variant(tmp_path):
    """--json prints the student's own variant and steps, the same on every run."""
    spec = yaml.safe_load((EXERCISES / "single-weight.yaml").read_text())
    spec["given"]["x"] = {"randint": [1, 9]}
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(spec))
    args = ["single-weight", "--exercises", str(tmp_path), "--json", "--secret", "s"]
    runs = [CliRunner().invoke(explain_command, [*args, "--student", "a"]) for _ in range(2)]
    data = [json.loads(run.output) for run in runs]
    assert data[0] == data[1]
    assert data[0]["student"] == "a" and data[0]["steps"][-1]["blank"] == "new.v"
    x = data[0]["variant"]["given"]["x"]
    e1 = next(step for step in data[0]["steps"] if step["blank"] == "grad.e1")
    assert e1["value"] == -10 * x


def test_explain_refuses_an_unknown_exercise(tmp_path):
    """An unknown exercise id fails with the ids that exist."""
    shutil.copy(EXERCISES / "single-weight.yaml", tmp_path)
    result = CliRunner().invoke(explain_command, ["nope", "--exercises", str(tmp_path)])
    assert result.exit_code != 0
    assert "unknown exercise 'nope' (known: single-weight)" in result.output
