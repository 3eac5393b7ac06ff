"""Exercise files typed by instructors are bounded: huge, wide, deep or self-multiplying YAML is
refused at once with a clear ``line N: reason``, and every problem of a file says its line."""

from pathlib import Path

import pytest

from grader.exercises import check_text
from grader.exercises.yamlsource import MAX_NESTING

EXERCISES = Path(__file__).resolve().parents[1] / "exercises"
SINGLE_WEIGHT = (EXERCISES / "single-weight.yaml").read_bytes()


def refused(raw: bytes) -> str:
    """The only problem of ``raw`` (a bomb that was not refused would never get here)."""
    checked = check_text(raw)
    assert checked.exercise is None and len(checked.problems) == 1
    return str(checked.problems[0])


def test_a_five_megabyte_file_is_refused_by_its_size():
    """A 5 MB file is refused before it is parsed."""
    assert refused(b"id: big\ntext: |\n" + b"  x\n" * 1_250_000) == (
        "line 1: the file is larger than 256 KiB (4882 KiB)"
    )


def test_ten_thousand_edges_are_refused_by_the_edge_limit():
    """A graph of 10,000 edges is refused by the graph-size limit, at the graph's line."""
    edges = "".join(f"  e{i}: v\n" for i in range(10_000))
    raw = f"id: wide\ntitle: Wide\nparams: {{v: 1}}\ngraph:\n{edges}ask:\n  grad: [e1]\n"
    assert refused(raw.encode()) == "line 4: graph: at most 200 edges, this file has 10000"


@pytest.mark.parametrize(
    "nested",
    [b"[" * 5000 + b"]" * 5000, b"[" * (MAX_NESTING + 1) + b"1" + b"]" * (MAX_NESTING + 1)],
)
def test_deep_nesting_is_refused(nested):
    """Lists nested thousands deep, or just past the limit, are refused without a crash."""
    problem = refused(b"id: deep\ntitle: Deep\ngiven:\n  x: " + nested + b"\n")
    assert problem.startswith("line 4: ")
    assert "nested deeper than" in problem or "maximum nesting depth" in problem


def test_a_billion_laughs_of_anchors_and_aliases_is_refused():
    """Anchors and aliases that would expand a 1 KB file to billions of values are refused."""
    rows = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        here, before = chr(97 + i), chr(96 + i)
        rows.append(f"{here}: &{here} [{', '.join([f'*{before}'] * 9)}]")
    assert refused("\n".join(rows).encode()) == (
        "line 2: YAML aliases (*a) are not allowed in an exercise: write the value out"
    )


def test_a_flat_flood_of_values_is_refused():
    """A list of 100,000 numbers is refused by the count of values."""
    assert refused(b"given: {x: [" + b"1," * 100_000 + b"]}\n") == (
        "line 1: more than 50000 values in one file"
    )


@pytest.mark.parametrize(
    "value", [b"!!python/object/apply:os.system ['true']", b"!!python/name:os.system"]
)
def test_unsafe_tags_are_refused(value):
    """A Python object tag is refused at its line, never constructed."""
    problem = refused(b"title: T\nid: " + value + b"\n")
    assert problem.startswith("line 2: ")
    assert "not allowed" in problem or "could not determine a constructor" in problem


def test_an_expression_typo_names_its_line():
    """An unknown name in an edge's expression is reported at that edge's line."""
    raw = SINGLE_WEIGHT.replace(b"e3: e2 - y", b"e3: e2 - yy")
    line = raw.decode().splitlines().index("  e3: e2 - yy") + 1
    assert refused(raw) == f"line {line}: unknown name 'yy' in 'e3: e2 - yy'"


def test_a_forbidden_expression_goes_through_the_whitelist():
    """An attribute access or call outside the op table is refused, not evaluated."""
    raw = SINGLE_WEIGHT.replace(b"e3: e2 - y", b"e3: __import__('os').system('true')")
    assert refused(raw).startswith("line ")


def test_a_good_file_has_no_problems():
    """The book's first example checks clean, with its lines remembered."""
    checked = check_text(SINGLE_WEIGHT)
    assert checked.ok and checked.problems == []
    assert checked.exercise.lines[("graph", "e3")] > checked.exercise.lines[("graph",)]


def test_a_graph_of_too_many_numbers_is_refused_before_it_is_checked():
    """Matrices on every edge beyond the graph's budget of numbers are refused at the graph."""
    edges = "".join(f"  e{i}: e{i - 1} + w\n" for i in range(2, 30))
    raw = (
        "id: heavy\ntitle: Heavy\nparams:\n  w: {uniform: [1, 2], shape: [10, 10]}\n"
        f"graph:\n  e1: w * 2\n{edges}  loss: mean(e29)\nask:\n  grad: [w]\n"
    )
    assert refused(raw.encode()) == (
        "line 5: the graph's values hold 3001 numbers in all, more than the 2000 an exercise "
        "may have: use fewer or smaller edges"
    )
