"""What the generated methods do beyond building params: the either/or rule checked before
sending, the object-or-list result, the weight charged per call, signed methods sent unsigned
without credentials."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from binance_usdm_ws import (
    METHODS,
    AsyncClient,
    BadRequestError,
    TickerPriceListResponse,
    TickerPriceResponse,
)
from binance_usdm_ws._core.hooks import AsyncRequester, Auth, R
from binance_usdm_ws._generated.methods import AsyncTicker
from binance_usdm_ws.testing import Emulator


class Recorder(AsyncRequester):
    """Records what a generated method hands to ``_request``; sends nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], type[Any], Auth]] = []

    async def _request(
        self,
        method: str,
        params: dict[str, Any],
        response_type: type[R],
        *,
        auth: Auth,
        api_key: str | None,
        return_rate_limits: bool | None,
        timeout: float | None,
    ) -> R:
        self.calls.append((method, params, response_type, auth))
        raise LookupError("recorded")


async def test_either_or_parameters_are_checked_before_sending() -> None:
    async with Emulator(api_keys={"k"}) as emulator:
        async with AsyncClient(api_key="k", url=emulator.url) as client:
            with pytest.raises(ValueError, match=r"orderId or origClientOrderId") as caught:
                await client.order.cancel(symbol="BTCUSDT")
            assert "order_id= or orig_client_order_id=" in str(caught.value)
            with pytest.raises(ValueError, match=r"algoId or clientAlgoId"):
                await client.algo_order.cancel()
            assert not emulator.requests  # nothing was sent
            # One of them is enough: the request goes out (the emulator does not know it).
            with pytest.raises(BadRequestError):
                await client.order.status(symbol="BTCUSDT", orig_client_order_id="mine")
    assert emulator.requests[-1]["params"]["origClientOrderId"] == "mine"


async def test_a_result_is_one_model_with_symbol_and_a_list_without() -> None:
    recorder = Recorder()
    ticker = AsyncTicker(recorder)
    for call in (ticker.price(symbol="BTCUSDT"), ticker.price(), ticker.book()):
        with pytest.raises(LookupError):
            await call
    (_, one, one_type, _), (_, every, every_type, _), (_, _, book_type, _) = recorder.calls
    assert (one, one_type) == ({"symbol": "BTCUSDT"}, TickerPriceResponse)
    assert (every, every_type) == ({}, TickerPriceListResponse)
    assert book_type.__name__ == "TickerBookListResponse"


@pytest.mark.parametrize(
    ("method", "params", "weight"),
    [
        ("depth", {"symbol": "BTCUSDT"}, 10),  # default limit 500
        ("depth", {"symbol": "BTCUSDT", "limit": 5}, 2),
        ("depth", {"symbol": "BTCUSDT", "limit": 50}, 2),
        ("depth", {"symbol": "BTCUSDT", "limit": 100}, 5),
        ("depth", {"symbol": "BTCUSDT", "limit": 500}, 10),
        ("depth", {"symbol": "BTCUSDT", "limit": 1000}, 20),
        ("ticker.price", {"symbol": "BTCUSDT"}, 1),
        ("ticker.price", {}, 2),
        ("ticker.book", {"symbol": "BTCUSDT"}, 2),
        ("ticker.book", {}, 5),
        ("account.balance", {}, 5),
        ("order.place", {}, 0),
    ],
)
def test_the_weight_depends_on_the_parameters(
    method: str, params: dict[str, Any], weight: int
) -> None:
    assert METHODS[method].weight_of(params) == weight
    client = AsyncClient()
    cost, _ = client._policy(method, params)
    assert [amount for _, amount in cost] == ([weight] if weight else [])


async def test_signed_methods_without_credentials_go_out_unsigned() -> None:
    async with Emulator(api_keys={"k"}) as emulator:
        async with AsyncClient(api_key="k", url=emulator.url) as client:
            with pytest.raises(BadRequestError):
                await client.order.place(
                    symbol="BTCUSDT",
                    side="BUY",
                    type="LIMIT",
                    time_in_force="GTC",
                    quantity=Decimal("0.001"),
                    price=Decimal("5E+4"),
                )
    params = emulator.requests[-1]["params"]
    assert params["apiKey"] == "k"
    assert isinstance(params["timestamp"], int)
    assert "signature" not in params
    assert params["price"] == "50000"  # plain notation, never 5E+4
    assert params["quantity"] == "0.001"


TYPED = """
from typing import assert_type

from binance_usdm_ws import (
    AsyncClient,
    Client,
    TickerBookListResponse,
    TickerPriceListResponse,
    TickerPriceResponse,
)


async def prices(client: AsyncClient, symbol: str | None) -> None:
    assert_type(await client.ticker.price(symbol="BTCUSDT"), TickerPriceResponse)
    assert_type(await client.ticker.price(), TickerPriceListResponse)
    assert_type(
        await client.ticker.price(symbol=symbol), TickerPriceResponse | TickerPriceListResponse
    )
    one = await client.ticker.price(symbol="BTCUSDT")
    assert_type(one.result.symbol, str)
    every = await client.ticker.price()
    assert_type(every.result[0].symbol, str)


def books(client: Client) -> None:
    assert_type(client.ticker.book(), TickerBookListResponse)
"""


@pytest.mark.slow
def test_the_overloads_type_check(tmp_path: Any) -> None:
    """mypy --strict picks the overload: one model with ``symbol``, a list without."""
    import subprocess
    import sys

    (tmp_path / "typed.py").write_text(TYPED)
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "typed.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
