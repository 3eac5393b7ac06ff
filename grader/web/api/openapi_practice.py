"""The OpenAPI description of practice (``/exercises/{id}/practice``), merged into the
document by ``openapi``."""

from __future__ import annotations


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(code: int) -> dict:
    return {"$ref": f"#/components/responses/E{code}"}


def _reply(description: str, schema: dict | None = None) -> dict:
    out: dict = {"description": description}
    if schema is not None:
        out["content"] = {"application/json": {"schema": schema}}
    return out


def _body(schema: dict, required: bool = True) -> dict:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


ERRORS = {str(code): _error(code) for code in (400, 401, 404, 503)}
LIMITED = {"429": _error(429)}
EXERCISE = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}}
COURSE = {"name": "course", "in": "query", "schema": {"type": "string"}}
ANSWERS = {
    "type": "object",
    "required": ["answers"],
    "properties": {
        "answers": {"type": "object", "additionalProperties": {"type": "string"}},
        "course": {"type": "string", "description": "needed when in several courses"},
    },
}

SCHEMAS = {
    "Practice": {
        "type": "object",
        "description": "new numbers for an exercise, or a new graph like it; never counted",
        "properties": {
            "practice": {"const": True},
            "number": {"type": "integer", "description": "1, 2, ... per student and exercise"},
            "kind": {"enum": ["variant", "drill"]},
            "exercise": {"type": "string"},
            "course": {"type": "string"},
            "title": {"type": "string", "description": "in the reader's language"},
            "text": {"type": "string", "description": "in the reader's language; a drill's own"},
            "titles": {"type": "object", "additionalProperties": {"type": "string"}},
            "texts": {"type": "object", "additionalProperties": {"type": "string"}},
            "graph": {"type": "object", "additionalProperties": {"type": "string"}},
            "learning_rate": {"type": "number"},
            "steps": {"type": "integer"},
            "variant": _ref("Variant"),
            "blanks": {"type": "array", "items": _ref("Blank")},
            "max_score": {"type": "number"},
            "drill": {
                "type": ["object", "null"],
                "description": "a drill's options: seed, ops, depth, params, shape",
            },
            "created_at": {"type": "string", "format": "date-time"},
            "attempts": {"type": "array", "items": _ref("PracticeAttempt")},
            "solution": {
                "type": ["string", "null"],
                "description": "the worked solution (Markdown) once an attempt is made",
            },
        },
    },
    "PracticeAttempt": {
        "type": "object",
        "description": "graded when made; expected values included",
        "properties": {
            "id": {"type": "integer"},
            "practice": {"const": True},
            "number": {"type": "integer"},
            "kind": {"enum": ["variant", "drill"]},
            "status": {"const": "graded"},
            "exercise": {"type": "string"},
            "course": {"type": "string"},
            "attempt": {"type": "integer"},
            "answers": {"type": "object", "additionalProperties": {"type": "string"}},
            "score": {"type": "number"},
            "max_score": {"type": "number"},
            "variant": _ref("Variant"),
            "blanks": {"type": "object", "additionalProperties": _ref("BlankResult")},
        },
    },
}

PATHS = {
    "/exercises/{id}/practice": {
        "post": {
            "summary": "Make the caller's next practice: new numbers (kind variant, the "
            "default) or a new graph like the exercise (kind drill)",
            "parameters": [EXERCISE, COURSE],
            "requestBody": _body(
                {
                    "type": "object",
                    "properties": {
                        "kind": {"enum": ["variant", "drill"]},
                        "course": {"type": "string"},
                    },
                },
                required=False,
            ),
            "responses": {
                "201": _reply("The practice", _ref("Practice")),
                "403": _error(403),
                "409": _error(409),
                **LIMITED,
                "422": _error(422),
                **ERRORS,
            },
        },
        "get": {
            "summary": "The caller's practices of the exercise, newest first",
            "parameters": [EXERCISE, COURSE],
            "responses": {"200": _reply("Practices"), "403": _error(403), **ERRORS},
        },
    },
    "/exercises/{id}/practice/{number}": {
        "get": {
            "summary": "One of the caller's practices with its attempts",
            "parameters": [EXERCISE, NUMBER, COURSE],
            "responses": {
                "200": _reply("The practice", _ref("Practice")),
                "403": _error(403),
                **ERRORS,
            },
        }
    },
    "/exercises/{id}/practice/{number}/submissions": {
        "post": {
            "summary": "Answer a practice: graded at once, never counted",
            "parameters": [
                EXERCISE,
                NUMBER,
                {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}},
            ],
            "requestBody": _body(ANSWERS),
            "responses": {
                "201": _reply("Graded", _ref("PracticeAttempt")),
                "200": _reply("The attempt made before with this key", _ref("PracticeAttempt")),
                "403": _error(403),
                "409": _error(409),
                **LIMITED,
                "422": _error(422),
                **ERRORS,
            },
        }
    },
    "/exercises/{id}/practice/{number}/preview": {
        "post": {
            "summary": "How each answer to a practice will be read: no verdict, nothing stored",
            "parameters": [EXERCISE, NUMBER],
            "requestBody": _body(ANSWERS),
            "responses": {
                "200": _reply("Each answered blank as read", _ref("Preview")),
                "403": _error(403),
                **LIMITED,
                "422": _error(422),
                **ERRORS,
            },
        }
    },
}
