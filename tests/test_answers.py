"""The answer parser: every accepted form, every refused form, hostile input, memoising."""

import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.checking import answers
from grader.checking.answers import MAX_ANSWER_LENGTH, Unreadable, parse_answer, parse_cached


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("-20", -20.0),
        ("\u221220", -20.0),
        ("\u20133", -3.0),
        ("+3", 3.0),
        ("0.2", 0.2),
        ("0,2", 0.2),
        ("-0,25", -0.25),
        (".2", 0.2),
        ("-.5", -0.5),
        ("5.", 5.0),
        ("2e-1", 0.2),
        ("2E-1", 0.2),
        ("2e\u22121", 0.2),
        ("2,5e-1", 0.25),
        ("1/5", 0.2),
        ("-1/5", -0.2),
        ("\u22123/4", -0.75),
        ("1 / 5", 0.2),
        ("0,5/2", 0.25),
        ("0/3", 0.0),
        ("1e-400", 0.0),
        ("  7 ", 7.0),
        ("\t-1.5\n", -1.5),
        ("\u00a04", 4.0),
        ("5;", 5.0),
    ],
)
def test_number_forms_read_as_0d_float64(text, value):
    """Each number form of DESIGN §4 reads as a 0-d float64 array with its value."""
    result = parse_answer(text)
    assert result.shape == ()
    assert result.dtype == np.float64
    assert result == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1, 2, 3]", [1.0, 2.0, 3.0]),
        ("[5]", [5.0]),
        (" [ -1 , \u22122.5,1/4 ] ", [-1.0, -2.5, 0.25]),
        ("[0,5]", [0.0, 5.0]),
        ("[1/2, -3/4, 2e-1]", [0.5, -0.75, 0.2]),
        ("1 2 3", [1.0, 2.0, 3.0]),
        ("1\t2\n3", [1.0, 2.0, 3.0]),
        ("-0,1 0,8 1/4", [-0.1, 0.8, 0.25]),
        ("1 2 3;", [1.0, 2.0, 3.0]),
    ],
)
def test_vector_forms_read_as_1d(text, expected):
    """Brackets with one level and a single row read as a 1-d vector."""
    result = parse_answer(text)
    assert result.dtype == np.float64
    assert result.shape == (len(expected),)
    np.testing.assert_allclose(result, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[1, 2], [3, 4]]", [[1.0, 2.0], [3.0, 4.0]]),
        ("[ [1,2] , [3,4] ]", [[1.0, 2.0], [3.0, 4.0]]),
        ("[[1, 2, 3]]", [[1.0, 2.0, 3.0]]),
        ("[[1], [2]]", [[1.0], [2.0]]),
        ("[[1/2, -1], [\u22120.5, .25]]", [[0.5, -1.0], [-0.5, 0.25]]),
        ("1 2; 3 4", [[1.0, 2.0], [3.0, 4.0]]),
        ("1 2; 3 4;", [[1.0, 2.0], [3.0, 4.0]]),
        ("-0,1 0,8; 0,9 -0,2", [[-0.1, 0.8], [0.9, -0.2]]),
        ("1;2;3", [[1.0], [2.0], [3.0]]),
    ],
)
def test_matrix_forms_read_as_2d(text, expected):
    """Nested brackets and several rows read as a 2-d matrix."""
    result = parse_answer(text)
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, expected)
    assert result.shape == np.array(expected).shape


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- 10", -10.0),
        ("\u2212 10", -10.0),
        ("+ 10", 10.0),
        ("-\t0,5", -0.5),
        ("- 1 / 5", -0.2),
        ("- 1 2", [-1.0, 2.0]),
        ("1 2; - 3 4", [[1.0, 2.0], [-3.0, 4.0]]),
        ("- 1 2;\u2212 3 4", [[-1.0, 2.0], [-3.0, 4.0]]),
        ("[- 1, 2]", [-1.0, 2.0]),
        ("[1, \u2212 2]", [1.0, -2.0]),
        ("[[+ 1, 2], [3, - 4]]", [[1.0, 2.0], [3.0, -4.0]]),
        ("[1 2; - 3 4]", [[1.0, 2.0], [-3.0, 4.0]]),
    ],
)
def test_a_lone_sign_at_the_start_of_a_row_joins_the_number_after_it(text, expected):
    """A sign followed by a space at the start of the answer or of a row (after ``;``, ``[`` or
    a comma in brackets) is the sign of the next number, in every form."""
    np.testing.assert_array_equal(parse_answer(text), expected)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("1 - 2", "'1 - 2'"),
        ("3 + 4", "'3 + 4'"),
        ("1 \u2212 2", "'1 - 2'"),
        ("1\t-  2", "'1 - 2'"),
        ("1 2 - 3", "'2 - 3'"),
        ("1 2; 3 - 4", "'3 - 4'"),
        ("- 1 - 2", "'-1 - 2'"),
        ("1 - -2", "'1 - -2'"),
        ("[1 - 2]", "'1 - 2'"),
        ("[1, 2 + 3]", "'2 + 3'"),
        ("[1 2; 3 - 4]", "'3 - 4'"),
    ],
)
def test_a_lone_sign_between_two_numbers_is_a_calculation(text, shown):
    """``1 - 2`` is a subtraction, not the vector [1, -2]: it is refused, naming the calculation."""
    with pytest.raises(Unreadable) as caught:
        parse_answer(text)
    assert caught.value.message == (
        f"could not read {shown}: only a single fraction like -3/4 is allowed, not a calculation"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[4; -2]", [[4.0], [-2.0]]),
        ("[1 2; 3 4]", [[1.0, 2.0], [3.0, 4.0]]),
        (" [ 1 2 ; 3 4 ; ] ", [[1.0, 2.0], [3.0, 4.0]]),
        ("[-0,1 0,8; 0,9 -0,2]", [[-0.1, 0.8], [0.9, -0.2]]),
        ("[- 0,1 0,8; \u2212 0,9 0,2]", [[-0.1, 0.8], [-0.9, 0.2]]),
        ("[1/2 -1; 3 4]", [[0.5, -1.0], [3.0, 4.0]]),
    ],
)
def test_the_row_form_in_brackets_reads_as_without_them(text, expected):
    """Single brackets around the row form change nothing: same values, same shape."""
    result = parse_answer(text)
    np.testing.assert_array_equal(result, expected)
    assert result.shape == parse_answer(text.strip()[1:-1]).shape


def test_one_row_of_the_row_form_in_brackets_is_a_vector():
    """``[1 2 3;]`` and ``[5;]`` read as vectors, like ``[1, 2, 3]`` and ``[5]``, never as a number."""
    assert parse_answer("[1 2 3;]").tolist() == [1.0, 2.0, 3.0]
    assert parse_answer("[5;]").tolist() == [5.0]


@pytest.mark.parametrize("text", ["[1,2; 3,4]", "[1,2;3,4]", "[0,5; 1,5]"])
def test_a_bracketed_column_of_decimal_commas_is_refused_as_ambiguous(text):
    """``[1,2; 3,4]`` may mean a 2×2 matrix or a column of decimal commas: it is not guessed."""
    with pytest.raises(
        Unreadable, match=r"write a matrix as \[\[1, 2\], \[3, 4\]\] or \[1 2; 3 4\]"
    ):
        parse_answer(text)


REFUSED = [
    ("", "empty answer"),
    ("   \t\n", "empty answer"),
    ("nan", "not a finite number"),
    ("-inf", "not a finite number"),
    ("Infinity", "not a finite number"),
    ("1e999", "number too large"),
    ("1e300/1e-300", "number too large"),
    ("[1, 1e999]", "number too large"),
    ("1_000", "without '_'"),
    ("1,000.5", "without thousands separators"),
    ("1.000,5", "without thousands separators"),
    ("1,000,000", "without thousands separators"),
    ("1/0", "division by zero in '1/0'"),
    ("0/0", "division by zero"),
    ("[1, 2/0]", "division by zero"),
    ("abc", "could not read 'abc' as a number: write a number like -20, 0.2, 0,2 or 1/5"),
    ("__import__('os')", "as a number"),
    ("9**9**9**9", "not a calculation"),
    ("1+2", "not a calculation"),
    ("2*3", "not a calculation"),
    ("1/2/3", "not a calculation"),
    ("(1)", "not a calculation"),
    ("1/-5", "put the sign in front"),
    ("--3", "as a number"),
    ("- - 3", "could not read '-' as a number"),
    ("1 2 -", "could not read '-' as a number"),
    ("- abc", "could not read '-abc' as a number"),
    ("\uff11\uff12", "as a number"),
    ("\u0661", "as a number"),
    ("1,", "to list numbers write [1, 2]"),
    (",5", "to list numbers write [1, 2]"),
    ("1, 2, 3", "to list numbers write [1, 2]"),
    ("1 2; 3", "row 2 has 1 number but row 1 has 2"),
    ("1 2; 3 4 5", "row 2 has 3 numbers but row 1 has 2"),
    ("[[1, 2], [3]]", "row 2 has 1 number but row 1 has 2"),
    ("1;;2", "row 2 is empty"),
    (";", "row 1 is empty"),
    ("[[[1]]]", "too many brackets"),
    ("[[1, [2]]]", "too many brackets"),
    ("[1, 2", "brackets do not match"),
    ("[[1, 2], [3, 4]", "brackets do not match"),
    ("[1, 2]]", "brackets do not match"),
    ("[1, 2] 3", "nothing may follow the closing bracket"),
    ("[1, 2], [3, 4]", "nothing may follow the closing bracket"),
    ("[[1, 2], 3]", "a matrix like [[1, 2], [3, 4]]"),
    ("2*[1]", "write a vector like [1, 2]"),
    ("1]", "write a vector like [1, 2]"),
    ("[]", "empty brackets"),
    ("[[1], []]", "empty brackets"),
    ("[1,, 2]", "a number is missing between two commas"),
    ("[1, 2,]", "a number is missing between two commas"),
    ("[1 2 3]", "inside brackets separate numbers with commas"),
    ("[0,5 1,5]", "inside brackets separate numbers with commas"),
    ("[1, 2; 3, 4]", "not with ';'"),
    ("[1 2; 3, 4]", "not with ';'"),
    ("[1 2, 3]", "could not read '1 2': inside brackets separate numbers with commas"),
    ("[1 -2]", "could not read '1 -2': inside brackets separate numbers with commas"),
    ("[1 2; 3]", "row 2 has 1 number but row 1 has 2"),
    ("[;]", "row 1 is empty"),
    ("[0.5, abc]", "could not read 'abc'"),
]


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_refused_forms_say_what_was_wrong(text, message):
    """Refused answers raise Unreadable whose message names the problem and the expected form."""
    with pytest.raises(Unreadable) as caught:
        parse_answer(text)
    assert message in caught.value.message
    assert str(caught.value) == caught.value.message


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_refused_forms_say_why_in_russian_too(text, message):
    """Each reason is a template of MESSAGES whose Russian fills the same fields, parts too."""
    with pytest.raises(Unreadable) as caught:
        parse_answer(text)
    unreadable = caught.value
    assert unreadable.template in answers.MESSAGES.values()
    assert unreadable.said("en") == unreadable.message
    russian = unreadable.said("ru")
    assert russian != unreadable.message and "{" not in russian
    assert not any(word in russian for word in ("write", "number", "could not", "brackets"))
    if "text" in unreadable.fields:
        assert unreadable.fields["text"] in russian


@pytest.mark.parametrize(
    ("text", "russian"),
    [
        (
            "abc",
            "не удалось прочитать 'abc' как число: напишите число, например -20, 0.2, 0,2 "
            "или 1/5, или вектор, например [1, 2]",
        ),
        (
            "1 - 2",
            "не удалось прочитать '1 - 2': можно написать только одну дробь, например -3/4, "
            "но не вычисление",
        ),
        ("1 2; 3", "в строке 2 одно число, а в строке 1 чисел: 2"),
        (
            "[1, 2",
            "непарные скобки: напишите вектор, например [1, 2], или матрицу, например "
            "[[1, 2], [3, 4]]",
        ),
    ],
)
def test_a_reason_said_in_russian_names_the_text_typed(text, russian):
    """The Russian reason quotes the answer as the English one does."""
    assert parse_cached(text, {}).said("ru") == russian


def test_unreadable_keeps_its_template_through_pickling():
    """An Unreadable sent to another process can still be said in another language."""
    unreadable = parse_cached("1 2; 3", {})
    copy = pickle.loads(pickle.dumps(unreadable))
    assert (copy.template, copy.fields, copy.message) == (
        unreadable.template,
        unreadable.fields,
        unreadable.message,
    )
    assert copy.said("ru") == unreadable.said("ru")


def test_unreadable_is_a_value_error():
    """Callers that catch ValueError also catch Unreadable."""
    assert issubclass(Unreadable, ValueError)


def test_answer_longer_than_limit_is_refused_before_reading():
    """A 1 MB answer is refused by its length alone."""
    with pytest.raises(Unreadable, match=f"answer longer than {MAX_ANSWER_LENGTH} characters"):
        parse_answer("1" * 1_000_000)


def test_answer_at_the_length_limit_is_still_read():
    """An answer of exactly MAX_ANSWER_LENGTH characters is read."""
    text = " ".join(["1"] * (MAX_ANSWER_LENGTH // 2))
    assert len(text) <= MAX_ANSWER_LENGTH
    assert parse_answer(text).shape == (MAX_ANSWER_LENGTH // 2,)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        "[" * MAX_ANSWER_LENGTH,
        "[" * 1000 + "]" * 1000,
        "]" * MAX_ANSWER_LENGTH,
        "[1," * 600 + "]" * 600,
        "9" * MAX_ANSWER_LENGTH + "e",
        "1/" * 1000,
        ";" * MAX_ANSWER_LENGTH,
        "-" * MAX_ANSWER_LENGTH,
        "1e99999999999999999999",
        "\u2212" * MAX_ANSWER_LENGTH,
        "9**9**9**9**9**9**9**9",
    ],
)
def test_hostile_input_is_unreadable_without_crashing(text):
    """Huge, deeply nested or pathological answers come back as Unreadable, not a crash."""
    assert isinstance(parse_cached(text, {}), Unreadable)


def test_more_than_max_elements_is_refused(monkeypatch):
    """The element cap holds even if the length cap is raised."""
    monkeypatch.setattr(answers, "MAX_ANSWER_LENGTH", 100_000)
    with pytest.raises(Unreadable, match="more than 10000 numbers"):
        parse_answer(" ".join(["1"] * 10_001))
    with pytest.raises(Unreadable, match="more than 10000 numbers"):
        parse_answer("[" + ", ".join(["1"] * 10_001) + "]")
    with pytest.raises(Unreadable, match="more than 10000 numbers"):
        parse_answer("[" + ", ".join(["[1, 2]"] * 5_001) + "]")


def test_parse_cached_returns_the_same_object_on_a_hit():
    """A second lookup of the same text returns the very same array from the cache."""
    cache = {}
    first = parse_cached("1/5", cache)
    assert parse_cached("1/5", cache) is first
    assert first == pytest.approx(0.2)
    assert list(cache) == ["1/5"]


def test_parse_cached_arrays_are_read_only():
    """Cached arrays are shared between callers, so nobody can change them in place."""
    result = parse_cached("[1, 2]", {})
    with pytest.raises(ValueError):
        result[0] = 5.0


def test_parse_cached_returns_unreadable_instead_of_raising():
    """An unreadable answer comes back as the memoised Unreadable instance, never raised."""
    cache = {}
    first = parse_cached("abc", cache)
    assert isinstance(first, Unreadable)
    assert "could not read 'abc'" in first.message
    assert first.__traceback__ is None
    assert parse_cached("abc", cache) is first


def test_parse_cached_returns_unreadable_for_empty_answer():
    """An empty answer is an Unreadable from parse_cached too; the caller tells it apart."""
    assert parse_cached("", {}).message == "empty answer"


def test_parse_cached_stops_growing_at_the_cap(monkeypatch):
    """Past MAX_CACHE_ENTRIES new answers are still parsed but no longer stored."""
    monkeypatch.setattr(answers, "MAX_CACHE_ENTRIES", 3)
    cache = {}
    for number in range(5):
        assert parse_cached(str(number), cache) == number
    assert len(cache) == 3


def test_parse_cached_does_not_store_long_answers():
    """Answers longer than MAX_CACHED_LENGTH are parsed but not kept, bounding the cache's memory."""
    cache = {}
    text = " ".join(["1"] * answers.MAX_CACHED_LENGTH)
    assert parse_cached(text, cache).shape == (answers.MAX_CACHED_LENGTH,)
    assert isinstance(parse_cached("[" * MAX_ANSWER_LENGTH, cache), Unreadable)
    assert cache == {}


@given(st.text(alphabet="0123456789.,;/[] \t\n-+eE\u2212\u2013_nai*()", max_size=40) | st.text())
def test_any_text_gives_a_finite_array_or_unreadable(text):
    """Whatever is typed, parse_cached returns a finite float64 array of at most 2-d or Unreadable."""
    result = parse_cached(text, {})
    if not isinstance(result, Unreadable):
        assert result.dtype == np.float64
        assert result.ndim <= 2
        assert np.isfinite(result).all()


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_float_reads_back_exactly(value):
    """The repr of a float reads back exactly, also with a decimal comma or a Unicode minus."""
    text = repr(value)
    assert parse_answer(text) == value
    assert parse_answer(text.replace(".", ",")) == value
    assert parse_answer(text.replace("-", "\u2212")) == value


TEXTS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["1_0", "١٢", " 2.5\n", "-0", "1e400", "nan", "inf", "0x10", "", "−3", "5."]),
    st.text(max_size=6),
)


@given(st.lists(TEXTS, max_size=12), st.booleans())
def test_a_column_of_answers_reads_as_each_answer_alone(texts, long):
    """written_numbers reads a column as written_number reads each text (and None for what is
    not text or is longer than the limit), whichever of its two ways it takes."""
    column: list = [*texts, "1" * (MAX_ANSWER_LENGTH + 1)] if long else list(texts)
    alone = [
        answers.written_number(text) if len(text) <= MAX_ANSWER_LENGTH else None for text in column
    ]
    assert answers.written_numbers(column) == alone
    assert answers.written_numbers([*column, None, 7]) == [*alone, None, None]
    assert answers.written_numbers(["1", " 2.5\n", "nan", "-1e400", "3e2"]) == [
        1.0,
        2.5,
        None,
        None,
        300.0,
    ]


@given(
    st.one_of(
        st.lists(TEXTS, min_size=1, max_size=80),
        st.lists(st.floats(allow_nan=False, allow_infinity=False).map(repr), max_size=80),
    )
)
def test_a_column_reads_the_same_whether_it_is_read_at_once_or_by_its_distinct_answers(texts):
    """A blank's column of plain numbers, mostly distinct, is read at once, its rows told apart
    by value; every row reads as it does when the column's distinct answers are read one by
    one, and rows of one code have one value."""
    import importlib
    from unittest import mock

    grading = importlib.import_module("grader.checking.grade")  # grader.checking.grade: a function

    at_once = grading.read_answers(texts, (), {})
    with mock.patch.object(grading, "written_column", lambda texts: None):
        one_by_one = grading.read_answers(texts, (), {})
    np.testing.assert_array_equal(at_once.values, one_by_one.values)
    np.testing.assert_array_equal(at_once.status, one_by_one.status)
    assert at_once.raw == one_by_one.raw == list(texts)
    assert at_once.problems.keys() == one_by_one.problems.keys()
    for code in set(at_once.codes.tolist()):
        values = at_once.values[at_once.codes == code]
        assert np.isnan(values).all() or (values == values[0]).all()
