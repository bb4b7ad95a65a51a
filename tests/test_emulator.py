"""The emulator, spoken to with a raw websockets client: the wire as FACTS documents it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from binance_usdm_ws._io.loop_thread import LoopThread
from binance_usdm_ws.testing import Emulator, FakeClock

from .conftest import KEY_1

BAD_ID = (
    "Invalid 'id' in JSON request; expected an integer, "
    "a string matching '^[a-zA-Z0-9-_]{1,36}$', or null."
)


@pytest.fixture
async def ws(emulator: Emulator) -> AsyncIterator[ClientConnection]:
    async with connect(emulator.url) as conn:
        yield conn


async def ask(ws: ClientConnection, message: Any) -> dict[str, Any]:
    await ws.send(message if isinstance(message, (str, bytes)) else json.dumps(message))
    reply = json.loads(await ws.recv())
    assert isinstance(reply, dict)
    return reply


async def test_seed_request_gets_the_documented_reply_shape(ws: ClientConnection) -> None:
    await ask(ws, {"id": 1, "method": "userDataStream.start", "params": {"apiKey": KEY_1}})
    reply = await ask(
        ws,
        {
            "id": "815d5fce-0880-4287-a567-80badf004c74",
            "method": "userDataStream.ping",
            "params": {"apiKey": KEY_1},
        },
    )
    assert list(reply) == ["id", "status", "result", "rateLimits"]
    assert reply["id"] == "815d5fce-0880-4287-a567-80badf004c74"
    assert reply["status"] == 200
    assert list(reply["result"]) == ["listenKey"]
    assert reply["rateLimits"] == [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": 2400,
            "count": 7,
        }
    ]


@pytest.mark.parametrize("request_id", [0, -(2**63), 2**63 - 1, "a", "A-_z9" * 7 + "x", None])
async def test_id_is_echoed_with_its_json_type(ws: ClientConnection, request_id: Any) -> None:
    reply = await ask(ws, {"id": request_id, "method": "session.status"})
    assert reply["status"] == 200
    assert reply["id"] == request_id and type(reply["id"]) is type(request_id)


@pytest.mark.parametrize(
    "request_id", [2**63, -(2**63) - 1, "", "x" * 37, "has space", "dot.ted", 1.5, True, [1], {}]
)
async def test_invalid_id(ws: ClientConnection, request_id: Any) -> None:
    reply = await ask(ws, {"id": request_id, "method": "session.status"})
    assert reply["id"] is None
    assert reply["status"] == 400
    assert reply["error"] == {"code": -1000, "msg": BAD_ID}


async def test_missing_id_is_an_invalid_id(ws: ClientConnection) -> None:
    reply = await ask(ws, {"method": "session.status"})
    assert (reply["id"], reply["status"], reply["error"]["msg"]) == (None, 400, BAD_ID)


@pytest.mark.parametrize("params", [[], "x", 1, None])
async def test_params_not_an_object(ws: ClientConnection, params: Any) -> None:
    reply = await ask(ws, {"id": 7, "method": "userDataStream.ping", "params": params})
    assert reply["id"] == 7  # echoed: it could be read
    assert reply["status"] == 400
    assert reply["error"] == {
        "code": -1000,
        "msg": "Invalid 'params' in JSON request; expected an object.",
    }


@pytest.mark.parametrize(
    ("frame", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('"text"', "expected a JSON object"),
        (b'{"id": 1, "method": "session.status"}', "text frame"),
    ],
)
async def test_malformed_frames(ws: ClientConnection, frame: str | bytes, fragment: str) -> None:
    reply = await ask(ws, frame)
    assert (reply["id"], reply["status"], reply["error"]["code"]) == (None, 400, -1000)
    assert fragment in reply["error"]["msg"]
    # The connection stays usable.
    assert (await ask(ws, {"id": 2, "method": "session.status"}))["status"] == 200


async def test_unknown_and_missing_method(ws: ClientConnection) -> None:
    reply = await ask(ws, {"id": "x1", "method": "order.teleport"})
    assert (reply["id"], reply["status"]) == ("x1", 400)
    assert reply["error"] == {"code": -1000, "msg": "Unknown method 'order.teleport'."}
    reply = await ask(ws, {"id": "x2"})
    assert (reply["id"], reply["status"], reply["error"]["code"]) == ("x2", 400, -1000)
    assert "'method'" in reply["error"]["msg"]


async def test_envelope_error_code_is_switchable(clock: FakeClock) -> None:
    async with Emulator(clock=clock, envelope_error_code=-1135) as emu:
        async with connect(emu.url) as ws:
            reply = await ask(ws, "{")
    assert reply["error"]["code"] == -1135


async def test_api_key_errors(ws: ClientConnection) -> None:
    for params, code in [
        ({}, -2014),
        ({"apiKey": ""}, -2014),
        ({"apiKey": 5}, -2014),
        ({"apiKey": "bad key"}, -2014),
        ({"apiKey": "unknown"}, -2015),
    ]:
        reply = await ask(ws, {"id": 1, "method": "userDataStream.start", "params": params})
        assert (reply["status"], reply["error"]["code"]) == (401, code), params


async def test_unknown_parameter_gets_facts_unknown_param(ws: ClientConnection) -> None:
    reply = await ask(
        ws,
        {"id": 1, "method": "userDataStream.start", "params": {"apiKey": KEY_1, "listenKey": "x"}},
    )
    assert (reply["status"], reply["error"]["code"]) == (400, -1103)  # FACTS §8 UNKNOWN_PARAM
    assert reply["error"]["msg"] == "An unknown parameter was sent."


async def test_ping_and_stop_without_a_key(ws: ClientConnection) -> None:
    for method in ("userDataStream.ping", "userDataStream.stop"):
        reply = await ask(ws, {"id": 1, "method": method, "params": {"apiKey": KEY_1}})
        assert reply["status"] == 400
        assert reply["error"] == {"code": -1125, "msg": "This listenKey does not exist."}


async def test_stop_returns_empty_object_and_invalidates(
    ws: ClientConnection, emulator: Emulator
) -> None:
    started = await ask(
        ws, {"id": 1, "method": "userDataStream.start", "params": {"apiKey": KEY_1}}
    )
    assert emulator.listen_key(KEY_1) == started["result"]["listenKey"]
    stopped = await ask(ws, {"id": 2, "method": "userDataStream.stop", "params": {"apiKey": KEY_1}})
    assert stopped["result"] == {}
    assert emulator.listen_key(KEY_1) is None
    restarted = await ask(
        ws, {"id": 3, "method": "userDataStream.start", "params": {"apiKey": KEY_1}}
    )
    assert restarted["result"]["listenKey"] != started["result"]["listenKey"]


async def test_listen_key_expires_on_the_clock(
    ws: ClientConnection, emulator: Emulator, clock: FakeClock
) -> None:
    await ask(ws, {"id": 1, "method": "userDataStream.start", "params": {"apiKey": KEY_1}})
    clock.advance(60 * 60 - 0.001)
    assert emulator.listen_key(KEY_1) is not None
    clock.advance(0.001)
    assert emulator.listen_key(KEY_1) is None
    reply = await ask(ws, {"id": 2, "method": "userDataStream.ping", "params": {"apiKey": KEY_1}})
    assert reply["error"]["code"] == -1125


async def test_weight_is_shared_by_connections_and_resets_each_minute(
    emulator: Emulator, clock: FakeClock
) -> None:
    async with connect(emulator.url) as a, connect(emulator.url) as b:
        first = await ask(a, {"id": 1, "method": "session.status"})
        second = await ask(b, {"id": 2, "method": "session.status"})
        assert first["rateLimits"][0]["count"] == 5 + 5 + 2  # two handshakes, one call
        assert second["rateLimits"][0]["count"] == 5 + 5 + 2 + 2
        clock.advance(60)
        third = await ask(a, {"id": 3, "method": "session.status"})
        assert third["rateLimits"][0]["count"] == 2


async def test_return_rate_limits_query_and_per_request(emulator: Emulator) -> None:
    async with connect(emulator.url + "?returnRateLimits=false") as ws:
        assert "rateLimits" not in await ask(ws, {"id": 1, "method": "session.status"})
        reply = await ask(
            ws, {"id": 2, "method": "session.status", "params": {"returnRateLimits": True}}
        )
        assert reply["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"
        assert reply["result"]["returnRateLimits"] is False  # the connection's default
    async with connect(emulator.url) as ws:
        reply = await ask(
            ws, {"id": 3, "method": "session.status", "params": {"returnRateLimits": False}}
        )
        assert "rateLimits" not in reply
        reply = await ask(
            ws, {"id": 4, "method": "session.status", "params": {"returnRateLimits": "no"}}
        )
        assert (reply["status"], reply["error"]["code"]) == (400, -1130)


async def test_session_status(ws: ClientConnection, clock: FakeClock) -> None:
    reply = await ask(ws, {"id": 1, "method": "session.status"})
    assert reply["result"] == {
        "apiKey": None,
        "authorizedSince": None,
        "connectedSince": clock(),
        "returnRateLimits": True,
        "serverTime": clock(),
    }


async def test_other_paths_are_404(emulator: Emulator) -> None:
    with pytest.raises(InvalidStatus) as caught:
        async with connect(emulator.url.replace("/ws-fapi/v1", "/nope")):
            pass
    assert caught.value.response.status_code == 404


def test_fake_clock() -> None:
    clock = FakeClock(1000)
    clock.advance(1.5)
    assert clock() == 2500
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_fake_clock_wakes_sleepers_on_other_threads_loops() -> None:
    """A threaded emulator or a blocking client sleeps on its own loop; advance() from here
    (no loop running, or another one) wakes it there."""
    clock = FakeClock(0)
    threads = [LoopThread(f"sleeper {i}") for i in range(2)]
    for thread in threads:
        thread.start()
    try:
        loop = threads[0]._loop
        assert loop is not None
        short = asyncio.run_coroutine_threadsafe(clock.sleep(10), loop)
        long = asyncio.run_coroutine_threadsafe(clock.sleep(30, background=True), loop)
        while len(clock._sleepers) < 2:  # both are asleep on the clock
            threads[1].run(asyncio.sleep(0.001))
        clock.advance(10)
        assert short.result(timeout=10) is None
        assert not long.done()

        async def advance_from_another_loop() -> None:
            clock.advance(20)

        threads[1].run(advance_from_another_loop())
        assert long.result(timeout=10) is None
    finally:
        for thread in threads:
            thread.stop()
