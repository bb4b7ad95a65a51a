"""Parse one Binance API docs page, as published in Markdown, into a :class:`DocsPage`.

Two languages are understood, told apart by their section headings:

============================  =========
English                       zh-CN
============================  =========
``API Description``           ``接口描述``
``Method``                    ``方式``
``Request``                   ``请求``
``Request Weight``            ``请求权重``
``Request Parameters``        ``请求参数``
``Response Example``          ``响应示例``
============================  =========

The title (first ``#`` heading) ends with the security type in parentheses,
written ``USER_STREAM``, ``USER\\_STREAM`` or ``USER-STREAM``; a title without
one means ``NONE``, as on the docs' market-data pages. The page URL comes from,
in this order, ``url:`` in the front-matter block (the scraped pages have one;
its ``source:`` is the site's name, not a URL), a ``> Source: <URL>`` (or plain
``Source: URL``) line, or the zh-CN pages' ``<!-- Source: URL -->`` comment.
Everything wrong with a page is a :class:`DocsError` naming the page, the
section and the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .samples import JsonSampleError, loads

__all__ = [
    "PARAM_TYPES",
    "SECURITY_TYPES",
    "DocsError",
    "DocsPage",
    "ParamRow",
    "is_param_type",
    "parse_methods",
    "parse_page",
]

SECURITY_TYPES = ("NONE", "USER_STREAM", "MARKET_DATA", "TRADE", "USER_DATA")
#: A title that says only ``(SIGNED)``: API key and signature, which is what USER_DATA needs
#: (TRADE, the other signed type, is for orders). The notes say it was assumed.
_SIGNED_MEANS = "USER_DATA"
#: Parameter types of the docs' tables; ``LIST`` also as ``LIST<type>`` (e.g. ``LIST<LONG>``).
PARAM_TYPES = ("STRING", "INT", "LONG", "DECIMAL", "BOOLEAN", "ENUM", "LIST")
_LIST_TYPE = re.compile(r"LIST\s*<\s*(?P<item>[A-Z]+)\s*>")


def is_param_type(kind: str) -> bool:
    """Whether ``kind`` (upper case, as a table writes it) is a type the importer knows."""
    item = _LIST_TYPE.fullmatch(kind)
    return kind in PARAM_TYPES or (item is not None and item["item"] in PARAM_TYPES[:-1])


_SECTIONS = {
    "en": {
        "api description": "description",
        "method": "method",
        "request": "request",
        "request weight": "weight",
        "request parameters": "params",
        "response example": "response",
    },
    "zh-CN": {
        "接口描述": "description",
        "方式": "method",
        "请求": "request",
        "请求权重": "weight",
        "请求参数": "params",
        "响应示例": "response",
    },
}
_ENGLISH_NAME = {
    "description": "API Description",
    "method": "Method",
    "request": "Request",
    "weight": "Request Weight",
    "params": "Request Parameters",
    "response": "Response Example",
}
_REQUIRED_SECTIONS = ("method", "request", "weight", "response")
_TABLE_COLUMNS = {
    "name": ("name", "名称", "参数名"),
    "type": ("type", "类型"),
    "mandatory": ("mandatory", "是否必需", "是否必须", "必需"),
    "description": ("description", "描述", "说明"),
}
_YES = {"YES": True, "是": True, "NO": False, "否": False}
_NO_PARAMS = {"", "NONE", "无", "NULL"}

_ANCHOR = re.compile(r"\[\]\(.*\)\s*$")  # the zh pages' "[](/docs/...#x "...")" heading anchors
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # a backslash escapes any ASCII punctuation
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_SOURCE_LINE = re.compile(r"^(?:>\s*)?Source:\s*<?(?P<url>[^\s<>]+)>?$", re.I)
_SOURCE_COMMENT = re.compile(r"^<!--\s*Source:\s*<?(?P<url>[^\s<>]+?)>?\s*-->$", re.I)
_TITLE = re.compile(r"^(?P<name>.*?)\s*\((?P<security>[A-Za-z\\_\- ]+)\)$")
_METHOD = re.compile(r"^(v[0-9]+/)?[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)?$")
_LANGUAGE_SEGMENT = re.compile(r"/docs/[a-z]{2}-[A-Z]{2}/")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_SEPARATOR = re.compile(r"\|[\s:|-]+\|?")
# The notes under a parameter table: "Either `orderId` or `origClientOrderId` must be sent",
# "If the symbol is not sent, prices for all symbols will be returned in an array".
_EITHER = re.compile(r"Either\s+`(?P<a>\w+)`\s+or\s+`(?P<b>\w+)`\s+must be sent", re.I)
_ARRAY_WITHOUT = re.compile(r"If the `?(?P<name>\w+)`? is not sent\b.*\bin an array", re.I)


class DocsError(Exception):
    """A docs page cannot be read; the message names the page, the section and the line."""

    def __init__(
        self, page: str, message: str, *, section: str | None = None, line: int | None = None
    ) -> None:
        self.page, self.section, self.line = page, section, line
        where = page if line is None else f"{page}:{line}"
        if section is not None:
            where += f": section {section!r}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ParamRow:
    """One row of a page's parameter table, as the docs wrote it."""

    name: str
    type: str
    mandatory: bool
    description: str


@dataclass(frozen=True)
class DocsPage:
    """What one docs page says about one wire method."""

    name: str
    """How the page is named in messages: the path it was read from."""
    language: str
    url: str
    title: str
    """The title, unescaped, its security suffix written ``(USER_STREAM)``."""
    security: str | None
    """The security type the title names; ``None`` when it names none."""
    description: str
    method: str
    weight: int | str
    params: tuple[ParamRow, ...]
    """The parameter table's rows; empty when the table says ``None``."""
    request: dict[str, Any]
    response: dict[str, Any]
    repairs: tuple[str, ...]
    """What was repaired in the JSON samples, for the report: ``page:line: what``."""
    require_any: tuple[tuple[str, ...], ...] = ()
    """From the notes under the table: "Either `a` or `b` must be sent" -> ``(("a", "b"),)``."""
    array_without: str | None = None
    """From the notes: "If the symbol is not sent, … in an array" -> ``"symbol"``."""

    @property
    def docs_url(self) -> str:
        """The page URL without its language segment: the English page, the canonical one."""
        return _LANGUAGE_SEGMENT.sub("/docs/", self.url, count=1)

    @property
    def request_params(self) -> dict[str, Any]:
        """The ``params`` the request sample sends."""
        params: dict[str, Any] = self.request.get("params", {})
        return params

    @property
    def result(self) -> Any:
        """The response sample's ``result``; the envelope around it is envelope.json's."""
        return self.response["result"]


@dataclass
class _Section:
    key: str
    heading: str
    line: int
    body: list[tuple[int, str]]


def _plain(markdown: str) -> str:
    """Inline Markdown to plain text: links to their text, escapes and emphasis undone."""
    text = _LINK.sub(r"\1", markdown)
    text = _ESCAPE.sub(r"\1", text).replace("**", "")
    return " ".join(text.split())


def _heading_key(heading: str, language: str) -> str | None:
    text = _plain(_ANCHOR.sub("", heading)).lower()
    text = re.sub(r"\s*\(.*\)$", "", text)  # "Request Weight(IP)"
    return _SECTIONS[language].get(text)


#: Lines of a page with their numbers in the page (from 1).
_Numbered = list[tuple[int, str]]


def _lines_outside_code(lines: _Numbered) -> Iterator[tuple[int, str, bool]]:
    """(line number, line, inside a fenced code block) for every line."""
    fenced = False
    for number, line in lines:
        if line.lstrip().startswith("```"):
            fenced = not fenced
            yield number, line, True
        else:
            yield number, line, fenced


def _front_matter(lines: list[str]) -> tuple[dict[str, str], int]:
    """The ``key: value`` lines of a leading ``---`` block, and the index of the line after it."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    values: dict[str, str] = {}
    for index, line in enumerate(lines[1:], 1):
        if line.strip() == "---":
            return values, index + 1
        key, sep, value = line.partition(":")
        if sep:
            values[key.strip()] = value.strip().strip("\"'")
    return {}, 0  # no closing "---": not front matter


def _page_url(front_matter: dict[str, str], body: _Numbered) -> str | None:
    """Front matter ``url:``, else a ``> Source:`` line, else ``<!-- Source: -->``."""
    if front_matter.get("url"):
        return front_matter["url"]
    for pattern in (_SOURCE_LINE, _SOURCE_COMMENT):
        for _, line, fenced in _lines_outside_code(body):
            match = pattern.match(line.strip())
            if not fenced and match:
                return match.group("url")
    return None


class _Reader:
    """One method section of a page: its lines (with their page numbers) in the layout of
    a one-method page (``#`` title, ``##`` sections)."""

    def __init__(
        self, lines: _Numbered, name: str, front_matter: dict[str, str], url: str | None
    ) -> None:
        self.name = name
        self.repairs: list[str] = []
        self.lines = lines
        self.front_matter = front_matter
        self.page_url = url
        self.title_line = lines[0][0] if lines else 1
        self.raw_title = self._title()
        self.language, self.sections = self._sections()

    def error(
        self, message: str, section: _Section | None = None, line: int | None = None
    ) -> DocsError:
        label = None
        if section is not None:
            label = _plain(_ANCHOR.sub("", section.heading))
            if self.language != "en":
                label += f" ({_ENGLISH_NAME[section.key]})"
        return DocsError(self.name, message, section=label, line=line)

    def _title(self) -> str:
        for number, line, fenced in _lines_outside_code(self.lines):
            if not fenced and line.startswith("# "):
                self.title_line = number
                return line[2:].strip()
        if "title" in self.front_matter:
            return self.front_matter["title"]
        raise DocsError(self.name, "no title: the page has no '# ' heading", line=self.title_line)

    def _sections(self) -> tuple[str, list[_Section]]:
        headings = [
            (number, line[3:].strip())
            for number, line, fenced in _lines_outside_code(self.lines)
            if not fenced and line.startswith("## ")
        ]

        def known(language: str) -> int:
            return sum(_heading_key(h, language) is not None for _, h in headings)

        language = max(_SECTIONS, key=known)
        if known(language) == 0:
            raise DocsError(
                self.name,
                "no known section headings (expected 'API Description', 'Method', 'Request', "
                "'Request Weight', 'Request Parameters', 'Response Example', or the zh-CN ones)",
                line=self.title_line,
            )
        sections: list[_Section] = []
        current: _Section | None = None
        weight_heading = any(_heading_key(h, language) == "weight" for _, h in headings)
        for number, line, fenced in _lines_outside_code(self.lines):
            label = None if fenced or weight_heading else _LABEL.match(line.strip())
            if label and label["label"].lower() == "weight" and current is not None:
                # "**Weight:**" inside another section (the ticker.price page): its own section
                if any(s.key == "weight" for s in sections):
                    raise DocsError(self.name, "the weight is given twice", line=number)
                current = _Section("weight", "Request Weight", number, [])
                sections.append(current)
                if label["rest"].strip():
                    current.body.append((number, label["rest"]))
                continue
            if not fenced and line.startswith("#"):
                key = _heading_key(line.lstrip("#").strip(), language)
                if line.startswith("## ") and key is not None:
                    if any(s.key == key for s in sections):
                        raise DocsError(self.name, f"section {key!r} appears twice", line=number)
                    current = _Section(key, line.lstrip("#").strip(), number, [])
                    sections.append(current)
                    continue
                if not line.startswith("###"):
                    current = None  # an unknown section at the same level ends the known one
                    continue
            if current is not None:
                current.body.append((number, line))
        missing = [k for k in _REQUIRED_SECTIONS if k not in {s.key for s in sections}]
        if missing:
            names = ", ".join(repr(_ENGLISH_NAME[k]) for k in missing)
            raise DocsError(
                self.name, f"missing section(s) {names} ({language} page)", line=self.title_line
            )
        return language, sections

    def section(self, key: str) -> _Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def required(self, key: str) -> _Section:
        section = self.section(key)
        assert section is not None  # _sections() checked
        return section

    def url(self) -> str:
        if self.page_url is None:
            raise DocsError(
                self.name,
                "no page URL: add 'url:' to the front matter, a '> Source: <URL>' line or "
                "'<!-- Source: URL -->'",
                line=self.title_line,
            )
        return self.page_url

    def title_and_security(self) -> tuple[str, str | None]:
        title = _plain(self.raw_title)
        match = _TITLE.match(title)
        if match:
            security = re.sub(r"[-\s]", "_", match.group("security").strip().upper())
            if security in SECURITY_TYPES:
                return f"{match.group('name')} ({security})", security
            if security == "SIGNED":  # General Info: "Log in with API key (SIGNED)"
                return f"{match.group('name')} (SIGNED)", _SIGNED_MEANS
        return title, None

    def prose(self, section: _Section) -> str:
        parts: list[str] = []
        for _, line, fenced in _lines_outside_code(section.body):
            if not fenced:
                parts.append(line)
        return _plain(" ".join(parts))

    def method(self) -> str:
        section = self.required("method")
        for number, line in section.body:
            match = re.search(r"`([^`]+)`", line)
            if match:
                method = match.group(1).strip()
                if not _METHOD.match(method):
                    raise self.error(f"{method!r} is not a wire method name", section, number)
                return method
        raise self.error("no `method` name in backticks", section, section.line)

    def weight(self) -> int | str:
        """``**1**`` -> 1; anything else (text, a table by parameter) -> one line of text."""
        section = self.required("weight")
        prose: list[str] = []
        rows: list[str] = []
        body = [text.strip() for _, text in section.body]
        for index, line in enumerate(body):
            if line.startswith("|"):
                is_header = index + 1 < len(body) and _SEPARATOR.fullmatch(body[index + 1])
                if not is_header and not _SEPARATOR.fullmatch(line):
                    rows.append(" → ".join(_plain(c) for c in _cells(line)))  # "5, 10 → 2"
            elif line and not line.startswith("```"):
                prose.append(line)
        text = re.sub(r"^weight\s*:\s*", "", _plain(" ".join(prose)), flags=re.I)
        if not rows and re.fullmatch(r"\d+", text):
            return int(text)
        if not text and not rows:
            raise self.error("no weight given", section, section.line)
        return " ".join(filter(None, [text, "; ".join(rows)]))

    def sample(self, key: str) -> tuple[dict[str, Any], int]:
        """The section's JSON sample and the page line it starts on; repairs go to ``repairs``."""
        section = self.required(key)
        start: int | None = None
        block: list[str] = []
        for number, line in section.body:
            if line.lstrip().startswith("```"):
                if start is not None:
                    break
                start = number
            elif start is not None:
                block.append(line)
        if start is None:
            raise self.error("no ``` code block with the JSON sample", section, section.line)
        try:
            value, repairs = loads("\n".join(block))
        except JsonSampleError as exc:
            raise self.error(str(exc), section, start + exc.line) from None
        if not isinstance(value, dict):
            raise self.error("the sample is not a JSON object", section, start + 1)
        self.repairs += [
            f"{self.name}:{start + n}: {_ENGLISH_NAME[key]} sample: {r}" for n, r in repairs
        ]
        return value, start + 1

    def param_notes(self) -> tuple[tuple[tuple[str, ...], ...], str | None]:
        """The rules the notes under the parameter table state (see ``_EITHER``)."""
        section = self.section("params")
        text = "" if section is None else " ".join(line for _, line in section.body)
        groups = tuple((m["a"], m["b"]) for m in _EITHER.finditer(text))
        array = _ARRAY_WITHOUT.search(text)
        return groups, None if array is None else array["name"]

    def params(self) -> tuple[ParamRow, ...]:
        section = self.section("params")
        if section is None:
            return ()
        table: list[tuple[int, str]] = []
        for number, line in section.body:  # the first table; others follow it
            if line.strip().startswith("|"):
                table.append((number, line.strip()))
            elif table:
                break
        if not table:
            if self.prose(section).upper() in _NO_PARAMS:
                return ()
            raise self.error("neither a parameter table nor 'None'", section, section.line)
        header_line, header = table[0]
        columns = self._columns(_cells(header), section, header_line)
        rows: list[ParamRow] = []
        for number, line in table[2:]:  # table[1] is the | --- | separator
            cells = _cells(line) + [""] * len(header)
            name, kind, mandatory, description = (
                _plain(cells[columns[c]]) if c in columns else ""
                for c in ("name", "type", "mandatory", "description")
            )
            name, kind = name.strip("`"), re.sub(r"\s+", "", kind.strip("`").upper())
            if not name:
                raise self.error("a parameter row without a name", section, number)
            if not is_param_type(kind):
                raise self.error(
                    f"parameter {name!r} has type {kind!r}; known: {', '.join(PARAM_TYPES)}"
                    " (LIST also as LIST<type>)",
                    section,
                    number,
                )
            if mandatory.upper() not in _YES:
                raise self.error(
                    f"parameter {name!r}: mandatory is {mandatory!r}, not YES or NO",
                    section,
                    number,
                )
            rows.append(ParamRow(name, kind, _YES[mandatory.upper()], description))
            if rows[-1].name in {r.name for r in rows[:-1]}:
                raise self.error(f"parameter {name!r} is listed twice", section, number)
        return tuple(rows)

    def _columns(self, header: list[str], section: _Section, line: int) -> dict[str, int]:
        columns: dict[str, int] = {}
        for index, cell in enumerate(header):
            for key, names in _TABLE_COLUMNS.items():
                if _plain(cell).lower() in names:
                    columns[key] = index
        if not {"name", "type", "mandatory"} <= set(columns):
            raise self.error(
                f"the parameter table's header {header} lacks Name, Type or Mandatory",
                section,
                line,
            )
        return columns


def _cells(row: str) -> list[str]:
    cells = _CELL_SPLIT.split(row.strip())
    if cells and not cells[0].strip():
        cells = cells[1:]
    if cells and not cells[-1].strip():
        cells = cells[:-1]
    return [c.strip() for c in cells]


def parse_methods(text: str, name: str) -> list[DocsPage | DocsError]:
    """Read every method section of one docs page (``name`` is used in messages).

    A page documents one method (a ``#`` title and its ``##`` sections), or several: one
    ``#`` title with its ``##`` sections each, or, as on the General Info page, headings
    whose sections use bold labels (``> **Request**``, ``> **Response**``, ``**Weight:** 2``,
    ``**Method**: "session.logon"``, ``**Parameters**``). Each section gives a
    :class:`DocsPage` or, when it cannot be read, the :class:`DocsError` naming its line;
    one broken section does not stop the others.
    """
    lines = text.splitlines()
    front_matter, start = _front_matter(lines)
    body = list(enumerate(lines, 1))[start:]
    url = _page_url(front_matter, body)
    results: list[DocsPage | DocsError] = []
    for section in _method_sections(body, name):
        try:
            if isinstance(section, DocsError):
                raise section
            results.append(_parse_section(_Reader(section, name, front_matter, url)))
        except DocsError as exc:
            results.append(exc)
    return results


def parse_page(text: str, name: str) -> DocsPage:
    """Read a docs page of one method (``name`` is used in messages). Raises :class:`DocsError`."""
    results = parse_methods(text, name)
    for result in results:
        if isinstance(result, DocsError):
            raise result
    pages = [r for r in results if isinstance(r, DocsPage)]
    if len(pages) != 1:
        methods = ", ".join(page.method for page in pages)
        raise DocsError(name, f"{len(pages)} methods on one page ({methods})", line=1)
    return pages[0]


def _headings(lines: _Numbered) -> list[tuple[int, int, str]]:
    """(index in ``lines``, level, text) of every Markdown heading outside code blocks."""
    found: list[tuple[int, int, str]] = []
    for index, (_, line, fenced) in enumerate(_lines_outside_code(lines)):
        match = re.match(r"(#{1,6})\s+(.*)$", line)
        if match and not fenced and not line.startswith("#!"):
            found.append((index, len(match.group(1)), match.group(2).strip()))
    return found


def _is_known(heading: str) -> bool:
    return any(_heading_key(heading, language) is not None for language in _SECTIONS)


def _method_sections(body: _Numbered, name: str) -> list[_Numbered | DocsError]:
    """The lines of each method section, as one-method pages lay them out."""
    headings = _headings(body)
    titles = [index for index, level, _ in headings if level == 1]
    # "#" sections; one without "##" sections of its own (a scraped page repeats its title,
    # a zh-CN page starts with breadcrumbs) belongs to the next one.
    bounds = [0, *(index for index in titles if index), len(body)]
    chunks = [body[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if a < b]
    methods: list[_Numbered] = []
    pending: _Numbered = []
    for chunk in chunks:
        pending += chunk
        if any(level == 2 and _is_known(text) for _, level, text in _headings(chunk)):
            methods.append(pending)
            pending = []
    if methods:
        methods[-1] += pending  # trailing matter
        return [*methods]
    labelled = _labelled_sections(body, headings, name)
    return labelled or [body]


_LABEL = re.compile(r"^(?:>\s*)?\*\*(?P<label>[^*]+?)\s*:?\s*\*\*\s*:?\s*(?P<rest>.*)$")
_LABELS = {
    "request": "Request",
    "response": "Response Example",
    "weight": "Request Weight",
    "method": "Method",
    "parameters": "Request Parameters",
}


def _labelled_sections(
    body: _Numbered, headings: list[tuple[int, int, str]], name: str
) -> list[_Numbered | DocsError]:
    """The General Info layout: a heading whose text (to the next heading) has a ``**Method**``
    label line."""
    sections: list[_Numbered | DocsError] = []
    for position, (index, _, text) in enumerate(headings):  # up to the next heading
        end = headings[position + 1][0] if position + 1 < len(headings) else len(body)
        lines = body[index + 1 : end]
        labels = [
            match["label"].lower()
            for _, line, fenced in _lines_outside_code(lines)
            if not fenced and (match := _LABEL.match(line.strip()))
        ]
        if "method" in labels:
            try:
                sections.append(_relabel(body[index][0], text, lines, name))
            except DocsError as exc:
                sections.append(exc)
    return sections


def _relabel(title_line: int, title: str, lines: _Numbered, name: str) -> _Numbered:
    """A labelled section as a one-method page: ``#`` title, ``##`` sections (same line numbers).

    ``> **Request**`` and ``> **Response**`` own the code block after them, ``**Weight:** 2``
    and ``**Method**: "x"`` their line, ``**Parameters**`` its table (or ``: None``); any other
    line is the description.
    """
    sections: dict[str, _Numbered] = {}
    description: _Numbered = []
    current: str | None = None
    in_table, fences = False, 0
    for number, line, fenced in _lines_outside_code(lines):
        stripped = line.strip()
        if current in ("request", "response") and (fenced or not stripped):
            sections[current].append((number, line))
            fences += stripped.startswith("```")
            if fences == 2:
                current = None  # the code block is closed
            continue
        match = None if fenced else _LABEL.match(stripped)
        label = match["label"].lower() if match else None
        if match and label in _LABELS:
            if label in sections:
                raise DocsError(name, f"label '**{match['label']}**' appears twice", line=number)
            rest = match["rest"].strip()
            if label == "method" and rest and "`" not in rest:
                rest = f"`{rest.strip(chr(34))}`"
            sections[label] = [(number, f"## {_LABELS[label]}")]
            if rest:
                sections[label].append((number, rest))
            current = label if label in ("request", "response", "parameters") and not rest else None
            in_table, fences = False, 0
            continue
        if current == "parameters" and (stripped.startswith("|") or not in_table):
            in_table = in_table or stripped.startswith("|")
            sections[current].append((number, line))
            continue
        current = None
        description.append((number, line))
    out: _Numbered = [(title_line, f"# {title}")]
    if any(text.strip() for _, text in description):
        out += [(description[0][0], "## API Description"), *description]
    for section in sections.values():
        out += section
    return out


def _parse_section(reader: _Reader) -> DocsPage:
    title, security = reader.title_and_security()
    method = reader.method()
    request, line = reader.sample("request")
    if request.get("method") != method:
        raise reader.error(
            f"the request sample calls {request.get('method')!r}, the page documents {method!r}",
            reader.required("request"),
            line,
        )
    if not isinstance(request.get("params", {}), dict):
        raise reader.error("params is not an object", reader.required("request"), line)
    response, line = reader.sample("response")
    if "result" not in response:
        raise reader.error("the response sample has no 'result'", reader.required("response"), line)
    description_section = reader.section("description")
    require_any, array_without = reader.param_notes()
    return DocsPage(
        name=reader.name,
        language=reader.language,
        url=reader.url(),
        title=title,
        security=security,
        description="" if description_section is None else reader.prose(description_section),
        method=method,
        weight=reader.weight(),
        params=reader.params(),
        request=request,
        response=response,
        repairs=tuple(reader.repairs),
        require_any=require_any,
        array_without=array_without,
    )
