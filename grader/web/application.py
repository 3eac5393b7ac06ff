"""The Flask class the app is made of: Flask's own, asking once per function whether it must be
run as a coroutine."""

from __future__ import annotations

from collections.abc import Callable
from inspect import iscoroutinefunction
from typing import Any

from flask import Flask

MAX_KNOWN_FUNCTIONS = 4096


class GraderFlask(Flask):
    """Flask, whose ``ensure_sync`` (called on every hook and view of every request) remembers
    the plain functions it has seen instead of inspecting each again; coroutine functions are
    wrapped as Flask wraps them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plain_functions: set[Callable[..., Any]] = set()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            if func in self.plain_functions:
                return func
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)
        if iscoroutinefunction(func):
            return self.async_to_sync(func)
        if len(self.plain_functions) < MAX_KNOWN_FUNCTIONS:
            self.plain_functions.add(func)
        return func
