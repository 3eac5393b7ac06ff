"""Worked solutions a student can follow: the forward pass (each edge's value from its inputs),
then the backward pass edge by edge as the book narrates it, then the steps; in English or
Russian, with numbers as exact fractions where they are small, else to 4 significant figures."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from grader.checking.feedback import WORDS, precision
from grader.checking.solution import forward
from grader.checking.solution.backward import Backward, alias_of, terms
from grader.checking.solution.words import SENTENCES, Words
from grader.engine import Edge
from grader.engine.format import plain
from grader.engine.prose import num
from grader.exercises import Exercise, Variant
from grader.exercises.exercise import blank_id

INTRO = SENTENCES["intro"]
PARTS = ("forward", "backward", "update")


@dataclass
class SolutionStep:
    """One sentence of the worked solution, in its ``part`` (forward, backward or update) of
    its training ``step``; ``blank`` is None for a value the student is not asked."""

    blank: str | None
    target: str
    value: int | float | list | None
    text: str
    part: str = "backward"
    step: int = 1


@dataclass
class Solution:
    """The steps of a worked solution and the same as Markdown."""

    steps: list[SolutionStep]
    markdown: str

    def to_dict(self) -> dict:
        return {"steps": [asdict(step) for step in self.steps], "markdown": self.markdown}

    def told(self, blank: str) -> list[SolutionStep]:
        """The sentences that work out ``blank``: its own, after those of the parts a fanned-out
        gradient sums."""
        found = [i for i, step in enumerate(self.steps) if step.blank == blank]
        if not found:
            return []
        mine = self.steps[found[0]]
        parts = [
            step
            for step in self.steps[: found[0]]
            if mine.part == step.part == "backward"
            and step.blank is None
            and (step.target, step.step) == (mine.target, mine.step)
        ]
        return [*parts, mine]


class Narrator:
    """Walks one variant's forward and backward passes, training step by training step, and
    writes a sentence per value."""

    def __init__(self, exercise: Exercise, variant: Variant, lang: str = "en"):
        self.exercise, self.graph = exercise, exercise.graph
        self.words = Words(lang)
        tape, _ = exercise.evaluate([variant])
        self.chain = exercise.chain(tape)
        self.asked = {blank.id for blank in exercise.blanks}
        grads = self.chain[0][1]
        self.uses = {
            name: [use for use in uses if use in grads] for name, uses in self.graph.uses.items()
        }
        self.labels: dict[str, str] = {}
        folded = set()
        for edge in self.graph.edges:
            name = alias_of(edge)
            if name and self.uses[name] == [edge.name] and f"grad.{name}" not in self.asked:
                folded.add(name)
                self.labels[edge.name] = self.words("that_is", edge=edge.name, name=name)
        asked_grads = {blank.target for blank in exercise.blanks if blank.kind == "grad"}
        edges = {edge.name for edge in self.graph.edges}
        self.narrated = (edges | set(exercise.spec.params) | asked_grads) - folded
        self.steps: list[SolutionStep] = []
        self.step = 1

    def solve(self) -> Solution:
        for step, (tape, grads) in enumerate(self.chain, 1):
            self.step, self.tape, self.grads = step, tape, grads
            self.backward = Backward(self.graph, tape, grads, self.words, self.labels)
            self.parts: dict[str, list[tuple[str, np.ndarray]]] = {}
            self.solve_step()
        return Solution(self.steps, self.markdown())

    def solve_step(self) -> None:
        values = {name: value[0] for name, value in self.tape.values.items()}
        if self.step > 1:
            start = [f"{p} = {num(values[p])}" for p in self.exercise.spec.params]
            said = self.words(
                "step_starts",
                step=self.step,
                before=self.step - 1,
                values=self.words.listing(start),
            )
            self.add(None, "", None, said, "forward")
        for edge in self.graph.edges:
            self.add(None, edge.name, values[edge.name], forward.sentence(edge, values), "forward")
        loss = self.graph.loss
        self.add("grad", loss, self.grads[loss][0], self.words("loss_one", loss=loss), only=True)
        for edge in reversed(self.graph.edges):
            if edge.name in self.grads:
                for name in edge.reads:
                    if name in self.narrated:
                        self.read(edge, name)
        self.updates()

    def markdown(self) -> str:
        asked = self.words.gettext(WORDS["give"]).format(
            precision=precision(self.exercise, self.words.gettext)
        )
        lines = [f"{self.words('intro')} {asked}"]
        for step in range(1, len(self.chain) + 1):
            if len(self.chain) > 1:
                lines += ["", f"### {self.words('training_step', step=step)}"]
            for part in PARTS:
                steps = [s for s in self.steps if s.part == part and s.step == step]
                if steps:
                    lines += ["", f"{self.words(part)}:", ""]
                    lines += [f"{i}. {s.text}" for i, s in enumerate(steps, 1)]
        return "\n".join(lines) + "\n"

    def add(
        self,
        kind: str | None,
        target: str,
        value,
        text: str,
        part: str = "backward",
        only: bool = False,
    ) -> None:
        """One sentence; ``only`` where it is said only when its blank is asked."""
        blank = blank_id(kind, target, self.step) if kind else None
        if blank not in self.asked:
            if only:
                return
            blank = None
        self.steps.append(SolutionStep(blank, target, plain(value), text, part, self.step))

    def read(self, edge: Edge, name: str) -> None:
        """The gradient ``name`` gets through ``edge``; the sum when that was its last use."""
        said = self.backward
        if len(self.uses[name]) == 1:
            final = self.grads[name][0]
            text, _ = said.through(edge, name, "", final)
            self.add("grad", name, final, self.simplify(text, edge, name, final))
            return
        suffix = self.words("from_use", use=edge.name)
        text, value = said.through(edge, name, suffix)
        self.add(None, name, value, self.simplify(text, edge, name, value))
        self.parts.setdefault(name, []).append((edge.name, value))
        if len(self.parts[name]) == len(self.uses[name]):
            parts = self.parts[name][::-1]
            total = self.grads[name][0]
            self.add(
                "grad",
                name,
                total,
                self.words(
                    "fan_out",
                    name=said.labels.get(name, name),
                    uses=self.words.listing([use for use, _ in parts]),
                    terms=terms([v for _, v in parts], self.words, [u for u, _ in parts]),
                    total=num(total),
                ),
            )

    def simplify(self, text: str, edge: Edge, name: str, value) -> str:
        shortcut = self.backward.simplified(edge, name, value)
        return f"{text} {shortcut}" if shortcut else text

    def updates(self) -> None:
        """The step and the new value of each asked param."""
        ask, lr = self.exercise.spec.ask, self.exercise.spec.learning_rate
        for param in dict.fromkeys([*ask.update, *ask.new]):
            g = self.grads[param][0]
            old = self.tape.values[param][0]
            step, new = -lr * g, old - lr * g
            arithmetic = f"−{num(lr)} × {num(g, paren=True)} = {num(step)}"
            said = self.words("step", name=param, arithmetic=arithmetic)
            self.add("update", param, step, said, "update")
            if param in ask.new:
                arithmetic = f"{num(old)} + {num(step, paren=True)} = {num(new)}"
                said = self.words("new", name=param, arithmetic=arithmetic)
                self.add("new", param, new, said, "update")


def solve(exercise: Exercise, variant: Variant, lang: str = "en") -> Solution:
    """The worked solution of ``exercise`` for ``variant``, in ``lang``: every edge's value,
    every gradient, step and new value."""
    return Narrator(exercise, variant, lang).solve()
