"""Reading an import: JSONL lines (the ``grader grade`` input format) or CSV rows (a column per
blank), each checked on its own and stored a chunk at a time. A bad line is rejected with its
number and the reason and the others are still imported; memory holds one chunk, however long
the file.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson
from sqlalchemy import literal, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from grader import exercises as core
from grader.checking.answers import MAX_ANSWER_LENGTH
from grader.db import (
    Batch,
    BatchChunk,
    Course,
    Enrolment,
    ExerciseVersion,
    Submission,
    User,
    utcnow,
)
from grader.db.base import UTCDateTime
from grader.services import bulk
from grader.services.accounts import EMAIL
from grader.services.errors import Invalid, ServiceError
from grader.services.exercises import load_version, offered_version
from grader.services.lines import TextLines, bounded_lines
from grader.services.submissions import attempt_counts, clean_answers

MAX_LINE_BYTES = 1 << 20
MAX_ERRORS = 1000
MAX_SOURCE_ID = 200
MAX_REMEMBERED = 200_000
# Which (student, key) pairs are stored: one probe of the (user_id, idempotency_key) index per
# pair, whatever the planner guesses of the arrays' lengths (comparing every key of the
# students' submissions with every key of the chunk took seconds a chunk).
STORED_KEYS = text("""
SELECT s.user_id, s.idempotency_key
FROM unnest(CAST(:users AS integer[]), CAST(:keys AS text[])) AS k(user_id, idempotency_key)
JOIN submissions s ON s.user_id = k.user_id AND s.idempotency_key = k.idempotency_key
""")
RESERVED_COLUMNS = ("id", "student", "exercise")
BLANK_KINDS = ("grad", "update", "new")
VALUE_SECTIONS = ("given", "params")


class LineError(ValueError):
    """A line that cannot be imported; the message says why."""


Record = tuple[int, Any]


def jsonl_records(stream: IO[bytes] | Iterable[bytes]) -> Iterator[Record]:
    """(line number, parsed object or LineError) for every non-blank line; a line too long is
    refused without being read whole."""
    for number, line in enumerate(bounded_lines(stream, MAX_LINE_BYTES), start=1):
        if line is None:
            yield number, LineError(f"line longer than {MAX_LINE_BYTES} bytes")
        elif line.strip():
            try:
                yield number, orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield number, LineError(f"not valid JSON ({exc})")


def csv_records(stream: IO[bytes]) -> Iterator[Record]:
    """(line number, the row as a JSONL line's object) for every non-empty row after the header:
    columns ``id``, ``student``, ``exercise``, one per blank (``grad.e3``) and optionally
    ``given.NAME``/``params.NAME`` holding a number or a JSON list."""
    lines = TextLines(stream, MAX_LINE_BYTES)
    reader = csv.reader(lines)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return
    if (problem := lines.problem(1, reader.line_num)) is not None:
        raise Invalid(f"the CSV file's header cannot be read: {problem}")
    for name in header:
        kind = name.split(".", 1)[0]
        if name not in RESERVED_COLUMNS and kind not in BLANK_KINDS + VALUE_SECTIONS:
            raise Invalid(
                f"unknown column '{name}': the columns are id, student, exercise, one per blank "
                "(grad.e3, update.v, new.v) and given.NAME or params.NAME"
            )
    if "student" not in header or "exercise" not in header:
        raise Invalid("the CSV header needs the columns student and exercise")
    while True:
        first = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, LineError(f"not readable as CSV ({exc})")
            continue
        if (problem := lines.problem(first, reader.line_num)) is not None:
            yield reader.line_num, LineError(problem)
        elif any(cell.strip() for cell in row):
            yield reader.line_num, _csv_line(header, row)


def _csv_line(header: list[str], row: list[str]) -> dict | LineError:
    if len(row) != len(header):
        return LineError(f"{len(row)} cells where the header has {len(header)}")
    line: dict[str, Any] = {"answers": {}}
    for name, cell in zip(header, row, strict=True):
        cell = cell.strip()
        kind, _, rest = name.partition(".")
        if name in RESERVED_COLUMNS:
            line[name] = cell or None
        elif kind in VALUE_SECTIONS and cell:
            try:
                line.setdefault(kind, {})[rest] = orjson.loads(cell.replace("−", "-"))
            except orjson.JSONDecodeError:
                return LineError(f"{name}: '{cell}' is not a number or a list of numbers")
        elif cell:
            line["answers"][name] = cell
    return line


@dataclass
class Offered:
    """An exercise the course offers, as a line needs it: ids, version, and values to check
    a line's own given/params against."""

    exercise_id: int
    version: ExerciseVersion
    core: core.Exercise
    base: core.Variant
    blank_ids: frozenset[str] = frozenset()

    def plain(self, answers: Any) -> bool:
        """True when ``clean_answers`` would return the answers as they are: text for known
        blanks only (the common line, checked without building anything)."""
        if type(answers) is not dict or not self.blank_ids.issuperset(answers):
            return False
        for value in answers.values():
            if type(value) is not str or len(value) > MAX_ANSWER_LENGTH:
                return False
        return True


def _line_key(exercise_id: int, source_id: str | None, number: int, content: Any) -> str:
    """What a line is known by among its student's submissions, so that importing it again adds
    nothing: its ``id`` (with the exercise) where it has one, else its line number and the
    file's content up to it (``content``: a running hash). Two identical lines are two
    attempts; the same file imported again, or with lines added at its end, adds only what is
    new."""
    identity = ["id", exercise_id, source_id] if source_id is not None else ["line", number]
    if source_id is None:
        identity.append(content.hexdigest())
    return hashlib.sha256(orjson.dumps(identity)).hexdigest()


@dataclass
class Loader:
    """Checks lines and stores them in chunks; ``publish`` is called with each stored chunk's id."""

    session: Session
    course: Course
    batch: Batch
    publish: Callable[[int], Any]
    chunk_size: int
    pending: list[list] = field(default_factory=list)
    offered: dict[str, Offered | ServiceError] = field(default_factory=dict)
    chunks: int = 0
    content: Any = field(default_factory=hashlib.sha256)
    students: dict[str, int] = field(default_factory=dict)
    # The last attempt number given per (student, exercise), and the lines' keys already given
    # one: attempts are numbered here, in the file's order, so chunks graded at once by several
    # workers never count the same earlier submissions twice.
    attempts: dict[tuple[int, int], int] = field(default_factory=dict)
    numbered: set[str] = field(default_factory=set)
    earlier: set[tuple[int, int]] = field(default_factory=set)  # with submissions before it

    def add(self, number: int, record: Any) -> None:
        self.content.update(
            orjson.dumps([number, str(record) if isinstance(record, LineError) else record])
        )
        try:
            if isinstance(record, LineError):
                raise record
            self.pending.append(self._check(number, record))
        except (LineError, ServiceError, core.VariantError) as exc:
            self.reject(number, getattr(exc, "message", str(exc)))
        if len(self.pending) >= self.chunk_size:
            self.flush()

    def reject(self, number: int | None, message: str) -> None:
        self.batch.rejected += 1
        if len(self.batch.errors) < MAX_ERRORS:
            self.batch.errors = [*self.batch.errors, {"line": number, "message": message}]

    def flush(self) -> None:
        """Store the pending lines as one chunk (adding unknown students to the course), commit,
        and publish it."""
        if not self.pending:
            return
        users = self._students({line[1] for line in self.pending})
        lines = [[line[0], users[line[1]], *line[1:]] for line in self.pending]
        self._number(lines)
        chunk = BatchChunk(batch_id=self.batch.id, number=self.chunks, size=len(lines), lines=lines)
        self.session.add(chunk)
        self.batch.total += len(lines)
        self.session.commit()
        self.chunks += 1
        self.pending = []
        self.publish(chunk.id)

    def _number(self, lines: list[list]) -> None:
        """Append each line's attempt number: after the student's submissions to the exercise
        in the course (counted when the student and exercise first come up in this import),
        in the file's order. A line already stored (its key there, from an earlier import of
        the file) or repeated in this file gets 0: it is not stored again, so it takes no
        number."""
        session, course_id = self.session, self.course.id
        if len(self.numbered) > MAX_REMEMBERED:
            self.numbered.clear()
        new = sorted({(line[1], line[3]) for line in lines} - self.attempts.keys())
        if new:
            counted = attempt_counts(session, course_id, {pair[0] for pair in new})
            for pair in new:
                self.attempts[pair] = counted.get(pair, 0)
                if pair in counted:
                    self.earlier.add(pair)
        # Only a student with submissions from before this import can have a line stored already.
        asked = [line for line in lines if (line[1], line[3]) in self.earlier]
        stored = set()
        if asked:
            pairs = [(line[1], line[-1]) for line in asked]
            stored = {(user_id, key) for user_id, key in stored_keys(session, pairs)}
        for line in lines:
            key = line[-1]
            if (line[1], key) in stored or key in self.numbered:
                line.append(0)
                continue
            self.numbered.add(key)
            pair = (line[1], line[3])
            self.attempts[pair] += 1
            line.append(self.attempts[pair])

    def _check(self, number: int, line: Any) -> list:
        if type(line) is not dict:
            raise LineError("a line is an object with student, exercise and answers")
        email = line.get("student")
        if type(email) is not str:
            raise LineError("'student' must be the student's email")
        email = email.strip().lower()
        if not EMAIL.match(email) or len(email) > 254:
            raise LineError(f"'student' {email[:100]!r} is not an email address")
        offered = self._offered(line.get("exercise"))
        answers = line.get("answers", {})
        if not offered.plain(answers):
            answers = clean_answers(offered.version.blanks, answers)
        given, params = line.get("given") or None, line.get("params") or None
        for key, values in (("given", given), ("params", params)):
            if values is not None and type(values) is not dict:
                raise LineError(f"'{key}' must be an object of name -> value")
        if given is not None or params is not None:
            offered.core.with_values(offered.base, given, params)
        source_id = line.get("id")
        if source_id is not None:
            if type(source_id) not in (str, int):
                raise LineError("'id' must be text or a number")
            source_id = str(source_id)[:MAX_SOURCE_ID]
        key = _line_key(offered.exercise_id, source_id, number, self.content)
        return [
            number,
            email,
            offered.exercise_id,
            offered.version.id,
            answers,
            given,
            params,
            source_id,
            f"import:{key[:48]}",
        ]

    def _offered(self, slug: Any) -> Offered:
        if type(slug) is not str:
            raise LineError("'exercise' must be an exercise id, like \"single-weight\"")
        known = self.offered.get(slug)
        if known is None:
            try:
                exercise, _, version = offered_version(self.session, self.course, slug)
                loaded = load_version(version)
                known = Offered(
                    exercise.id,
                    version,
                    loaded,
                    loaded.draw_variant("", ""),
                    frozenset(blank["id"] for blank in version.blanks),
                )
            except ServiceError as exc:
                known = exc
            if len(self.offered) < 1000:
                self.offered[slug] = known
        if isinstance(known, ServiceError):
            raise known
        return known

    def _students(self, emails: set[str]) -> dict[str, int]:
        """User ids by email, remembered for the rest of the import (a student's lines are
        spread over many chunks); the ones not seen in an earlier chunk are looked up."""
        if len(self.students) > MAX_REMEMBERED:
            self.students.clear()
        new = emails.difference(self.students)
        if new:
            self.students.update(self._enrol(new))
        return self.students

    def _enrol(self, emails: set[str]) -> dict[str, int]:
        """User ids by email; unknown students are created and every one not yet in the course
        is enrolled as a student (an import gives no one a role to teach)."""
        session, ordered = self.session, sorted(emails)
        known = select(User.email, User.id).where(bulk.one_of(session, User.email, ordered))
        found = dict(session.execute(known).all())
        missing = [email for email in ordered if email not in found]
        dialect = pg_insert if bulk.postgres(session) else sqlite_insert
        now = utcnow()
        if missing:
            session.connection().execute(
                dialect(User.__table__).on_conflict_do_nothing(index_elements=["email"]),
                [
                    {"email": email, "name": "", "role": "student", "created_at": now}
                    for email in missing
                ],
            )
            found = dict(session.execute(known).all())
        session.connection().execute(
            dialect(Enrolment.__table__)
            .from_select(
                ["course_id", "user_id", "role", "created_at"],
                select(
                    literal(self.course.id),
                    User.id,
                    literal("student"),
                    literal(now, UTCDateTime()),
                ).where(bulk.one_of(session, User.email, ordered)),
            )
            .on_conflict_do_nothing(index_elements=["course_id", "user_id"])
        )
        return found


def stored_keys(session: Session, pairs: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The (user id, idempotency key) pairs among ``pairs`` that a submission has."""
    if bulk.postgres(session):
        users, keys = [pair[0] for pair in pairs], [pair[1] for pair in pairs]
        return [tuple(row) for row in session.execute(STORED_KEYS, {"users": users, "keys": keys})]
    key = tuple_(Submission.user_id, Submission.idempotency_key)
    query = select(Submission.user_id, Submission.idempotency_key).where(key.in_(pairs))
    return [tuple(row) for row in session.execute(query)]
