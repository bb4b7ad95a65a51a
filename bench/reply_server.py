"""The minimal reply server the round-trip and memory benchmarks call.

``python -m bench.reply_server`` listens on 127.0.0.1 on a free port, prints
the port on its first line of stdout, and answers every text frame with a
``userDataStream.ping`` reply (status 200, a listenKey and one rateLimits
entry, as the API does by default) carrying the request's ``id``; an
``order.place`` gets a NEW order and a ``session.logon`` its session (the
signed-call benchmark). Signatures are not checked. Its limit is
a billion per minute instead of 2,400, so that the client's pacing (which runs
on every call) never holds a benchmark back. It stops
when its stdin closes (the benchmark ended, however it ended) or after
``--lifetime`` seconds, whichever comes first.

It does as little as it can, so that it is not what a benchmark measures: it
runs in its own process (on its own core) and builds each reply from fixed
text around the echoed id.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator

from websockets.asyncio.server import ServerConnection, serve

__all__ = ["LISTEN_KEY", "ORDER_TAIL", "REPLY_TAIL", "reply_server", "reply_to"]

LISTEN_KEY = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"
REPLY_TAIL = (
    ',"status":200,"result":{"listenKey":"' + LISTEN_KEY + '"},"rateLimits":[{"rateLimitType":'
    '"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":1000000000,"count":2}]}'
)


_UNLIMITED = '"limit":1000000000,"count":1}'
ORDER_TAIL = (
    ',"status":200,"result":{"orderId":100000001,"symbol":"BTCUSDT","status":"NEW",'
    '"clientOrderId":"abc","price":"40000","avgPrice":"0","origQty":"0.01","executedQty":"0",'
    '"cumQty":"0","cumQuote":"0","timeInForce":"GTC","type":"LIMIT","reduceOnly":false,'
    '"closePosition":false,"side":"BUY","positionSide":"BOTH","stopPrice":"0",'
    '"workingType":"CONTRACT_PRICE","priceProtect":false,"origType":"LIMIT","priceMatch":"NONE",'
    '"selfTradePreventionMode":"NONE","goodTillDate":0,"updateTime":1767225600000},'
    '"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,'
    + _UNLIMITED
    + ',{"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,'
    + _UNLIMITED
    + ',{"rateLimitType":"ORDERS","interval":"MINUTE","intervalNum":1,'
    + _UNLIMITED
    + "]}"
)


def reply_to(request_id: str | int, method: str | None = None) -> str:
    """The reply frame to a request with this id (the same for every benchmark)."""
    tail = REPLY_TAIL
    if method == "order.place":
        tail = ORDER_TAIL
    elif method == "session.logon":
        now = int(time.time() * 1000)
        tail = (
            ',"status":200,"result":{"apiKey":"benchKey","authorizedSince":'
            f'{now},"connectedSince":{now},"returnRateLimits":true,"serverTime":{now}}}}}'
        )
    return '{"id":' + json.dumps(request_id) + tail


async def _answer(ws: ServerConnection) -> None:
    loads, send = json.loads, ws.send
    async for frame in ws:
        request = loads(frame)
        await send(reply_to(request["id"], request.get("method")))


async def _main(lifetime: float) -> None:
    async with serve(_answer, "127.0.0.1", 0, compression=None, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(port, flush=True)
        stdin = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stdin.read(), lifetime)  # read() returns at EOF


@contextlib.contextmanager
def reply_server(lifetime: float = 600.0) -> Iterator[str]:
    """Start the server in a child process; yield its ``ws://`` URL; stop it on exit."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.reply_server", "--lifetime", str(lifetime)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"the reply server did not start (it printed {line!r})")
        yield f"ws://127.0.0.1:{int(line)}"
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lifetime", type=float, default=600.0, help="seconds before it exits")
    asyncio.run(_main(parser.parse_args().lifetime))
