"""An exercise as the logged-in student sees it: their course, their variant, where they stand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from grader import exercises as core
from grader.checking import feedback
from grader.db import Course, CourseExercise, Exercise, ExerciseVersion, utcnow
from grader.extensions import db
from grader.services import accounts, exercises, learning, standing, submissions, variants
from grader.web.auth import user
from grader.web.i18n import current_language
from grader.web.student import present


@dataclass
class StudentExercise:
    """Everything the exercise page and its endpoints need, loaded once per request."""

    course: Course
    exercise: Exercise
    settings: CourseExercise | None
    version: ExerciseVersion
    spec: core.Exercise
    variant: core.Variant
    standing: standing.Standing
    now: datetime

    def attempts(self) -> list[present.Attempt]:
        """The student's attempts, newest first."""
        rows = submissions.attempts(db.session, user(), self.course, self.exercise)
        return [self.shown(row) for row in rows]

    def shown(self, submission: dict) -> present.Attempt:
        """A submission of this exercise as the page shows it, with the expected values only
        once they are revealed, what the attempt is worth and the hints its wrong blanks offer."""
        row = standing.disclosed(submission, self.standing.revealed)
        history = lambda: self.history  # noqa: E731  (read only when a hint needs it)
        row = learning.annotate(db.session, row, self.rules, history, current_language())
        return present.attempt(row, self.spec)

    @cached_property
    def rules(self) -> learning.Settings:
        """The exercise's hint and penalty settings in the course."""
        return learning.Settings.of(self.settings)

    @cached_property
    def history(self) -> learning.History:
        """The student's attempts at the exercise and the blanks each answered wrong."""
        return learning.history(db.session, user().id, self.course.id, self.exercise.id)

    def precision(self) -> str:
        """How precise each answer must be, in the reader's language."""
        return feedback.precision(self.spec, feedback.translator(current_language()))

    def forward_values(self) -> dict:
        """The value of every name in the graph, for the student's variant."""
        tape, _ = self.spec.evaluate([self.variant])
        return {name: value[0] for name, value in tape.values.items()}


def open_exercise(course_slug: str, exercise_slug: str) -> StudentExercise:
    """The exercise of one of the student's courses (NotFound otherwise), with their variant."""
    session, me = db.session, user()
    course = accounts.course_of(session, me, course_slug)
    exercise, settings = exercises.find_offered(session, course, exercise_slug)
    version = exercises.current_version(session, exercise)
    variant = variants.variant_for(session, course, me, version)
    session.commit()
    now = utcnow()
    return StudentExercise(
        course=course,
        exercise=exercise,
        settings=settings,
        version=version,
        spec=exercises.load_version(version),
        variant=core.Variant.from_dict(variant.values),
        standing=standing.exercise_standing(session, me, course, exercise, settings, now),
        now=now,
    )
