"""Grading throughput: the vectorised path against a one-at-a-time loop, and `grader grade` end to end.

    python benchmarks/grade_throughput.py --n 200000

Prints submissions/s of each path and their ratio; both run in the same process, on the same
synthetic submissions of `single-weight` (right and wrong answers in every blank). Then the cases
real courses live in, through `grader grade`: every line a different student of
`single-weight-random` (each their own variant, drawn with --secret), and every line a paper
exam's own numbers (`given`/`params`), each as a share of the one-shared-variant rate; and the
paper exam against a per-submission PyTorch-autograd loop on the same lines (torch: dev extras).
The paper exam twice: small whole numbers, whose lines often repeat one another (`grader grade`
grades a chunk's identical lines once), and numbers with decimals, nearly every line distinct.
The `grader grade` cases and the PyTorch loops are timed in ``--repeat`` rounds, each round
timing every case once in turn, and each keeps its best: a machine whose speed drifts during the
run moves all of them alike, not one case more than the baseline it is compared with.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "benchmarks"))

from batch_regrade import cpu_ticks  # noqa: E402

from grader.checking import grade, grade_many  # noqa: E402
from grader.exercises import load_dir  # noqa: E402

OPTIONS = {
    "grad.e3": ["-10", "10", "-5", "−10", "-10.0", ""],
    "grad.e2": ["-10", "10", "-5", "-10,0"],
    "grad.e1": ["-20", "20", "-10", "2", "-19.9", "-2e1"],
    "update.v": ["0.2", "0,2", "-0.2", "20", "1/5", ".2"],
    "new.v": ["0.2", "-0.2", "0", "abc", "0,2"],
}


def synthetic(
    n: int, seed: int = 1, exercise: str = "single-weight", students: int | None = 1000
) -> list[dict]:
    """n submissions, each blank drawn from right and typical wrong answers: by ``students``
    students (``None``: every line a different student, each with their own variant)."""
    rng = np.random.default_rng(seed)
    columns = {blank: rng.choice(len(values), size=n) for blank, values in OPTIONS.items()}
    return [
        {
            "id": f"s{i}",
            "student": f"student{i % students}" if students else f"student-{i}",
            "exercise": exercise,
            "answers": {blank: OPTIONS[blank][columns[blank][i]] for blank in OPTIONS},
        }
        for i in range(n)
    ]


def paper_exam(n: int, seed: int = 3, distinct: bool = False) -> list[dict]:
    """n lines that each carry a paper exam's own numbers, answered right or with a sign error:
    small whole numbers, as on a printed exam (84 sets of numbers, so many lines repeat one
    another, numbers and answers alike), or with ``distinct`` numbers of one or two decimals from
    wider ranges, nearly every line its own (no two lines to grade once between them)."""
    rng = np.random.default_rng(seed)
    if distinct:
        x = np.round(rng.uniform(0.5, 9.9, n), 1)
        y = np.round(rng.uniform(1.0, 20.0, n), 1)
        v = np.round(rng.uniform(-2.0, 2.0, n), 2)
    else:
        x, y, v = rng.integers(1, 5, n), rng.integers(3, 10, n), rng.integers(-1, 2, n)
    number = float if distinct else int
    lines = []
    for i in range(n):
        xi, yi, vi = number(x[i]), number(y[i]), number(v[i])
        e3 = 2 * (vi * xi - yi)
        sign = 1 if rng.random() < 0.7 else -1
        step = -0.01 * sign * e3 * xi
        answers = {
            "grad.e3": f"{sign * e3:g}",
            "grad.e2": f"{sign * e3:g}",
            "grad.e1": f"{sign * e3 * xi:g}",
            "update.v": f"{step:g}",
            "new.v": f"{vi + step:g}",
        }
        lines.append(
            {
                "id": f"p{i}",
                "student": f"paper-{i}",
                "exercise": "single-weight-random",
                "answers": answers,
                "given": {"x": xi, "y": yi},
                "params": {"v": vi},
            }
        )
    return lines


def torch_loop(lines: list[dict], exercise) -> list[bool]:
    """A per-submission PyTorch-autograd grader: each line's forward and backward pass, its step
    and new value, and every blank compared with the answer within 1%."""
    import torch

    from grader.checking.answers import parse_answer

    lr = exercise.spec.learning_rate
    verdicts = []
    for line in lines:
        values = {
            name: torch.tensor(float(value), dtype=torch.float64, requires_grad=True)
            for section in ("given", "params")
            for name, value in line[section].items()
        }
        for name, source in exercise.spec.graph.items():
            values[name] = eval(str(source), {"__builtins__": {}}, dict(values))
            values[name].retain_grad()
        values[exercise.graph.loss].backward()
        grad_v = float(values["v"].grad)
        want = {f"grad.{name}": float(values[name].grad) for name in ("e3", "e2", "e1")}
        want["update.v"] = -lr * grad_v
        want["new.v"] = float(values["v"].detach()) - lr * grad_v
        for blank, expected in want.items():
            got = float(parse_answer(line["answers"][blank]))
            verdicts.append(abs(got - expected) <= 1e-8 + 0.01 * abs(expected))
    return verdicts


class Cli:
    """`grader grade` on a file of ``lines``, timed one run at a time, process start included."""

    def __init__(self, tmp: Path, name: str, lines: list[dict], *options: str):
        self.lines, self.sink = len(lines), tmp / f"{name}.results.jsonl"
        source = tmp / f"{name}.jsonl"
        source.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
        self.command = [
            sys.executable,
            "-m",
            "grader.cli",
            "grade",
            "--exercises",
            str(ROOT / "exercises"),
            "--input",
            str(source),
            "--output",
            str(self.sink),
            *options,
        ]

    def __call__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run(self.command, check=True, env=env, stderr=subprocess.DEVNULL)
        written = sum(1 for _ in self.sink.open("rb"))
        assert written == self.lines, f"expected {self.lines} result lines, got {written}"


def best_in_rounds(repeat: int, cases: dict) -> dict[str, float]:
    """Each case's best time over ``repeat`` rounds, every round timing each case once in turn:
    a machine that speeds up or slows down during the run moves every case alike."""
    best: dict[str, float] = {}
    for _ in range(repeat):
        for name, fn in cases.items():
            seconds = best_of(1, fn)
            best[name] = min(seconds, best.get(name, seconds))
    return best


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n", type=int, default=200_000, help="submissions for the vectorised path and the CLI"
    )
    parser.add_argument(
        "--loop", type=int, default=2_000, help="submissions for the one-at-a-time loop"
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    busy0, total0 = cpu_ticks()

    exercise = load_dir(ROOT / "exercises")["single-weight"]
    subs = synthetic(args.n)
    variant = exercise.draw_variant("", "student0")
    answers = [s["answers"] for s in subs]

    vectorised = best_of(
        args.repeat, lambda: grade_many(exercise, [variant] * len(answers), answers)
    )
    heads = [{"id": s["id"], "student": s["student"], "exercise": s["exercise"]} for s in subs]
    graded = grade_many(exercise, [variant] * len(answers), answers)
    encoding = best_of(args.repeat, lambda: graded.json_lines(heads))
    loop_answers = answers[: args.loop]
    looped = best_of(args.repeat, lambda: [grade(exercise, variant, a) for a in loop_answers])
    vector_rate = args.n / vectorised
    loop_rate = args.loop / looped

    randomised = load_dir(ROOT / "exercises")["single-weight-random"]
    exam = paper_exam(args.n)
    varied = paper_exam(args.n, distinct=True)
    pairs = {orjson.dumps([line["given"], line["params"], line["answers"]]) for line in varied}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        own = synthetic(args.n, 2, "single-weight-random", students=None)
        cases = {
            "shared": Cli(folder, "shared", subs),
            "own": Cli(folder, "own", own, "--secret", "course"),
            "exam": Cli(folder, "exam", exam),
            "varied": Cli(folder, "varied", varied),
            "torch exam": lambda: torch_loop(exam[: args.loop], randomised),
            "torch varied": lambda: torch_loop(varied[: args.loop], randomised),
        }
        cases["torch exam"]()  # torch's first call loads and warms it: not timed
        best = best_in_rounds(args.repeat, cases)
    cli_rate = args.n / best["shared"]
    print(
        f"vectorised grade_many: {args.n} submissions in {vectorised:.3f} s ({vector_rate:,.0f}/s, parsing included)"
    )
    print(
        f"  + results as JSON lines: {encoding:.3f} s ({args.n / (vectorised + encoding):,.0f}/s together)"
    )
    print(f"one at a time:         {args.loop} submissions in {looped:.3f} s ({loop_rate:,.0f}/s)")
    print(
        f"grader grade (JSONL in, JSONL out, process start included): {args.n} in {best['shared']:.3f} s ({cli_rate:,.0f}/s)"
    )
    own_rate = args.n / best["own"]
    print(
        f"grader grade, every line its own student's variant: {own_rate:,.0f}/s"
        f" ({own_rate / cli_rate:.0%} of one shared variant)"
    )
    exam_rate = args.n / best["exam"]
    print(
        f"grader grade, every line a paper exam's own numbers: {exam_rate:,.0f}/s"
        f" ({exam_rate / cli_rate:.0%} of one shared variant)"
    )
    torch_rate = args.loop / best["torch exam"]
    print(f"PyTorch autograd, one paper exam line at a time: {torch_rate:,.0f}/s")
    varied_rate = args.n / best["varied"]
    varied_torch = args.loop / best["torch varied"]
    print(
        f"grader grade, a paper exam whose lines are nearly all distinct ({len(pairs):,} distinct of"
        f" {args.n:,}): {varied_rate:,.0f}/s ({varied_rate / cli_rate:.0%} of one shared variant);"
        f" PyTorch on its lines {varied_torch:,.0f}/s"
    )
    busy, total = cpu_ticks()
    print(
        f"machine CPU {(busy - busy0) / max(1, total - total0):.0%} busy during the run"
        f" (load average now {os.getloadavg()[0]:.1f})"
    )
    print(
        f"grade-throughput: vectorised {vector_rate:,.0f}/s; one-at-a-time {loop_rate:,.0f}/s;"
        f" ratio {vector_rate / loop_rate:.0f}x; cli {cli_rate:,.0f}/s;"
        f" own variants {own_rate / cli_rate:.0%} of shared;"
        f" paper exam {exam_rate / cli_rate:.0%} of shared, {exam_rate / torch_rate:.1f}x torch;"
        f" distinct paper exam {varied_rate / cli_rate:.0%} of shared,"
        f" {varied_rate / varied_torch:.1f}x torch"
    )


if __name__ == "__main__":
    main()
