"""Titles and texts by language: read from a mapping, shown in the reader's language with a
fallback; a bad mapping is refused with file:line; every shipped exercise speaks en and ru."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli.explain import explain_command
from grader.exercises import ExerciseError, load_dir, load_text
from grader.exercises.texts import by_language, localized

EXERCISES = Path(__file__).resolve().parents[1] / "exercises"
REST = """graph:
  e1: v * 2
  loss: e1 ** 2
params:
  v: 1
ask:
  grad: [e1]
"""


def exercise(head: str):
    return load_text((head + REST).encode(), "x.yaml")


def test_a_mapping_is_shown_in_the_readers_language_then_english_then_the_first():
    """ru where given, else en, else the first language the file gives."""
    both = exercise("id: a\ntitle:\n  en: One\n  ru: Один\ntext:\n  ru: Текст\n")
    assert both.spec.title_in("ru") == "Один" and both.spec.title_in("en") == "One"
    assert both.spec.title_in("de") == "One" and both.spec.title == "One"
    assert both.spec.text_in("en") == "Текст" and both.spec.text == "Текст"
    assert localized({"ru": "А", "en": "B"}, None) == "B"
    assert by_language("Plain") == {"en": "Plain"}


def test_a_plain_string_is_shown_to_every_reader():
    """A file written before mappings keeps working as it did."""
    plain = exercise("id: a\ntitle: Plain\ntext: Words\n")
    assert plain.spec.title_in("ru") == "Plain" and plain.spec.text_in("ru") == "Words"
    assert plain.spec.titles == "Plain"


@pytest.mark.parametrize(
    ("head", "where"),
    [
        (
            "id: a\ntitle:\n  en: One\n  de: Eins\n",
            "x.yaml:4: title: unknown language 'de' (known: en, ru)",
        ),
        (
            "id: a\ntitle: One\ntext:\n  en: Words\n  ru: '  '\n",
            "x.yaml:5: text.ru: the text is empty",
        ),
        (
            "id: a\ntitle: {}\n",
            "x.yaml:2: title: a mapping by language needs at least one of en, ru",
        ),
        ("id: a\ntitle:\n  ru: [1, 2]\n", "x.yaml:3: title.ru: expected text, got [1, 2]"),
        ("id: a\ntitle:\n  en: ''\n", "x.yaml:3: title.en: the text is empty"),
    ],
)
def test_a_bad_mapping_is_refused_with_file_and_line(head, where):
    with pytest.raises(ExerciseError) as caught:
        exercise(head)
    assert str(caught.value) == where


def test_every_shipped_exercise_has_english_and_russian_with_the_same_formulas():
    """Both languages, and the same inline formulas (`...`) in the same order."""
    code = re.compile(r"`[^`]*`")
    for slug, loaded in load_dir(EXERCISES).items():
        assert set(loaded.spec.titles) == set(loaded.spec.texts) == {"en", "ru"}, slug
        en, ru = loaded.spec.text_in("en"), loaded.spec.text_in("ru")
        assert re.search("[а-я]", ru) and not re.search("[а-я]", en), slug
        assert code.findall(en) == code.findall(ru), slug


def test_explain_heads_the_solution_with_the_title_in_the_language_asked(tmp_path):
    """grader exercises explain --lang ru starts with the Russian title, --lang en the English."""
    (tmp_path / "single-weight.yaml").write_bytes((EXERCISES / "single-weight.yaml").read_bytes())
    args = ["single-weight", "--exercises", str(tmp_path)]
    russian = CliRunner().invoke(explain_command, [*args, "--lang", "ru"])
    english = CliRunner().invoke(explain_command, args)
    assert russian.output.startswith("# Один вес, один пример\n\n")
    assert english.output.startswith("# One weight, one example\n\n")
