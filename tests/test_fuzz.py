"""Property-based tests: arbitrary bytes and JSON never make anything but our exceptions escape."""

from __future__ import annotations

import json
import random
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from binance_usdm_ws import ProtocolError, UserDataStreamPingResponse
from binance_usdm_ws._core.protocol import Protocol
from binance_usdm_ws._generated import models as _models
from binance_usdm_ws._generated.spec import SPECS
from binance_usdm_ws.errors import BinanceWsError
from binance_usdm_ws.testing import Emulator, FakeClock
from binance_usdm_ws.testing._emulator import _Session

from .conftest import prepare

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# Objects that look like replies: the envelope keys with arbitrary values, or right-typed ones.
REPLY_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.sampled_from(["r1", "r2", "r3"]), JSON),
        "status": st.one_of(st.sampled_from([200, 400, 401, 418, 429, 503]), JSON),
        "result": st.one_of(st.fixed_dictionaries({"listenKey": st.text()}), JSON),
        "error": st.one_of(
            st.fixed_dictionaries(
                {"code": st.integers(), "msg": st.text()}, optional={"data": JSON}
            ),
            JSON,
        ),
        "rateLimits": JSON,
    },
)
FRAMES = st.one_of(
    st.binary(max_size=64),
    st.text(max_size=64),
    JSON.map(json.dumps),
    REPLY_LIKE.map(json.dumps),
    st.integers(1, 5000).map(lambda depth: "[" * depth + "]" * depth),  # deep nesting
)
MODELS = [m for name in _models.__all__ if attrs.has(m := getattr(_models, name))]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames=st.lists(FRAMES, min_size=1, max_size=6))
def test_protocol_receive_never_raises(frames: list[str | bytes]) -> None:
    ids = iter(["r1", "r2", "r3"])
    protocol: Protocol[str] = Protocol(id_factory=lambda: next(ids))
    for waiter in ("A", "B", "C"):
        prepare(protocol, "userDataStream.ping", {}, UserDataStreamPingResponse, waiter)
    settled: list[str] = []
    for frame in frames:
        for outcome in protocol.receive(frame):
            settled.append(outcome.waiter)
            if outcome.error is None:
                assert isinstance(outcome.result, UserDataStreamPingResponse)
            else:
                assert isinstance(outcome.error, BinanceWsError)
    assert len(settled) == len(set(settled))  # no request is settled twice
    assert len(settled) + len(protocol) == 3  # nor lost


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(max_examples=100, deadline=None)
@given(value=st.one_of(JSON, REPLY_LIKE))
def test_a_reply_decodes_or_fails_as_a_protocol_error(model: type[Any], value: Any) -> None:
    protocol: Protocol[str] = Protocol(id_factory=lambda: "r1")
    prepare(protocol, "m", None, model, "W")
    message = {**value, "id": "r1", "status": 200} if isinstance(value, dict) else value
    try:
        frame = json.dumps(message)
    except (ValueError, RecursionError):  # not a frame a server could send
        return
    for outcome in protocol.receive(frame):
        if outcome.error is None:
            assert isinstance(outcome.result, model)
        else:
            assert isinstance(outcome.error, ProtocolError)


@settings(max_examples=400, deadline=None)
@given(
    frame=st.one_of(
        FRAMES,
        st.fixed_dictionaries(
            {
                "id": JSON,
                "method": st.one_of(
                    st.sampled_from(
                        [
                            "userDataStream.start",
                            "userDataStream.ping",
                            "userDataStream.stop",
                            "session.status",
                        ]
                    ),
                    JSON,
                ),
            },
            optional={
                "params": st.one_of(
                    st.dictionaries(st.sampled_from(["apiKey", "returnRateLimits", "x"]), JSON),
                    JSON,
                )
            },
        ).map(json.dumps),
    )
)
def test_emulator_answers_any_frame_with_a_documented_reply(frame: str | bytes) -> None:
    emulator = Emulator(api_keys={"k1"}, clock=FakeClock())
    reply = json.loads(emulator.handle(_Session(True, 0), frame))
    assert set(reply) <= {"id", "status", "result", "error", "rateLimits"}
    assert isinstance(reply["status"], int)
    if reply["status"] == 200:
        assert "result" in reply and "error" not in reply
    else:
        assert set(reply["error"]) == {"code", "msg"}
        assert isinstance(reply["error"]["code"], int) and reply["error"]["code"] < 0
        assert reply["status"] in (400, 401, 429)


def random_frames(count: int, seed: int = 0) -> list[str | bytes]:
    """Seeded junk for a live socket: bytes, text, JSON values, envelope-shaped objects."""
    rng = random.Random(seed)
    junk: list[Any] = [None, True, 1.5, -(2**70), "x" * 40, [], {}, [1, {"a": None}]]
    frames: list[str | bytes] = []
    for _ in range(count):
        kind = rng.randrange(4)
        if kind == 0:
            frames.append(rng.randbytes(rng.randrange(64)))
        elif kind == 1:
            frames.append("".join(chr(rng.randrange(32, 0x2FF)) for _ in range(rng.randrange(64))))
        elif kind == 2:
            frames.append(json.dumps(rng.choice(junk)))
        else:
            message = {
                k: rng.choice(junk) for k in ("id", "method", "params") if rng.random() < 0.7
            }
            frames.append(json.dumps(message))
    return frames


async def test_emulator_stays_up_under_random_frames_on_a_socket() -> None:
    frames = random_frames(300)
    async with Emulator(api_keys={"k1"}) as emulator:
        async with connect(emulator.url, max_size=None) as ws:
            for frame in frames:
                await ws.send(frame)
                reply = json.loads(await ws.recv())
                assert isinstance(reply["status"], int)
            await ws.send(json.dumps({"id": 1, "method": "session.status"}))
            assert json.loads(await ws.recv())["status"] == 200


_SPEC_PARAMS = sorted({name for spec in SPECS.values() for name in spec.params})


@settings(max_examples=600, deadline=None)
@given(
    method=st.sampled_from(sorted(SPECS)),
    params=st.dictionaries(
        st.sampled_from([*_SPEC_PARAMS, "x"]),
        st.one_of(
            JSON,
            st.sampled_from(["BTCUSDT", "ETHUSDT", "BUY", "LIMIT", "MARKET", "GTC", "0.5", "1"]),
            st.just(1_767_225_600_000),
        ),
        max_size=8,
    ),
    verify=st.booleans(),
)
def test_emulator_answers_every_method_with_a_documented_reply(
    method: str, params: dict[str, Any], verify: bool
) -> None:
    emulator = Emulator(api_keys={"k1"}, clock=FakeClock(), verify_signatures=verify)
    if "apiKey" in params and isinstance(params["apiKey"], str):
        params["apiKey"] = "k1"
    frame = json.dumps({"id": 1, "method": method, "params": params})
    reply = json.loads(emulator.handle(_Session(True, 0), frame))
    assert reply["status"] in (200, 400, 401, 429), reply
    if reply["status"] != 200:
        assert set(reply["error"]) == {"code", "msg"} and reply["error"]["code"] < 0
