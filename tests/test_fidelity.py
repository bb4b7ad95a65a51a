"""Fidelity: every reply of every method of the emulator matches that method's result schema.

Each method of the generated spec is called over a real connection, with valid parameters
signed as the API wants (HMAC-SHA256; Ed25519 for ``session.logon``), orders in several
states included. Each whole reply is checked with the draft 2020-12 validator: the envelope
(``envelope.json``'s ``Response`` and its ``rateLimits``) and ``result`` against
``schema/methods/<method>.json`` (an array of it for an ``arrayWithout`` method called without
the parameter), made stricter than the schema as written in two ways: a field the schema does
not name is an error (the emulator invents nothing), and a ``decimal`` string must be one.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from websockets.asyncio.client import ClientConnection, connect

from binance_usdm_ws._core.signing import make_signer
from binance_usdm_ws._generated.spec import SPECS
from binance_usdm_ws.testing import Emulator, FakeClock

from .conftest import KEY_1

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema"
SECRET = "fidelityHmacSecret0123456789"

Ask = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


def _decimal(value: object) -> bool:
    if not isinstance(value, str):
        return True  # the type keyword judges other types
    try:
        return Decimal(value).is_finite() and "e" not in value.lower()
    except InvalidOperation:
        return False


FORMATS = FormatChecker()
FORMATS.checks("decimal")(_decimal)


def _closed(node: Any) -> Any:
    """A copy of the schema in which every object with ``properties`` allows no other field."""
    if isinstance(node, list):
        return [_closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _closed(value) for key, value in node.items()}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def _method_documents() -> dict[str, dict[str, Any]]:
    documents = {}
    for path in sorted((SCHEMA / "methods").glob("*.json")):
        document = json.loads(path.read_text())
        documents[document["x-binance"]["method"]] = document
    return documents


DOCUMENTS = _method_documents()
ENVELOPE = json.loads((SCHEMA / "envelope.json").read_text())
RESPONSE = Draft202012Validator(
    {**ENVELOPE, "$ref": "#/$defs/Response", "unevaluatedProperties": False},
    format_checker=FORMATS,
)


def result_validator(method: str, params: dict[str, Any]) -> Draft202012Validator:
    """The validator of ``method``'s ``result`` for a call with ``params``."""
    document = DOCUMENTS[method]
    result = _closed(document["properties"]["result"])
    without = document["x-binance"].get("arrayWithout")
    if without is not None and without not in params:
        result = {"type": "array", "items": result}
    schema = {"$schema": document["$schema"], "$defs": document.get("$defs", {}), **result}
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FORMATS)


def problems(method: str, params: dict[str, Any], reply: Any) -> list[str]:
    """What is wrong with ``reply`` to ``method`` called with ``params`` (nothing: [])."""
    found = [f"envelope: {e.json_path}: {e.message}" for e in RESPONSE.iter_errors(reply)]
    if isinstance(reply, dict) and "result" in reply:
        validator = result_validator(method, params)
        found += [
            f"result: {e.json_path}: {e.message}" for e in validator.iter_errors(reply["result"])
        ]
    return found


# -- the calls -------------------------------------------------------------------------------


def _ed25519_pem() -> tuple[bytes, bytes]:
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    ed25519 = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def keys() -> tuple[bytes, bytes]:
    return _ed25519_pem()


@pytest.fixture
async def emulator(clock: FakeClock, keys: tuple[bytes, bytes]) -> AsyncIterator[Emulator]:
    async with Emulator(
        api_keys={KEY_1},
        clock=clock,
        api_secrets={KEY_1: SECRET},
        public_keys={KEY_1: keys[1]},
    ) as emu:
        yield emu


@pytest.fixture
async def ws(emulator: Emulator) -> AsyncIterator[ClientConnection]:
    async with connect(emulator.url) as connection:
        yield connection


@pytest.fixture
def ask(ws: ClientConnection, clock: FakeClock, keys: tuple[bytes, bytes]) -> Ask:
    """Send one request (signed as its method's security type says) and return the reply."""
    hmac = make_signer(SECRET, None, None)
    ed25519 = make_signer(None, keys[0], None)
    assert hmac is not None and ed25519 is not None
    ids = itertools.count(1)

    async def call(method: str, params: dict[str, Any]) -> dict[str, Any]:
        sent = dict(params)
        security = SPECS[method].security
        if "apiKey" in SPECS[method].params:
            sent["apiKey"] = KEY_1
        if security in ("TRADE", "USER_DATA"):
            sent["timestamp"] = clock()
            sent["signature"] = (ed25519 if method == "session.logon" else hmac)(sent)
        request_id = next(ids)
        await ws.send(json.dumps({"id": request_id, "method": method, "params": sent}))
        reply: dict[str, Any] = json.loads(await ws.recv())
        assert reply["id"] == request_id
        assert reply["status"] == 200, (method, reply)
        return reply

    return call


LIMIT = {"type": "LIMIT", "timeInForce": "GTC"}


def _calls() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every method, in an order in which each succeeds; orders NEW, modified, cancelled."""
    yield "depth", {"symbol": "BTCUSDT"}
    yield "depth", {"symbol": "ETHUSDT", "limit": 5}
    yield "ticker.price", {"symbol": "BTCUSDT"}
    yield "ticker.price", {}
    yield "ticker.book", {"symbol": "BNBUSDT"}
    yield "ticker.book", {}
    yield "session.status", {}
    yield "session.logon", {}
    yield "session.status", {}
    yield "session.logout", {}
    yield "userDataStream.start", {}
    yield "userDataStream.ping", {}
    yield "userDataStream.stop", {}
    for symbol in ({}, {"symbol": "BTCUSDT"}):
        yield "account.position", symbol
        yield "v2/account.position", symbol
    yield "account.balance", {}
    yield "v2/account.balance", {}
    yield "account.status", {}
    yield "v2/account.status", {}
    buy = {"symbol": "BTCUSDT", "side": "BUY", **LIMIT, "quantity": "0.010", "price": "49000.00"}
    yield "order.place", {**buy, "newClientOrderId": "fidelity-1"}
    yield "order.place", {**buy, "price": "48000.00", "reduceOnly": "false"}
    yield "order.place", {"symbol": "ETHUSDT", "side": "SELL", "type": "MARKET", "quantity": "1"}
    yield "order.place", {**buy, "timeInForce": "GTD", "goodTillDate": 1_767_229_200_000}
    yield "order.status", {"symbol": "BTCUSDT", "origClientOrderId": "fidelity-1"}
    modify = {"symbol": "BTCUSDT", "side": "BUY", "quantity": "0.020", "price": "48500.00"}
    yield "order.modify", {**modify, "origClientOrderId": "fidelity-1"}
    yield "order.status", {"symbol": "BTCUSDT", "orderId": 100_000_001}
    yield "order.cancel", {"symbol": "BTCUSDT", "orderId": 100_000_002}
    yield "order.status", {"symbol": "BTCUSDT", "orderId": 100_000_002}  # CANCELED
    yield "account.status", {}  # with open orders
    yield "v2/account.position", {}  # with the positions the test set
    yield "v2/account.status", {}
    stop = {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL", "quantity": "0.010"}
    yield "algoOrder.place", {**stop, "type": "STOP_MARKET", "triggerPrice": "45000.00"}
    yield "algoOrder.place", {**stop, "type": "TAKE_PROFIT", **{"timeInForce": "GTC"},
                              "price": "56000.00", "triggerPrice": "55000.00"}  # fmt: skip
    yield "algoOrder.cancel", {"clientAlgoId": "emulatorAlgo3000000000000001"}
    yield "algoOrder.cancel", {"algoId": 3_000_000_000_000_002}


async def test_every_reply_of_every_method_matches_its_schema(emulator: Emulator, ask: Ask) -> None:
    emulator.set_position(KEY_1, "BTCUSDT", "0.5", "48000.00")
    emulator.set_position(KEY_1, "ETHUSDT", "-2", "3100.00")
    called: set[str] = set()
    found: list[str] = []
    for method, params in _calls():
        reply = await ask(method, params)
        called.add(method)
        found += [f"{method} {params}: {p}" for p in problems(method, params, reply)]
    assert called == set(SPECS)
    assert found == []


async def test_filled_orders_match_their_schema(emulator: Emulator, ask: Ask) -> None:
    """Orders filled by the paper exchange's matching."""
    buy = {"symbol": "BTCUSDT", "side": "BUY", **LIMIT, "quantity": "0.010", "price": "49000.00"}
    first = (await ask("order.place", buy))["result"]["orderId"]
    second = (await ask("order.place", {**buy, "price": "48000.00"}))["result"]["orderId"]
    emulator.set_price("BTCUSDT", "48999.00")  # crosses the first order's price
    found: list[str] = []
    for method, params in [
        ("order.status", {"symbol": "BTCUSDT", "orderId": first}),
        ("order.status", {"symbol": "BTCUSDT", "orderId": second}),
        ("order.cancel", {"symbol": "BTCUSDT", "orderId": second}),
        ("v2/account.position", {}),
        ("account.status", {}),
    ]:
        reply = await ask(method, params)
        found += [f"{method}: {p}" for p in problems(method, params, reply)]
    assert found == []


# -- the check can fail ---------------------------------------------------------------------


async def test_a_wrong_reply_is_caught(emulator: Emulator, ask: Ask) -> None:
    params = {"symbol": "BTCUSDT", "side": "BUY", **LIMIT, "quantity": "0.01", "price": "1000.00"}
    good = await ask("order.place", params)
    assert problems("order.place", params, good) == []

    def broken(change: Callable[[dict[str, Any]], object]) -> list[str]:
        reply = copy.deepcopy(good)
        change(reply)
        return problems("order.place", params, reply)

    assert broken(lambda r: r["result"].pop("orderId")) == [
        "result: $: 'orderId' is a required property"
    ]
    assert broken(lambda r: r["result"].update(price=1.0)) == [
        "result: $.price: 1.0 is not of type 'string'"
    ]
    assert broken(lambda r: r["result"].update(price="1e3")) == [
        "result: $.price: '1e3' is not a 'decimal'"
    ]
    [extra] = broken(lambda r: r["result"].update(invented=True))
    assert extra.startswith("result: $: Additional properties are not allowed ('invented'")
    [status] = broken(lambda r: r.update(status=201))
    assert status.startswith("envelope: $.status: 200 was expected")
    [limits] = broken(lambda r: r["rateLimits"][0].pop("count"))
    assert limits.startswith("envelope: $.rateLimits[0]: 'count' is a required property")
    assert broken(lambda r: r.update(extra=1)) != []
    # One object where the method answers a list without the parameter:
    one = (await ask("ticker.price", {"symbol": "BTCUSDT"}))["result"]
    assert problems("ticker.price", {}, {**good, "result": one}) != []


async def test_an_emulator_that_answers_wrongly_fails_the_check(
    emulator: Emulator, ask: Ask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def wrong(params: dict[str, Any]) -> dict[str, Any]:
        return {"symbol": "BTCUSDT", "price": 50000, "time": "now"}

    monkeypatch.setattr(emulator.market, "ticker_price", wrong)
    params = {"symbol": "BTCUSDT"}
    assert problems("ticker.price", params, await ask("ticker.price", params)) == [
        "result: $.price: 50000 is not of type 'string'",
        "result: $.time: 'now' is not of type 'integer'",
    ]


ERROR_RESPONSE = Draft202012Validator(
    {**ENVELOPE, "$ref": "#/$defs/ErrorResponse", "unevaluatedProperties": False}
)


async def test_error_replies_match_the_envelope(emulator: Emulator, ws: ClientConnection) -> None:
    requests: list[Any] = [
        {"id": 1, "method": "ticker.price", "params": {"symbol": "NOPE"}},
        {"id": "a-2", "method": "depth", "params": {}},
        {"id": None, "method": "order.status", "params": {"apiKey": KEY_1, "symbol": "BTCUSDT"}},
        {"id": 4, "method": "account.balance", "params": {"apiKey": "unknownKey"}},
        {"id": 5, "method": "userDataStream.ping", "params": {"apiKey": KEY_1}},
        {"id": 6, "method": "no.such.method"},
        {"id": 1.5, "method": "depth"},
    ]
    for request in requests:
        await ws.send(json.dumps(request))
        reply = json.loads(await ws.recv())
        assert reply["status"] != 200
        assert [e.message for e in ERROR_RESPONSE.iter_errors(reply)] == [], reply
