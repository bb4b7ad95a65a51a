"""codegen.docs.page and samples: reading docs pages as published, in both languages."""

from __future__ import annotations

import pytest

from codegen.docs import DocsError, DocsPage, parse_page
from codegen.docs.infer import enum_values
from codegen.docs.page import ParamRow, parse_methods
from codegen.docs.samples import JsonSampleError, loads

from .conftest import ROOT

PAGES = ROOT / "tests" / "data" / "docs_pages"
START = (PAGES / "userDataStream.start.md").read_text(encoding="utf-8")
SEED_COPY = (PAGES / "userDataStream.ping.zh-CN.md").read_text(encoding="utf-8")


def replace_once(old: str, new: str, text: str = START) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


ORDER_PAGE = """\
---
title: "New Order(TRADE)"
url: https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/websocket-api
---
# New Order(TRADE)

## API Description

Send in a [new order](https://example.invalid/order).

## Method

`order.place`

**Note**: see `order.modify` too.

## Request

```json
{"id": 1, "method": "order.place", "params": {"apiKey": "k", "symbol": "BTCUSDT",
 "signature": "s", "timestamp": 1702555533821}}
```

## Request Weight(IP)

Adjusted based on the limit:

| Limit | Weight |
| --- | --- |
| 5, 10, 20, 50 | 2 |
| 100 | 5 |

## Request Parameters

| Name | Type | Mandatory | Description |
| --- | --- | --- | --- |
| symbol | STRING | YES |  |
| side | ENUM | YES |  |
| quantity | DECIMAL | NO | Cannot be sent with `closePosition`\\=`true` |
| new\\_client | STRING | NO | `^[\\.A-Z\\:/a-z0-9_-]{1,36}$` |
| priceProtect | BOOLEAN | NO |  |
| goodTillDate | LONG | NO |  |
| timestamp | INT | YES |  |

Additional mandatory parameters based on `type`:

| Type | Additional mandatory parameters |
| --- | --- |
| `LIMIT` | `timeInForce`, `quantity`, `price` |

## Response Example

```json
{"id": 1, "status": 200, "result": {"orderId": 325078477}}
```
"""


def test_the_seed_page_in_zh_cn() -> None:
    page = parse_page(SEED_COPY, "seed.md")
    assert page.language == "zh-CN"
    assert page.method == "userDataStream.ping"
    assert page.security == "USER_STREAM"
    assert page.title == "Websocket API延长listenKey有效期 (USER_STREAM)"
    assert page.description == "有效期延长至本次调用后60分钟"
    assert page.weight == 1
    assert page.params == ()  # the table says None ...
    assert page.request_params == {"apiKey": page.request["params"]["apiKey"]}  # ... yet
    assert page.result == {
        "listenKey": "3HBntNTepshgEdjIwSUIBgB9keLyOCg5qv3n6bYAtktG8ejcaW5HXz9Vx1JgIieg"
    }
    assert page.url.startswith("https://developers.binance.com/docs/zh-CN/derivatives/")
    assert page.docs_url == page.url.replace("/docs/zh-CN/", "/docs/")
    assert page.repairs == ("seed.md:27: Request sample: non-breaking space read as a space",)


def test_an_english_page() -> None:
    page = parse_page(START, "start.md")
    assert (page.language, page.method, page.weight) == ("en", "userDataStream.start", 1)
    assert page.title == "Start User Data Stream (USER_STREAM)"
    assert page.description.startswith("Start a new user data stream. The stream will close")
    assert "`listenKey`" in page.description
    assert page.params == (ParamRow("apiKey", "STRING", True, ""),)
    assert page.repairs == ()


@pytest.mark.parametrize(
    ("title", "security", "normalised"),
    [
        ("Start (USER_STREAM)", "USER_STREAM", "Start (USER_STREAM)"),
        ("Start (USER\\_STREAM)", "USER_STREAM", "Start (USER_STREAM)"),
        ("Start(USER-STREAM)", "USER_STREAM", "Start (USER_STREAM)"),
        ("Start (market\\_data)", "MARKET_DATA", "Start (MARKET_DATA)"),
        ("Order Book", None, "Order Book"),
        ("Ticker (Deprecated)", None, "Ticker (Deprecated)"),
    ],
)
def test_the_security_type_in_the_title(title: str, security: str | None, normalised: str) -> None:
    page = parse_page(START.replace("# Start User Data Stream (USER\\_STREAM)", f"# {title}"), "p")
    assert (page.security, page.title) == (security, normalised)


@pytest.mark.parametrize(
    "line",
    [
        "Source: https://example.invalid/a",
        "> Source: https://example.invalid/a",
        "<!-- Source: https://example.invalid/a -->",
        "<!--Source:https://example.invalid/a-->",
    ],
)
def test_the_source_url(line: str) -> None:
    text = START.replace(
        "Source: https://developers.binance.com/docs/derivatives/usds-margined-futures/"
        "user-data-streams/Start-User-Data-Stream-Wsp",
        line,
    )
    assert parse_page(text, "p").url == "https://example.invalid/a"


START_URL = (
    "https://developers.binance.com/docs/derivatives/usds-margined-futures/"
    "user-data-streams/Start-User-Data-Stream-Wsp"
)
SOURCE_LINE = f"Source: {START_URL}\n"


def front_matter(*lines: str) -> str:
    return "---\n" + "".join(f"{line}\n" for line in lines) + "---\n"


@pytest.mark.parametrize(
    ("text", "url"),
    [
        (  # the scraped pages: front matter url: wins over the Source line; source: is no URL
            front_matter("title: x", "url: https://u.invalid/fm", "source: binance")
            + replace_once(SOURCE_LINE, "> Source: <https://u.invalid/line>\n"),
            "https://u.invalid/fm",
        ),
        (  # no url: in the front matter: its source: is not read, the > Source: line is
            front_matter("source: binance")
            + replace_once(SOURCE_LINE, "> Source: <https://u.invalid/line>\n"),
            "https://u.invalid/line",
        ),
        (  # the > Source: line wins over the zh-CN comment, wherever they are
            replace_once(
                SOURCE_LINE,
                "<!-- Source: https://u.invalid/comment -->\n\n> Source: <https://u.invalid/line>\n",
            ),
            "https://u.invalid/line",
        ),
        (
            replace_once(SOURCE_LINE, "<!-- Source: <https://u.invalid/comment> -->\n"),
            "https://u.invalid/comment",
        ),
        (  # a Source: line inside a code block is not the page's
            "```\nSource: https://u.invalid/code\n```\n" + START,
            START_URL,
        ),
    ],
    ids=["front-matter-url", "front-matter-source-ignored", "line-over-comment", "comment", "code"],
)
def test_where_the_url_comes_from(text: str, url: str) -> None:
    assert parse_page(text, "p").url == url


def test_a_front_matter_source_is_not_a_url() -> None:
    text = front_matter("source: binance") + replace_once(SOURCE_LINE, "")
    with pytest.raises(DocsError, match=r"^p:4: no page URL: add 'url:' to the front matter"):
        parse_page(text, "p")


def test_a_scraped_page() -> None:
    page = parse_page((PAGES / "userDataStream.stop.scraped.md").read_text(), "p")
    assert (
        page.url
        == page.docs_url
        == (
            "https://developers.binance.com/docs/derivatives/usds-margined-futures/"
            "user-data-streams/Close-User-Data-Stream-Wsp"
        )
    )
    assert (page.title, page.method, page.weight) == (
        "Close User Data Stream (USER_STREAM)",
        "userDataStream.stop",
        1,
    )


def test_tables_front_matter_and_a_weight_by_parameter() -> None:
    page = parse_page(ORDER_PAGE, "order.md")
    assert page.url.endswith("/trade/websocket-api")  # from the front matter
    assert (page.method, page.security, page.title) == ("order.place", "TRADE", "New Order (TRADE)")
    assert page.description == "Send in a new order."
    assert page.weight == "Adjusted based on the limit: 5, 10, 20, 50 → 2; 100 → 5"
    assert [(r.name, r.type, r.mandatory) for r in page.params] == [
        ("symbol", "STRING", True),
        ("side", "ENUM", True),
        ("quantity", "DECIMAL", False),
        ("new_client", "STRING", False),
        ("priceProtect", "BOOLEAN", False),
        ("goodTillDate", "LONG", False),
        ("timestamp", "INT", True),
    ]  # the second table is not read as parameters
    assert page.params[2].description == "Cannot be sent with `closePosition`=`true`"
    assert page.params[3].description == "`^[.A-Z:/a-z0-9_-]{1,36}$`"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            replace_once("## Method\n\n`userDataStream.start`\n", ""),
            r"^p:1: missing section\(s\) 'Method' \(en page\)$",
        ),
        (
            replace_once("| apiKey | STRING | YES |", "| apiKey | FLOAT | YES |"),
            r"^p:33: section 'Request Parameters': parameter 'apiKey' has type 'FLOAT'; known: ",
        ),
        (
            replace_once("| apiKey | STRING | YES |", "| apiKey | STRING | MAYBE |"),
            r"^p:33: section 'Request Parameters': parameter 'apiKey': mandatory is 'MAYBE'",
        ),
        (
            replace_once("| Name | Type | Mandatory |", "| Name | Type |"),
            r"^p:31: section 'Request Parameters': the parameter table's header .* lacks ",
        ),
        (
            replace_once('"method": "userDataStream.start"', '"method": "userDataStream.ping"'),
            r"^p:16: section 'Request': the request sample calls 'userDataStream.ping', "
            r"the page documents 'userDataStream.start'$",
        ),
        (
            replace_once("`userDataStream.start`", "`user data stream`"),
            r"^p:11: section 'Method': 'user data stream' is not a wire method name$",
        ),
        (
            replace_once("**1**", ""),
            r"^p:25: section 'Request Weight': no weight given$",
        ),
        (
            replace_once('  "result": {\n', '  "data": {\n'),
            r"^p:38: section 'Response Example': the response sample has no 'result'$",
        ),
        (
            replace_once('"limit": 2400,\n', '"limit": ...,\n'),
            r"^p:49: section 'Response Example': invalid JSON: Expecting value \(line 12 column "
            r"16\), not repaired: json-repair would read `...` \(not JSON\) as \"...\"$",
        ),
        (
            replace_once("Source: https://", "See https://"),
            r"^p:1: no page URL: add 'url:' to the front matter, a '> Source: <URL>' line",
        ),
        (
            replace_once("## Request Weight", "## Request\n\n## Request Weight"),
            r"^p:25: section 'request' appears twice$",
        ),
        ("just text", r"^p:1: no title"),
        (
            SEED_COPY.replace('"listenKey": "3HBn', '"listenKey": 3HBn'),
            r"^p:46: section '响应示例 \(Response Example\)': invalid JSON: Expecting ','",
        ),
    ],
    ids=[
        "no-method",
        "unknown-type",
        "bad-mandatory",
        "bad-table-header",
        "sample-of-another-method",
        "bad-method-name",
        "no-weight",
        "no-result",
        "dots-for-a-value",
        "no-url",
        "section-twice",
        "no-title",
        "zh-CN-broken-json",
    ],
)
def test_errors_name_the_page_the_section_and_the_line(text: str, message: str) -> None:
    with pytest.raises(DocsError, match=message):
        parse_page(text, "p")


def test_the_committed_broken_page_names_its_line() -> None:
    path = PAGES / "userDataStream.stop.broken.md"
    line = next(n for n, t in enumerate(path.read_text().splitlines(), 1) if '"result": {...}' in t)
    with pytest.raises(DocsError) as caught:
        parse_page(path.read_text(encoding="utf-8"), str(path))
    assert (caught.value.page, caught.value.section, caught.value.line) == (
        str(path),
        "Response Example",
        line,
    )
    assert "invalid JSON" in str(caught.value)


def test_a_missing_comma_is_repaired_and_reported_with_its_line() -> None:
    page = parse_page(replace_once('"limit": 2400,\n', '"limit": 2400\n'), "p")
    assert page.response == parse_page(START, "p").response
    assert page.repairs == ("p:49: Response Example sample: missing comma inserted after 2400",)


def test_samples_repair_what_keeps_every_value() -> None:
    text = (
        '{\n  "a": [1, 2,],  // two\n  "url": "http://x//y",\u00a0\u00a0\n'
        '  "b": {"c": "d,}", /* c */\n  "e": 1.50\n  "h": null},\n  "f": [1,, 2]\n  "g": true,\n}'
    )
    value, repairs = loads(text)
    assert value == {
        "a": [1, 2],
        "url": "http://x//y",
        "b": {"c": "d,}", "e": 1.5, "h": None},
        "f": [1, 2],
        "g": True,
    }
    assert repairs == [
        (2, "trailing comma dropped"),
        (2, "comment '// two' dropped"),
        (3, "non-breaking space read as a space"),
        (4, "comment '/* c */' dropped"),
        (5, "missing comma inserted after 1.50"),
        (7, "extra comma dropped"),
        (7, "missing comma inserted after ]"),
        (8, "trailing comma dropped"),
    ]
    assert loads('{"a": "\\"//not a comment"}') == ({"a": '"//not a comment'}, [])
    assert loads('{"a": "\u00a0"}') == ({"a": "\u00a0"}, [])  # in a string: a value, kept


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ('{\n  "a": [1, ...]\n}', 2, "drop `...` (not JSON)"),
        ('{\n  "result": {...}\n}', 2, "read { `...` (not JSON) as [ ]"),
        ('{\n  "b": {"c": "d,}" /* c */\n  "e": 1}\n}', 2, 'read "d,}" as "d" }'),
        ("{\n 'a': 1}", 2, "read `'a'` (not JSON) as \"a\""),
        ('{\n  "listenKey": 3HBn,\n  "b": 1\n}', 2, 'read `3HBn` (not JSON) as "3HBn"'),
        ('{\n  "a": True\n}', 2, "read `True` (not JSON) as true"),
        ('{\n  "a" "b"\n}', 2, "add :"),
        ('{\n  "a": [1, 2\n', 2, "add ] }"),
        ('{\n  "a": 1\n}\n}', 4, "drop }"),
    ],
    ids=[
        "dots",
        "dots-object",
        "comma-in-a-string",
        "quotes",
        "bare-word",
        "python-bool",
        "colon",
        "truncated",
        "extra-brace",
    ],
)
def test_samples_refuse_a_repair_that_changes_a_value(text: str, line: int, what: str) -> None:
    with pytest.raises(JsonSampleError) as caught:
        loads(text)
    assert caught.value.line == line
    assert str(caught.value).startswith("invalid JSON: ")
    assert str(caught.value).endswith(f"not repaired: json-repair would {what}")


@pytest.mark.parametrize(
    "text",
    [
        '{\n  "a": 1,\n  "b": {"a": [{"a": 1}, {"a": 2}]},\n  "a": 2\n}',  # valid JSON
        '{\n  "a": 1,\n  "b": {"a": [{"a": 1}, {"a": 2}]}\n  "a": 2\n}',  # and repaired
    ],
    ids=["valid", "repaired"],
)
def test_samples_refuse_a_key_twice_in_one_object(text: str) -> None:
    with pytest.raises(JsonSampleError, match=r'^the key "a" appears twice in one object') as c:
        loads(text)
    assert c.value.line == 4
    assert loads(text.replace('"a": 2\n', '"c": 2\n'))[0]["b"] == {"a": [{"a": 1}, {"a": 2}]}


@pytest.mark.parametrize(
    ("description", "values"),
    [
        ("`SELL`, `BUY`", ["SELL", "BUY"]),
        ('"ACK", "RESULT", default "ACK"', ["ACK", "RESULT"]),
        ("`IOC` or `GTC` or `FOK`, default `GTC`", ["IOC", "GTC", "FOK"]),
        ("`MARK_PRICE` / `CONTRACT_PRICE`.", ["MARK_PRICE", "CONTRACT_PRICE"]),
        ("", None),
        ("Default `BOTH` for One-way Mode ; `LONG` or `SHORT` for Hedge Mode", None),
        ("Only support `CONDITIONAL`", None),
        ("only for `LIMIT` orders: `OPPONENT`/`QUEUE`", None),
        ("`1m`, `5m`", None),  # not names: a person decides
        ("see `timeInForce`", None),
    ],
)
def test_enum_values_only_from_a_description_that_is_just_the_values(
    description: str, values: list[str] | None
) -> None:
    assert enum_values(description) == values


@pytest.mark.parametrize("kind", ["LIST<FLOAT>", "LIST<LIST<INT>>", "LIST<>", "ARRAY"])
def test_unknown_parameter_types(kind: str) -> None:
    text = replace_once("| apiKey | STRING | YES |", f"| apiKey | {kind} | YES |")
    with pytest.raises(DocsError, match=r"^p:33: .* has type .*LIST also as LIST<type>"):
        parse_page(text, "p")


@pytest.mark.parametrize(
    ("kind", "normalised"), [("LIST\\<LONG\\>", "LIST<LONG>"), ("list", "LIST")]
)
def test_list_types(kind: str, normalised: str) -> None:
    text = replace_once("| apiKey | STRING | YES |", f"| apiKey | {kind} | NO |")
    assert parse_page(text, "p").params == (ParamRow("apiKey", normalised, False, ""),)


THREE = PAGES / "userDataStream.three.md"
LABELLED = PAGES / "session.labelled.md"


def test_a_page_of_several_methods_each_under_its_title() -> None:
    start, stop, ping = parse_methods(THREE.read_text(encoding="utf-8"), "p")
    assert isinstance(start, DocsPage) and isinstance(ping, DocsPage)
    assert (start.method, start.description, start.result) == (
        "userDataStream.start",
        "Start a stream.",
        {"listenKey": "lk"},
    )
    assert (ping.method, ping.weight, ping.description) == ("userDataStream.ping", 1, "")
    assert start.url == ping.url == "https://example.invalid/docs/two-methods"
    assert isinstance(stop, DocsError)  # the broken section is reported, the others read
    assert str(stop) == "p:33: missing section(s) 'Request Weight' (en page)"
    head, title, tail = THREE.read_text().partition("# Close User Data Stream")
    tail = tail.replace(
        "## Request Parameters\n", "## Request Weight\n\n2\n\n## Request Parameters\n", 1
    )
    fixed = head + title + tail
    assert [p.weight for p in parse_methods(fixed, "p") if isinstance(p, DocsPage)] == [1, 2, 1]
    with pytest.raises(DocsError, match=r"^p:1: 3 methods on one page \(userDataStream.start, "):
        parse_page(fixed, "p")


def test_a_page_of_labelled_method_sections() -> None:
    logon, status, logout = parse_methods(LABELLED.read_text(encoding="utf-8"), "p")
    assert isinstance(logon, DocsPage) and isinstance(status, DocsPage)
    assert (logon.method, logon.title, logon.security, logon.weight) == (
        "session.logon",
        "Log in with API key (SIGNED)",
        "USER_DATA",
        2,
    )
    assert logon.description == "Authenticate the connection with the key."
    assert [(r.name, r.type, r.mandatory) for r in logon.params] == [
        ("apiKey", "STRING", True),
        ("recvWindow", "INT", False),
        ("signature", "STRING", True),
        ("timestamp", "INT", True),
    ]
    assert logon.result == {"apiKey": "k", "authorizedSince": 1649729878532}
    assert logon.url == "https://example.invalid/docs/websocket-api-general-info"
    assert (status.method, status.params, status.request_params, status.security) == (
        "session.status",
        (),
        {},
        None,
    )
    assert status.repairs == ("p:63: Response Example sample: missing comma inserted after }",)
    assert isinstance(logout, DocsError)
    assert (logout.line, logout.section) == (87, "Response Example")
    assert "json-repair would" in str(logout)


def test_a_label_twice_in_one_section() -> None:
    text = LABELLED.read_text().replace("**Weight:** 2\n", "**Weight:** 2\n\n**Weight:** 3\n", 1)
    first = parse_methods(text, "p")[0]
    assert isinstance(first, DocsError)
    assert str(first) == "p:38: label '**Weight**' appears twice"
    assert [p.method for p in parse_methods(text, "p")[1:] if isinstance(p, DocsPage)] == [
        "session.status"
    ]


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        ("**Weight:**\n\n**1** for a single symbol;  \n**2** when the symbol is omitted\n", None),
        ("**Weight:** 5\n", 5),
        ("> **Weight**: 3\n", 3),
    ],
)
def test_a_weight_label_in_the_request_section(weight: str, expected: int | None) -> None:
    page = parse_page(replace_once("## Request Weight\n\n**1**\n", weight), "p")
    assert page.weight == (
        "1 for a single symbol; 2 when the symbol is omitted" if expected is None else expected
    )
    assert page.request["method"] == "userDataStream.start"  # the Request section still reads


def test_a_weight_label_and_a_weight_section() -> None:
    # with a Request Weight section, a "**Weight:**" line is that section's text
    text = replace_once("## Request Weight\n\n**1**\n", "## Request Weight\n\n**Weight:** 4\n")
    assert parse_page(text, "p").weight == 4
    twice = replace_once("## Request Weight\n\n**1**\n", "**Weight:** 4\n\n**Weight:** 5\n")
    with pytest.raises(DocsError, match=r"^p:27: the weight is given twice$"):
        parse_page(twice, "p")


def test_samples_report_every_space_json_does_not_allow() -> None:
    value, repairs = loads('{\n  "a":\u3000"x\u3000y",\u00a0"b": 1\u00a0\u00a0}')
    assert value == {"a": "x\u3000y", "b": 1}  # inside a string a space is a value, kept
    assert repairs == [
        (2, "ideographic space read as a space"),
        (2, "non-breaking space read as a space"),
    ]
    with pytest.raises(JsonSampleError, match=r"json-repair would read `\u200b1`"):
        loads('{"a": \u200b1}')  # a zero-width space is no space: not JSON
