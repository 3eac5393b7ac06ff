"""The interface in English and Russian (Flask-Babel): the language from the switch, else the
browser's; and the Babel extractor that finds the grading core's feedback sentences."""

from __future__ import annotations

import ast
from pathlib import Path

from flask import Flask, request
from flask_babel import Babel, get_locale

LANGUAGES = {"en": "English", "ru": "Русский"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "lang"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"

babel = Babel()


def select_locale() -> str:
    """The language asked for with ``?lang=``, else the one chosen with the switch (a cookie),
    else the best of the browser's (``Accept-Language``)."""
    for chosen in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if chosen in LANGUAGES:
            return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def N_(text: str) -> str:
    """Marks a message for the catalogue, to be translated where it is shown (with gettext)
    rather than where it is written: an instructor error's English title also names its JSON
    error code."""
    return text


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(languages=LANGUAGES, current_language=current_language)


def extract_core_messages(fileobj, keywords, comment_tags, options):
    """Babel extractor: every string of the module-level dicts of a grading-core module (its
    feedback sentences), of the op records' words (``Op(node=..., gradient=(...),
    told={...})``: a node is named as ``the NODE node``) and of their narrations'
    ``Local("...")`` phrases, so that the web pages and ``grader grade --lang`` show them
    translated."""
    tree = ast.parse(fileobj.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            for value in node.value.values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    yield value.lineno, "gettext", value.value, []
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Local" and call.args:
            phrase = call.args[0]
            if isinstance(phrase, ast.Constant) and isinstance(phrase.value, str):
                yield phrase.lineno, "gettext", phrase.value, []
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Op"):
            continue
        for keyword in call.keywords:
            if (
                keyword.arg == "node"
                and isinstance(keyword.value, ast.Constant)
                and keyword.value.value
            ):
                yield keyword.value.lineno, "gettext", f"the {keyword.value.value} node", []
            elif keyword.arg in ("gradient", "told") and isinstance(
                keyword.value, ast.Tuple | ast.Dict
            ):
                words = keyword.value.elts if keyword.arg == "gradient" else keyword.value.values
                for word in words:
                    if isinstance(word, ast.Constant) and isinstance(word.value, str):
                        yield word.lineno, "gettext", word.value, []
