"""The blocking Client against an emulator running in a thread."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from binance_usdm_ws import (
    Client,
    ConnectionClosedError,
    ListenKeyNotFoundError,
    UserDataStreamPingResponse,
)
from binance_usdm_ws.testing import Emulator

from .conftest import KEY_1, KEY_2


@pytest.fixture
def threaded_emulator() -> Iterator[Emulator]:
    with Emulator(api_keys={KEY_1, KEY_2}) as emulator:
        yield emulator


def test_start_ping_stop(threaded_emulator: Emulator) -> None:
    with Client(api_key=KEY_1, url=threaded_emulator.url) as client:
        started = client.user_data_stream.start()
        pong = client.user_data_stream.ping()
        assert isinstance(pong, UserDataStreamPingResponse)
        assert pong.result.listen_key == started.result.listen_key
        assert pong.result.listen_key == threaded_emulator.listen_key(KEY_1)
        assert client.user_data_stream.stop().status == 200
        with pytest.raises(ListenKeyNotFoundError) as caught:
            client.user_data_stream.ping()
        assert caught.value.code == -1125
    assert not client.connected
    with pytest.raises(ConnectionClosedError, match="client is closed"):
        client.user_data_stream.start()


def test_calls_from_many_threads(threaded_emulator: Emulator) -> None:
    with Client(url=threaded_emulator.url) as client:
        client.user_data_stream.start(api_key=KEY_1)
        client.user_data_stream.start(api_key=KEY_2)
        keys = [KEY_1, KEY_2] * 50
        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(lambda k: client.user_data_stream.ping(api_key=k), keys))
    for key, reply in zip(keys, replies, strict=True):
        assert reply.result.listen_key == threaded_emulator.listen_key(key)


def test_works_while_another_event_loop_runs(threaded_emulator: Emulator) -> None:
    async def inside_a_running_loop() -> str:
        # Blocking here stalls this loop, but the client runs on its own.
        with Client(api_key=KEY_1, url=threaded_emulator.url) as client:
            return client.user_data_stream.start().result.listen_key

    key = asyncio.run(inside_a_running_loop())
    assert key == threaded_emulator.listen_key(KEY_1)


def test_lazy_connect_and_repr(threaded_emulator: Emulator) -> None:
    client = Client(api_key=KEY_1, url=threaded_emulator.url)
    try:
        assert KEY_1 not in repr(client) and "k1Te…" in repr(client)
        assert client.user_data_stream.start().status == 200
        assert client.connected
    finally:
        client.close()
