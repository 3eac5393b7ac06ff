"""Checking submitted answers against the reference engine."""

from grader.checking.answers import Unreadable, parse_answer
from grader.checking.grade import grade, grade_many
from grader.checking.judge import VERDICTS
from grader.checking.results import Graded

ENGINE_VERSION = "2"

__all__ = [
    "ENGINE_VERSION",
    "VERDICTS",
    "Graded",
    "Unreadable",
    "grade",
    "grade_many",
    "parse_answer",
]
