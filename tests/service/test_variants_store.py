"""Students' variants stored in bulk (batch chunks) agree with the ones drawn one at a time
(the pages and the API), on SQLite and PostgreSQL, and survive another process storing some
of them first."""

from __future__ import annotations

from sqlalchemy import func, select

from grader.db import Course, Exercise, StudentVariant, User
from grader.extensions import db
from grader.services import accounts, variants
from grader.services.exercises import current_version


def setup(count: int, exercise: str = "single-weight-random"):
    users = [
        accounts.add_user(db.session, f"s{n}@example.test", "student", None, "algebra")
        for n in range(count)
    ]
    db.session.commit()
    course = db.session.scalar(select(Course).filter_by(slug="algebra"))
    version = current_version(
        db.session, db.session.scalar(select(Exercise).filter_by(slug=exercise))
    )
    return course, version, users


def test_bulk_variants_match_the_ones_drawn_one_at_a_time(quiet_app):
    with quiet_app.app_context():
        course, version, users = setup(6)
        one = {
            user.id: variants.variant_for(db.session, course, user, version) for user in users[:2]
        }
        db.session.commit()
        found = variants.ensure_many(db.session, course, version, [u.id for u in users] * 2)
        db.session.commit()
        assert sorted(found) == sorted(user.id for user in users)
        for user_id, row in one.items():
            assert found[user_id] == (row.id, row.values)
        stored = {row.user_id: row for row in db.session.scalars(select(StudentVariant)).all()}
        assert len(stored) == 6
        for user in users[2:]:
            drawn = variants.load_version(version).draw_variant(course.secret, user.email)
            row = stored[user.id]
            assert found[user.id] == (row.id, drawn.to_dict()) and row.values == drawn.to_dict()
            exercise = variants.load_version(version)
            assert row.reference == variants.reference_answers(exercise, drawn)
        assert len({repr(values) for _, values in found.values()}) > 1  # students differ
        again = variants.ensure_many(db.session, course, version, [u.id for u in users])
        assert again == found


def test_rows_stored_meanwhile_by_another_process_are_found_not_duplicated(quiet_app, monkeypatch):
    """Another chunk stores some of the same students' variants between this one's read and
    its insert: the insert skips them and their stored ids come back."""
    with quiet_app.app_context():
        course, version, users = setup(4)
        early = variants.variant_for(db.session, course, users[1], version)
        db.session.commit()
        real = variants._stored
        calls = []

        def stale_first_read(session, course_id, version_id, user_ids):
            calls.append(list(user_ids))
            return {} if len(calls) == 1 else real(session, course_id, version_id, user_ids)

        monkeypatch.setattr(variants, "_stored", stale_first_read)
        found = variants.ensure_many(db.session, course, version, [u.id for u in users])
        db.session.commit()
        assert found[users[1].id] == (early.id, early.values)
        assert sorted(found) == sorted(user.id for user in users)
        assert db.session.scalar(select(func.count(StudentVariant.id))) == 4
        assert users[1].id in calls[-1]
        assert db.session.scalar(select(func.count(User.id))) == 4


def test_drawn_without_storing_are_the_values_the_page_stores_later(quiet_app):
    """A regrade draws the variants students do not have yet without storing them: the same
    values :func:`variant_for` stores when the student opens the exercise."""
    with quiet_app.app_context():
        course, version, users = setup(5)
        kept = variants.variant_for(db.session, course, users[0], version)
        db.session.commit()
        found = variants.ensure_many(db.session, course, version, [u.id for u in users], False)
        assert found[users[0].id] == (kept.id, kept.values)
        assert db.session.scalar(select(func.count(StudentVariant.id))) == 1
        for user in users[1:]:
            variant_id, values = found[user.id]
            assert variant_id is None
            assert values == variants.variant_for(db.session, course, user, version).values
        assert len({repr(values) for _, values in found.values()}) > 1  # students differ


def test_students_given_with_their_emails_draw_the_variants_the_page_stores(quiet_app):
    """An import's chunk names each student's email: the draw takes it from there instead of
    looking it up, and gets the values the page would store."""
    with quiet_app.app_context():
        course, version, users = setup(4)
        emails = {user.id: user.email for user in users}
        found = variants.ensure_many(
            db.session, course, version, list(emails), False, emails=emails
        )
        for user in users:
            drawn = variants.load_version(version).draw_variant(course.secret, user.email)
            assert found[user.id] == (None, drawn.to_dict())
        stored = variants.ensure_many(db.session, course, version, list(emails), emails=emails)
        db.session.commit()
        assert {user_id: values for user_id, (_, values) in stored.items()} == {
            user_id: values for user_id, (_, values) in found.items()
        }
