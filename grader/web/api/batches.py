"""``/batches`` (instructors): import a JSONL file of submissions, or regrade an exercise."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import login_required

from grader import tasks
from grader.extensions import db
from grader.services import accounts, batches
from grader.services.errors import Invalid
from grader.web.api.body import json_object
from grader.web.auth import user

bp = Blueprint("batches", __name__)

JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines", "text/plain")


@bp.post("/batches")
@login_required
def create():
    """``{course, exercise, regrade: true}``, or a JSONL body / ``file`` upload with ``?course=``."""
    me = user()
    accounts.require_staff(me)
    if request.mimetype in JSONL_TYPES or request.files:
        course = accounts.course_taught(db.session, me, request.args.get("course", ""))
        upload = request.files.get("file")
        raw = upload.read() if upload is not None else request.get_data()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid("the JSONL file is not UTF-8 text") from None
        batch = batches.create_import(db.session, me, course, text)
    else:
        body = json_object()
        if body.get("regrade") is not True:
            raise Invalid('send {"course", "exercise", "regrade": true} or a JSONL file')
        course = accounts.course_taught(db.session, me, str(body.get("course", "")))
        batch = batches.create_regrade(db.session, me, course, body.get("exercise"))
    tasks.publish(tasks.RUN_BATCH, batch.id)
    return {
        "id": batch.id,
        "status": batch.status,
        "total": batch.total,
        "errors": batch.errors,
    }, 202


@bp.get("/batches/<int:batch_id>")
@login_required
def show(batch_id: int):
    """The batch's progress and its submissions counted by status."""
    return batches.progress(db.session, user(), batch_id)
