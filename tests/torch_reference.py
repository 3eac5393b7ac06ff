"""An independent reference for the engine, in tests only: the same expressions run by PyTorch."""

from __future__ import annotations

import torch

TORCH_FUNCTIONS = {
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "abs": torch.abs,
    "square": torch.square,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "softmax": lambda a: torch.softmax(a, dim=-1),
    "sum": torch.sum,
    "mean": torch.mean,
    "max": torch.max,
    "transpose": torch.t,
    "matmul": torch.matmul,
}


def torch_step(exercise, start: dict) -> dict:
    """One forward and backward pass of ``exercise``'s graph in torch, from ``start``."""
    values = {
        name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
        for name, value in start.items()
    }
    scope = {"__builtins__": {}, **TORCH_FUNCTIONS}
    for name, source in exercise.spec.graph.items():
        values[name] = eval(str(source), scope, dict(values))
        values[name].retain_grad()
    values[exercise.graph.loss].backward()
    return values
