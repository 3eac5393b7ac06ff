"""Exercises in the reader's language on the student's and instructor's pages and in the API:
``?lang=``, else the switch's cookie, else Accept-Language; the API also gives every language."""

from __future__ import annotations

from tests.service.factories import make_user
from tests.web.conftest import log_in, new_student

RU = {"Accept-Language": "ru-RU,ru;q=0.9"}


def test_the_exercise_page_shows_title_and_text_in_the_readers_language(app):
    """Russian from the browser, English with ?lang=en; the language switch wins over the browser."""
    student = log_in(app, *new_student(app))
    page = f"/courses/{student.course}/exercises/single-weight-random"
    russian = student.get(page, headers=RU).get_data(as_text=True)
    assert "<h1>Один вес, один пример (ваши числа)</h1>" in russian
    assert "функция потерь — квадратичная ошибка" in russian
    assert "One weight" not in russian
    english = student.get(f"{page}?lang=en", headers=RU).get_data(as_text=True)
    assert "<h1>One weight, one example (your own numbers)</h1>" in english
    assert "the loss is the squared error" in english
    student.get("/language/en?next=/")
    assert "<h1>One weight, one example (your own numbers)</h1>" in student.get(
        page, headers=RU
    ).get_data(as_text=True)


def test_the_course_list_and_instructor_pages_use_the_readers_language(app):
    """The student's course page and the instructor's course and analytics pages."""
    student = log_in(app, *new_student(app))
    listing = student.get(f"/courses/{student.course}", headers=RU).get_data(as_text=True)
    assert "Два параметра, один пример" in listing and "Two parameters" not in listing
    teacher = log_in(app, *new_student(app, student.course, "instructor"))
    course = teacher.get(f"/instructor/courses/{student.course}/?lang=ru").get_data(as_text=True)
    assert "Сигмоидный нейрон с логистической функцией потерь" in course
    analytics = teacher.get(
        f"/instructor/courses/{student.course}/exercises/fan-out/analytics", headers=RU
    ).get_data(as_text=True)
    assert "<h1>Одно ребро используется дважды" in analytics


def test_the_api_gives_the_title_in_the_asked_language_and_every_language(app):
    """title/text follow ?lang= or Accept-Language; titles/texts hold en and ru."""
    student = make_user(app)
    listed = student.get("/exercises?lang=ru").get_json()["exercises"]
    one = next(e for e in listed if e["id"] == "single-weight")
    assert one["title"] == "Один вес, один пример"
    assert one["titles"] == {"en": "One weight, one example", "ru": "Один вес, один пример"}
    shown = student.get("/exercises/single-weight", headers=RU).get_json()
    assert shown["title"] == "Один вес, один пример"
    assert shown["text"].startswith("Модель y' = v * x")
    assert set(shown["texts"]) == {"en", "ru"} and shown["texts"]["en"].startswith("The model")
    english = student.get("/exercises/single-weight").get_json()
    assert english["title"] == "One weight, one example"
    assert english["text"].startswith("The model is y' = v * x")
