"""Wire samples from the docs decode to the generated models.

Two sources: the examples kept in each schema file (committed), and the seed
docs page itself in ../shared/seeds/ when this checkout sits next to it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from binance_usdm_ws import AsyncClient, UserDataStreamPingResponse
from binance_usdm_ws._core.converter import CONVERTER
from binance_usdm_ws._generated.methods import METHODS
from binance_usdm_ws._generated.models import RateLimit, RateLimitInterval, RateLimitType
from binance_usdm_ws.testing import Emulator

from .conftest import ROOT

SEEDS = ROOT.parent / "shared" / "seeds"
SCHEMA_FILES = sorted((ROOT / "schema" / "methods").glob("*.json"))


def response_type(method: str, result: Any) -> type[Any]:
    """The reply model codegen names for ``method`` (``v2/account.balance`` ->
    ``AccountBalanceV2Response``); its ``ListResponse`` twin for a list result of a method
    whose result is an object or a list (``ticker.price`` without ``symbol``)."""
    import binance_usdm_ws._generated.models as models

    version, _, rest = method.rpartition("/")
    prefix = "".join(part[:1].upper() + part[1:] for part in rest.split(".")) + version.upper()
    listed = getattr(models, f"{prefix}ListResponse", None)
    if isinstance(result, list) and listed is not None:
        return listed  # type: ignore[no-any-return]
    cls: type[Any] = getattr(models, f"{prefix}Response")
    return cls


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.stem)
def test_schema_examples_decode(path: Path) -> None:
    """Every docs sample of every method decodes into its model and encodes back to the
    same JSON; its request sends only parameters the schema knows."""
    document = json.loads(path.read_text())
    method = document["x-binance"]["method"]
    assert method in METHODS
    assert document["examples"], "every method schema keeps the docs' example"
    known = set(document["properties"]["params"].get("properties", {}))
    for example in document["examples"]:
        assert example["request"]["method"] == method
        assert set(example["request"].get("params", {})) <= known
        response = example["response"]
        decoded = CONVERTER.structure(response, response_type(method, response["result"]))
        assert decoded.id == response["id"]
        assert CONVERTER.unstructure(decoded) == response


def test_every_method_of_the_docs_is_in_the_schema() -> None:
    assert sorted(METHODS) == [
        "account.balance",
        "account.position",
        "account.status",
        "algoOrder.cancel",
        "algoOrder.place",
        "depth",
        "order.cancel",
        "order.modify",
        "order.place",
        "order.status",
        "session.logon",
        "session.logout",
        "session.status",
        "ticker.book",
        "ticker.price",
        "userDataStream.ping",
        "userDataStream.start",
        "userDataStream.stop",
        "v2/account.balance",
        "v2/account.position",
        "v2/account.status",
    ]


def seed_code_blocks() -> list[dict[str, Any]]:
    pages = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    if not pages:
        pytest.skip(f"no seed pages at {SEEDS} (this checkout is not next to ../shared)")
    blocks = []
    for page in pages:
        for block in re.findall(r"```\s*\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            # The docs render JSON with trailing double spaces and non-breaking spaces.
            blocks.append(json.loads(block.replace("\u00a0", " ")))
    return blocks


def test_seed_page_samples_decode() -> None:
    request, response = seed_code_blocks()[:2]
    assert request["method"] == "userDataStream.ping"
    assert set(request["params"]) == {"apiKey"}
    reply = CONVERTER.structure(response, UserDataStreamPingResponse)
    assert reply.id == "815d5fce-0880-4287-a567-80badf004c74" == request["id"]
    assert reply.status == 200
    assert reply.result.listen_key == response["result"]["listenKey"]
    assert reply.rate_limits == [
        RateLimit(
            rate_limit_type=RateLimitType.REQUEST_WEIGHT,
            interval=RateLimitInterval.MINUTE,
            interval_num=1,
            limit=2400,
            count=2,
        )
    ]


async def test_seed_request_is_what_the_client_sends() -> None:
    """The client's frame for ping has the seed request's shape, and the emulator accepts it."""
    request = seed_code_blocks()[0]
    api_key = request["params"]["apiKey"]
    async with Emulator(api_keys={api_key}) as emulator:
        async with AsyncClient(api_key=api_key, url=emulator.url) as client:
            await client.user_data_stream.start()
            reply = await client.user_data_stream.ping()
    sent = emulator.requests[-1]
    assert sent == {**request, "id": reply.id}
    assert sent.keys() == request.keys() and list(sent["params"]) == ["apiKey"]
