"""The database: typed SQLAlchemy 2 models, split by concept, and the session extension."""

from grader.db.base import Base, utcnow
from grader.db.batch import Batch, BatchChunk
from grader.db.course import Course, CourseExercise, Enrolment
from grader.db.exercise import Exercise, ExerciseShare, ExerciseVersion
from grader.db.lti_link import LtiAccount, LtiContext, LtiLink, LtiPassback
from grader.db.lti_platform import LtiKey, LtiPlatform
from grader.db.practice import Practice, PracticeAttempt
from grader.db.result import Result
from grader.db.result_blank import ResultBlank
from grader.db.result_history import ResultHistory
from grader.db.session import Database, make_engine
from grader.db.submission import Submission
from grader.db.user import ApiToken, User, hash_token
from grader.db.variant import StudentVariant

__all__ = [
    "ApiToken",
    "Base",
    "Batch",
    "BatchChunk",
    "Course",
    "CourseExercise",
    "Database",
    "Enrolment",
    "Exercise",
    "ExerciseShare",
    "ExerciseVersion",
    "LtiAccount",
    "LtiContext",
    "LtiKey",
    "LtiLink",
    "LtiPassback",
    "LtiPlatform",
    "Practice",
    "PracticeAttempt",
    "Result",
    "ResultBlank",
    "ResultHistory",
    "StudentVariant",
    "Submission",
    "User",
    "hash_token",
    "make_engine",
    "utcnow",
]
