"""Read the JSON samples of a docs page, repairing what is broken as published, never a value.

The docs publish samples with ``//`` comments, trailing commas, non-breaking
spaces and, now and then, a missing comma. The maintained ``json-repair``
library repairs them. But it repairs *anything*: it drops a ``...``, turns a
bare word into a string, closes a truncated sample, keeps the last of two
equal keys, and does not log all of it. A wrong value in a sample is a wrong
schema in the SDK, so every repair is checked.

The check compares token streams. The published text is split into JSON
tokens (strings, numbers, ``true``/``false``/``null``, ``{ } [ ] : ,``),
skipping blanks, other spaces (non-breaking, ideographic) and comments; anything else is a token of
its own that JSON has not (``...``, ``'a'``, ``3HBn``). The repaired value,
dumped as JSON, is split the same way. The two streams must be equal once
commas are set aside (strings and numbers compared by value): only commas may
be inserted or removed, and comments and those spaces removed. Every
such difference is reported with its line; any other one is a
:class:`JsonSampleError` naming the line and what json-repair would change.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from json_repair import repair_json

__all__ = ["JsonSampleError", "Token", "loads", "tokens"]

_JSON_BLANK = frozenset(" \t\n\r")
_BLANK_NAMES = {"\u00a0": "non-breaking space"}
_PUNCTUATION = frozenset("{}[]:,")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_WORD_END = re.compile(r"[\s{}\[\]:,\"]|//|/\*")  # where a run of other characters ends
_LITERALS = {"true": True, "false": False, "null": None}


class JsonSampleError(ValueError):
    """A sample is not JSON and cannot be repaired; ``line`` counts from 1 within the sample."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Token:
    """One token of a JSON text as published."""

    kind: str
    """``punct``, ``string``, ``number``, ``literal``, ``comment``, ``blank`` (a space that
    JSON does not allow, outside strings) or ``other`` (not JSON)."""
    text: str
    line: int

    @property
    def key(self) -> tuple[Any, ...]:
        """What two tokens must share to be the same value: strings and numbers by value."""
        if self.kind in ("string", "number"):
            value = json.loads(self.text)
            return (self.kind, type(value).__name__, value)
        return (self.kind, self.text)

    def __str__(self) -> str:
        if self.kind == "other":
            return f"`{self.text}` (not JSON)"
        return self.text


def tokens(text: str) -> list[Token]:
    """The tokens of ``text``, comments and non-JSON spaces (outside strings) included."""
    out: list[Token] = []
    i, line = 0, 1
    while i < len(text):
        char = text[i]
        if char in _JSON_BLANK:
            line += char == "\n"
            i += 1
        elif char.isspace():  # a non-breaking space, an ideographic space...: not JSON's
            out.append(Token("blank", char, line))
            i += 1
        elif char in _PUNCTUATION:
            out.append(Token("punct", char, line))
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            out.append(Token("comment", text[i:end].strip(), line))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = len(text) if end < 0 else end + 2
            out.append(Token("comment", text[i:end], line))
            line += text.count("\n", i, end)
            i = end
        else:
            token = _string_or_number(text, i, line)
            if token is None:
                match = _WORD_END.search(text, i + 1)
                end = len(text) if match is None else match.start()
                token = Token("other", text[i:end], line)
            out.append(token)
            i += len(token.text)
    return out


def _string_or_number(text: str, i: int, line: int) -> Token | None:
    """The string, number or literal at ``i`` when it is one, whole; else ``None``."""
    string = _STRING.match(text, i)
    if string:
        try:
            json.loads(string.group())
        except json.JSONDecodeError:  # a control character or a bad escape
            return None
        return Token("string", string.group(), line)
    match = _WORD_END.search(text, i + 1)
    word = text[i : len(text) if match is None else match.start()]
    if word in _LITERALS:
        return Token("literal", word, line)
    if _NUMBER.fullmatch(word):
        return Token("number", word, line)
    return None


def _is_comma(token: Token) -> bool:
    return token.kind == "punct" and token.text == ","


def _significant(stream: list[Token]) -> list[Token]:
    """The tokens that carry the value: all but commas, comments and blanks."""
    return [t for t in stream if t.kind not in ("comment", "blank") and not _is_comma(t)]


def _gaps(stream: list[Token]) -> list[list[Token]]:
    """The commas before each significant token, and after the last one."""
    gaps: list[list[Token]] = [[]]
    for token in stream:
        if _is_comma(token):
            gaps[-1].append(token)
        elif token.kind not in ("comment", "blank"):
            gaps.append([])
    return gaps


def _changed_value(original: list[Token], repaired: list[Token]) -> tuple[str, int]:
    """What json-repair changes beyond commas, and the line of the sample where it is."""
    a, b = [t.key for t in original], [t.key for t in repaired]
    last_line = original[-1].line if original else 1
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        line = original[i1].line if i1 < len(original) else last_line
        shown = " ".join(str(t) for t in original[i1:i2][:4])
        new = " ".join(str(t) for t in repaired[j1:j2][:4])
        if tag == "delete":
            return f"json-repair would drop {shown}", line
        if tag == "insert":
            return f"json-repair would add {new}", line
        return f"json-repair would read {shown} as {new}", line
    raise AssertionError("the streams differ beyond commas, yet no difference found")


def _duplicate_key(stream: list[Token]) -> Token | None:
    """The second occurrence of a key in one object, if any (nesting followed by brackets)."""
    keys: list[set[Any] | None] = []  # per open bracket: the keys seen, None for an array
    for index, token in enumerate(stream):
        if token.text in ("{", "["):
            keys.append(set() if token.text == "{" else None)
        elif token.text in ("}", "]"):
            if keys:
                keys.pop()
        elif (
            token.kind == "string"
            and keys
            and keys[-1] is not None
            and index + 1 < len(stream)
            and stream[index + 1].text == ":"
        ):
            if token.key in keys[-1]:
                return token
            keys[-1].add(token.key)
    return None


def loads(text: str) -> tuple[Any, list[tuple[int, str]]]:
    """Parse one JSON sample as published; return the value and the repairs, by line.

    Raises :class:`JsonSampleError` (with the line) when the sample is not JSON and
    json-repair cannot read it without changing a value.
    """
    original = tokens(text)
    duplicate = _duplicate_key(_significant(original))
    if duplicate is not None:  # json.loads and json-repair would both keep the last one
        raise JsonSampleError(
            f"the key {duplicate.text} appears twice in one object; one value would be lost",
            duplicate.line,
        )
    try:
        return json.loads(text), []
    except json.JSONDecodeError as exc:
        error = exc
    try:
        value = repair_json(text, return_objects=True, skip_json_loads=True)
    except (ValueError, RecursionError) as exc:  # json-repair gave up
        raise JsonSampleError(f"invalid JSON: {error.msg}; json-repair failed: {exc}", 1) from None
    repaired = tokens(json.dumps(value, ensure_ascii=False))
    original_significant, repaired_significant = _significant(original), _significant(repaired)
    if [t.key for t in original_significant] != [t.key for t in repaired_significant]:
        what, line = _changed_value(original_significant, repaired_significant)
        raise JsonSampleError(
            f"invalid JSON: {error.msg} (line {error.lineno} column {error.colno}), "
            f"not repaired: {what}",
            line,
        )
    return value, _repairs(original, repaired)


def _repairs(original: list[Token], repaired: list[Token]) -> list[tuple[int, str]]:
    """Each comment, non-breaking space and comma json-repair removed or inserted, by line.

    In the order of the text; one report per line for each kind of space.
    """
    found: list[tuple[float, int, str]] = []  # (position in the original stream, line, what)
    position = {id(token): index for index, token in enumerate(original)}
    significant = _significant(original)
    for index, (had, has) in enumerate(zip(_gaps(original), _gaps(repaired), strict=True)):
        after = significant[index - 1] if index else None
        before = significant[index] if index < len(significant) else None
        if len(had) > len(has):
            closing = before is not None and before.text in "}]"
            label = "trailing comma dropped" if closing else "extra comma dropped"
            found += [(position[id(c)], c.line, label) for c in had[len(has) :]]
        elif len(has) > len(had):
            assert after is not None  # json.dumps never writes a comma before the first token
            where = (position[id(after)] + 0.5, after.line)
            found += [(*where, f"missing comma inserted after {after}")] * (len(has) - len(had))
    blanks: set[tuple[int, str]] = set()
    for index, token in enumerate(original):
        if token.kind == "comment":
            found.append((index, token.line, f"comment {token.text!r} dropped"))
        elif token.kind == "blank" and (token.line, token.text) not in blanks:
            blanks.add((token.line, token.text))
            name = _BLANK_NAMES.get(token.text) or unicodedata.name(token.text, "").lower()
            name = name or f"U+{ord(token.text):04X}"
            found.append((index, token.line, f"{name} read as a space"))
    return [(line, what) for _, line, what in sorted(found)]
