"""The pytest plugin, run through pytester: in pytest-asyncio's strict mode (the default, which
the project's own auto mode would hide), with ``--strict-markers``."""

from __future__ import annotations

import sys

import pytest

from .conftest import ROOT

pytest_plugins = ["pytester"]

PLUGIN = "binance_usdm_ws.testing.pytest_plugin"
# Strict mode (pytest-asyncio's default) and no configuration at all; -W silences only
# pytest-asyncio's nudge to set asyncio_default_fixture_loop_scope.
STRICT = (
    "-p",
    PLUGIN,
    "--asyncio-mode=strict",
    "--strict-markers",
    "-W",
    "ignore::DeprecationWarning",
)


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_bot=source)
    return pytester.runpytest(*STRICT, *args)


def test_the_fixtures_in_strict_mode(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest
        from binance_usdm_ws import AsyncClient, Client
        from binance_usdm_ws.testing import Emulator

        @pytest.mark.asyncio
        async def test_async(binance_client, binance_emulator, binance_account):
            assert isinstance(binance_client, AsyncClient) and binance_client.connected
            assert binance_client.url == binance_emulator.url
            assert binance_client.api_key == binance_account.api_key
            assert binance_account.api_key in binance_emulator.api_keys
            secret = binance_emulator.api_secrets[binance_account.api_key]
            assert secret == binance_account.api_secret
            placed = await binance_client.order.place(
                symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC",
                quantity="0.01", price="40000",
            )
            assert placed.result.status == "NEW"
            assert binance_emulator.requests[-1]["params"]["signature"]
            account = binance_emulator.account(binance_account.api_key)
            assert list(account.orders) == [placed.result.order_id]

        def test_sync(binance_sync_client, binance_emulator, binance_account):
            assert isinstance(binance_sync_client, Client)
            balances = binance_sync_client.account.balance_v2().result
            assert [b.asset for b in balances] == ["USDT"]
            assert binance_emulator.calls["v2/account.balance"] == 1

        def test_fresh_state_and_account_per_test(binance_emulator, binance_account):
            assert sum(binance_emulator.calls.values()) == 0
            assert binance_emulator.api_keys == {binance_account.api_key}
        """,
    )
    result.assert_outcomes(passed=3)


def test_the_fixtures_in_auto_mode(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_auto="""
        async def test_unmarked(binance_client, binance_clock):
            assert (await binance_client.session.status()).result.server_time == binance_clock()
        """
    )
    result = pytester.runpytest(
        "-p", PLUGIN, "--asyncio-mode=auto", "-W", "ignore::DeprecationWarning"
    )
    result.assert_outcomes(passed=1)


def test_a_clock_of_its_own_for_the_emulator(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        SKEWED = []

        def skewed():
            return SKEWED[0]() - 2000

        @pytest.fixture
        def clock_2s_behind(binance_clock):
            SKEWED[:] = [binance_clock]

        @pytest.mark.asyncio
        @pytest.mark.binance_emulator(clock=skewed)
        async def test_skew(clock_2s_behind, binance_client, binance_emulator, binance_clock):
            assert binance_emulator.clock is skewed and binance_client.clock is binance_clock
            await binance_client.account.balance_v2()  # -1021, measured, sent again
            assert binance_emulator.errors[-1021] == 1
            assert binance_client.time_offset <= -1000
        """,
    )
    result.assert_outcomes(passed=1)


def test_the_marker_configures_the_emulator(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        from decimal import Decimal
        import pytest
        from binance_usdm_ws.errors import ApiError

        pytestmark = pytest.mark.binance_emulator(weight_limit=1000)

        def arm(faults):
            faults.fail_next(1, status=503)

        @pytest.mark.binance_emulator(
            accounts={"botKey1": "botSecret1", "otherKey": "otherSecret"},
            symbols={"BTCUSDT": "50000.0", "XRPUSDT": "0.5000"},
            prices={"XRPUSDT": "0.6000"},
            balances={"USDT": "123.5", "BNB": "1"},
            positions={"BTCUSDT": ("0.01", "49000")},
            verify_signatures=True,
        )
        def test_config(binance_sync_client, binance_emulator, binance_account):
            assert binance_account.api_key == "botKey1"
            assert binance_account.api_secret == "botSecret1"
            assert binance_emulator.api_keys == {"botKey1", "otherKey"}
            assert binance_emulator.weight_limit == 1000  # from the module's marker
            price = binance_sync_client.ticker.price(symbol="XRPUSDT").result.price
            assert price == Decimal("0.6000")
            balances = {b.asset: b.balance for b in binance_sync_client.account.balance_v2().result}
            assert balances == {"USDT": Decimal("123.5"), "BNB": Decimal(1)}
            [position] = binance_sync_client.account.position_v2().result
            assert (position.symbol, position.position_amt) == ("BTCUSDT", Decimal("0.01"))

        @pytest.mark.binance_emulator(faults=arm)
        def test_faults_callable(binance_sync_client, binance_emulator):
            binance_sync_client.ticker.price(symbol="BTCUSDT")  # sent again after the 503
            assert binance_emulator.calls["ticker.price"] == 2

        @pytest.mark.binance_emulator(
            faults={"fail_next": {"count": 1, "status": 503}, "send_garbage": "unknown_id"}
        )
        def test_faults_mapping(binance_sync_client, binance_emulator):
            binance_sync_client.ticker.price(symbol="BTCUSDT")
            assert binance_emulator.calls["ticker.price"] == 2
            assert binance_emulator.faults.applied == {"unknown_id": 1}

        @pytest.mark.binance_emulator(no_such_option=1)
        def test_unknown_keyword(binance_emulator):
            pass

        @pytest.mark.binance_emulator(faults={"no_such_fault": 1})
        def test_unknown_fault(binance_emulator):
            pass
        """,
    )
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(
        ["*binance_emulator*no_such_option*", "*emulator.faults has no method 'no_such_fault'*"]
    )


def test_the_clock_is_shared_when_used(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import asyncio
        import json
        import pytest
        from websockets.asyncio.client import connect
        from binance_usdm_ws.testing import FakeClock, wall_clock_ms

        @pytest.mark.asyncio
        async def test_shared(binance_client, binance_emulator, binance_clock):
            assert isinstance(binance_clock, FakeClock)
            assert binance_emulator.clock is binance_clock
            assert binance_client.clock is binance_clock
            status = await binance_client.session.status()
            assert status.result.server_time == binance_clock()
            key = (await binance_client.user_data_stream.start()).result.listen_key
            async with connect(f"{binance_emulator.streams.url}/{key}") as ws:
                while binance_emulator.streams.open_sockets < 1:
                    await asyncio.sleep(0.001)
                # The emulator's thread sleeps on the test's clock: advancing it wakes it.
                binance_clock.advance(3600)
                expired = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert expired == {"e": "listenKeyExpired", "E": binance_clock(), "listenKey": key}

        def test_not_used(binance_emulator):
            assert binance_emulator.clock is wall_clock_ms
        """,
    )
    result.assert_outcomes(passed=2)


def test_coroutines_run_on_the_emulators_loop(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import asyncio
        import pytest
        from binance_usdm_ws.events import StrategyUpdateEvent
        from binance_usdm_ws.testing.pytest_plugin import on_emulator, on_emulator_sync

        EVENT = {
            "e": "STRATEGY_UPDATE", "T": 1, "E": 1,
            "su": {"si": 1, "st": "GRID", "ss": "NEW", "s": "BTCUSDT", "ut": 1, "c": 8001},
        }

        @pytest.mark.asyncio
        async def test_push(binance_client, binance_emulator, binance_account):
            async with binance_client.user_data_events() as events:
                sent = await on_emulator(
                    binance_emulator, binance_emulator.streams.push(binance_account.api_key, EVENT)
                )
                assert sent == 1
                event = await asyncio.wait_for(anext(events), 10)
            assert isinstance(event, StrategyUpdateEvent)

        def test_blocking(binance_emulator):
            push = binance_emulator.streams.push("x", EVENT)
            assert on_emulator_sync(binance_emulator, push) == 0
        """,
    )
    result.assert_outcomes(passed=2)


BROKEN = """
import pytest
from binance_usdm_ws.errors import ApiError

def test_broken(binance_sync_client, binance_emulator):
    def boom(params):
        raise ZeroDivisionError("a bug in the emulator")
    binance_emulator.market.ticker_price = boom
    with pytest.raises(ApiError) as caught:
        binance_sync_client.ticker.price(symbol="BTCUSDT")
    assert (caught.value.status, caught.value.code) == (500, -1000)
"""


def test_an_internal_error_fails_the_test_at_teardown(pytester: pytest.Pytester) -> None:
    result = run(pytester, BROKEN)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_broken*",
            "*the emulator had 3 internal error(s) during the test:",
            "*the emulator failed to handle a request",
            "*ZeroDivisionError: a bug in the emulator",
        ]
    )


def test_the_strict_checks_can_be_turned_off(pytester: pytest.Pytester) -> None:
    marked = BROKEN.replace(
        "def test_broken", "@pytest.mark.binance_emulator(strict=False)\ndef test_broken"
    )
    run(pytester, marked).assert_outcomes(passed=1)
    pytester.makeini("[pytest]\nbinance_emulator_strict = false\n")
    run(pytester, BROKEN).assert_outcomes(passed=1)


def test_a_malformed_request_is_not_an_internal_error(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        from websockets.sync.client import connect

        def test_garbage(binance_emulator):
            with connect(binance_emulator.url) as ws:
                ws.send("not json")
                assert '"code":-1000' in ws.recv()
            assert binance_emulator.errors[-1000] == 1
        """,
    )
    result.assert_outcomes(passed=1)


def test_without_pytest_asyncio_the_async_fixture_says_why(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "src"))
    pytester.makepyfile(
        block_asyncio="""
        import sys
        sys.modules["pytest_asyncio"] = None  # as if it were not installed
        """
    )
    pytester.makepyfile(
        test_x="""
        def test_async_client(binance_client):
            pass

        def test_sync_client(binance_sync_client):
            pass
        """
    )
    # block_asyncio must run before the plugin is imported: -p loads them in this order.
    result = pytester.runpytest_subprocess("-p", "no:asyncio", "-p", "block_asyncio", "-p", PLUGIN)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the binance_client fixture needs pytest-asyncio*"])


def test_the_plugin_is_registered_and_pytest_is_not_a_dependency() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {PLUGIN: PLUGIN}
    assert not any(d.startswith("pytest") for d in project["dependencies"])
    import binance_usdm_ws.testing  # noqa: F401

    sources = (ROOT / "src" / "binance_usdm_ws").rglob("*.py")
    importers = [p.name for p in sources if "import pytest" in p.read_text()]
    assert importers == ["pytest_plugin.py"]
    assert PLUGIN not in sys.modules or "pytest" in sys.modules
