"""Parse an edge's expression with an ``ast`` whitelist (never ``eval``) into compiled steps."""

from __future__ import annotations

import ast
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from grader.engine.ops import OPS, Op, functions

MAX_EXPRESSION_LENGTH = 400
MAX_DEPTH = 24
MAX_CONSTANT_EXPONENT = 16

# Python's binary operators as written; an op takes one as its ``syntax``.
OPERATORS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
}


class ExpressionError(ValueError):
    """An expression outside the whitelist, or too large."""


@dataclass(frozen=True)
class Ref:
    """An argument of a step: a defined name, a number, or the output of an earlier step."""

    kind: str  # "name" | "const" | "step"
    name: str = ""
    value: float = 0.0
    step: int = -1


@dataclass(frozen=True)
class Step:
    """One op applied to its arguments; an edge is a list of steps, the last one its value."""

    op: str
    args: tuple[Ref, ...]


def names_in(steps: list[Step]) -> list[str]:
    """The names an expression reads, each once, in order of first use."""
    seen: dict[str, None] = {}
    for step in steps:
        for ref in step.args:
            if ref.kind == "name":
                seen.setdefault(ref.name, None)
    return list(seen)


def compile_expression(source: str, ops: Mapping[str, Op] = OPS) -> list[Step]:
    """Compile ``source`` (Python syntax) into steps of ``ops``; raise ExpressionError when it is
    not allowed."""
    if not isinstance(source, str):
        raise ExpressionError(f"expected an expression, got {type(source).__name__}")
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_EXPRESSION_LENGTH} characters")
    if source.count("(") + source.count("[") > 2 * MAX_DEPTH:
        raise ExpressionError(f"expression nested deeper than {MAX_DEPTH}")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, MemoryError, RecursionError) as exc:
        raise ExpressionError(f"not a valid expression: {getattr(exc, 'msg', exc)}") from None
    steps: list[Step] = []
    ref = _Compiler(steps, ops).visit(tree.body, 0)
    if ref.kind != "step":
        steps.append(Step("id", (ref,)))
    return steps


class _Compiler:
    def __init__(self, steps: list[Step], ops: Mapping[str, Op]):
        self.steps, self.ops = steps, ops
        self.functions = functions(ops)
        syntax = {op.syntax: op.name for op in ops.values() if op.arity == 2 and op.syntax}
        self.binary = {node: syntax[text] for node, text in OPERATORS.items() if text in syntax}

    def emit(self, op: str, args: list[Ref]) -> Ref:
        self.steps.append(Step(op, tuple(args)))
        return Ref("step", step=len(self.steps) - 1)

    def visit(self, node: ast.AST, depth: int) -> Ref:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested deeper than {MAX_DEPTH}")
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ExpressionError(f"only numbers are allowed, not {node.value!r}")
            if abs(node.value) > sys.float_info.max:
                raise ExpressionError("a number in the expression is too large")
            return Ref("const", value=float(node.value))
        if isinstance(node, ast.Name):
            if node.id in self.functions:
                raise ExpressionError(f"'{node.id}' is a function: call it as {node.id}(...)")
            return Ref("name", name=node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = self.visit(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return inner
            if inner.kind == "const":
                return Ref("const", value=-inner.value)
            return self.emit("neg", [inner])
        if isinstance(node, ast.BinOp) and type(node.op) in self.binary:
            op = self.binary[type(node.op)]
            left = self.visit(node.left, depth + 1)
            right = self.visit(node.right, depth + 1)
            if op == "pow":
                _check_exponent(right)
            return self.emit(op, [left, right])
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise ExpressionError(f"'{ast.unparse(node)}' is not allowed here")

    def call(self, node: ast.Call, depth: int) -> Ref:
        if not isinstance(node.func, ast.Name) or node.func.id not in self.functions:
            name = ast.unparse(node.func)
            raise ExpressionError(f"unknown function '{name}'")
        if node.keywords:
            raise ExpressionError(f"{node.func.id}() takes no keyword arguments")
        op = self.ops[node.func.id]
        if len(node.args) != op.arity:
            raise ExpressionError(
                f"{node.func.id}() takes {op.arity} argument(s), got {len(node.args)}"
            )
        args = [self.visit(arg, depth + 1) for arg in node.args]
        return self.emit(op.name, args)


def _check_exponent(ref: Ref) -> None:
    if ref.kind == "step":
        raise ExpressionError("an exponent must be a number or a name, not an expression")
    if ref.kind == "const" and abs(ref.value) > MAX_CONSTANT_EXPONENT:
        raise ExpressionError(f"exponent {ref.value:g} is larger than {MAX_CONSTANT_EXPONENT}")
