"""Read the JSON samples of a docs page, repairing what is unambiguously broken as published.

The docs render their samples with non-breaking spaces, ``//`` comments and
trailing commas. Each of these has exactly one sensible reading, so it is
repaired and reported. Anything else (a missing comma, ``...`` for "more of
the same", single quotes) is an error that names the line: guessing would put
a wrong schema into the SDK.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["JsonSampleError", "loads"]

_NBSP = "\u00a0"
_BLANK = " \t\r\n" + _NBSP


class JsonSampleError(ValueError):
    """A sample is not JSON and cannot be repaired; ``line`` counts from 1 within the sample."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _skip_blank_and_comments(text: str, i: int) -> int:
    """The index of the next character that is neither blank nor inside a ``//`` comment."""
    while i < len(text):
        if text[i] in _BLANK:
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        else:
            break
    return i


def _closes(text: str, i: int) -> bool:
    return i < len(text) and text[i] in "}]"


def _repair(text: str) -> tuple[str, list[tuple[int, str]]]:
    """``text`` with the published defects removed (line structure kept), and what was done."""
    out: list[str] = []
    repairs: list[tuple[int, str]] = []
    i, line, in_string = 0, 1, False
    while i < len(text):
        char = text[i]
        if in_string:
            if char == "\\":
                out.append(text[i : i + 2])
                i += 2
                continue
            in_string = char != '"'
            out.append(char)
        elif char == '"':
            in_string = True
            out.append(char)
        elif char == _NBSP:
            repairs.append((line, "non-breaking space read as a space"))
            out.append(" ")
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            repairs.append((line, f"comment {text[i:end].strip()!r} dropped"))
            i = end
            continue
        elif char == "," and _closes(text, _skip_blank_and_comments(text, i + 1)):
            repairs.append((line, "trailing comma dropped"))
        else:
            out.append(char)
        if char == "\n":
            line += 1
        i += 1
    return "".join(out), repairs


def loads(text: str) -> tuple[Any, list[tuple[int, str]]]:
    """Parse one JSON sample as published; return the value and the repairs, by line.

    Raises :class:`JsonSampleError` (with the line) when the sample is broken in
    a way that has no single reading.
    """
    repaired, repairs = _repair(text)
    try:
        value = json.loads(repaired)
    except json.JSONDecodeError as exc:
        raise JsonSampleError(
            f"invalid JSON: {exc.msg} (column {exc.colno}); not repaired: "
            "only trailing commas, // comments and non-breaking spaces are",
            exc.lineno,
        ) from None
    return value, repairs
