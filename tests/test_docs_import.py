"""python -m codegen.docs end to end: golden imports, the seed page against the committed
schema, drift reported then imported into the regenerated models, curated additions kept.

"Equivalent" (see schema/README.md): the same wire facts (x-binance method, security, weight,
docs), the same params and result schemas once titles and descriptions are set aside, and the
same docs sample; ``check`` finds no drift; and a re-import into the committed file adds the
record of the page (x-binance.source) and changes nothing else. A fresh import may differ in
title and descriptions (the page's language), ``idempotent`` (false until a person decides),
and ``errors`` (which a docs page does not list).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from codegen import generate
from codegen.docs import DocsError, dump_json, import_pages, parse_enums, read_enums
from codegen.docs.__main__ import main

from .conftest import ROOT

PAGES = ROOT / "tests" / "data" / "docs_pages"
GOLDEN = ROOT / "tests" / "golden" / "docs"
SCHEMA = ROOT / "schema"
SEED = ROOT.parent / "shared" / "seeds" / "000_a20e9e388b90eb8b.txt"
START, EDITED = PAGES / "userDataStream.start.md", PAGES / "userDataStream.start.edited.md"
STOP = PAGES / "userDataStream.stop.md"


@pytest.fixture
def schema(tmp_path: Path) -> Path:
    """A copy of schema/ to import into."""
    copied = tmp_path / "schema"
    shutil.copytree(SCHEMA, copied)
    return copied


def check_golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"{name} differs; UPDATE_GOLDEN=1 to accept"


@pytest.mark.parametrize(
    "page",
    ["userDataStream.ping.zh-CN.md", "userDataStream.start.md", "userDataStream.stop.md"],
)
def test_golden_fresh_import(tmp_path: Path, page: str) -> None:
    schema = tmp_path / "schema"
    [outcome] = import_pages([PAGES / page], schema, write=True)
    assert outcome.created
    check_golden(page.removesuffix(".md") + ".json", outcome.text)
    assert outcome.path.read_text(encoding="utf-8") == outcome.text
    [again] = import_pages([PAGES / page], schema, write=False)  # deterministic, idempotent
    assert (again.created, again.changes, again.text) == (False, (), outcome.text)


def test_a_page_broken_as_published_imports_as_if_it_were_not(tmp_path: Path) -> None:
    [clean] = import_pages([STOP], tmp_path / "a", write=False)
    repairable = PAGES / "userDataStream.stop.repairable.md"
    [repaired] = import_pages([repairable], tmp_path / "b", write=False)
    assert repaired.text == clean.text
    assert [n for n in repaired.notes if " sample: " in n] == [
        f"{repairable}:39: Response Example sample: non-breaking space read as a space",
        f"{repairable}:46: Response Example sample: trailing comma dropped",
        f"{repairable}:46: Response Example sample: comment '// weight used in this minute' "
        "dropped",
        f"{repairable}:47: Response Example sample: trailing comma dropped",
        f"{repairable}:48: Response Example sample: trailing comma dropped",
    ]


def without_prose(schema: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in schema.items() if k not in ("title", "description")}
    if "properties" in out:
        out["properties"] = {k: without_prose(v) for k, v in out["properties"].items()}
    if "items" in out:
        out["items"] = without_prose(out["items"])
    return out


def shape(document: dict[str, Any]) -> dict[str, Any]:
    """What two equivalent method schemas share (see the module docstring)."""
    info = document["x-binance"]
    return {
        "x-binance": {k: info[k] for k in ("method", "security", "weight", "docs")},
        "params": without_prose(document["properties"]["params"]),
        "result": without_prose(document["properties"]["result"]),
        "required": document["required"],
        "sample": document["examples"][0],
    }


@pytest.mark.parametrize(
    "page",
    [SEED, PAGES / "userDataStream.ping.zh-CN.md", START, STOP],
    ids=["seed", "seed-copy", "start", "stop"],
)
def test_a_page_imports_to_a_schema_equivalent_to_the_committed_one(
    tmp_path: Path, page: Path
) -> None:
    if not page.exists():
        pytest.skip(f"{page} is absent: this checkout does not sit next to ../shared")
    [fresh] = import_pages([page], tmp_path / "empty", write=False)
    committed_path = SCHEMA / fresh.path.relative_to(tmp_path / "empty")
    committed = json.loads(committed_path.read_text(encoding="utf-8"))
    assert shape(json.loads(fresh.text)) == shape(committed)

    [check] = import_pages([page], SCHEMA, write=False)  # writes nothing
    assert check.changes == ()
    reimported = json.loads(check.text)
    source = reimported["x-binance"].pop("source")
    assert fresh.page.language in source
    committed["x-binance"].pop("source", None)  # the pages imported so far
    assert reimported == committed


def test_an_edited_page_is_drift_then_a_new_field_of_the_model(
    schema: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [str(EDITED), "--schema", str(schema)]
    assert main(["check", *args]) == 1
    out = capsys.readouterr().out
    assert "  ~ weight: 1 → 2\n" in out
    assert "  + result.expiresAt: integer\n" in out

    assert main(["import", *args]) == 0
    assert main(["check", *args]) == 0
    files = generate(schema)
    models = files["models.py"]
    result_class = models[models.index("class UserDataStreamStartResult") :].split("\n\n\n")[0]
    assert 'expires_at: int = attrs.field(metadata={"wire": "expiresAt"})' in result_class
    assert "request weight 2" in files["methods/user_data_stream.py"]


def test_curated_additions_survive_a_reimport(schema: Path) -> None:
    path = schema / "methods" / "userDataStream.start.json"
    curated = json.loads(path.read_text(encoding="utf-8"))
    result = curated["properties"]["result"]
    result["properties"]["listenKey"].update(type=["string", "null"], pattern="^[A-Za-z0-9]+$")
    result["properties"]["since"] = {"type": ["integer", "string"], "description": "Seen live."}
    params = curated["properties"]["params"]["properties"]
    params["recvWindow"] = {"type": "integer", "description": "Added by hand."}
    curated["x-binance"]["errors"].append({"code": -1000, "status": 400, "when": "unknown"})
    curated["examples"].append(copy.deepcopy(curated["examples"][0]))
    curated["examples"][1]["response"]["result"]["since"] = "1700000000000"
    path.write_text(dump_json(curated), encoding="utf-8")

    unchanged, edited = import_pages([START, EDITED], schema, write=True)
    assert unchanged.changes == ()
    assert [str(c) for c in edited.changes] == [
        "~ weight: 1 → 2",
        "+ result.expiresAt: integer",
        "~ examples[0]: the docs' response sample changed",
    ]
    after = json.loads(path.read_text(encoding="utf-8"))
    expected = copy.deepcopy(curated)  # the curated file plus exactly the docs' changes
    expected["x-binance"]["weight"] = 2
    expected["x-binance"]["source"] = after["x-binance"]["source"]
    expected["properties"]["result"]["properties"]["expiresAt"] = {"type": "integer"}
    expected["properties"]["result"]["required"].append("expiresAt")
    expected["examples"][0] = after["examples"][0]
    assert after == expected
    assert after["examples"][0]["response"]["result"]["expiresAt"] == 1730000000000


def test_command_line_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(SCHEMA, "schema")
    shutil.copytree(PAGES, "pages")
    pages = ["pages/userDataStream.start.edited.md", "pages/userDataStream.stop.md"]
    assert main(["check", *pages, "--schema", "schema"]) == 1
    checked = capsys.readouterr()
    assert main(["import", "pages/userDataStream.ping.zh-CN.md", *pages, "--schema", "schema"]) == 0
    imported = capsys.readouterr().out
    assert main(["check", "pages/userDataStream.stop.md", "--schema", "new"]) == 1
    missing = capsys.readouterr().out
    assert main(["import", "pages/userDataStream.stop.md", "--schema", "new"]) == 0
    created = capsys.readouterr().out
    transcript = [
        *("$ check\n", checked.out, checked.err, "$ import\n", imported),
        *("$ check\n", missing, "$ import\n", created),
    ]
    check_golden("cli.txt", "".join(transcript))


def test_a_page_that_cannot_be_imported_is_reported_and_the_others_import(
    schema: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p.name: p.read_text() for p in (schema / "methods").iterdir()}
    broken = PAGES / "userDataStream.stop.broken.md"
    no_method = tmp_path / "no-method.md"
    no_method.write_text(START.read_text().replace("## Method\n", "## Methods\n"))
    pages = [str(broken), str(EDITED), str(no_method), str(PAGES / "missing.md")]
    assert main(["import", *pages, "--schema", str(schema)]) == 1
    out, err = capsys.readouterr()
    errors = err.splitlines()
    assert errors[0].startswith(f"codegen.docs: error: {broken}:39: section 'Response Example': ")
    assert "not repaired: json-repair would drop `...` (not JSON)" in errors[0]
    assert errors[1] == (
        f"codegen.docs: error: {no_method}:1: missing section(s) 'Method' (en page)"
    )
    assert errors[2].startswith(f"codegen.docs: error: {PAGES / 'missing.md'}: cannot read")
    assert len(errors) == 3
    assert "updated from" in out and "  ~ weight: 1 → 2\n" in out
    assert out.endswith(
        "codegen.docs: imported 1 page(s); 1 changed schema/; 3 could not be read (see the "
        "errors)\n"
    )
    after = {p.name: p.read_text() for p in (schema / "methods").iterdir()}
    assert [name for name in after if after[name] != before[name]] == ["userDataStream.start.json"]
    assert json.loads(after["userDataStream.start.json"])["x-binance"]["weight"] == 2

    assert main(["check", str(EDITED), str(broken), "--schema", str(schema)]) == 1  # agrees, but
    out, err = capsys.readouterr()
    assert "agrees with" in out
    assert err.endswith(
        "codegen.docs: 1 page(s) agree with schema/; 1 could not be read (see the errors)\n"
    )


def test_import_pages_raises_the_first_error_and_writes_nothing(schema: Path) -> None:
    before = {p.name: p.read_text() for p in (schema / "methods").iterdir()}
    broken = PAGES / "userDataStream.stop.broken.md"
    with pytest.raises(DocsError, match=rf"^{broken}:39: section 'Response Example': "):
        import_pages([EDITED, broken], schema, write=True)
    assert {p.name: p.read_text() for p in (schema / "methods").iterdir()} == before
    with pytest.raises(DocsError, match="cannot read the page"):
        import_pages([PAGES / "missing.md"], schema, write=False)
    (schema / "methods" / "userDataStream.stop.json").write_text("[]")
    with pytest.raises(DocsError, match=r"userDataStream\.stop\.json:1: not a JSON object"):
        import_pages([STOP], schema, write=False)
    (schema / "methods" / "userDataStream.stop.json").write_text('{\n  "a": 1,\n}')
    with pytest.raises(DocsError, match=r"userDataStream\.stop\.json:3: not valid JSON: "):
        import_pages([STOP], schema, write=False)


def test_fresh_imports_are_valid_input_for_codegen(schema: Path) -> None:
    for path in (schema / "methods").iterdir():
        path.unlink()
    import_pages([PAGES / "userDataStream.ping.zh-CN.md", START, STOP], schema, write=True)
    methods = generate(schema)["methods/user_data_stream.py"]
    assert "Websocket API延长listenKey有效期 (USER_STREAM)." in methods
    assert "async def start(" in methods and "async def stop(" in methods


def test_a_scraped_page_agrees_with_the_committed_schema(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Front matter with ``source: binance`` and a ``> Source:`` line of another URL: the
    front matter's ``url:`` is the docs URL, so check finds no drift."""
    page = PAGES / "userDataStream.stop.scraped.md"
    assert main(["check", str(page), "--schema", str(SCHEMA)]) == 0
    assert "agrees with" in capsys.readouterr().out


def test_every_parameter_type_of_the_tables(tmp_path: Path) -> None:
    [outcome] = import_pages([PAGES / "order.types.md"], tmp_path, write=False)
    params = json.loads(outcome.text)["properties"]["params"]
    typed = {
        name: {k: v for k, v in schema.items() if k != "description"}
        for name, schema in params["properties"].items()
    }
    assert typed == {
        "symbol": {"type": "string"},
        "quantity": {"type": "string", "format": "decimal"},
        "recvWindow": {"type": "integer"},
        "timestamp": {"type": "integer"},
        "reduceOnly": {"type": "boolean"},
        "side": {"type": "string", "enum": ["SELL", "BUY"]},
        "newOrderRespType": {"type": "string", "enum": ["ACK", "RESULT"]},
        "timeInForce": {"type": "string", "enum": ["IOC", "GTC", "FOK"]},
        "positionSide": {"type": "string"},  # the description says more than the values
        "priceMatch": {"type": "string"},  # LIMIT is not a value of priceMatch
        "type": {"type": "string"},
        "orderIdList": {"type": "array", "items": {"type": "integer"}},
        "origClientOrderIdList": {"type": "array", "items": {"type": "string"}},
        "sides": {"type": "array", "items": {"type": "string", "enum": ["SELL", "BUY"]}},
        "anything": {"type": "array"},
    }
    assert params["required"] == ["symbol", "timestamp", "side", "type"]
    notes = [n for n in outcome.notes if n.startswith("params.")]
    assert notes == [
        "params.side: enum SELL, BUY, from its description; check the list is complete",
        "params.newOrderRespType: enum ACK, RESULT, from its description; check the list is "
        "complete",
        "params.timeInForce: enum IOC, GTC, FOK, from its description; check the list is complete",
        'params.positionSide: ENUM, whose description is not just its values; add them as "enum" '
        "to get a Literal type",
        'params.priceMatch: ENUM, whose description is not just its values; add them as "enum" '
        "to get a Literal type",
        'params.type: ENUM, no values; add them as "enum" to get a Literal type',
        "params.orderIdList: LIST<LONG>, an array; codegen does not render array parameters yet",
        "params.origClientOrderIdList: LIST<STRING>, an array; codegen does not render array "
        "parameters yet",
        "params.sides: LIST<ENUM>, an array; codegen does not render array parameters yet",
        "params.anything: LIST, an array; codegen does not render array parameters yet",
    ]


def test_pages_of_several_methods_import_one_schema_per_method_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labelled, three = PAGES / "session.labelled.md", PAGES / "userDataStream.three.md"
    schema = tmp_path / "schema"
    assert main(["import", str(labelled), str(three), "--schema", str(schema)]) == 1
    out, err = capsys.readouterr()
    assert sorted(p.name for p in (schema / "methods").iterdir()) == [
        "session.logon.json",
        "session.status.json",
        "userDataStream.ping.json",
        "userDataStream.start.json",
    ]
    assert err.splitlines()[0].startswith(
        f"codegen.docs: error: {labelled}:87: section 'Response Example': invalid JSON: "
    )
    assert err.splitlines()[1] == (
        f"codegen.docs: error: {three}:33: missing section(s) 'Request Weight' (en page)"
    )
    assert len(err.splitlines()) == 2
    assert out.endswith(
        "codegen.docs: imported 4 method section(s); 4 changed schema/; 2 could not be read "
        "(see the errors)\n"
    )
    assert (
        "  note: the title says SIGNED, not which type: USER_DATA assumed (API key and "
        "signature), which the client signs\n"
    ) in out
    assert (
        f"  note: {labelled}:63: Response Example sample: missing comma inserted after }}\n" in out
    )
    logon = json.loads((schema / "methods" / "session.logon.json").read_text())
    assert logon["x-binance"] | {"source": None} == {
        "method": "session.logon",
        "security": "USER_DATA",
        "weight": 2,
        "idempotent": False,
        "docs": "https://example.invalid/docs/websocket-api-general-info",
        "source": None,
    }
    assert logon["properties"]["params"]["required"] == ["apiKey", "signature", "timestamp"]
    status = json.loads((schema / "methods" / "session.status.json").read_text())
    assert status["x-binance"]["security"] == "NONE"
    assert status["properties"]["params"] == {
        "type": "object",
        "properties": {},
        "additionalProperties": False,
    }
    assert main(["check", str(labelled), str(three), "--schema", str(schema)]) == 1
    assert capsys.readouterr().err.endswith(
        "codegen.docs: 4 method section(s) agree with schema/; 2 could not be read (see the "
        "errors)\n"
    )


def test_enum_values_from_the_enum_definitions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    definitions = PAGES / "enum.definitions.md"
    enums = read_enums([definitions])
    assert {name: list(d.values) for name, d in enums.items()} == {
        "side": ["BUY", "SELL"],
        "positionSide": ["BOTH", "LONG", "SHORT"],
        "type": ["LIMIT", "MARKET", "STOP_MARKET"],
        "origType": ["LIMIT", "MARKET", "STOP_MARKET"],
        "timeInForce": ["GTC", "IOC"],
    }  # workingType: a sentence between its label and its list, so no values
    assert enums["positionSide"].where == f"{definitions}:14"

    args = [str(PAGES / "order.types.md"), "--schema", str(tmp_path), "--enums", str(definitions)]
    assert main(["import", *args]) == 0
    out = capsys.readouterr().out
    params = json.loads((tmp_path / "methods" / "order.types.json").read_text())["properties"]
    enum_of = {k: v.get("enum") for k, v in params["params"]["properties"].items()}
    assert enum_of["side"] == ["SELL", "BUY"]  # the description's own list comes first
    assert enum_of["timeInForce"] == ["IOC", "GTC", "FOK"]
    assert enum_of["positionSide"] == ["BOTH", "LONG", "SHORT"]  # from the definitions
    assert enum_of["type"] == ["LIMIT", "MARKET", "STOP_MARKET"]
    assert enum_of["priceMatch"] is None  # neither says
    assert (
        f"  note: params.positionSide: enum BOTH, LONG, SHORT, from the enum definitions "
        f"({definitions}:14)\n"
    ) in out
    assert main(["check", *args]) == 0  # the definitions are part of what the docs say
    assert main(["check", *args[:3]]) == 0  # without them: enum is a refinement, kept


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("**Side (side):**\n\n* BUY\n* sell\n", r"^d:4: 'sell' under 'side' does not start with"),
        (
            "**Side (side):**\n\n* BUY\n\n### Again (side)\n\n* SELL\n",
            r"^d:5: 'side' is defined twice, first at d:1$",
        ),
    ],
)
def test_enum_definitions_refuse_to_guess(text: str, message: str) -> None:
    with pytest.raises(DocsError, match=message):
        parse_enums(text, "d")


REAL_PAGES = ROOT.parent / "shared" / "docs-pages" / "usdm"


def test_the_published_user_data_stream_pages_agree_with_schema(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The scraped pages next to this checkout (not part of it): front matter with
    ``source: binance``, a ``> Source: <URL>`` line, the title twice."""
    names = ["Start", "Close", "Keepalive"]
    pages = [REAL_PAGES / "user-data-streams" / f"{n}-User-Data-Stream-Wsp.md" for n in names]
    if not all(page.exists() for page in pages):
        pytest.skip(f"{REAL_PAGES} is absent: this checkout does not sit next to ../shared")
    assert main(["check", *map(str, pages), "--schema", str(SCHEMA)]) == 0
    assert capsys.readouterr().out.endswith("codegen.docs: 3 page(s) agree with schema/\n")


def test_the_notes_under_the_table_become_rules(tmp_path: Path) -> None:
    """The notes "Either `a` or `b` must be sent" -> requireAny; "If the symbol is not sent, … in an
    array" -> arrayWithout; both from the page, as on Cancel-Order and Symbol-Price-Ticker."""
    text = (PAGES / "order.types.md").read_text()
    table_end = text.index("\n\n## Response Example")
    notes = (
        "\n\n> - Either `orderIdList` or `origClientOrderIdList` must be sent, and the first "
        "prevails.\n> - If the symbol is not sent, prices for all symbols will be returned in "
        "an array."
    )
    page = tmp_path / "order.rules.md"
    page.write_text(text[:table_end] + notes + text[table_end:])
    [outcome] = import_pages([page], tmp_path / "schema", write=False)
    info = json.loads(outcome.text)["x-binance"]
    assert info["requireAny"] == [["orderIdList", "origClientOrderIdList"]]
    assert info["arrayWithout"] == "symbol"
    [plain] = import_pages([PAGES / "order.types.md"], tmp_path / "other", write=False)
    assert "requireAny" not in json.loads(plain.text)["x-binance"]
