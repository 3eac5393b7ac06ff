"""Grading throughput: the vectorised path against a one-at-a-time loop, and `grader grade` end to end.

    python benchmarks/grade_throughput.py --n 200000

Prints submissions/s of each path and their ratio; both run in the same process, on the same
synthetic submissions of `single-weight` (right and wrong answers in every blank).
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

from grader.checking import grade, grade_many  # noqa: E402
from grader.exercises import load_dir  # noqa: E402

OPTIONS = {
    "grad.e3": ["-10", "10", "-5", "−10", "-10.0", ""],
    "grad.e2": ["-10", "10", "-5", "-10,0"],
    "grad.e1": ["-20", "20", "-10", "2", "-19.9", "-2e1"],
    "update.v": ["0.2", "0,2", "-0.2", "20", "1/5", ".2"],
    "new.v": ["0.2", "-0.2", "0", "abc", "0,2"],
}


def synthetic(n: int, seed: int = 1) -> list[dict]:
    """n submissions by 1,000 students, each blank drawn from right and typical wrong answers."""
    rng = np.random.default_rng(seed)
    columns = {blank: rng.choice(len(values), size=n) for blank, values in OPTIONS.items()}
    return [
        {
            "id": f"s{i}",
            "student": f"student{i % 1000}",
            "exercise": "single-weight",
            "answers": {blank: OPTIONS[blank][columns[blank][i]] for blank in OPTIONS},
        }
        for i in range(n)
    ]


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

    with tempfile.TemporaryDirectory() as tmp:
        source, sink = Path(tmp) / "subs.jsonl", Path(tmp) / "results.jsonl"
        source.write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in subs))
        command = [
            sys.executable,
            "-m",
            "grader.cli",
            "grade",
            "--exercises",
            str(ROOT / "exercises"),
            "--input",
            str(source),
            "--output",
            str(sink),
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cli = best_of(
            args.repeat,
            lambda: subprocess.run(command, check=True, env=env, stderr=subprocess.DEVNULL),
        )
        lines = sum(1 for _ in sink.open("rb"))
        assert lines == args.n, f"expected {args.n} result lines, got {lines}"
    cli_rate = args.n / cli

    print(
        f"vectorised grade_many: {args.n} submissions in {vectorised:.3f} s ({vector_rate:,.0f}/s, parsing included)"
    )
    print(
        f"  + results as JSON lines: {encoding:.3f} s ({args.n / (vectorised + encoding):,.0f}/s together)"
    )
    print(f"one at a time:         {args.loop} submissions in {looped:.3f} s ({loop_rate:,.0f}/s)")
    print(
        f"grader grade (JSONL in, JSONL out, process start included): {args.n} in {cli:.3f} s ({cli_rate:,.0f}/s)"
    )
    print(
        f"grade-throughput: vectorised {vector_rate:,.0f}/s; one-at-a-time {loop_rate:,.0f}/s; ratio {vector_rate / loop_rate:.0f}x; cli {cli_rate:,.0f}/s"
    )


if __name__ == "__main__":
    main()
