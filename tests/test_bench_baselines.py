"""The benchmarks' raw loops (``bench/roundtrip.py``, ``bench/signed.py``) do what they claim:
the baselines leave the reply as JSON, and ``raw_typed`` builds the very reply the SDK
returns, so that sdk/raw_typed compares everything but the typed decode."""

from __future__ import annotations

import attrs
from websockets.asyncio.client import connect

from bench.reply_server import reply_server
from bench.roundtrip import API_KEY, RawClient
from bench.signed import SECRET, RawSigned, sdk_place
from binance_usdm_ws import AsyncClient, OrderPlaceResponse, UserDataStreamPingResponse


async def test_round_trip_raw_typed_builds_the_ping_reply_the_sdk_returns() -> None:
    with reply_server(lifetime=60) as url:
        async with (
            AsyncClient(API_KEY, url=url) as client,
            connect(url, compression=None) as ws_raw,
            connect(url, compression=None) as ws_typed,
        ):
            sdk_reply = await client.user_data_stream.ping()
            raw_reply = await RawClient(ws_raw).call()
            typed_reply = await RawClient(ws_typed).call_typed()
    assert isinstance(raw_reply, dict)
    assert isinstance(typed_reply, UserDataStreamPingResponse)
    assert attrs.evolve(typed_reply, id=sdk_reply.id) == sdk_reply
    assert typed_reply.result.listen_key == raw_reply["result"]["listenKey"]


async def test_signed_raw_typed_builds_the_order_reply_the_sdk_returns() -> None:
    with reply_server(lifetime=60) as url:
        async with (
            AsyncClient(API_KEY, api_secret=SECRET, url=url) as client,
            connect(url, compression=None) as ws_raw,
            connect(url, compression=None) as ws_typed,
        ):
            sdk_reply = await sdk_place(client)()
            raw_reply = await RawSigned(ws_raw, None).place_hmac()
            typed_reply = await RawSigned(ws_typed, None).place_hmac_typed()
    assert isinstance(raw_reply, dict)  # the baseline proper leaves the reply as JSON
    assert raw_reply["result"]["status"] == "NEW"
    assert isinstance(typed_reply, OrderPlaceResponse)
    assert isinstance(sdk_reply, OrderPlaceResponse)
    # The same objects, but for the request id each side chose.
    assert attrs.evolve(typed_reply, id=sdk_reply.id) == sdk_reply
    assert len(typed_reply.rate_limits or ()) == 3
