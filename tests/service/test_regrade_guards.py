"""Regrades that lose nothing: a submission a regrade cannot grade keeps its result in sight,
each is graded against the numbers its student saw, and regrades of one exercise never overlap
or let an older batch replace a newer result."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text, update

from grader.db import Submission
from grader.extensions import db
from grader.services.errors import Conflict, Invalid
from tests.service.batching import sql, store_text, store_version
from tests.service.regrading import current, graded_class, run, start

RANDOM = Path(__file__).resolve().parents[2] / "exercises" / "single-weight-random.yaml"


def test_a_submission_the_regrade_cannot_grade_keeps_its_result_in_sight(quiet_app):
    """One submission's own numbers (a paper exam's, without ``y``) do not fit the new version:
    it stays graded with its last result, visible to the API, and the batch names it and says
    why; the others are regraded."""
    klass = graded_class(quiet_app)
    damaged = klass.ids[1]
    with quiet_app.app_context():
        db.session.execute(
            update(Submission)
            .where(Submission.id == damaged)
            .values(explicit_values={"given": {"x": 2}, "params": {"v": 0}})
        )
        db.session.commit()
    before = current(klass)
    new_hash = store_version(quiet_app, klass.slug, "0.1")
    state = run(klass, start(klass))
    after = current(klass)
    assert after[damaged] == before[damaged] and after[damaged][0] == "graded"
    assert {after[i][2] for i in klass.ids if i != damaged} == {new_hash}
    assert (state["status"], state["graded"], state["failed"]) == ("done", 2, 1)
    (listed,) = [e for e in state["errors"] if e.get("submission") == damaged]
    assert "given" in listed["message"] and "y" in listed["message"]
    shown = klass.teacher.get(f"/submissions/{damaged}").get_json()
    assert (shown["status"], shown["score"]) == ("graded", before[damaged][1])
    gradebook = klass.teacher.get(f"/courses/{klass.course}/gradebook.csv").get_data(as_text=True)
    assert gradebook.count(",5") >= 1 and "failed" not in gradebook


def test_a_regrade_grades_against_the_numbers_the_student_saw(quiet_app):
    """A randomised exercise changes its draw: the regrade keeps each submission's values; only
    a confirmed redraw grades against the new draw."""
    klass = graded_class(quiet_app, source=RANDOM)
    before = current(klass)
    changed = RANDOM.read_text().replace("id: single-weight-random", f"id: {klass.slug}")
    new_hash = store_text(quiet_app, klass.slug, changed.replace("[1, 4]", "[11, 14]"))
    assert run(klass, start(klass))["status"] == "done"
    after = current(klass)
    for submission_id in klass.ids:
        assert after[submission_id][3] == before[submission_id][3]
        assert after[submission_id][2] == new_hash
        assert 1 <= after[submission_id][3]["given"]["x"] <= 4
    with pytest.raises(Invalid, match="never saw"):
        start(klass, redraw=True)
    state = run(klass, start(klass, redraw=True, confirmed=True))
    assert (state["redraw"], state["graded"]) == (True, len(klass.ids))
    assert all(11 <= row[3]["given"]["x"] <= 14 for row in current(klass).values())


def test_a_second_regrade_of_the_exercise_is_refused_until_the_first_is_done(quiet_app):
    """Refused with the running batch's number (409 through the API), accepted afterwards."""
    klass = graded_class(quiet_app, students=2)
    store_version(quiet_app, klass.slug, "0.1")
    body = {"course": klass.course, "exercise": klass.slug, "regrade": True}
    first = klass.teacher.post("/batches", json=body)
    assert first.status_code == 202
    refused = klass.teacher.post("/batches", json=body)
    assert refused.status_code == 409
    assert f"batch {first.get_json()['id']}" in refused.get_json()["message"]
    with pytest.raises(Conflict):
        start(klass)
    assert run(klass, first.get_json()["id"])["status"] == "done"
    assert run(klass, start(klass))["status"] == "done"


def test_an_older_batchs_late_chunk_never_replaces_a_newer_result(quiet_app):
    """An older regrade's chunk runs after a newer regrade wrote (its batch was closed while a
    message for it was still out): the newer results stay."""
    klass = graded_class(quiet_app)
    store_version(quiet_app, klass.slug, "0.1")
    older = start(klass)
    with quiet_app.app_context():
        db.session.execute(text("UPDATE batches SET status = 'done' WHERE id = :b"), {"b": older})
        db.session.commit()
    newest_hash = store_version(quiet_app, klass.slug, "0.5")
    newer = start(klass)
    run(klass, newer)
    state = run(klass, older)
    assert state["graded"] == len(klass.ids) and state["unchanged"] == len(klass.ids)
    assert {(row[2], row[4]) for row in current(klass).values()} == {(newest_hash, newer)}
    history = sql(quiet_app, "SELECT batch_id FROM result_history WHERE batch_id = :b", b=older)
    assert history == []
