"""`grader grade` and `grader exercises check` as a user runs them."""

import contextlib
import io
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.cli.grade import run
from grader.exercises import load_dir

ROOT = Path(__file__).resolve().parent.parent
BOOK_ANSWERS = {
    "grad.e3": "-10",
    "grad.e2": "-10",
    "grad.e1": "-20",
    "update.v": "0.2",
    "new.v": "0.2",
}


def lines(*objects) -> str:
    return "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objects)


def test_readme_example_grades_end_to_end_in_a_real_process(tmp_path):
    """The installed console script grades a JSONL file into the contract's output lines."""
    source = tmp_path / "subs.jsonl"
    source.write_text(
        lines({"id": "s1-1", "student": "s1", "exercise": "single-weight", "answers": BOOK_ANSWERS})
    )
    out = tmp_path / "results.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "grade",
            "--exercises",
            str(ROOT / "exercises"),
            "--input",
            str(source),
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (result,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert set(result) == {"id", "student", "exercise", "variant", "score", "max_score", "blanks"}
    assert result["variant"] == {"given": {"x": 2, "y": 5}, "params": {"v": 0}}
    assert result["score"] == result["max_score"] == 5
    assert set(result["blanks"]["grad.e3"]) == {
        "verdict",
        "expected",
        "got",
        "points",
        "diagnosis",
        "feedback",
    }
    assert "graded 1 submissions" in done.stderr


def test_bad_lines_are_reported_with_their_number_and_the_rest_is_graded(tmp_path):
    """Broken JSON, unknown exercises and bad fields are skipped with file:line on stderr; exit 1."""
    source = tmp_path / "subs.jsonl"
    good = {"id": "a", "student": "s1", "exercise": "single-weight", "answers": BOOK_ANSWERS}
    source.write_text(
        lines(
            good,
            "{not json",
            {"id": "b", "student": "s1", "exercise": "no-such-exercise", "answers": {}},
            {"id": "c", "exercise": "single-weight", "answers": {}},
            {"id": "d", "student": "s1", "exercise": "single-weight", "answers": ["-10"]},
            {
                "id": "e",
                "student": "s1",
                "exercise": "single-weight",
                "answers": {},
                "given": {"z": 1},
            },
            "[1, 2]",
            {**good, "id": "f"},
            {**good, "id": "g", "exercise": "single-weight-random", "given": 5},
            {**good, "id": "h", "exercise": "single-weight-random", "given": False},
            {**good, "exercise": "single-weight-random", "given": {"x": 1, "y": 2}, "params": "v"},
            {
                **good,
                "exercise": "single-weight-random",
                "given": {"x": 1, "y": True},
                "params": {"v": 0},
            },
        )
    )
    out = tmp_path / "results.jsonl"
    result = CliRunner().invoke(
        main,
        [
            "grade",
            "--exercises",
            str(ROOT / "exercises"),
            "--input",
            str(source),
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert any(e.startswith(f"{source}:2: not valid JSON") for e in errors)
    assert f"{source}:3: unknown exercise 'no-such-exercise'" in errors
    assert f"{source}:4: 'student' must be a non-empty string" in errors
    assert any(e.startswith(f"{source}:5: 'answers' must be an object") for e in errors)
    assert f"{source}:6: 'z' is not in the exercise's given" in errors
    assert f"{source}:7: expected a JSON object" in errors
    assert f"{source}:9: 'given' must be an object of name: value" in errors
    assert f"{source}:10: 'given' must be an object of name: value" in errors
    assert f"{source}:11: 'params' must be an object of name: value" in errors
    assert any(e.startswith(f"{source}:12: given.y: expected a number") for e in errors)
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", "f"]


def test_an_unreadable_answer_is_explained_in_the_language_asked_for(tmp_path):
    """`--lang ru` gives the parser's reason in Russian, quoting the text typed; English is
    the default."""
    answers = {**BOOK_ANSWERS, "grad.e3": "1 - 2", "grad.e1": "[1, 2"}
    source = tmp_path / "subs.jsonl"
    source.write_text(
        lines({"id": "u", "student": "s1", "exercise": "single-weight", "answers": answers})
    )
    blanks = {}
    for lang in ("en", "ru"):
        out = tmp_path / f"results-{lang}.jsonl"
        arguments = ["grade", "--exercises", str(ROOT / "exercises"), "--input", str(source)]
        result = CliRunner().invoke(main, [*arguments, "--output", str(out), "--lang", lang])
        assert result.exit_code == 0, result.output
        blanks[lang] = json.loads(out.read_text())["blanks"]
    assert blanks["en"]["grad.e3"]["feedback"] == (
        "could not read '1 - 2': only a single fraction like -3/4 is allowed, not a calculation"
    )
    assert blanks["ru"]["grad.e3"]["verdict"] == "unreadable"
    assert blanks["ru"]["grad.e3"]["got"] == "1 - 2"
    assert blanks["ru"]["grad.e3"]["feedback"] == (
        "не удалось прочитать '1 - 2': можно написать только одну дробь, например -3/4, "
        "но не вычисление"
    )
    assert blanks["ru"]["grad.e1"]["feedback"] == (
        "непарные скобки: напишите вектор, например [1, 2], или матрицу, например [[1, 2], [3, 4]]"
    )


def test_explicit_given_and_params_are_graded_against_instead_of_the_draw(tmp_path):
    """A paper exam's own numbers replace the variant; `variant` in the output says which."""
    sub = {
        "id": "p1",
        "student": "s1",
        "exercise": "single-weight",
        "given": {"x": 3},
        "params": {"v": 1},
        "answers": {"grad.e3": "-4", "grad.e1": "-12", "update.v": "0.12", "new.v": "1.12"},
    }
    out = io.BytesIO()
    graded, skipped = run(
        load_dir(ROOT / "exercises"), io.BytesIO(lines(sub).encode()), out, "", "x"
    )
    assert (graded, skipped) == (1, 0)
    result = json.loads(out.getvalue())
    assert result["variant"] == {"given": {"x": 3, "y": 5}, "params": {"v": 1}}
    assert {b: r["verdict"] for b, r in result["blanks"].items()} == {
        "grad.e3": "correct",
        "grad.e2": "missing",
        "grad.e1": "correct",
        "update.v": "correct",
        "new.v": "correct",
    }


def test_output_follows_input_order_across_exercises_and_chunks(tmp_path, monkeypatch):
    """Lines of several exercises, over several chunks, come out in input order."""
    monkeypatch.setattr("grader.cli.grade.CHUNK_LINES", 7)
    subs = [
        {
            "id": str(i),
            "student": f"s{i % 5}",
            "exercise": ["single-weight", "two-params"][i % 2],
            "answers": {},
        }
        for i in range(30)
    ]
    out = io.BytesIO()
    run(load_dir(ROOT / "exercises"), io.BytesIO(lines(*subs).encode()), out, "", "x")
    assert [json.loads(line)["id"] for line in out.getvalue().splitlines()] == [
        str(i) for i in range(30)
    ]


def test_grading_streams_without_reading_the_whole_input_first():
    """Results of the first chunk are written before the rest of the input is read."""
    exercises = load_dir(ROOT / "exercises")
    out = io.BytesIO()
    sub = (
        json.dumps(
            {"id": "x", "student": "s", "exercise": "single-weight", "answers": BOOK_ANSWERS}
        )
        + "\n"
    )

    def source():
        for _ in range(8192):
            yield sub.encode()
        assert out.getvalue().count(b"\n") == 8192, "the first chunk should be written already"
        yield sub.encode()

    graded, _ = run(exercises, source(), out, "", "x")
    assert graded == 8193


@pytest.mark.parametrize("chunk", [8192, 13])
def test_a_line_graded_with_others_reads_the_same_as_graded_alone(monkeypatch, chunk):
    """Lines that repeat a paper exam's numbers or another line's answers, or nearly do (a bool
    for a number, 1.0 for 1, another key order, -0.0 for 0, a list), each get the result and the
    error they get alone, in one chunk or over many."""
    numbers = [{"x": 3, "y": 5}, {"x": 3.0, "y": 5}, {"y": 5, "x": 3}, {"x": True, "y": 5}]
    numbers += [{"x": 1, "y": 5}, {"x": -0.0, "y": 5}, {"x": 0, "y": 5}, {"x": [3], "y": 5}]
    answers = [
        {"grad.e3": "-4", "grad.e1": "-12", "update.v": "0.12", "new.v": "1.12"},
        {"grad.e1": "-12", "grad.e3": "-4", "update.v": "0.12", "new.v": "1.12"},
        {"grad.e3": -4, "grad.e1": "-12", "update.v": "0.12", "new.v": "1.12"},
        {"grad.e3": -4.0, "grad.e1": "-12", "update.v": "0.12", "new.v": "1.12"},
        {"grad.e3": True, "grad.e1": "-12", "update.v": "0.12", "new.v": "1.12"},
        {"grad.e3": "x", "grad.e1": ["-12"], "update.v": None, "new.v": "1.12"},
        {},
    ]
    answers.append({"grad.e3": 1, "grad.e1": "-12", "update.v": "0.12", "new.v": "1.12"})
    params = [{"v": 1}, {"v": 1.0}, {"v": True}, {"v": 0}, None]
    subs = [
        {"id": "lone", "student": "s1", "exercise": "single-weight-random", "answers": {}},
        *(
            {
                "id": f"p{i}",
                "student": f"s{i % 7}",
                "exercise": exercise,
                "answers": answer,
                **({"given": given, "params": param} if i % 11 else {}),
            }
            for i, (exercise, given, param, answer) in enumerate(
                itertools.product(
                    ["single-weight-random", "single-weight"], numbers, params, answers
                )
            )
        ),
    ]
    exercises = load_dir(ROOT / "exercises")
    together, together_errors = io.BytesIO(), io.StringIO()
    monkeypatch.setattr("grader.cli.grade.CHUNK_LINES", chunk)
    with contextlib.redirect_stderr(together_errors):
        run(exercises, io.BytesIO(lines(*subs).encode()), together, "k", "x")
    alone, alone_errors = [], []
    for sub in subs:
        out, errors = io.BytesIO(), io.StringIO()
        with contextlib.redirect_stderr(errors):
            run(exercises, io.BytesIO(lines(sub).encode()), out, "k", "x")
        alone.append(out.getvalue())
        alone_errors.append(errors.getvalue())
    assert together.getvalue() == b"".join(alone)
    reported = {
        int(line.split(":")[1]): line.split(": ", 1)[1]
        for line in together_errors.getvalue().splitlines()
    }
    assert reported == {
        number: error.split(": ", 1)[1].rstrip("\n")
        for number, error in enumerate(alone_errors, start=1)
        if error
    }
    assert 300 < together.getvalue().count(b"\n") < len(subs)


def test_same_student_gets_the_same_variant_as_the_seeded_draw():
    """Offline grading draws the student's variant with the course secret."""
    exercises = load_dir(ROOT / "exercises")
    ex = exercises["single-weight-random"]
    expected_variant = ex.draw_variant("course-secret", "s7").to_dict()
    out = io.BytesIO()
    sub = {"id": "x", "student": "s7", "exercise": ex.id, "answers": {}}
    run(exercises, io.BytesIO(lines(sub).encode()), out, "course-secret", "x")
    assert json.loads(out.getvalue())["variant"] == expected_variant


def grade_with_exercises(tmp_path, files: dict[str, str], *subs):
    """Run ``grader grade`` over ``files`` (name: text) and ``subs``; (result, output ids)."""
    folder = tmp_path / "exercises"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    source, out = tmp_path / "subs.jsonl", tmp_path / "results.jsonl"
    source.write_text(lines(*subs))
    args = ["grade", "--exercises", str(folder), "--input", str(source), "--output", str(out)]
    result = CliRunner().invoke(main, args)
    return result, [json.loads(line)["id"] for line in out.read_text().splitlines()]


def shipped(name: str) -> str:
    return (ROOT / "exercises" / f"{name}.yaml").read_text()


UNKNOWN_NAME = shipped("single-weight").replace("id: single-weight", "id: broken-one")
UNKNOWN_NAME = UNKNOWN_NAME.replace("e3: e2 - y", "e3: e9 - y")


def test_a_bad_exercise_file_is_reported_and_the_other_exercises_are_graded(tmp_path):
    """The bad file is reported as file:line: reason, its lines as bad lines; the rest is graded."""
    result, graded = grade_with_exercises(
        tmp_path,
        {"broken.yaml": UNKNOWN_NAME, "single-weight.yaml": shipped("single-weight")},
        {"id": "a", "student": "s1", "exercise": "single-weight", "answers": BOOK_ANSWERS},
        {"id": "b", "student": "s1", "exercise": "broken-one", "answers": BOOK_ANSWERS},
        {"id": "c", "student": "s2", "exercise": "single-weight", "answers": BOOK_ANSWERS},
    )
    bad = tmp_path / "exercises" / "broken.yaml"
    line = UNKNOWN_NAME.splitlines().index("  e3: e9 - y") + 1
    problem = f"{bad}:{line}: unknown name 'e9' in 'e3: e9 - y'"
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert errors[0] == problem
    assert (
        f"{tmp_path / 'subs.jsonl'}:2: exercise 'broken-one' could not be loaded: see {problem}"
        in errors
    )
    assert errors[-1] == "graded 2 submissions, skipped 1 bad lines, 1 exercise file not loaded"
    assert graded == ["a", "c"]


def test_an_unreadable_exercise_file_claims_the_id_of_its_file_name(tmp_path):
    """A file that is not even YAML is known by its file name: its submissions are reported."""
    result, graded = grade_with_exercises(
        tmp_path,
        {"broken-two.yaml": "id: [broken-two\n", "single-weight.yaml": shipped("single-weight")},
        {"id": "a", "student": "s1", "exercise": "broken-two", "answers": {}},
        {"id": "b", "student": "s1", "exercise": "single-weight", "answers": BOOK_ANSWERS},
    )
    assert result.exit_code == 1
    assert f"{tmp_path / 'subs.jsonl'}:1: exercise 'broken-two' could not be loaded: see " in (
        result.stderr
    )
    assert graded == ["b"]


def test_an_exercise_id_claimed_by_two_files_is_not_graded_against_either(tmp_path):
    """Two files with one id: which was meant is unknown, so its submissions are reported."""
    result, graded = grade_with_exercises(
        tmp_path,
        {"a.yaml": shipped("single-weight"), "b.yaml": shipped("single-weight")},
        {"id": "a", "student": "s1", "exercise": "single-weight", "answers": BOOK_ANSWERS},
    )
    assert result.exit_code == 1
    assert "exercise id 'single-weight' is also used by" in result.stderr
    assert "subs.jsonl:1: exercise 'single-weight' could not be loaded" in result.stderr
    assert graded == []


def test_only_good_exercise_files_grade_with_exit_status_0(tmp_path):
    """Without a bad file or line, the run succeeds and says so."""
    result, graded = grade_with_exercises(
        tmp_path,
        {"single-weight.yaml": shipped("single-weight")},
        {"id": "a", "student": "s1", "exercise": "single-weight", "answers": BOOK_ANSWERS},
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == ["graded 1 submissions, skipped 0 bad lines"]
    assert graded == ["a"]


def test_exercises_check_passes_on_the_shipped_exercises():
    """Every shipped exercise validates and matches finite differences."""
    result = CliRunner().invoke(main, ["exercises", "check", str(ROOT / "exercises")])
    assert result.exit_code == 0, result.output
    assert "ok   single-weight" in result.output


def test_exercises_check_reports_a_bad_file_with_file_and_line(tmp_path):
    """A bad file fails the check with its file:line: reason; good files are still listed."""
    (tmp_path / "good.yaml").write_text((ROOT / "exercises" / "single-weight.yaml").read_text())
    (tmp_path / "bad.yaml").write_text(
        "id: bad\ntitle: Bad\nparams: {v: 1}\ngraph:\n  e1: v\n  e5: e4 * 2\nask:\n  grad: [e1]\n"
    )
    result = CliRunner().invoke(main, ["exercises", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"FAIL {tmp_path / 'bad.yaml'}:6: unknown name 'e4' in 'e5: e4 * 2'" in result.output
    assert "ok   single-weight" in result.output


@pytest.mark.parametrize("args", [["--help"], ["grade", "--help"], ["exercises", "--help"]])
def test_help_is_available(args):
    """Each command documents itself."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_the_blanks_of_later_training_steps_are_graded_from_the_students_own_values():
    """A line of a three-step exercise names step 2's blanks with @2; they are graded against
    the chain of steps, following through from the student's own new value of step 1."""
    exercises = load_dir(ROOT / "exercises")
    answers = {
        **{blank: BOOK_ANSWERS[blank].lstrip("-") for blank in ("grad.e3", "grad.e2", "grad.e1")},
        "update.v": "-0.2",
        "new.v": "-0.2",
        "grad.e3@2": "-10.8",
        "grad.e1@2": "-21.6",
        "new.v@2": "0.016",
    }
    line = {"id": "a", "student": "s", "exercise": "single-weight-3-steps", "answers": answers}
    sink = io.BytesIO()
    assert run(exercises, io.BytesIO(lines(line).encode()), sink, "", "subs.jsonl") == (1, 0)
    (result,) = [json.loads(text) for text in sink.getvalue().splitlines()]
    blanks = result["blanks"]
    assert blanks["grad.e3"]["verdict"] == "incorrect"
    assert {blanks[b]["verdict"] for b in ("grad.e3@2", "grad.e1@2", "new.v@2")} == {
        "follow_through"
    }
    assert blanks["grad.e3@2"]["expected"] == -9.2 and blanks["new.v@3"]["verdict"] == "missing"
    assert result["max_score"] == 15
