"""The reference engine: the book's numbers, fan-out, broadcasting, variants, every op, refusals."""

from __future__ import annotations

import time
import zlib

import numpy as np
import pytest

from grader.engine import GraphError, backward, build_graph, forward
from grader.engine.expr import ExpressionError, compile_expression
from tests.engine_graphs import random_graph

BOOK = {"e1": "v", "e2": "x * e1", "e3": "e2 - y", "loss": "e3 ** 2"}
EPS = 1e-6


def run(inputs: dict, edges: dict) -> tuple[dict, dict]:
    """Forward values and backward gradients of ``edges`` over ``inputs`` (variant on axis 0)."""
    graph = build_graph(list(inputs), edges)
    tape = forward(graph, {name: np.asarray(value, dtype=float) for name, value in inputs.items()})
    return tape.values, backward(graph, tape)


def test_book_single_weight_example_gives_the_chapters_gradients():
    """x=2, y=5, v=0: loss 25, and the gradients -10, -10, -20 on e3, e2, e1 (and v)."""
    values, grads = run({"x": [2.0], "y": [5.0], "v": [0.0]}, BOOK)
    assert values["loss"].tolist() == [25.0]
    assert grads["e3"].tolist() == [-10.0]
    assert grads["e2"].tolist() == [-10.0]
    assert grads["e1"].tolist() == [-20.0]
    assert grads["v"].tolist() == [-20.0]
    assert (0.0 - 0.01 * grads["v"]).tolist() == pytest.approx([0.2])


def test_book_two_parameter_model_averaged_over_a_batch():
    """y' = k*x + b with the mean squared error over three examples: both gradients by hand."""
    edges = {"p": "k * x + b", "d": "p - y", "loss": "mean(d ** 2)"}
    values, grads = run(
        {"x": [[1.0, 2.0, 3.0]], "y": [[2.0, 3.0, 5.0]], "k": [1.0], "b": [0.5]}, edges
    )
    # d = [-0.5, -0.5, -1.5]; loss = (0.25 + 0.25 + 2.25) / 3
    assert values["loss"] == pytest.approx([2.75 / 3])
    assert grads["d"][0].tolist() == pytest.approx([-1 / 3, -1 / 3, -1.0])
    assert grads["k"] == pytest.approx([(-1.0 - 2.0 - 9.0) / 3])
    assert grads["b"] == pytest.approx([(-1.0 - 1.0 - 3.0) / 3])


def test_name_used_by_two_later_edges_gets_the_sum_of_both_gradients():
    """e1 feeds e2 and the loss: d loss / d e1 = 1 + y, and x sums over both of its paths."""
    edges = {"e1": "x * 3", "e2": "e1 * y", "loss": "e1 + e2"}
    values, grads = run({"x": [2.0, -1.0], "y": [5.0, 4.0]}, edges)
    assert grads["e1"].tolist() == [6.0, 5.0]
    assert grads["x"].tolist() == [18.0, 15.0]
    assert build_graph(["x", "y"], edges).uses["e1"] == ["e2", "loss"]


def test_name_used_twice_in_one_expression_gets_both_uses():
    """x * x + x * 2 reads x three times: the gradient is 2x + 2."""
    _, grads = run({"x": [3.0, -0.5]}, {"loss": "x * x + x * 2"})
    assert grads["x"].tolist() == [8.0, 1.0]


def test_diamond_of_edges_sums_gradients_where_paths_meet():
    """Two branches from one input rejoin at the loss; the input gets both branches' gradients."""
    edges = {"a": "exp(x)", "b": "square(x)", "loss": "a * b"}
    x = np.array([0.3, -1.2])
    _, grads = run({"x": x}, edges)
    np.testing.assert_allclose(grads["x"], np.exp(x) * x**2 + np.exp(x) * 2 * x, rtol=1e-12)


def test_edge_that_does_not_reach_the_loss_gets_no_gradient():
    """A dangling edge is left out of the gradients; the inputs only it reads are too."""
    _, grads = run({"x": [1.0], "z": [2.0]}, {"dead": "z * 3", "loss": "x * 2"})
    assert set(grads) == {"loss", "x"}


def test_scalar_broadcast_against_a_vector_sums_the_gradient_back_per_variant():
    """d sum(s * v) / d s = sum(v), shaped (V,); d / d v = s repeated, shaped (V, n)."""
    v = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]])
    _, grads = run({"s": [2.0, -3.0], "v": v}, {"loss": "sum(s * v)"})
    assert grads["s"].shape == (2,)
    assert grads["s"].tolist() == [6.0, 3.5]
    assert grads["v"].tolist() == [[2.0] * 3, [-3.0] * 3]


def test_scalar_broadcast_against_a_matrix_sums_the_gradient_back_per_variant():
    """d sum(s + M) / d s counts M's elements; d sum(s * M) / d s sums them, per variant."""
    m = np.arange(12.0).reshape(2, 2, 3)
    _, grads = run({"s": [1.0, 2.0], "M": m}, {"loss": "sum(s + M) + sum(s * M)"})
    assert grads["s"].tolist() == [6.0 + 15.0, 6.0 + 51.0]
    assert grads["M"].tolist() == [[[2.0] * 3] * 2, [[3.0] * 3] * 2]


def test_vector_broadcast_against_a_matrix_sums_the_gradient_over_rows():
    """A vector broadcasts as a row: its gradient is the column sums of the other factor."""
    m = np.arange(12.0).reshape(2, 2, 3)
    _, grads = run({"v": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "M": m}, {"loss": "sum(v * M)"})
    assert grads["v"].tolist() == m.sum(axis=1).tolist()
    assert grads["M"].tolist() == [[[1.0, 2.0, 3.0]] * 2, [[4.0, 5.0, 6.0]] * 2]


def test_constant_broadcast_against_a_vector_gives_the_vector_its_gradient():
    """sum(2 * v - 1) / 4: every element of v gets 0.5, nothing goes to the constants."""
    _, grads = run({"v": [[1.0, 2.0, 3.0]]}, {"loss": "sum(2 * v - 1) / 4"})
    assert grads["v"].tolist() == [[0.5, 0.5, 0.5]]


def test_every_gradient_has_the_shape_of_its_value():
    """Gradients of scalars, vectors and matrices, broadcast every way, keep their value's shape."""
    edges = {"a": "s * v", "b": "M * v + s", "c": "M @ w", "loss": "sum(a) + mean(b) + max(c)"}
    inputs = {
        "s": np.ones(3),
        "v": np.ones((3, 4)),
        "M": np.ones((3, 2, 4)),
        "w": np.arange(12.0).reshape(3, 4),
    }
    values, grads = run(inputs, edges)
    for name, grad in grads.items():
        assert grad.shape == values[name].shape, name


@pytest.mark.parametrize("source", ["(1/2) * x ** 2", "x ** 2 * (1 / 2)", "x ** 2 * mean(0.5)"])
def test_subexpression_of_numbers_alone_differentiates_like_its_value(source):
    """A part made only of numbers (1/2, mean(0.5)) is a constant: d (x^2 / 2) / dx = x."""
    values, grads = run({"x": [3.0, -2.0]}, {"loss": source})
    assert values["loss"].tolist() == [4.5, 2.0]
    assert grads["x"].tolist() == [3.0, -2.0]


def test_edge_of_numbers_alone_carries_a_value_and_gradient_per_variant():
    """half: 1/2 is (V,) like any per-variant scalar, and its gradient is per variant too."""
    values, grads = run({"x": [3.0, -2.0]}, {"half": "1 / 2", "loss": "half * x ** 2"})
    assert values["half"].tolist() == [0.5, 0.5]
    assert grads["half"].tolist() == [9.0, 4.0]
    assert grads["x"].tolist() == [3.0, -2.0]


def test_softmax_of_a_per_variant_scalar_is_one_and_does_not_mix_variants():
    """softmax over a single element is 1 in every variant, with zero gradient."""
    values, grads = run({"s": [1.0, 2.0, 3.0]}, {"p": "softmax(s)", "loss": "p * s"})
    assert values["p"].tolist() == [1.0, 1.0, 1.0]
    assert grads["s"].tolist() == [1.0, 1.0, 1.0]


def test_variants_at_once_equal_each_variant_alone():
    """Graphs over every op give the same values and gradients for V variants as one by one."""
    for seed in range(60):
        spec = random_graph(seed)
        graph = build_graph(list(spec.inputs), spec.edges)
        tape = forward(graph, spec.inputs)
        grads = backward(graph, tape)
        for variant in range(tape.variants):
            alone = forward(graph, {k: v[variant : variant + 1] for k, v in spec.inputs.items()})
            alone_grads = backward(graph, alone)
            assert alone_grads.keys() == grads.keys()
            for name, value in alone.values.items():
                np.testing.assert_allclose(tape.values[name][variant], value[0], rtol=1e-13)
            for name, grad in alone_grads.items():
                np.testing.assert_allclose(grads[name][variant], grad[0], rtol=1e-13)


def test_changing_one_variant_changes_nothing_in_the_others():
    """Nothing is summed across variants: other variants' values and gradients stay bit for bit."""
    edges = {
        "b": "softmax(v) * sum(v) + mean(v) + max(v) + transpose(v) + v @ v",
        "c": "softmax(M) * sum(M) + mean(M) + max(M) + transpose(M) + M @ v",
        "d": "exp(b) + log(square(c) + 1) + sqrt(abs(c)) + tanh(b) + sigmoid(c) + relu(-b)",
        "e": "softmax(s) * s + max(s) * sum(s) + mean(s) + transpose(s) + 1 / 2",
        "loss": "sum(d) / s - mean(c ** 2) + max(b) ** s + e",
    }
    rng = np.random.default_rng(7)
    inputs = {
        "s": rng.uniform(0.5, 2, 3),
        "v": rng.uniform(0.5, 2, (3, 4)),
        "M": rng.uniform(-2, 2, (3, 4, 4)),
    }
    values, grads = run(inputs, edges)
    changed = {name: value.copy() for name, value in inputs.items()}
    for value in changed.values():
        value[1] *= 1.5
    values2, grads2 = run(changed, edges)
    assert values["loss"][1] != values2["loss"][1]
    for name in values:
        assert np.array_equal(values[name][[0, 2]], values2[name][[0, 2]]), name
    for name in grads:
        assert np.array_equal(grads[name][[0, 2]], grads2[name][[0, 2]]), name


def test_matmul_of_a_scalar_is_refused_with_the_edge_named():
    """@ takes vectors and matrices: a per-variant scalar is a GraphError naming the edge."""
    graph = build_graph(["s", "v"], {"bad": "s @ v", "loss": "sum(bad)"})
    with pytest.raises(GraphError, match="bad") as info:
        forward(graph, {"s": np.ones(2), "v": np.ones((2, 3))})
    assert info.value.edge == "bad"


def test_shapes_that_do_not_fit_are_refused_with_the_edge_named():
    """A (3,) vector plus a (4,) vector is a GraphError naming the edge, not a numpy error."""
    graph = build_graph(["u", "w"], {"e1": "u + w", "loss": "sum(e1)"})
    with pytest.raises(GraphError, match="e1: u \\+ w") as info:
        forward(graph, {"u": np.ones((2, 3)), "w": np.ones((2, 4))})
    assert info.value.edge == "e1"


# --- every op against central finite differences ---------------------------------------------

S, VEC, MAT = (), (3,), (2, 3)

UNARY_DOMAINS = {
    "-a": "any",
    "exp(a)": "any",
    "log(a)": "positive",
    "sqrt(a)": "positive",
    "abs(a)": "any",
    "square(a)": "any",
    "tanh(a)": "any",
    "sigmoid(a)": "any",
    "relu(a)": "any",
    "softmax(a)": "any",
    "sum(a)": "any",
    "mean(a)": "any",
    "max(a)": "any",
    "transpose(a)": "any",
    "a": "any",
    "a ** 3": "any",
    "a ** 0.5": "positive",
    "a ** -1.5": "positive",
    "2.5 ** a": "any",
}
BROADCASTS = [
    (S, S),
    (VEC, VEC),
    (MAT, MAT),
    (S, VEC),
    (VEC, S),
    (S, MAT),
    (MAT, S),
    (VEC, MAT),
    (MAT, VEC),
]
BINARY_DOMAINS = {
    "a + b": ("any", "any"),
    "a - b": ("any", "any"),
    "a * b": ("any", "any"),
    "a / b": ("any", "away"),
    "a ** b": ("positive", "any"),
}
MATMULS = [((3,), (3,)), ((2, 3), (3,)), ((2,), (2, 3)), ((2, 3), (3, 4))]

FD_CASES = [
    pytest.param(source, {"a": (shape, domain)}, id=f"{source} {shape}")
    for source, domain in UNARY_DOMAINS.items()
    for shape in (S, VEC, MAT)
]
FD_CASES += [
    pytest.param(source, {"a": (sa, da), "b": (sb, db)}, id=f"{source} {sa} {sb}")
    for source, (da, db) in BINARY_DOMAINS.items()
    for sa, sb in BROADCASTS
]
FD_CASES += [
    pytest.param(source, {"a": (sa, "any"), "b": (sb, "any")}, id=f"{source} {sa} {sb}")
    for source in ("a @ b", "matmul(a, b)")
    for sa, sb in MATMULS
]


def draw(
    rng: np.random.Generator, shape: tuple[int, ...], domain: str, variants: int
) -> np.ndarray:
    """Values well inside ``domain``: away from kinks and ties by much more than the FD step."""
    size = (variants, *shape)
    if domain == "positive":
        return rng.uniform(0.5, 2.0, size)
    magnitude = rng.uniform(0.2, 2.0, size) if domain == "any" else rng.uniform(0.8, 2.0, size)
    return magnitude * rng.choice([-1.0, 1.0], size)


def numeric_gradient(graph, inputs: dict, name: str) -> np.ndarray:
    """Central differences of each variant's loss, one element of one variant at a time."""
    base = forward(graph, inputs).values[graph.loss]
    value = inputs[name]
    grad = np.zeros_like(value)
    for index in np.ndindex(value.shape):
        losses = []
        for step in (EPS, -EPS):
            nudged = value.copy()
            nudged[index] += step
            loss = forward(graph, {**inputs, name: nudged}).values[graph.loss]
            others = np.arange(len(base)) != index[0]
            assert np.array_equal(loss[others], base[others]), "a nudge leaked into another variant"
            losses.append(loss[index[0]])
        grad[index] = (losses[0] - losses[1]) / (2 * EPS)
    return grad


@pytest.mark.parametrize(("source", "specs"), FD_CASES)
def test_op_gradient_matches_central_finite_differences(source, specs):
    """d sum(w * op(...)) / d each input agrees with central differences (float64, eps 1e-6)."""
    rng = np.random.default_rng(zlib.crc32(source.encode()))
    variants = 2
    inputs = {name: draw(rng, shape, domain, variants) for name, (shape, domain) in specs.items()}
    out = forward(build_graph(list(inputs), {"out": source}), inputs).values["out"]
    inputs["w"] = rng.uniform(-2.0, 2.0, out.shape)
    graph = build_graph(list(inputs), {"out": source, "loss": "sum(w * out)"})
    grads = backward(graph, forward(graph, inputs))
    for name in inputs:
        np.testing.assert_allclose(
            grads[name], numeric_gradient(graph, inputs, name), rtol=1e-6, atol=1e-8, err_msg=name
        )


# --- the expression whitelist ----------------------------------------------------------------

REFUSED = {
    "__import__('os')": "unknown function",
    "__import__('os').system('true')": "unknown function",
    "x.__class__": "not allowed",
    "x.exp()": "unknown function",
    "().__class__.__bases__[0].__subclasses__()": "unknown function",
    "lambda: x": "not allowed",
    "(lambda: x)()": "unknown function",
    "x[0]": "not allowed",
    "'x'": "only numbers",
    "f'{x}'": "not allowed",
    "b'x'": "only numbers",
    "True * x": "only numbers",
    "None": "only numbers",
    "1j * x": "only numbers",
    "foo(x)": "unknown function",
    "eval('x')": "unknown function",
    "print(x)": "unknown function",
    "sum(x, axis=1)": "no keyword arguments",
    "exp(**x)": "no keyword arguments",
    "exp(*x)": "not allowed",
    "exp(x, x)": "takes 1 argument",
    "exp()": "takes 1 argument",
    "matmul(x)": "takes 2 argument",
    "exp": "is a function",
    "x if x else x": "not allowed",
    "x < x": "not allowed",
    "x and x": "not allowed",
    "not x": "not allowed",
    "~x": "not allowed",
    "x // x": "not allowed",
    "x % x": "not allowed",
    "[x, x]": "not allowed",
    "(y := x)": "not allowed",
    "[x for x in x]": "not allowed",
    "x = 1": "not a valid expression",
    "x\ny": "not a valid expression",
    "import os": "not a valid expression",
    "": "not a valid expression",
    "x ** (1 + 1)": "exponent must be a number or a name",
    "x ** 17": "larger than 16",
    "9 ** 9 ** 9 ** 9": "exponent",
    "9" * 399: "too large",
}


@pytest.mark.parametrize("source", list(REFUSED), ids=range(len(REFUSED)))
def test_expression_outside_the_whitelist_is_refused_with_the_edge_named(source):
    """Code, attributes, lambdas, subscripts, strings, unknown calls, keywords and bad arity."""
    with pytest.raises(GraphError, match=REFUSED[source]) as info:
        build_graph(["x"], {"e1": source, "loss": "sum(e1)"})
    assert info.value.edge == "e1"
    assert "'e1: " in str(info.value)


@pytest.mark.parametrize(
    "source",
    [
        "9**9**9**9",
        "(" * 100_000,
        "[" * 100_000,
        "x+" * 500_000 + "x",
        "1" * 1_000_000,
        "-" * 399 + "x",
        "exp(" * 49 + "x" + ")" * 49,
        "(" * 49 + "x" + ")" * 49,
        "x" + " + x" * 99,
        "x" + "**x" * 99,
    ],
    ids=[
        "power tower",
        "100k (",
        "100k [",
        "1 MB sum",
        "1 MB digits",
        "deep minus",
        "deep calls",
        "deep brackets",
        "long sum",
        "pow chain",
    ],
)
def test_hostile_expression_is_refused_fast_without_crashing(source):
    """Power towers, 100,000 brackets, a megabyte of text, deep nesting: refused within 0.5 s."""
    start = time.perf_counter()
    with pytest.raises(ExpressionError):
        compile_expression(source)
    assert time.perf_counter() - start < 0.5


def test_nesting_up_to_the_limit_is_accepted():
    """Redundant brackets and a dozen nested calls are fine."""
    assert len(compile_expression("(" * 40 + "x" + ")" * 40)) == 1
    assert len(compile_expression("exp(" * 12 + "x" + ")" * 12)) == 12


def test_expression_that_is_not_a_string_is_refused():
    """A number from a YAML file is not silently taken as an expression."""
    with pytest.raises(ExpressionError, match="expected an expression"):
        compile_expression(2)


def test_unknown_name_is_refused_with_the_edge_named():
    """A name neither an input nor an earlier edge: GraphError names the edge and the name."""
    with pytest.raises(GraphError, match="unknown name 'z' in 'e2: e1 \\* z'") as info:
        build_graph(["x"], {"e1": "x", "e2": "e1 * z", "loss": "e2"})
    assert info.value.edge == "e2"


@pytest.mark.parametrize("edges", [{"e1": "e2 * 2", "e2": "x"}, {"e1": "e1 + x"}])
def test_name_used_before_it_is_defined_is_refused(edges):
    """Edges read only earlier names: a forward reference or a self-reference is unknown."""
    with pytest.raises(GraphError, match="unknown name") as info:
        build_graph(["x"], edges)
    assert info.value.edge == "e1"


def test_edge_named_like_an_input_is_refused_with_the_edge_named():
    """An edge may not redefine an input."""
    with pytest.raises(GraphError, match="'x' is defined twice") as info:
        build_graph(["x", "y"], {"e1": "x * y", "x": "e1 + 1"})
    assert info.value.edge == "x"


def test_edge_named_like_a_function_is_refused():
    """An edge called exp would shadow the function."""
    with pytest.raises(GraphError, match="function name") as info:
        build_graph(["x"], {"exp": "x * 2"})
    assert info.value.edge == "exp"


def test_graph_without_edges_is_refused():
    """There must be a loss."""
    with pytest.raises(GraphError, match="no edges"):
        build_graph(["x"], {})
