"""Words of an exercise in several languages: a title or text is a plain string (the same for
every reader) or a mapping by language (``{en: …, ru: …}``), shown in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "ru")
FALLBACK = "en"

Localized = str | Mapping[str, str]


def localized(value: Localized | None, lang: str | None) -> str:
    """``value`` in ``lang``: a plain string as it is; from a mapping the reader's language,
    else English, else the first language given."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    for code in (lang, FALLBACK):
        if code in value:
            return value[code]
    return next(iter(value.values()), "")


def by_language(value: Localized) -> dict[str, str]:
    """Every language's version of ``value``; a plain string is the English one."""
    return {FALLBACK: value} if isinstance(value, str) else dict(value)


def problems(key: str, value: object, max_length: int) -> list[tuple[tuple, str]]:
    """What is wrong with a title or text mapping, each with the path of the key at fault."""
    if not isinstance(value, Mapping):
        return []
    if not value:
        return [
            ((key,), f"{key}: a mapping by language needs at least one of {', '.join(LANGUAGES)}")
        ]
    found = []
    for code, words in value.items():
        if code not in LANGUAGES:
            found.append(
                ((key, code), f"{key}: unknown language '{code}' (known: {', '.join(LANGUAGES)})")
            )
        elif not isinstance(words, str):
            found.append(((key, code), f"{key}.{code}: expected text, got {words!r}"))
        elif not words.strip():
            found.append(((key, code), f"{key}.{code}: the text is empty"))
        elif len(words) > max_length:
            found.append(((key, code), f"{key}.{code}: longer than {max_length} characters"))
    return found
