"""Read YAML into plain Python values, remembering the line of every key and item."""

from __future__ import annotations

import re
from typing import Any

import yaml

Path = tuple[Any, ...]

MAX_FILE_BYTES = 256 * 1024
MAX_NESTING = 16
MAX_NODES = 50_000


class SourceError(ValueError):
    """A YAML file that cannot be read; ``line`` is 1-based."""

    def __init__(self, reason: str, line: int):
        super().__init__(reason)
        self.reason = reason
        self.line = line


class Loader(yaml.SafeLoader):
    """YAML's safe loader that also reads ``1e-2`` (no decimal point) as a number."""


class FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The same safe loader on libyaml's parser where it is installed (ten times faster)."""


for _loader in (Loader, FastLoader):
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"),
        list("-+0123456789."),
    )


def load_with_lines(text: str) -> tuple[Any, dict[Path, int]]:
    """Parse ``text`` safely; return the data and a map from each value's path to its line."""
    if len(text) > MAX_FILE_BYTES:
        raise SourceError(
            f"the file is larger than {MAX_FILE_BYTES // 1024} KiB ({len(text) // 1024} KiB)", 1
        )
    try:
        _bounded(text)
        node = yaml.compose(text, Loader=FastLoader)
        if node is None:
            raise SourceError("the file is empty", 1)
        lines: dict[Path, int] = {}
        return _convert(node, (), lines), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise SourceError(
            f"not valid YAML: {exc.problem or exc}", mark.line + 1 if mark else 1
        ) from None
    except yaml.YAMLError as exc:
        raise SourceError(f"not valid YAML: {exc}", 1) from None


def _bounded(text: str) -> None:
    """Refuse, before building anything, what no exercise needs but a hostile file uses:
    aliases (``*name``: their expansion can multiply a small file a billionfold), values nested
    deeper than MAX_NESTING and more than MAX_NODES values."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=FastLoader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise SourceError(
                f"YAML aliases (*{event.anchor}) are not allowed in an exercise: write the value out",
                line,
            )
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_NODES:
                raise SourceError(f"more than {MAX_NODES} values in one file", line)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise SourceError(f"values nested deeper than {MAX_NESTING} levels", line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _convert(node: yaml.Node, path: Path, lines: dict[Path, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if not isinstance(node, yaml.ScalarNode) and node.tag not in COLLECTION_TAGS:
        raise SourceError(f"the tag {node.tag} is not allowed here", lines[path])
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if key in out:
                raise SourceError(f"duplicate key '{key}'", key_node.start_mark.line + 1)
            out[key] = _convert(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise SourceError("a key must be a plain name", node.start_mark.line + 1)
    loader = Loader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()
