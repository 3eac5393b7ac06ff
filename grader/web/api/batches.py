"""``/batches`` (instructors): import a file of submissions, regrade an exercise, follow a batch,
export its results."""

from __future__ import annotations

import io

from flask import Blueprint, Response, request, stream_with_context
from flask_login import login_required

from grader import tasks
from grader.extensions import db
from grader.services import accounts, batch_export, batches, regrade
from grader.services.errors import Invalid
from grader.web.api.body import json_object
from grader.web.auth import user
from grader.web.instructor.guard import instructors_only
from grader.web.marks import max_body

# Every route here is for instructors: the guard checks each request before its view.
bp = instructors_only(Blueprint("batches", __name__))

JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines", "text/plain")
CSV_TYPES = ("text/csv",)


def _publish_chunk(chunk_id: int) -> None:
    tasks.publish(tasks.GRADE_CHUNK, chunk_id)


@bp.post("/batches")
@max_body("MAX_UPLOAD_BYTES")
@login_required
def create():
    """``{course, exercise, regrade: true}`` (with ``redraw: true, confirm: true`` to grade
    against values drawn anew), or a JSONL/CSV body or ``file`` upload with ``?course=``;
    answers 202 once the file is stored, with the lines it rejected."""
    me = user()
    accounts.require_staff(me)
    if request.mimetype in JSONL_TYPES + CSV_TYPES or request.files:
        course = accounts.course_taught(db.session, me, request.args.get("course", ""))
        upload = request.files.get("file")
        if upload is not None:
            source, name = upload.stream, upload.filename
            is_csv = upload.mimetype in CSV_TYPES or (name or "").lower().endswith(".csv")
        else:
            source, name = request.stream, None
            is_csv = request.mimetype in CSV_TYPES
        if isinstance(source, io.RawIOBase):
            source = io.BufferedReader(source)
        batch = batches.create_import(
            db.session, me, course, source, csv=is_csv, name=name, publish=_publish_chunk
        )
    else:
        body = json_object()
        if body.get("regrade") is not True:
            raise Invalid('send {"course", "exercise", "regrade": true} or a JSONL file')
        course = accounts.course_taught(db.session, me, str(body.get("course", "")))
        batch = regrade.start(
            db.session,
            me,
            course,
            body.get("exercise"),
            redraw=body.get("redraw") is True,
            confirmed=body.get("confirm") is True,
        )
        tasks.publish_chunks(batches.pending_chunks(db.session, batch.id))
    return batches.state(db.session, batch.id), 202


@bp.get("/batches/<int:batch_id>")
@login_required
def show(batch_id: int):
    """The batch's progress: total, graded, failed, rejected lines with their reasons."""
    return batches.progress(db.session, user(), batch_id)


@bp.get("/batches/<int:batch_id>/results")
@login_required
def results(batch_id: int):
    """The batch's results, streamed: JSON lines (``?format=jsonl``, the default) or CSV."""
    batches.progress(db.session, user(), batch_id)
    if request.args.get("format", "jsonl") == "csv":
        export, mimetype = batch_export.csv_text, "text/csv"
    else:
        export, mimetype = batch_export.jsonl, "application/x-ndjson"
    filename = f"batch-{batch_id}.{'csv' if mimetype == 'text/csv' else 'jsonl'}"
    return Response(
        stream_with_context(_streamed(export, batch_id)),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _streamed(export, batch_id: int):
    """The export read in a session of the stream's own, closed when the stream ends: the
    request's session is closed as soon as the view returns, and one used after that would
    keep its transaction (and on SQLite the write lock) open until garbage collection."""
    session = db.new_session()
    try:
        yield from export(session, batch_id)
    finally:
        session.close()
