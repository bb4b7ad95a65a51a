"""The transport's shortcuts around websockets' queues: replies taken straight from
the data callback, requests written without waiting, and websockets' own paths
for everything else (fragmented, binary or invalid frames, a full write buffer).

Every test runs twice: through the shortcuts (websockets internals), and through
the public-API fallback (``internals=False``, what ``BINANCE_USDM_WS_NO_INTERNALS=1``
or a websockets without those internals selects)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import ServerConnection, serve

from binance_usdm_ws import ConnectionClosedError, UserDataStreamPingResponse
from binance_usdm_ws._io.connection import Connection
from binance_usdm_ws._io.socket import Socket, uses_internals

Reply = Callable[[ServerConnection, dict[str, Any]], Any]


def _reply_text(request: dict[str, Any]) -> str:
    return json.dumps({"id": request["id"], "status": 200, "result": {"listenKey": "lk"}})


@contextlib.asynccontextmanager
async def _server(reply: Reply) -> AsyncIterator[str]:
    async def handler(ws: ServerConnection) -> None:
        async for frame in ws:
            await reply(ws, json.loads(frame))

    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def _ping(connection: Connection, timeout: float = 5.0) -> UserDataStreamPingResponse:
    return await connection.request(
        "userDataStream.ping", {"apiKey": "k"}, UserDataStreamPingResponse, timeout
    )


@pytest.fixture(params=[True, False], ids=["internals", "public-fallback"])
def internals(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


async def _open(url: str, internals: bool) -> Connection:
    return await Connection.open(url, {"internals": internals})


def test_websockets_still_has_what_the_shortcuts_use() -> None:
    # Not documented by websockets (see Socket): an upgrade that renames them must
    # show here; the client then falls back to the public API by itself.
    assert callable(ClientConnection.process_event)
    assert callable(ClientConnection.send_data)
    assert uses_internals() or os.environ.get("BINANCE_USDM_WS_NO_INTERNALS")


async def _whole(ws: ServerConnection, request: dict[str, Any]) -> None:
    await ws.send(_reply_text(request))


async def test_the_fallback_uses_websockets_public_api_only() -> None:
    async with _server(_whole) as url:
        connection = await _open(url, False)
        try:
            assert type(connection._ws) is ClientConnection  # no subclass, no callback
            replies = await asyncio.gather(*(_ping(connection) for _ in range(50)))
            assert {r.result.listen_key for r in replies} == {"lk"}
        finally:
            await connection.close()


async def test_connections_use_the_shortcuts() -> None:
    async with _server(_whole) as url:
        connection = await _open(url, True)
        try:
            ws = connection._ws
            assert isinstance(ws, Socket) and ws.on_text is not None
            for name in ("paused", "protocol", "transport"):
                assert hasattr(ws, name), name
            # Count what takes each shortcut: every reply and every request should.
            texts: list[str] = []
            on_text, send_text_now = ws.on_text, ws.send_text_now

            def counted_on_text(text: str) -> None:
                texts.append(text)
                on_text(text)

            def counted_send(text: str) -> bool:
                sent = send_text_now(text)
                texts.append("sent" if sent else "waited")
                return sent

            ws.on_text = counted_on_text
            connection._send_now = counted_send
            replies = await asyncio.gather(*(_ping(connection) for _ in range(50)))
            assert {r.result.listen_key for r in replies} == {"lk"}
            assert texts.count("sent") == 50 and len(texts) == 100  # 50 written, 50 replies
        finally:
            await connection.close()


async def test_a_fragmented_reply_takes_websockets_own_path(internals: bool) -> None:
    async def fragmented(ws: ServerConnection, request: dict[str, Any]) -> None:
        text = _reply_text(request)
        await ws.send([text[:10], text[10:30], text[30:]])  # three frames, one message

    async with _server(fragmented) as url:
        connection = await _open(url, internals)
        try:
            replies = await asyncio.gather(*(_ping(connection) for _ in range(3)))
            assert [r.result.listen_key for r in replies] == ["lk"] * 3
        finally:
            await connection.close()


async def test_invalid_utf8_in_a_text_frame_ends_the_connection(internals: bool) -> None:
    async def invalid(ws: ServerConnection, request: dict[str, Any]) -> None:
        await ws.send(b'{"id": "\xff"}', text=True)

    async with _server(invalid) as url:
        connection = await _open(url, internals)
        try:
            # websockets 17 closes with 1007 itself; older ones raise in recv(), and
            # the reader task then closes with 1011. Either way the call fails at once.
            with pytest.raises(ConnectionClosedError, match="closed"):
                await _ping(connection)
            assert connection.closed
        finally:
            await connection.close()


async def test_a_full_write_buffer_makes_the_call_wait_for_it(internals: bool) -> None:
    async with _server(_whole) as url:
        connection = await _open(url, internals)
        try:
            ws = connection._ws
            ws.pause_writing()  # what asyncio does when the socket's buffer is full
            call = asyncio.ensure_future(_ping(connection))
            for _ in range(50):
                await asyncio.sleep(0)
            assert not call.done()  # websockets' send() waits in drain()
            ws.resume_writing()
            assert (await call).result.listen_key == "lk"
        finally:
            await connection.close()


async def test_a_bug_in_reading_a_reply_closes_the_connection_and_fails_the_call(
    caplog: pytest.LogCaptureFixture, internals: bool
) -> None:
    async with _server(_whole) as url:
        connection = await _open(url, internals)
        try:

            def broken(frame: str | bytes) -> list[Any]:
                raise RuntimeError("bug")

            connection._protocol.receive = broken  # type: ignore[method-assign]
            with pytest.raises(ConnectionClosedError, match="1011"):
                await _ping(connection)
            assert connection.closed
            assert "the connection reader failed" in caplog.text
        finally:
            await connection.close()


async def test_the_requests_a_burst_of_replies_wakes_go_out_in_one_write() -> None:
    burst: list[tuple[ServerConnection, dict[str, Any]]] = []

    async def in_bursts_of_50(ws: ServerConnection, request: dict[str, Any]) -> None:
        burst.append((ws, request))
        if len(burst) == 50:  # then all 50 replies in one write: one read on the client
            for peer, held in burst:
                peer.protocol.send_text(_reply_text(held).encode())
            ws.send_data()  # (the server and the client share this loop: no read in between)
            burst.clear()

    async with _server(in_bursts_of_50) as url:
        connection = await _open(url, True)
        try:
            writes: list[int] = []
            transport = connection._ws.transport
            write = transport.write

            def counted(data: Any) -> None:
                writes.append(len(data))
                write(data)

            transport.write = counted  # type: ignore[method-assign]

            async def twice() -> None:
                await _ping(connection)
                await _ping(connection)  # sent as the first reply is read

            await asyncio.wait_for(asyncio.gather(*(twice() for _ in range(50))), 10)
            # 50 first requests, then the second 50 in one write per read of replies (the
            # kernel may split the burst in a few reads); without the cork: 100 writes
            assert len(writes) <= 55, writes
        finally:
            await connection.close()
