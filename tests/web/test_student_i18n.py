"""The interface in English and Russian: chosen by the browser or the switch; the catalogue
complete for the student's pages and the grading core's feedback, and compiled."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from grader.checking import answers, feedback
from grader.engine import OPS
from grader.web.i18n import TRANSLATIONS_DIR
from tests.book_answers import SIGN_ERROR
from tests.web.conftest import log_in, new_student

CATALOGUE = TRANSLATIONS_DIR / "ru" / "LC_MESSAGES"
WEB = Path(__file__).resolve().parents[2] / "grader" / "web"
STUDENT_SOURCES = [
    *sorted((WEB / "student").glob("*.py")),
    *sorted((WEB / "templates" / "student").glob("*.html")),
    WEB / "templates" / "base.html",
    WEB / "templates" / "index.html",
]
CALL = re.compile(
    r"""\b(?:_|N_|gettext|lazy_gettext|ngettext)\(\s*(["'])((?:\\.|(?!\1).)*)\1""", re.S
)


def entries(catalog) -> dict:
    """Message id -> translation; a plural's id and forms as tuples."""

    def key(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {key(message.id): key(message.string) for message in catalog if message.id}


def russian() -> dict:
    with open(CATALOGUE / "messages.po", "rb") as file:
        return entries(read_po(file))


def test_language_follows_the_browser(app):
    """Accept-Language: ru gives the Russian pages; anything else English."""
    client = app.test_client()
    html = client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(True)
    assert '<html lang="ru">' in html and "Войти" in html
    html = client.get("/login", headers={"Accept-Language": "de-DE"}).get_data(True)
    assert '<html lang="en">' in html and "Log in" in html


def test_language_switch_is_kept_in_a_cookie_and_goes_back(app):
    """The switch sets a cookie that outlasts the browser's preference, then returns."""
    client = app.test_client()
    reply = client.get("/language/ru?next=/login")
    assert reply.status_code == 302 and reply.headers["Location"] == "/login"
    html = client.get("/login", headers={"Accept-Language": "en"}).get_data(True)
    assert '<html lang="ru">' in html
    assert client.get("/language/xx?next=https://evil.example").headers["Location"] == "/courses"


def test_feedback_is_shown_in_russian_and_numbers_take_either_mark(app):
    """A Russian reader gets the grading core's sentences translated; 0,2 and 0.2 both count."""
    email, course = new_student(app)
    student = log_in(app, email, course)
    student.client.get("/language/ru")
    reply = student.submit("single-weight", {**SIGN_ERROR, "update.v": "-0,2"})
    graded = student.wait_graded(reply.get_json()["url"])
    e3 = graded["blanks"]["grad.e3"]
    assert e3["label"] == "Неверно"
    assert e3["feedback"].startswith("Неверный знак") and "e3" in e3["feedback"]
    assert graded["blanks"]["update.v"]["verdict"] == "follow_through"
    assert graded["summary"] == "4 из 5 баллов"


def test_an_unreadable_answer_is_explained_in_russian_naming_the_text_typed(app):
    """A Russian reader is told why their answer could not be read, quoting it, in Russian."""
    email, course = new_student(app)
    student = log_in(app, email, course)
    student.client.get("/language/ru")
    reply = student.submit("single-weight", {**SIGN_ERROR, "grad.e3": "1 - 2"})
    e3 = student.wait_graded(reply.get_json()["url"])["blanks"]["grad.e3"]
    assert e3["verdict"] == "unreadable"
    assert e3["feedback"] == (
        "не удалось прочитать '1 - 2': можно написать только одну дробь, например -3/4, "
        "но не вычисление"
    )


def test_every_feedback_sentence_of_the_grading_core_has_a_russian_translation():
    """A diagnosis added to the core without a translation fails here (see the README there)."""
    translated = russian()
    sentences = [
        *feedback.FEEDBACK.values(),
        *feedback.FALLBACK.values(),
        *feedback.WORDS.values(),
        *(feedback.node_phrase(name) for name, op in OPS.items() if op.node),
        *(words for op in OPS.values() for words in op.gradient),
        *(told for op in OPS.values() for told in op.told.values()),
        *answers.MESSAGES.values(),
    ]
    missing = [sentence for sentence in sentences if not translated.get(sentence)]
    assert not missing, f"translate in {CATALOGUE}/messages.po: {missing}"
    for sentence in sentences:
        fields = set(re.findall(r"\{(\w+)\}", sentence))
        assert set(re.findall(r"\{(\w+)\}", translated[sentence])) == fields, sentence


INSTRUCTOR_SOURCES = [
    *sorted((WEB / "instructor").glob("*.py")),
    *sorted((WEB / "templates" / "instructor").glob("*.html")),
    *sorted((WEB / "templates" / "instructor").glob("*.svg")),
]


@pytest.mark.parametrize("pages", ["student", "instructor"])
def test_every_message_of_the_pages_has_a_russian_translation(pages):
    """Each string the student's (or the instructor's) pages pass to gettext, or mark with N_
    for later, is in the Russian catalogue."""
    translated = russian()
    keys = {key if isinstance(key, str) else key[0] for key in translated}
    missing = []
    for source in STUDENT_SOURCES if pages == "student" else INSTRUCTOR_SOURCES:
        for _, text in CALL.findall(source.read_text()):
            message = ast.literal_eval(f'"{text}"') if "\\" in text else text
            if message not in keys:
                missing.append(f"{source.name}: {message}")
    assert not missing, missing


def test_compiled_catalogue_matches_the_po_file():
    """messages.mo is compiled from the current messages.po (pybabel compile)."""
    with open(CATALOGUE / "messages.mo", "rb") as file:
        compiled = entries(read_mo(file))
    assert compiled == russian()


def test_the_graph_marks_params_in_the_readers_language(app):
    """The exercise page's graph labels a param "(параметр)" for a Russian reader."""
    email, course = new_student(app)
    student = log_in(app, email, course)
    english = student.get(f"/courses/{course}/exercises/single-weight").get_data(as_text=True)
    student.client.get("/language/ru")
    russian_page = student.get(f"/courses/{course}/exercises/single-weight").get_data(as_text=True)
    word = json.dumps("(параметр)")[1:-1]  # as the page's JSON writes it
    assert "(param)" in english and "(param)" not in russian_page
    assert "(параметр)" in russian_page or word in russian_page
