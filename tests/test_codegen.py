"""codegen: the real schema is rendered up to date, golden output for a fixture schema,
deterministic bytes, --check, and clear errors for broken schema files."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codegen import DEFAULT_OUT, DEFAULT_SCHEMA, StaleError, check, generate, write
from codegen.__main__ import main
from codegen.model import SchemaError
from codegen.render import GENERATED_MARKER

from .conftest import ROOT

FIXTURE = ROOT / "tests" / "data" / "fixture_schema"
GOLDEN = ROOT / "tests" / "golden" / "_generated"


def test_the_committed_package_is_up_to_date() -> None:
    check(generate(DEFAULT_SCHEMA), DEFAULT_OUT)


def test_golden_output_for_the_fixture_schema() -> None:
    files = generate(FIXTURE)
    if os.environ.get("UPDATE_GOLDEN"):
        write(files, GOLDEN)
    assert sorted(files) == sorted(p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*.py"))
    for name, text in files.items():
        assert text == (GOLDEN / name).read_text(), f"{name} differs; UPDATE_GOLDEN=1 to accept"


def test_output_is_deterministic_and_has_no_timestamp() -> None:
    first, second = generate(FIXTURE), generate(FIXTURE)
    assert first == second
    for text in first.values():
        assert text.startswith(GENERATED_MARKER)
        assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}|timestamp", text, re.I)


def test_every_method_is_rendered() -> None:
    files = generate(FIXTURE)
    methods = "".join(text for name, text in files.items() if name.startswith("methods/"))
    for signature in (
        "async def status(",
        "async def depth(",
        "async def everything_v2(",
        "async def ping(",
    ):
        assert signature in methods
    assert 'side: Literal["BUY", "SELL"],' in methods
    assert (
        'params["price"] = format(price, "f") if isinstance(price, Decimal) else price' in methods
    )
    assert "ParamError" not in methods
    assert "InvalidSymbol" not in methods
    assert "BadRequestError: (400, -1121) the symbol is unknown." in methods


def test_check_reports_a_stale_file_with_a_diff(tmp_path: Path) -> None:
    write(generate(FIXTURE), tmp_path)
    check(generate(FIXTURE), tmp_path)
    path = tmp_path / "methods" / "__init__.py"
    path.write_text(path.read_text().replace("async def depth(", "async def depth_old("))
    with pytest.raises(StaleError) as caught:
        check(generate(FIXTURE), tmp_path)
    assert "-    async def depth_old(" in str(caught.value)
    assert "+    async def depth(" in str(caught.value)


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--schema", str(FIXTURE), "--out", str(tmp_path)]
    assert main([*args, "--check"]) == 1  # nothing there yet
    assert main(args) == 0
    assert "wrote" in capsys.readouterr().out
    assert main([*args, "--check"]) == 0
    assert main(args) == 0
    assert "already up to date" in capsys.readouterr().out


def test_write_never_touches_a_hand_written_file(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text("# my own code\n")
    with pytest.raises(SchemaError, match="is not generated"):
        write(generate(FIXTURE), tmp_path)
    assert (tmp_path / "models.py").read_text() == "# my own code\n"


def test_leftover_generated_files_are_reported_and_removed(tmp_path: Path) -> None:
    files = generate(FIXTURE)
    write(files, tmp_path)
    leftover = tmp_path / "_gone.py"
    leftover.write_text(GENERATED_MARKER + " from: nothing\n")
    (tmp_path / "handwritten.py").write_text("x = 1\n")
    with pytest.raises(StaleError, match="no longer produces"):
        check(files, tmp_path)
    write(files, tmp_path)
    assert not leftover.exists()
    assert (tmp_path / "handwritten.py").exists()


Mutation = Callable[[Path], None]


def edit(name: str, change: Callable[[dict[str, Any]], None]) -> Mutation:
    def apply(schema: Path) -> None:
        path = schema / "methods" / name
        document = json.loads(path.read_text())
        change(document)
        path.write_text(json.dumps(document))

    return apply


def params_of(document: dict[str, Any]) -> dict[str, Any]:
    return document["properties"]["params"]["properties"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda s: (s / "methods" / "depth.json").write_text("{oops"),
            "depth.json: not valid JSON",
        ),
        (edit("depth.json", lambda d: d.update(type=5)), "depth.json: not a valid JSON Schema"),
        (
            edit("depth.json", lambda d: d["x-binance"].pop("weight")),
            "depth.json: invalid x-binance block .*'weight' is a required property",
        ),
        (
            edit("depth.json", lambda d: d["x-binance"].update(security="TRADE")),
            "security TRADE needs params.properties.apiKey",
        ),
        (
            edit("depth.json", lambda d: d["x-binance"].update(requireAny=[["symbol", "nope"]])),
            "x-binance.requireAny names 'symbol', which is not an optional parameter",
        ),
        (
            edit("depth.json", lambda d: d["x-binance"].update(arrayWithout="nope")),
            "x-binance.arrayWithout names 'nope'",
        ),
        (
            edit("depth.json", lambda d: d["x-binance"].update(method="ticker.book")),
            "must be named ticker.book.json",
        ),
        (
            edit("depth.json", lambda d: params_of(d).update(filters={"type": "object"})),
            "params.filters: unsupported parameter type 'object'",
        ),
        (
            edit("depth.json", lambda d: params_of(d).update(timeout={"type": "integer"})),
            "params.timeout: the name timeout is reserved",
        ),
        (
            edit(
                "depth.json",
                lambda d: d["properties"]["result"].update({"$ref": "https://example.com/x.json"}),
            ),
            "unsupported \\$ref",
        ),
        (
            edit("depth.json", lambda d: d["properties"].pop("result")),
            "properties.result is missing",
        ),
        (
            edit("session.status.json", lambda d: params_of(d).update(apiKey={"type": "string"})),
            "security NONE cannot send apiKey",
        ),
        (
            edit("userDataStream.ping.json", lambda d: params_of(d).pop("apiKey")),
            "security USER_STREAM needs params.properties.apiKey",
        ),
        (lambda s: (s / "envelope.json").unlink(), "envelope.json: file not found"),
    ],
)
def test_schema_errors_name_the_file(tmp_path: Path, mutate: Mutation, message: str) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE, schema)
    mutate(schema)
    with pytest.raises(SchemaError, match=message):
        generate(schema)


def test_command_line_reports_schema_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE, schema)
    (schema / "methods" / "depth.json").write_text("[]")
    assert main(["--schema", str(schema), "--out", str(tmp_path / "out"), "--check"]) == 2
    assert "codegen: error:" in capsys.readouterr().err
