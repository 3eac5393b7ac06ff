"""Exercise files: load and validate the YAML format, build the graph, draw variants."""

from grader.exercises.exercise import Blank, Exercise, VariantError
from grader.exercises.loader import ExerciseError, load_dir, load_file, load_text
from grader.exercises.validate import Checked, Problem, check_exercise, check_text
from grader.exercises.variants import Variant, VariantTable

__all__ = [
    "Blank",
    "Checked",
    "Exercise",
    "ExerciseError",
    "Problem",
    "Variant",
    "VariantError",
    "VariantTable",
    "check_exercise",
    "check_text",
    "load_dir",
    "load_file",
    "load_text",
]
