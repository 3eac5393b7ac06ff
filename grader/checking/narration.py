"""How an expression reads in a worked solution, from its compiled steps and the op table."""

from __future__ import annotations

from collections.abc import Mapping

from grader.engine.expr import Ref, Step
from grader.engine.ops import OPS, Op
from grader.engine.prose import atom, num, power

__all__ = ["atom", "num", "power", "render"]


def render(steps: tuple[Step, ...], ref: Ref, ops: Mapping[str, Op] = OPS) -> str:
    """An expression as prose, from its compiled steps."""
    if ref.kind == "name":
        return ref.name
    if ref.kind == "const":
        return num(ref.value, paren=True)
    step, op = steps[ref.step], ops[steps[ref.step].op]
    args = [render(steps, arg, ops) for arg in step.args]
    if step.op == "id":
        return args[0]
    if step.op == "pow":
        base = _tight(steps, step.args[0], op.precedence + 1, args[0], ops)
        exponent = step.args[1]
        if exponent.kind == "const":
            return power(base, exponent.value)
        return f"{base}{op.symbol}{exponent.name}"
    if op.symbol and op.arity == 1:
        return op.symbol + _tight(steps, step.args[0], op.precedence + 1, args[0], ops)
    if op.symbol:
        left = _tight(steps, step.args[0], op.precedence, args[0], ops)
        right = _tight(
            steps, step.args[1], op.precedence + (step.op in ("sub", "div")), args[1], ops
        )
        return f"{left} {op.symbol} {right}"
    return f"{step.op}({', '.join(args)})"


def _tight(steps, ref: Ref, rank: int, text: str, ops: Mapping[str, Op]) -> str:
    if ref.kind == "step" and ops[steps[ref.step].op].precedence < rank:
        return f"({text})"
    return text
