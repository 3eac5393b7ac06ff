"""A course's own exercises as files, to keep in version control: export writes one YAML file a
exercise, exactly as last saved; import saves each file as a new version of the course's
exercise of that id (or a new exercise), after every file has checked, or none."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from grader import exercises as core
from grader.db import Course, Exercise, User
from grader.services import authoring
from grader.services.errors import Invalid
from grader.services.exercises import current_version

MAX_FILES = 500


@dataclass
class Imported:
    """What an import did, by exercise id."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class ImportRefused(Invalid):
    """Files that do not check or cannot be the course's: ``problems`` as ``file:line: reason``."""

    def __init__(self, problems: list[str]):
        super().__init__("nothing was imported: " + "; ".join(problems))
        self.problems = problems


def export(session: Session, course: Course, directory: str | Path) -> list[Path]:
    """Write each of the course's own exercises to ``directory/<id>.yaml``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for row in authoring.owned(session, course):
        path = directory / f"{row.slug}.yaml"
        path.write_text(current_version(session, row).source, encoding="utf-8")
        written.append(path)
    return written


def import_dir(
    session: Session, course: Course, directory: str | Path, author: User | None = None
) -> Imported:
    """Save every ``*.yaml`` file of ``directory`` in the course, or refuse them all."""
    paths = sorted(Path(directory).glob("*.y*ml"))
    if len(paths) > MAX_FILES:
        raise ImportRefused([f"{directory}: more than {MAX_FILES} files"])
    problems, sources, seen = [], {}, {}
    for path in paths:
        raw = path.read_bytes()
        checked = core.check_text(raw, str(path))
        problems += [f"{path}:{p.line}: {p.reason}" for p in checked.problems]
        if checked.exercise is None:
            continue
        slug = checked.exercise.id
        if slug in seen:
            problems.append(f"{path}: exercise id '{slug}' is also used by {seen[slug]}")
        seen[slug] = path
        row = session.scalar(select(Exercise).filter_by(slug=slug))
        if row is not None and row.owner_course_id != course.id:
            problems.append(f"{path}: exercise id '{slug}' is taken by another exercise")
        sources[slug] = (row, raw.decode("utf-8"))
    if problems:
        raise ImportRefused(problems)
    report = Imported()
    for slug, (row, source) in sources.items():
        if row is None:
            authoring.create(session, course, author, source)
            report.added.append(slug)
        elif authoring.save(session, course, author, row, source).new:
            report.changed.append(slug)
        else:
            report.unchanged.append(slug)
    return report
