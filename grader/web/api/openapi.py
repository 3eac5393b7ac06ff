"""``GET /openapi.json``: the API described as OpenAPI 3.1."""

from __future__ import annotations

from flask import Blueprint

from grader.web.api import openapi_practice

bp = Blueprint("openapi", __name__)


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def reply(description: str, schema: dict | None = None, media: str = "application/json") -> dict:
    out: dict = {"description": description}
    if schema is not None:
        out["content"] = {media: {"schema": schema}}
    return out


ERRORS = {str(code): {"$ref": f"#/components/responses/E{code}"} for code in (400, 401, 404, 503)}
LIMITED = {"429": {"$ref": "#/components/responses/E429"}}
COURSE_QUERY = {"name": "course", "in": "query", "schema": {"type": "string"}}
LANGUAGE_RULE = (
    "The reader's language is `?lang=` (en or ru), else the language cookie of the site's "
    "switch, else the best match of the `Accept-Language` header, else en."
)
LANG_QUERY = {
    "name": "lang",
    "in": "query",
    "schema": {"enum": ["en", "ru"]},
    "description": LANGUAGE_RULE,
}
LOCALIZED = {
    "type": "string",
    "description": "in the reader's language; where the exercise file lacks it, in English, "
    "else in the first language the file gives",
}
BY_LANGUAGE = {
    "type": "object",
    "additionalProperties": {"type": "string"},
    "description": "every language the exercise file gives, by code (en, ru); a plain string "
    "in the file is given as en",
    "example": {"en": "One weight, one example", "ru": "Один вес, один пример"},
}
NUMBER_OR_ARRAY = {"oneOf": [{"type": "number"}, {"type": "array"}]}

SCHEMAS = {
    "Analytics": {
        "type": "object",
        "required": ["course", "exercise", "basis", "overview", "histogram", "blanks"],
        "properties": {
            "course": {"type": "string"},
            "exercise": {"type": "string"},
            "basis": {"enum": ["first", "best", "last"]},
            "overview": {"type": "object"},
            "histogram": {"type": "object"},
            "blanks": {"type": "array", "items": {"type": "object"}},
            "numbers": {
                "type": "object",
                "description": "the results broken down by each drawn number (left out with "
                "?numbers=0): `numbers`, each with its `groups` (a value, or a round-number bin "
                "with 0 as an edge: `group`, `label`, `students`, per blank `students` and "
                "`wrong`), and `findings`, the striking differences with their counts, ratio, "
                "p-value and a sentence in the reader's language",
                "properties": {
                    "numbers": {"type": "array", "items": {"type": "object"}},
                    "findings": {"type": "array", "items": {"type": "object"}},
                },
            },
        },
    },
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    },
    "NewSubmission": {
        "type": "object",
        "required": ["exercise", "answers"],
        "properties": {
            "exercise": {"type": "string", "example": "single-weight"},
            "answers": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "example": {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20"},
            },
            "course": {"type": "string", "description": "needed when in several courses"},
        },
    },
    "Queued": {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "status": {"type": "string"}},
    },
    "Variant": {
        "type": "object",
        "properties": {
            "given": {"type": "object", "additionalProperties": NUMBER_OR_ARRAY},
            "params": {"type": "object", "additionalProperties": NUMBER_OR_ARRAY},
        },
    },
    "BlankResult": {
        "type": "object",
        "properties": {
            "verdict": {
                "enum": ["correct", "follow_through", "incorrect", "unreadable", "missing"]
            },
            "expected": NUMBER_OR_ARRAY,
            "got": {},
            "points": {"type": "number"},
            "diagnosis": {"type": ["string", "null"]},
            "feedback": {"type": "string"},
            "hint": {"oneOf": [{"type": "null"}, ref("Hint")]},
        },
    },
    "Hint": {
        "type": "object",
        "description": "offered on a wrong answer; one level further at each wrong attempt",
        "required": ["level", "text"],
        "properties": {
            "level": {
                "enum": [1, 2, 3],
                "description": "1 the node and its local rule, "
                "2 its local gradient in the student's numbers, 3 the worked step",
            },
            "text": {"type": "string", "description": "in the reader's language"},
        },
    },
    "Preview": {
        "type": "object",
        "required": ["exercise", "blanks"],
        "properties": {
            "exercise": {"type": "string"},
            "blanks": {"type": "object", "additionalProperties": ref("ReadBack")},
        },
    },
    "ReadBack": {
        "type": "object",
        "description": "how one answer is read: no verdict",
        "required": ["readable", "value", "shown", "message"],
        "properties": {
            "readable": {"type": "boolean"},
            "value": {"oneOf": [{"type": "null"}, NUMBER_OR_ARRAY]},
            "shown": {"type": ["string", "null"], "example": "−20"},
            "message": {
                "type": ["string", "null"],
                "description": "why it cannot be read, or does not fit the blank's shape",
            },
            "said": {"type": "string", "example": "read as −20"},
        },
    },
    "Submission": {
        "type": "object",
        "required": ["id", "status"],
        "properties": {
            "id": {"type": "integer"},
            "status": {"enum": ["queued", "grading", "graded", "failed"]},
            "student": {"type": "string"},
            "exercise": {"type": "string"},
            "course": {"type": "string"},
            "attempt": {"type": "integer"},
            "answers": {"type": "object", "additionalProperties": {"type": "string"}},
            "queued_at": {"type": "string", "format": "date-time"},
            "started_at": {"type": ["string", "null"], "format": "date-time"},
            "graded_at": {"type": ["string", "null"], "format": "date-time"},
            "score": {"type": "number", "description": "before the attempt penalty"},
            "max_score": {"type": "number"},
            "worth": {
                "type": "number",
                "description": "the share of its points the attempt is "
                "worth: max(0, 1 − penalty·(attempt − 1))",
            },
            "penalised_score": {"type": "number", "description": "score × worth"},
            "variant": ref("Variant"),
            "blanks": {"type": "object", "additionalProperties": ref("BlankResult")},
            "error": {"type": "string"},
        },
    },
    "Blank": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "example": "grad.e3"},
            "kind": {"enum": ["grad", "update", "new"]},
            "target": {"type": "string"},
            "points": {"type": "number"},
            "shape": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "Exercise": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "course": {"type": "string"},
            "title": LOCALIZED,
            "text": LOCALIZED,
            "titles": BY_LANGUAGE,
            "texts": BY_LANGUAGE,
            "graph": {"type": "object", "additionalProperties": {"type": "string"}},
            "learning_rate": {"type": "number"},
            "variant": ref("Variant"),
            "blanks": {"type": "array", "items": ref("Blank")},
            "max_score": {"type": "number"},
            "hints": {"type": "boolean", "description": "whether wrong answers offer hints"},
            "penalty": {"type": "number", "description": "the share each attempt loses"},
            "next_attempt_worth": {"type": "number"},
            "best_score": {"type": ["number", "null"], "description": "after the penalty"},
            "best_raw_score": {"type": ["number", "null"], "description": "before it"},
            "attempts": {"type": "array", "items": ref("Submission")},
        },
    },
    "Batch": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"enum": ["import", "regrade"]},
            "redraw": {
                "type": "boolean",
                "description": "a regrade against values drawn anew, not the ones answered",
            },
            "status": {"enum": ["loading", "queued", "running", "done", "failed"]},
            "course": {"type": "string"},
            "exercise": {"type": ["string", "null"]},
            "total": {"type": "integer", "description": "submissions to grade"},
            "graded": {"type": "integer"},
            "failed": {
                "type": "integer",
                "description": "submissions the grader could not grade (a regrade leaves "
                "their results as they were)",
            },
            "rejected": {"type": "integer", "description": "lines of the file not imported"},
            "unchanged": {
                "type": "integer",
                "description": "graded, and the result stored already was the same",
            },
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "chunks": {"type": "object", "additionalProperties": {"type": "integer"}},
            "progress": {"type": "number"},
            "errors": {
                "type": "array",
                "description": "rejected lines, submissions a regrade could not grade (the "
                "first 1000) and chunk errors",
                "items": {
                    "type": "object",
                    "properties": {
                        "line": {"type": ["integer", "null"]},
                        "submission": {"type": "integer"},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    },
}

PATHS = {
    "/openapi.json": {
        "get": {"summary": "This document", "security": [], "responses": {"200": reply("OpenAPI")}}
    },
    "/health": {
        "get": {
            "summary": "Is the service up",
            "security": [],
            "responses": {"200": reply("Up"), "503": reply("Database unreachable")},
        }
    },
    "/session": {
        "get": {
            "summary": "Who is logged in, and the CSRF token",
            "security": [],
            "responses": {"200": reply("The session")},
        },
        "post": {
            "summary": "Log in with a cookie session",
            "security": [],
            "requestBody": body(
                {
                    "type": "object",
                    "properties": {"email": {"type": "string"}, "password": {"type": "string"}},
                }
            ),
            "responses": {"200": reply("Logged in"), **ERRORS, **LIMITED},
        },
        "delete": {"summary": "Log out", "responses": {"200": reply("Logged out")}},
    },
    "/submissions": {
        "post": {
            "summary": "Submit answers; graded asynchronously",
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "schema": {"type": "string", "maxLength": 200},
                }
            ],
            "requestBody": body(ref("NewSubmission")),
            "responses": {
                "202": reply("Queued", ref("Queued")),
                "409": {"$ref": "#/components/responses/E409"},
                **LIMITED,
                "422": {"$ref": "#/components/responses/E422"},
                **ERRORS,
            },
        }
    },
    "/submissions/preview": {
        "post": {
            "summary": "How each answer will be read: no verdict, no attempt, nothing stored",
            "requestBody": body(ref("NewSubmission")),
            "responses": {
                "200": reply("Each answered blank as read", ref("Preview")),
                "403": {"$ref": "#/components/responses/E403"},
                **LIMITED,
                "422": {"$ref": "#/components/responses/E422"},
                **ERRORS,
            },
        }
    },
    "/submissions/{id}": {
        "get": {
            "summary": "A submission's status and result",
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "responses": {"200": reply("The submission", ref("Submission")), **ERRORS},
        }
    },
    "/exercises": {
        "get": {
            "summary": "The exercises of the caller's course",
            "description": "Each with its `title` in the reader's language and `titles` by "
            "language. " + LANGUAGE_RULE,
            "parameters": [COURSE_QUERY, LANG_QUERY],
            "responses": {"200": reply("Exercises"), **ERRORS},
        }
    },
    "/exercises/{id}": {
        "get": {
            "summary": "One exercise with the caller's own variant",
            "description": "`title` and `text` in the reader's language, `titles` and `texts` "
            "in every language the exercise gives. " + LANGUAGE_RULE,
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                COURSE_QUERY,
                LANG_QUERY,
            ],
            "responses": {"200": reply("The exercise", ref("Exercise")), **ERRORS},
        }
    },
    "/courses": {
        "get": {"summary": "The caller's courses", "responses": {"200": reply("Courses")}}
    },
    "/courses/{slug}/gradebook.csv": {
        "get": {
            "summary": "The gradebook as CSV (instructors)",
            "parameters": [
                {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {"200": reply("CSV", {"type": "string"}, "text/csv"), **ERRORS},
        }
    },
    "/courses/{slug}/exercises/{exercise}/analytics": {
        "get": {
            "summary": "Where the class goes wrong on an exercise (instructors): overview, "
            "score histogram, and per blank the verdicts, diagnoses and commonest wrong values",
            "parameters": [
                {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "exercise", "in": "path", "required": True, "schema": {"type": "string"}},
                {
                    "name": "basis",
                    "in": "query",
                    "description": "which attempt of each student counts (default first)",
                    "schema": {"enum": ["first", "best", "last"]},
                },
                {
                    "name": "numbers",
                    "in": "query",
                    "description": "0 leaves out the per-number breakdown",
                    "schema": {"enum": ["0", "1"]},
                },
                LANG_QUERY,
            ],
            "responses": {"200": reply("The figures", ref("Analytics")), **ERRORS},
        }
    },
    "/batches": {
        "post": {
            "summary": "Import a JSONL or CSV file of submissions (?course=) or regrade an exercise (instructors)",
            "parameters": [COURSE_QUERY],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "course": {"type": "string"},
                                "exercise": {"type": "string"},
                                "regrade": {"const": True},
                                "redraw": {
                                    "type": "boolean",
                                    "description": "grade against values drawn anew from the "
                                    "current version, not the ones each submission was "
                                    "answered with; needs confirm",
                                },
                                "confirm": {"type": "boolean"},
                            },
                        }
                    },
                    "application/x-ndjson": {"schema": {"type": "string"}},
                    "text/csv": {"schema": {"type": "string"}},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {"file": {"type": "string", "format": "binary"}},
                        }
                    },
                },
            },
            "responses": {"202": reply("Queued", ref("Batch")), **ERRORS},
        }
    },
    "/batches/{id}": {
        "get": {
            "summary": "A batch's progress",
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "responses": {"200": reply("The batch", ref("Batch")), **ERRORS},
        }
    },
    "/batches/{id}/results": {
        "get": {
            "summary": "A batch's results, one grader grade output line per submission, or CSV",
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                {"name": "format", "in": "query", "schema": {"enum": ["jsonl", "csv"]}},
            ],
            "responses": {
                "200": {
                    "description": "The results",
                    "content": {
                        "application/x-ndjson": {"schema": {"type": "string"}},
                        "text/csv": {"schema": {"type": "string"}},
                    },
                },
                **ERRORS,
            },
        }
    },
}

ERROR_REPLIES = {
    f"E{code}": reply(text, ref("Error"))
    for code, text in (
        (400, "Bad request"),
        (
            401,
            "Not logged in; with a bearer token, `error` says why: `token_expired` or `token_revoked`",
        ),
        (403, "Refused: the exercise has not opened yet"),
        (404, "Not found (or not yours)"),
        (409, "Conflict: no attempts left"),
        (422, "Invalid: unknown exercise or blank, bad answer type"),
        (429, "Too many failed logins, submissions or previews: wait (see Retry-After)"),
        (503, "The database is not answering: try again (see Retry-After)"),
    )
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "Backprop Grader API", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}, {"cookie": []}],
    "paths": {**PATHS, **openapi_practice.PATHS},
    "components": {
        "schemas": {**SCHEMAS, **openapi_practice.SCHEMAS},
        "responses": ERROR_REPLIES,
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "grader token EMAIL"},
            "cookie": {
                "type": "apiKey",
                "in": "cookie",
                "name": "session",
                "description": "POST /session; unsafe methods also need X-CSRFToken",
            },
        },
    },
}


@bp.get("/openapi.json")
def document():
    """The OpenAPI document."""
    return DOCUMENT
