"""A course's own exercises: written and saved as versions, checked first, seen only by their
course (and those an admin shares them with), and moved as files by export and import."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.db import Exercise, User
from grader.extensions import db
from grader.services import accounts, authoring, exercise_files, exercises, sharing
from grader.services.errors import Forbidden, NotFound

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"


def source(slug: str, v: str = "0") -> str:
    """The book's first example under another id, with a starting weight ``v``."""
    text = (EXERCISES / "single-weight.yaml").read_text()
    return text.replace("id: single-weight", f"id: {slug}").replace("  v: 0\n", f"  v: {v}\n")


def fresh(session, role: str = "instructor") -> tuple[User, object]:
    """A user teaching (or enrolled in) a course of their own."""
    tag = uuid.uuid4().hex[:8]
    user = accounts.add_user(session, f"{role}-{tag}@test.example", role, "pw", f"c-{tag}")
    session.commit()
    return user, accounts.course_of(session, user, f"c-{tag}")


@pytest.fixture
def session(stack):
    with stack.app_context():
        yield db.session
        db.session.rollback()


def test_a_new_exercise_belongs_to_its_course_and_waits_to_be_offered(session):
    """Made in the editor: owned by the course, its author recorded, not yet offered there."""
    me, course = fresh(session)
    slug = f"mine-{uuid.uuid4().hex[:8]}"
    saved = authoring.create(session, course, me, source(slug))
    assert (saved.number, saved.new, saved.version.author_id) == (1, True, me.id)
    row = authoring.owned_exercise(session, course, slug)
    assert row.owner_course_id == course.id
    assert slug not in [e.slug for e, _ in exercises.offered(session, course)]
    assert [e.slug for e in authoring.owned(session, course)] == [slug]


def test_a_file_that_does_not_check_is_not_saved_and_says_its_line(session):
    """A typo in an expression is refused with its line; nothing is stored."""
    me, course = fresh(session)
    slug = f"typo-{uuid.uuid4().hex[:8]}"
    bad = source(slug).replace("e3: e2 - y", "e3: e2 - yy")
    with pytest.raises(authoring.NotValid) as caught:
        authoring.create(session, course, me, bad)
    line = bad.splitlines().index("  e3: e2 - yy") + 1
    assert [str(p) for p in caught.value.problems] == [
        f"line {line}: unknown name 'yy' in 'e3: e2 - yy'"
    ]
    assert session.query(Exercise).filter_by(slug=slug).count() == 0


def test_a_taken_id_is_refused_at_its_line(session):
    """An id an exercise file already uses is refused."""
    me, course = fresh(session)
    with pytest.raises(authoring.NotValid, match="line 1: the id 'single-weight' is already taken"):
        authoring.create(session, course, me, source("single-weight"))


def test_saving_twice_makes_two_versions_with_their_diff(session):
    """Each changed save is a new version with who saved it; the diff names the changed line;
    saving the same text again adds nothing; the id cannot change."""
    me, course = fresh(session)
    slug = f"versions-{uuid.uuid4().hex[:8]}"
    authoring.create(session, course, me, source(slug))
    row = authoring.owned_exercise(session, course, slug)
    second = authoring.save(session, course, me, row, source(slug, v="1"))
    assert (second.number, second.new) == (2, True)
    again = authoring.save(session, course, me, row, source(slug, v="1"))
    assert (again.number, again.new) == (2, False)
    entries = authoring.history(session, row)
    assert [(e.number, e.author, e.current) for e in entries] == [
        (2, me.email, True),
        (1, me.email, False),
    ]
    changed = [line for line in authoring.diff(session, row, 1, 2) if line[:1] in "+-"]
    assert changed == ["--- version 1", "+++ version 2", "-  v: 0", "+  v: 1"]
    with pytest.raises(authoring.NotValid, match="the id must stay"):
        authoring.save(session, course, me, row, source("renamed-" + slug))
    with pytest.raises(NotFound):
        authoring.version_number(session, row, 3)


def test_another_course_neither_sees_nor_edits_the_exercise_until_an_admin_shares_it(session):
    """Visible and offered only in its course; an admin's share makes it visible elsewhere."""
    me, course = fresh(session)
    other_teacher, other = fresh(session)
    admin, _ = fresh(session, role="admin")
    slug = f"private-{uuid.uuid4().hex[:8]}"
    authoring.create(session, course, me, source(slug))
    assert slug not in [e.slug for e, _ in exercises.offered(session, other)]
    with pytest.raises(NotFound):
        exercises.find_offered(session, other, slug)
    with pytest.raises(NotFound):
        authoring.owned_exercise(session, other, slug)
    row = authoring.owned_exercise(session, course, slug)
    with pytest.raises(Forbidden):
        sharing.share(session, other_teacher, row, other.slug)
    sharing.share(session, admin, row, other.slug)
    assert [c.slug for c in sharing.shared_with(session, row)] == [other.slug]
    assert slug in [e.slug for e, _ in exercises.offered(session, other)]
    with pytest.raises(NotFound):
        authoring.owned_exercise(session, other, slug)
    sharing.unshare(session, admin, row, other.slug)
    assert slug not in [e.slug for e, _ in exercises.offered(session, other)]


def test_sync_leaves_course_exercises_alone(stack, session):
    """Syncing the exercise files neither retires a course's exercise nor takes its id."""
    me, course = fresh(session)
    slug = f"kept-{uuid.uuid4().hex[:8]}"
    authoring.create(session, course, me, source(slug))
    report = exercises.sync_exercises(session, stack.config["EXERCISES_DIR"])
    assert slug not in report.retired
    assert authoring.owned_exercise(session, course, slug).active


def test_export_and_import_move_a_courses_exercises_as_files(embedded_app, tmp_path, monkeypatch):
    """``grader exercises export`` writes the saved text; ``import`` into the course saves the
    edited file as a new version, and a bad file stops the whole import with file:line."""
    with embedded_app.app_context():
        me, course = fresh(db.session)
        slug = f"files-{uuid.uuid4().hex[:8]}"
        authoring.create(db.session, course, me, source(slug))
        course_slug = course.slug
    monkeypatch.setenv("GRADER_DATABASE_URL", embedded_app.config["DATABASE_URL"])
    monkeypatch.setenv("GRADER_INSTANCE_DIR", embedded_app.config["INSTANCE_DIR"])
    monkeypatch.setenv("GRADER_SECRET_KEY", "test-secret")
    out = CliRunner().invoke(main, ["exercises", "export", "--course", course_slug, str(tmp_path)])
    assert out.exit_code == 0, out.output
    path = tmp_path / f"{slug}.yaml"
    assert path.read_text() == source(slug)

    path.write_text(source(slug, v="2"))
    (tmp_path / "bad.yaml").write_text(source("bad-" + slug).replace("e2 - y", "e2 - yy"))
    out = CliRunner().invoke(main, ["exercises", "import", "--course", course_slug, str(tmp_path)])
    assert out.exit_code == 1
    assert f"FAIL {tmp_path / 'bad.yaml'}:" in out.output and "unknown name 'yy'" in out.output
    (tmp_path / "bad.yaml").unlink()
    out = CliRunner().invoke(main, ["exercises", "import", "--course", course_slug, str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == [f"changed: {slug}"]
    with embedded_app.app_context():
        course = accounts.course_of(db.session, me, course_slug)
        row = authoring.owned_exercise(db.session, course, slug)
        assert [e.number for e in authoring.history(db.session, row)] == [2, 1]
        assert exercise_files.export(db.session, course, tmp_path / "again")[0].read_text() == (
            source(slug, v="2")
        )
