"""Start, keep alive and close a listenKey.

Runs against the in-process emulator unless BINANCE_API_KEY is set:

    python examples/quickstart.py
"""

from __future__ import annotations

import asyncio
import os

from binance_usdm_ws import AsyncClient, ListenKeyNotFoundError
from binance_usdm_ws.testing import Emulator


async def run(client: AsyncClient) -> None:
    started = await client.user_data_stream.start()
    pong = await client.user_data_stream.ping()
    assert pong.result.listen_key == started.result.listen_key
    print(pong.result.listen_key, pong.rate_limits)
    await client.user_data_stream.stop()
    try:
        await client.user_data_stream.ping()
    except ListenKeyNotFoundError as exc:
        print(f"after stop: {exc.code} {exc.msg}")


async def main() -> None:
    api_key = os.environ.get("BINANCE_API_KEY")
    if api_key:
        async with AsyncClient(api_key=api_key) as client:
            await run(client)
        return
    async with Emulator(api_keys={"example-key"}) as emulator:
        async with AsyncClient(api_key="example-key", url=emulator.url) as client:
            await run(client)


if __name__ == "__main__":
    asyncio.run(main())
