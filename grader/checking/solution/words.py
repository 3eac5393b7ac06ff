"""The worked solution's sentences, as message templates of the project's catalogue: told in
English or Russian by :class:`Words` (the catalogue's extractor reads the dicts of this module)."""

from __future__ import annotations

from grader.checking.feedback import node_phrase, translator
from grader.engine.prose import Local

SENTENCES = {
    "intro": "Work forward through the graph, then back from the loss, one edge at a time.",
    "forward": "Forward pass (each edge's value from its inputs)",
    "backward": "Backward pass (the gradient of the loss on each edge)",
    "update": "Update (the step and the new value of each parameter)",
    "training_step": "Training step {step}",
    "step_starts": "Step {step} starts from the new values of step {before}: {values}.",
    "loss_one": "On {loss} the gradient is 1.",
    "on_edge": "On {name} the gradient is {derivative}.",
    "gets": "{lead}, so {name} gets {arithmetic}{value}{suffix}.",
    "from_use": " from {use}",
    "in_edge": "In {edge} = {expression}, {route}",
    "then": "{first}, then {second}",
    "node_does": "{node} {phrase}",
    "broadcast_sum": "adds it up over the {n} elements {name} was broadcast to: {terms} = {total}",
    "read_times": "In {edge} = {expression}, {name} is read {n} times: {pieces}; so {label} gets {terms} = {value}{suffix}.",
    "giving": "{route} (giving {value})",
    "fan_out": "{name} is used by {uses}, so its gradient sums the gradients from its uses: {terms} = {total}.",
    "from_term": "{value} (from {use})",
    "and": "{items} and {last}",
    "that_is": "{edge} (that is, {name})",
    "step": "The step for {name}: step = −learning rate × gradient = {arithmetic}.",
    "new": "The new {name} = old {name} + step = {arithmetic}.",
    "book": "{edge} = {expression} is {what}: ∂{edge}/∂{name} = {formula}, so {label} gets {arithmetic}{value}{suffix}.",
    "simplifies": "Through {node}, the gradient of {what} simplifies to {formula}.",
}
# What a composite function is, as a book names it (see grader.checking.solution.book).
BOOK = {
    "log_loss": "the log loss of {p} with the label {y}",
    "log_loss_mean": "the mean log loss of {p} with the labels {y}",
    "log_loss_of_sigmoid": "the log loss of σ({p}) with the label {y}",
    "sum_of_squares": "the sum of the squares of {p}",
    "mean_of_squares": "the mean of the squares of {p}",
    "cross_entropy": "the cross entropy of {p} with the labels {y}",
    "cross_entropy_of_softmax": "the cross entropy of softmax({p}) with the labels {y}",
    "the_log_loss": "the log loss",
    "the_cross_entropy": "the cross entropy",
}


class Words:
    """The worked solution's sentences in one language."""

    def __init__(self, lang: str = "en"):
        self.lang = lang
        self.gettext = translator(lang)

    def __call__(self, key: str, **fields) -> str:
        """Sentence ``key`` of SENTENCES (or BOOK) with ``fields``, in this language."""
        template = SENTENCES.get(key) or BOOK[key]
        return self.gettext(template).format(**fields)

    def node(self, op: str) -> str:
        """``the multiply node``, in this language."""
        return self.gettext(node_phrase(op))

    def local(self, local: Local) -> str:
        """An op's phrase (``passes it on``) in this language."""
        return local.told(self.gettext)

    def listing(self, items: list[str]) -> str:
        """``a``, ``a and b``, ``a, b and c``."""
        if len(items) == 1:
            return items[0]
        return self("and", items=", ".join(items[:-1]), last=items[-1])


def capital(text: str) -> str:
    """``text`` with its first letter upper-case, as a sentence starts."""
    return text[:1].upper() + text[1:]
