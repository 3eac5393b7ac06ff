"""The tolerance rule, which lives with the exercises so that drawing variants uses it too."""

from grader.exercises.tolerance import Tolerance

__all__ = ["Tolerance"]
