"""The op table: one record per op, and everything derived from it."""

from dataclasses import replace

import numpy as np
import pytest

from grader.checking.narration import render
from grader.engine import OPS, Op, build_graph, forward
from grader.engine.expr import ExpressionError, Ref, compile_expression
from grader.engine.ops import FUNCTIONS, functions, mistaken_tables
from grader.engine.prose import Local

MISTAKES = [
    (op.name, code, k)
    for op in OPS.values()
    for code, backwards in op.mistakes.items()
    for k in range(len(backwards))
]


def cube() -> Op:
    """An op the table does not have, callable by name."""
    return Op(
        "cube",
        1,
        lambda a: a**3,
        lambda g, out, a: (g * 3.0 * a**2,),
        node="cube",
        say=lambda h: Local("multiplies by 3 · x²"),
        function=True,
    )


@pytest.mark.parametrize("name", OPS)
def test_every_op_has_its_rules_its_node_and_its_narration(name):
    """Forward rule, local gradient, node name and narration live in the op's record."""
    op = OPS[name]
    assert op.name == name and op.arity in (1, 2)
    assert callable(op.forward) and callable(op.backward) and callable(op.say)
    assert op.node or name == "id"  # an alias edge is no node
    assert bool(op.syntax) == bool(op.symbol)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_op_is_callable_from_an_expression(name):
    """Each function op compiles as a call by name and evaluates on a matrix per variant."""
    arity = OPS[name].arity
    graph = build_graph(["a"], {"e": f"{name}({', '.join(['a'] * arity)})"})
    assert graph.edges[0].steps[-1].op == name
    a = np.random.default_rng(0).uniform(0.5, 2.0, size=(3, 2, 2))
    assert np.isfinite(forward(graph, {"a": a}).values["e"]).all()


@pytest.mark.parametrize(("name", "code", "k"), MISTAKES)
def test_every_mistaken_rule_differs_from_the_true_local_gradient(name, code, k):
    """A mistaken backward rule gives another gradient than the op's own on random inputs."""
    op = OPS[name]
    rng = np.random.default_rng(1)
    args = [rng.uniform(0.5, 2.0, size=(4, 3)) for _ in range(op.arity)]
    out = op.forward(*args)
    g = rng.normal(size=out.shape)
    true = op.backward(g, out, *args)
    wrong = op.mistakes[code][k](g, out, *args)
    assert len(wrong) == op.arity
    assert any(
        not np.allclose(*np.broadcast_arrays(t, w)) for t, w in zip(true, wrong, strict=True)
    )


def test_functions_are_the_records_marked_as_functions():
    """FUNCTIONS is read off the table, and a new function record is callable at once."""
    assert {name for name, op in OPS.items() if op.function} == FUNCTIONS
    table = {**OPS, "cube": cube()}
    assert functions(table) == FUNCTIONS | {"cube"}
    assert [step.op for step in compile_expression("cube(x)", table)] == ["cube"]
    with pytest.raises(ExpressionError, match="unknown function 'cube'"):
        compile_expression("cube(x)")


def test_an_operator_is_parsed_and_read_from_its_record():
    """A new operator record gives its syntax to the parser and its symbol to the prose."""
    mod = replace(OPS["div"], name="mod", syntax="%", symbol="mod", forward=np.mod)
    table = {**OPS, "mod": mod}
    steps = tuple(compile_expression("(a + b) % c * d", table))
    assert render(steps, Ref("step", step=len(steps) - 1), table) == "(a + b) mod c · d"
    with pytest.raises(ExpressionError, match="not allowed"):
        compile_expression("a % b")


def test_mistaken_tables_swap_in_the_records_mistakes_in_diagnosis_order():
    """power_rule twice (pow and square together), then sum_instead_of_mean, mean_instead_of_sum."""
    tables = mistaken_tables()
    known = ("power_rule", "sum_instead_of_mean", "mean_instead_of_sum")
    assert [(code, sorted(changed)) for code, changed, _ in tables if code in known] == [
        ("power_rule", ["pow", "square"]),
        ("power_rule", ["pow", "square"]),
        ("sum_instead_of_mean", ["mean"]),
        ("mean_instead_of_sum", ["sum"]),
    ]
    for code, changed, table in tables:
        assert table.keys() == OPS.keys()
        for name, op in table.items():
            assert (op is OPS[name]) == (name not in changed)
            assert name not in changed or op.backward in OPS[name].mistakes[code]


def test_a_mistake_added_to_a_record_becomes_a_mistaken_table():
    """One more entry in an op's mistakes is one more table, changing that op alone."""
    mul = OPS["mul"]
    mistakes = {**mul.mistakes, "made_up": (lambda g, out, a, b: (g, g),)}
    tables = mistaken_tables({**OPS, "mul": replace(mul, mistakes=mistakes)})
    assert [changed for code, changed, _ in tables if code == "made_up"] == [frozenset({"mul"})]
